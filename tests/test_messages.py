"""Refusals name the user's layer and what the user wrote, describe it correctly and say
what to write instead; a model QKeras itself computes inexactly gets a warning (issue 12)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.models.loading import load_keras_file
from toolkit.models.reader import read_model

SUPPORTED = "supported: quantized_bits(bits, integer, alpha=1), quantized_relu(bits, integer)"


def _dense_model(kernel_quantizer, activation="quantized_bits(4,1,alpha=1)", bias="quantized_bits(8,3)"):
    import tensorflow as tf
    from qkeras import QActivation, QDense

    return tf.keras.Sequential(
        [
            tf.keras.Input((5,)),
            QActivation("quantized_bits(4,1,alpha=1)", name="in_q"),
            QDense(3, kernel_quantizer=kernel_quantizer, bias_quantizer=bias, name="fc"),
            QActivation(activation, name="act"),
        ]
    )


def test_kernel_without_alpha_is_deployed_as_qkeras_computes_it():
    """QKeras gives a kernel quantizer written without alpha alpha='auto_po2': deployed, and said so."""
    model = _dense_model("quantized_bits(4,0)")
    model_ir, _ = read_model(model)
    assert any(
        note.startswith("layer 'fc' kernel: quantized_bits(4,0,1,alpha='auto_po2')")
        for note in model_ir.notes
    )
    x = np.random.default_rng(0).normal(0, 2, (32, 5)).astype(np.float32)
    np.testing.assert_array_equal(
        Emulator(model_ir).predict(x), model.predict(x, verbose=0).astype(np.float64)
    )


def test_kernel_without_alpha_in_a_saved_model_reads_the_same(tmp_path):
    model = _dense_model("quantized_bits(4,0)")
    model.save(tmp_path / "m.h5", save_format="h5")
    loaded, _ = read_model(load_keras_file(tmp_path / "m.h5"))
    assert loaded.model_hash() == read_model(model)[0].model_hash()


def test_auto_po2_bias_names_where_it_is_accepted():
    with pytest.raises(ToolkitError) as err:
        read_model(_dense_model("quantized_bits(4,0)", bias="quantized_bits(8,3,alpha='auto_po2')"))
    message = str(err.value)
    assert message.startswith("layer 'fc' bias: alpha='auto_po2': a power-of-two scale per output channel")
    assert "alpha='auto_po2' on QDense/QConv/QDepthwiseConv kernels only" in message


@pytest.mark.parametrize(
    "written, described",
    [
        ("quantized_bits(4,0,alpha='auto')", "alpha='auto': a floating-point scale per output channel"),
        ("quantized_bits(4,0,alpha=0.5)", "alpha=0.5: a constant factor 0.5 applied after rounding"),
    ],
)
def test_written_alpha_is_described_as_written(written, described):
    with pytest.raises(ToolkitError, match=re.escape(f"layer 'fc' kernel: {described}")) as err:
        read_model(_dense_model(written))
    assert str(err.value).endswith("write quantized_bits(4,0,alpha=1)")


def test_activation_without_alpha_is_fixed_point():
    """QKeras uses scale 1 for a quantized_bits written without alpha outside a kernel: accepted."""
    model_ir, _ = read_model(_dense_model("quantized_bits(4,0,alpha=1)", activation="quantized_bits(4,1)"))
    assert model_ir.layer("act").out_precision.describe() == "s4.2"


@pytest.mark.parametrize(
    "activation, described",
    [
        ("tanh", "activation 'tanh'"),
        ("sigmoid", "activation 'sigmoid'"),
        ("quantized_tanh(4)", "quantizer quantized_tanh(4)"),
        ("quantized_sigmoid(4)", "quantizer quantized_sigmoid(4)"),
    ],
)
def test_unsupported_activations_name_the_layer_the_activation_and_the_supported_set(activation, described):
    expected = (
        f"layer 'act' (QActivation): {described} has no fixed-point deployment in the toolkit; {SUPPORTED}"
    )
    with pytest.raises(ToolkitError, match=re.escape(expected)):
        read_model(_dense_model("quantized_bits(4,0,alpha=1)", activation=activation))


def _wide_model(fan_in):
    import tensorflow as tf
    from qkeras import QActivation, QDense

    model = tf.keras.Sequential(
        [
            tf.keras.Input((fan_in,)),
            QActivation("quantized_bits(8,0,alpha=1)", name="in_q"),
            QDense(2, kernel_quantizer="quantized_bits(8,0,alpha=1)", use_bias=False, name="wide"),
        ]
    )
    model.layers[-1].set_weights([np.full((fan_in, 2), -1.0, np.float32)])
    return model


def test_accumulator_beyond_float32_mantissa_warns_and_notes():
    with pytest.warns(
        UserWarning, match=r"layer 'wide': its sums reach 16777216 LSBs of the accumulator \(2\^24.00\)"
    ) as caught:
        model_ir, _ = read_model(_wide_model(1024))  # 1024 * 128 * 128 = 2^24 LSBs of s16.2
    assert sum("float32's 24-bit mantissa" in str(w.message) for w in caught) == 1
    assert any(
        "beyond float32's 24-bit mantissa: QKeras computes this layer in float32" in n for n in model_ir.notes
    )


def test_accumulator_within_float32_has_no_note():
    model = _wide_model(1023)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model_ir, _ = read_model(model)
    assert not any("float32" in str(w.message) for w in caught)
    assert not any("float32" in note for note in model_ir.notes)


def test_the_warned_model_really_is_inexact_in_qkeras():
    """Why the warning exists: with 1501 inputs of 127/128 x weights of 127/128, QKeras's float32
    sums need 25 bits and are rounded, so its predict differs from the exact emulator."""
    from toolkit.emulator.engine import Emulator

    model = _wide_model(1501)
    model.layers[-1].set_weights([np.full((1501, 2), 127 / 128, np.float32)])
    rng = np.random.default_rng(0)
    x = rng.choice(np.array([127, 125, 1], np.float32) / 128, (20, 1501), p=[0.9, 0.05, 0.05])
    with pytest.warns(UserWarning, match="beyond float32's 24-bit mantissa"):
        model_ir, _ = read_model(model)
    exact = Emulator(model_ir).predict(x)
    assert (exact != model.predict(x, verbose=0).astype(np.float64)).any()
