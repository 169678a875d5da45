"""BatchNormalization deployed exactly: the emulator against the user's own QKeras model.

The reference is the model the user built (functional API, Keras' default names), not
the toolkit's rewrite. Exact deployment equals it on every sample but float near-ties;
folding (``--fold-batchnorm``) is an explicit option whose cost the agreement figure shows.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tests.bn_models import BN_MODELS, build_bn
from toolkit.cli.main import cli
from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.models.agreement import measure_agreement, near_tie_samples
from toolkit.models.reader import read_model
from toolkit.precision import Precision


@pytest.mark.parametrize("name", sorted(BN_MODELS))
def test_bn_model_equals_the_users_model(name):
    model, x = build_bn(name, n=4000)
    model_ir, _ = read_model(model)
    agreement = measure_agreement(model, model_ir, x)
    assert agreement.outputs_fraction >= 0.999, agreement.describe()
    assert agreement.unexplained == 0, agreement.describe()  # every exception is a float near-tie
    codes = Emulator(model_ir).quantize_input(x)
    assert (codes == model_ir.input_precision.max_code).any() and (
        codes == model_ir.input_precision.min_code
    ).any()


@pytest.mark.parametrize("name", ["dense_bn", "conv1d_bn"])
def test_bn_model_outputs_equal_keras_exactly(name):
    """Where no near-tie occurs, the outputs are identical: assert_array_equal against the user's predict."""
    from toolkit.models.agreement import reference_model

    model, x = build_bn(name, n=1500)
    model_ir, _ = read_model(model)
    expected = reference_model(model).predict(x, verbose=0).astype(np.float64)
    np.testing.assert_array_equal(Emulator(model_ir).predict(x), expected)


def test_qconv2d_batchnorm_is_bit_exact():
    model, x = build_bn("qconv2d_batchnorm", n=1500)
    model_ir, _ = read_model(model)
    assert "Scale" not in [layer.kind for layer in model_ir.layers]  # QKeras folds it itself, exactly
    np.testing.assert_array_equal(
        Emulator(model_ir).predict(x), model.predict(x, verbose=0).astype(np.float64)
    )


