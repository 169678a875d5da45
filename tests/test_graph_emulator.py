"""Graph-shaped models: the reader and the emulator against the user's own QKeras model, exactly.

Joins (Add, Subtract, Concatenate), depthwise and separable convolutions, zero padding,
average/global pooling and reshapes, on functional models with Keras' default names,
with inputs on both rails; and every refusal as a one-line error naming the layer.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.graph_models import GRAPH_MODELS, build_graph
from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.models.reader import read_model


@pytest.mark.parametrize("name", sorted(GRAPH_MODELS))
def test_graph_model_equals_qkeras_exactly(name):
    model, x = build_graph(name)
    model_ir, _ = read_model(model)
    emulator = Emulator(model_ir)
    codes = emulator.quantize_input(x)
    precision = model_ir.input_precision
    assert (codes == precision.max_code).any() and (codes == precision.min_code).any()
    np.testing.assert_array_equal(emulator.predict(x), model.predict(x, verbose=0).astype(np.float64))


def test_graph_shapes_in_the_ir():
    model_ir, _ = read_model(build_graph("residual_add")[0])
    add = next(layer for layer in model_ir.layers if isinstance(layer, ir.Add))
    skip = model_ir.layers[0].name  # the input quantizer's output is read by the conv and the Add
    assert add.inputs[0] == skip and not model_ir.is_chain()
    assert add.out_precision.frac == max(p.frac for p in add.input_precisions)
    assert model_ir.consumers()[skip][-1] == add.name and len(model_ir.consumers()[skip]) == 2


def test_depthwise_and_pointwise_are_separate_mac_layers():
    model_ir, _ = read_model(build_graph("depthwise_separable")[0])
    macs = model_ir.mac_layers()
    kinds = [layer.kind for layer in macs]
    assert kinds == ["DepthwiseConv", "DepthwiseConv", "Conv", "Dense"]
    first = macs[0]
    assert first.fan_in == 9 and first.n_out == 6 and first.multiplier == 2
    assert macs[2].name.endswith("_pointwise") and macs[2].kernel == (1, 1)


def test_chain_hash_does_not_depend_on_explicit_inputs(zoo_models):
    """Sequential models keep their model hash: explicit chain inputs hash as implicit ones."""
    model_ir = zoo_models["digits-cnn"]["ir"]
    implicit = dataclasses.replace(
        model_ir, layers=tuple(dataclasses.replace(layer, inputs=()) for layer in model_ir.layers)
    )
    assert model_ir.is_chain() and implicit.model_hash() == model_ir.model_hash()


def test_truncated_average_needs_a_quantizer_before_arithmetic():
    from qkeras import QActivation
    from tensorflow.keras import layers, models

    inp = layers.Input((9, 2))
    x = QActivation("quantized_bits(5,1,alpha=1)")(inp)
    a = layers.AveragePooling1D(3, name="avg3")(x)
    g = layers.GlobalAveragePooling1D(name="gavg")(a)
    with pytest.raises(ToolkitError, match="layer 'gavg' .* computes on the average of 'avg3'"):
        read_model(models.Model(inp, g))


def _bad(kind: str):
    import tensorflow as tf
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers

    q = "quantized_bits(4,0,alpha=1)"
    if kind == "two_inputs":
        a, b = layers.Input((4,), name="in_a"), layers.Input((4,), name="in_b")
        s = layers.Add()([QActivation(q)(a), QActivation(q)(b)])
        return tf.keras.Model([a, b], s), r"2 inputs \(in_a, in_b\) and 1 outputs"
    inp = layers.Input((4,), name="inp")
    x = QActivation(q, name="xq")(inp)
    if kind == "two_outputs":
        return tf.keras.Model(inp, [QDense(2, kernel_quantizer=q, bias_quantizer=q, name="o1")(x),
                                    QDense(2, kernel_quantizer=q, bias_quantizer=q, name="o2")(x)]), "2 outputs"  # fmt: skip
    if kind == "broadcast":
        one = QDense(1, kernel_quantizer=q, bias_quantizer=q, name="one")(x)
        return tf.keras.Model(
            inp, layers.Add(name="bad_add")([x, one])
        ), r"layer 'bad_add': Add of tensors with shapes"
    if kind == "lstm":
        seq = layers.Reshape((2, 2))(x)
        return tf.keras.Model(
            inp, layers.LSTM(3, name="my_lstm")(seq)
        ), r"layer 'my_lstm' \(LSTM\) is not supported; supported layers:"
    if kind == "attention":
        seq = layers.Reshape((2, 2))(x)
        out = layers.MultiHeadAttention(1, 2, name="mha")(seq, seq)
        return tf.keras.Model(inp, out), r"layer 'mha' \(MultiHeadAttention\) is not supported"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["two_inputs", "two_outputs", "broadcast", "lstm", "attention"])
def test_unsupported_graphs_are_one_line_errors(kind):
    model, message = _bad(kind)
    with pytest.raises(ToolkitError, match=message) as info:
        read_model(model)
    assert "\n" not in str(info.value)


def test_unsupported_model_fails_the_build_without_a_passed_step(tmp_path):
    import json

    from click.testing import CliRunner

    from toolkit.cli.main import cli

    model, _ = _bad("lstm")
    model.save(tmp_path / "m.keras")
    x = np.zeros((8, 4), np.float32)
    np.savez(tmp_path / "d.npz", x_train=x, y_train=np.zeros(8, int), x_test=x, y_test=np.zeros(8, int))
    result = CliRunner().invoke(cli, ["build", "--model", str(tmp_path / "m.keras"), "--data", str(tmp_path / "d.npz"),
                                      "--out", str(tmp_path / "b")])  # fmt: skip
    assert result.exit_code != 0 and "'my_lstm' (LSTM) is not supported" in result.output
    records = (
        [json.loads(p.read_text()) for p in (tmp_path / "b" / "steps").glob("*.json")]
        if (tmp_path / "b").exists()
        else []
    )
    assert all(r["status"] != "passed" for r in records)


@pytest.mark.parametrize("name", ["mnist1d-resnet", "digits-dscnn"])
def test_graph_zoo_models_equal_qkeras_on_the_full_test_set(name):
    from toolkit.models.datasets import load_dataset
    from toolkit.models.zoo import load_zoo_model, zoo_entry

    model = load_zoo_model(name, verbose=False)
    data = load_dataset(zoo_entry(name).dataset)
    model_ir, _ = read_model(model)
    kinds = {layer.kind for layer in model_ir.layers}
    assert (
        ("Add" in kinds and not model_ir.is_chain()) if name == "mnist1d-resnet" else "DepthwiseConv" in kinds
    )
    np.testing.assert_array_equal(
        Emulator(model_ir).predict(data.x_test), model.predict(data.x_test, verbose=0)
    )
    assert np.mean(Emulator(model_ir).classify(data.x_test) == data.y_test) > 0.85


def test_density_on_a_graph_it_cannot_quantize_fails_the_build_naming_the_layer(tmp_path):
    """Density training walks graphs; a float ReLU after a join (no quantizer of its own, no MAC
    layer to take a width from) is a one-line error and no build step passes."""
    import json

    import tensorflow as tf
    from click.testing import CliRunner

    from toolkit.cli.main import cli

    inp = tf.keras.Input((8, 8, 1))
    x = tf.keras.layers.ReLU()(tf.keras.layers.Conv2D(4, 3, padding="same")(inp))
    h = tf.keras.layers.Conv2D(4, 3, padding="same")(x)
    x = tf.keras.layers.ReLU(name="relu_after_add")(tf.keras.layers.Add()([x, h]))
    out = tf.keras.layers.Dense(10)(tf.keras.layers.Flatten()(x))
    tf.keras.Model(inp, out).save(tmp_path / "m.keras")
    args = ["build", "--model", str(tmp_path / "m.keras"), "--data", "digits", "--quantize", "density",
            "--to", "quantize", "--out", str(tmp_path / "b")]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert "layer 'relu_after_add' (ReLU) does not follow a Dense/Conv layer" in result.output
    records = [json.loads(p.read_text()) for p in (tmp_path / "b" / "steps").glob("*.json")]
    assert all(r["status"] != "passed" for r in records)