def test_trained_bn_statistics_far_from_identity():
    """Trained on unnormalized data, BN's statistics move far from (0, 1); agreement stays exact."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(3)
    model = BN_MODELS["dense_bn"]()
    rng = np.random.default_rng(3)
    x = (rng.normal(1.5, 2.5, (3000, 16))).astype(np.float32)
    y = (x @ rng.normal(size=(16, 5))).argmax(1)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    bns = [layer for layer in model.layers if isinstance(layer, tf.keras.layers.BatchNormalization)]
    spread = np.concatenate(
        [np.abs(b.moving_mean.numpy()) + np.abs(np.log(b.moving_variance.numpy())) for b in bns]
    )
    assert np.median(spread) > 0.5, "BN statistics stayed near identity"
    model_ir, _ = read_model(model)
    agreement = measure_agreement(model, model_ir, x)
    assert agreement.outputs_fraction >= 0.999 and agreement.unexplained == 0, agreement.describe()


def test_fold_is_explicit_and_its_cost_is_reported():
    model, x = build_bn("dense_bn", n=1000)
    folded_ir, _ = read_model(model, fold_batchnorm=True)
    assert "Scale" not in [layer.kind for layer in folded_ir.layers]
    agreement = measure_agreement(model, folded_ir, x)
    assert agreement.outputs_fraction < 0.5 and agreement.unexplained > 0  # not near-ties: a different model
    assert any("re-quantized" in note for note in folded_ir.notes)


def test_bn_feeding_logits_is_delivered_in_a_reported_type():
    model, _ = build_bn("conv2d_bn")
    model_ir, deploy = read_model(model)
    last = model_ir.layers[-1]
    assert isinstance(last, ir.Quantize) and isinstance(model_ir.layers[-2], ir.Scale)
    assert last.out_precision.width == 16 and last.out_precision.rounding == "RND_CONV"
    assert any("16-bit fixed-point value" in note for note in model_ir.notes)
    assert deploy.layers[-1].name == last.name


def test_scale_holds_keras_float32_factor_exactly():
    from toolkit.models.batchnorm import batchnorm_float_parameters

    model, _ = build_bn("dense_bn")
    model_ir, _ = read_model(model)
    scale = next(layer for layer in model_ir.layers if isinstance(layer, ir.Scale))
    inv, shift = batchnorm_float_parameters(model.get_layer(scale.name))
    np.testing.assert_array_equal(scale.scale_precision.to_float(scale.scale), inv)
    assert np.abs(scale.out_precision.to_float(scale.shift) - shift).max() <= scale.out_precision.scale / 2
    assert scale.out_precision.frac == scale.in_precision.frac + scale.scale_precision.frac


def test_near_ties_are_found_by_the_exact_value():
    """A value a hair off a rounding tie is a near-tie; one well inside a step is not."""
    source = Precision(30, 10, True, "TRN", "WRAP")  # 20 fraction bits
    scale = ir.Scale(
        name="bn", in_shape=(2,), out_shape=(2,), in_precision=Precision(10, 10), out_precision=source,
        scale=np.array([1 << 20, 1 << 20]), scale_precision=Precision(22, 2), shift=np.zeros(2, np.int64),
    )  # fmt: skip
    quant = ir.Quantize(
        name="q", in_shape=(2,), out_shape=(2,), in_precision=source, out_precision=Precision(6, 4)
    )
    model_ir = ir.ModelIR("t", (2,), Precision(10, 10), (scale, quant))
    tie = (3 << 18) + (1 << 17)  # 3.125 + half an output LSB (0.25): exactly a tie at 2 fraction bits
    codes = np.array([[3, 0], [3, 0]])  # inputs; the trace is what matters, so patch the Scale's output
    emulator = Emulator(model_ir)
    emulator.trace = lambda c: {"bn": np.array([[tie + 1, 0], [tie + 40000, 0]]), "q": c}
    np.testing.assert_array_equal(near_tie_samples(model_ir, emulator, codes), [True, False])


def test_mac_after_bn_needs_a_quantizer():
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers, models

    inp = layers.Input((4,))
    h = QActivation("quantized_bits(6,2,alpha=1)")(inp)
    h = QDense(
        3, kernel_quantizer="quantized_bits(4,0,alpha=1)", bias_quantizer="quantized_bits(4,0,alpha=1)"
    )(h)
    h = layers.BatchNormalization(name="my_bn")(h)
    out = QDense(
        2, kernel_quantizer="quantized_bits(4,0,alpha=1)", bias_quantizer="quantized_bits(4,0,alpha=1)"
    )(h)
    with pytest.raises(ToolkitError, match="unquantized output of 'my_bn'; add QActivation"):
        read_model(models.Model(inp, out))


def _softmax_model(where: str):
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers, models

    inp = layers.Input((6,))
    h = QActivation("quantized_bits(6,2,alpha=1)")(inp)
    q = "quantized_bits(4,0,alpha=1)"
    if where == "inside":
        h = QDense(4, kernel_quantizer=q, bias_quantizer=q, activation="softmax")(h)
        h = QDense(3, kernel_quantizer=q, bias_quantizer=q)(h)
    elif where == "activation":
        h = QDense(3, kernel_quantizer=q, bias_quantizer=q, activation="softmax")(h)
    else:
        h = layers.Activation("softmax")(QDense(3, kernel_quantizer=q, bias_quantizer=q)(h))
    return models.Model(inp, h)


@pytest.mark.parametrize("where", ["activation", "layer"])
def test_trailing_softmax_is_dropped_the_same_way(where):
    model = _softmax_model(where)
    model_ir, _ = read_model(model)
    assert any("dropped the trailing softmax" in note for note in model_ir.notes)
    x = np.random.default_rng(0).normal(0, 2, (300, 6)).astype(np.float32)
    agreement = measure_agreement(model, model_ir, x)
    assert agreement.outputs_equal == agreement.n


def test_softmax_inside_the_model_is_refused_naming_the_users_layer():
    model = _softmax_model("inside")
    with pytest.raises(ToolkitError, match=r"layer 'q_dense\w*' \(QDense\): activation='softmax'"):
        read_model(model)


def test_unsupported_mac_activation_names_the_users_layer():
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers, models

    inp = layers.Input((6,))
    h = QActivation("quantized_bits(6,2,alpha=1)")(inp)
    q = "quantized_bits(4,0,alpha=1)"
    out = QDense(3, kernel_quantizer=q, bias_quantizer=q, activation="tanh", name="dense_tanh")(h)
    with pytest.raises(
        ToolkitError, match="layer 'dense_tanh' \\(QDense\\): activation='tanh' is not supported"
    ):
        read_model(models.Model(inp, out))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_emulate_json_reports_agreement(tmp_path, suffix):
    model, x = build_bn("dense_bn", n=400)
    model.save(tmp_path / f"m{suffix}")
    y = np.random.default_rng(0).integers(0, 5, len(x))
    np.savez(tmp_path / "d.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    args = ["emulate", "--model", str(tmp_path / f"m{suffix}"), "--data", str(tmp_path / "d.npz"), "--json"]
    exact = json.loads(CliRunner().invoke(cli, args, catch_exceptions=False).stdout)
    assert exact["agreement"]["outputs_fraction"] == 1.0 and exact["agreement"]["n"] == 400
    folded = json.loads(CliRunner().invoke(cli, [*args, "--fold-batchnorm"], catch_exceptions=False).stdout)
    assert folded["agreement"]["outputs_fraction"] < 1.0 and folded["agreement"]["unexplained"] > 0
    assert folded["model_hash"] != exact["model_hash"]
    table = CliRunner().invoke(cli, args[:-1], catch_exceptions=False).stdout
    assert "vs original model" in table and "100.00%" in table
