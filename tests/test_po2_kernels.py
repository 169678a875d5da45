"""Kernels with per-channel power-of-two scales (QKeras ``alpha='auto_po2'``, written or QKeras'
default for a kernel quantizer written without alpha) through every backend, bit for bit.

One functional model with Keras default names: a same-padded QConv2D whose four channels span
two orders of magnitude (its grid is wider than its 4 bits), a QDepthwiseConv2D and a QDense
whose quantizers have no alpha (QKeras makes them auto_po2), on inputs past both rails. The
emulator equals the user's QKeras predict; hls4ml C-sim and the Verilator RTL equal the
emulator with an approximate multiplier (and a control-variate correction) on the layer whose
grid fits the multiplier library and the wide ones exact.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.models.reader import read_model
from toolkit.plan import plan_from_json

CHANNEL_SCALES = np.array([0.02, 0.3, 1.0, 2.5], np.float32)  # the conv's four output channels


def _model(conv_quantizer: str = "quantized_bits(4,0,alpha='auto_po2')", scales=CHANNEL_SCALES):
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QDense, QDepthwiseConv2D

    tf.keras.utils.set_random_seed(7)
    inp = tf.keras.Input((6, 6, 2))
    x = QActivation("quantized_bits(5,2,alpha=1)")(inp)
    x = QConv2D(len(scales), 3, padding="same", kernel_quantizer=conv_quantizer,
                bias_quantizer="quantized_bits(8,3,alpha=1)")(x)  # fmt: skip
    x = QActivation("quantized_bits(6,3,alpha=1)")(x)
    x = QDepthwiseConv2D(
        2, depthwise_quantizer="quantized_bits(4,1)", bias_quantizer="quantized_bits(8,3,alpha=1)"
    )(x)
    x = QActivation("quantized_relu(5,2)")(x)
    x = tf.keras.layers.Flatten()(x)
    out = QDense(5, kernel_quantizer="quantized_bits(3,0)", bias_quantizer="quantized_bits(8,3,alpha=1)")(x)
    model = tf.keras.Model(inp, out)
    rng = np.random.default_rng(7)
    conv, depthwise, dense = (layer for layer in model.layers if layer.get_weights())
    kernel, bias = conv.get_weights()
    conv.set_weights([(rng.normal(size=kernel.shape) * scales).astype(np.float32),
                      rng.uniform(-1, 1, bias.shape).astype(np.float32)])  # fmt: skip
    for layer in (depthwise, dense):
        layer.set_weights([rng.normal(0, 0.6, w.shape).astype(np.float32) for w in layer.get_weights()])
    return model


@functools.cache
def _setup():
    model = _model()
    x = np.random.default_rng(8).normal(0.0, 3.0, (160, 6, 6, 2)).astype(np.float32)
    model_ir, deploy = read_model(model)
    return model, model_ir, deploy, x


def _plan(model_ir: ir.ModelIR):
    """trunc2 with the control variate on every MAC layer whose operands the library covers."""
    layers = [
        {"name": layer.name, "multiplier": "trunc2", "correction": "cv"}
        for layer in model_ir.mac_layers()
        if max(layer.in_precision.width, layer.weight_precision.width) <= 8
    ]
    return plan_from_json({"format": "toolkit-plan", "version": 1, "layers": layers}, model_ir)


def test_po2_kernels_read_onto_one_grid_exactly():
    model, model_ir, _, _ = _setup()
    conv, depthwise, dense = model_ir.mac_layers()
    keras = {layer.name: layer for layer in model.layers}
    for layer in (conv, depthwise, dense):
        quantizer = keras[layer.name].get_quantizers()[0]
        assert quantizer.alpha == "auto_po2"  # written (conv) or QKeras' kernel default
        expected = np.asarray(quantizer(keras[layer.name].get_weights()[0]), np.float64)
        np.testing.assert_array_equal(layer.weight_precision.to_float(layer.weights), expected)
        assert any(
            f"layer {layer.name!r} kernel" in note and "power-of-two" in note for note in model_ir.notes
        )
    # the conv's channels step by 2^-8 .. 2^-1: seven bits more than its 4-bit codes
    assert conv.weight_precision.width >= 9 and dense.weight_precision.width <= 8
    steps = [np.gcd.reduce(np.abs(conv.weights[..., c]).ravel()) for c in range(conv.weights.shape[-1])]
    assert len(set(steps)) > 2, "channels must have different power-of-two scales"


def test_emulator_equals_qkeras_predict_past_both_rails():
    model, model_ir, _, x = _setup()
    emulator = Emulator(model_ir)
    codes = emulator.quantize_input(x)
    p = model_ir.input_precision
    assert (codes == p.max_code).any() and (codes == p.min_code).any()
    trace = emulator.trace(codes)
    quantize = [layer for layer in model_ir.layers if isinstance(layer, ir.Quantize)][1]
    assert (trace[quantize.name] == quantize.out_precision.max_code).any()
    assert (trace[quantize.name] == quantize.out_precision.min_code).any()
    np.testing.assert_array_equal(emulator.predict(x), model.predict(x, verbose=0).astype(np.float64))


@pytest.mark.slow
def test_csim_equals_emulator_with_an_approximate_po2_layer(tmp_path):
    from toolkit.hlsgen.csim import HlsCSim

    _, model_ir, deploy, x = _setup()
    plan = _plan(model_ir)
    assert plan.layers, "a po2 layer's grid must fit the multiplier library"
    emulator = Emulator(model_ir, plan.kernels())
    codes = emulator.quantize_input(x)
    expected = emulator.predict_codes(codes)
    assert not np.array_equal(expected, Emulator(model_ir).predict_codes(codes))  # the plan matters
    csim = HlsCSim(model_ir, deploy, tmp_path / "hls", io_type="io_stream", plan=plan)
    np.testing.assert_array_equal(csim.predict_codes(codes), expected)


@pytest.mark.verilator
def test_rtl_equals_emulator_with_an_approximate_po2_layer():
    from toolkit.rtlgen import RtlDevice, build, generate

    _, model_ir, _, x = _setup()
    plan = _plan(model_ir)
    emulator = Emulator(model_ir, plan.kernels())
    codes = emulator.quantize_input(x)
    design = generate(model_ir, plan, fold=2)
    with RtlDevice(design, build(design, activity=False)) as device:
        np.testing.assert_array_equal(device.predict_codes(codes).codes, emulator.predict_codes(codes))
        stalled = device.predict_codes(codes[:40], stall_in=0.4, stall_out=0.5, seed=3)
        np.testing.assert_array_equal(stalled.codes, emulator.predict_codes(codes[:40]))


def test_a_plan_naming_a_wide_po2_layer_is_refused():
    _, model_ir, _, _ = _setup()
    conv = model_ir.mac_layers()[0]
    plan = {"format": "toolkit-plan", "version": 1, "layers": [{"name": conv.name, "multiplier": "trunc2"}]}
    message = (
        f"layer {conv.name!r} multiplies s5.3 activations by {conv.weight_precision.describe()} weights; the "
        "multiplier library covers 2..8-bit operands"
    )
    with pytest.raises(ToolkitError, match=re.escape(message)):
        plan_from_json(plan, model_ir)


def test_auto_alpha_is_refused_naming_the_layer_and_what_is_accepted():
    with pytest.raises(ToolkitError) as err:
        read_model(_model("quantized_bits(4,0,alpha='auto')"))
    message = str(err.value)
    assert message.startswith("layer 'q_conv2d")
    assert "alpha='auto': a floating-point scale per output channel" in message
    assert "alpha='auto_po2' on QDense/QConv/QDepthwiseConv kernels only" in message


def test_a_grid_wider_than_sixteen_bits_is_refused():
    with pytest.raises(ToolkitError, match=r"kernel: .* need \d+-bit codes, more than the 16") as err:
        read_model(_model(scales=np.array([1e-6, 1.0], np.float32)))
    assert "use alpha=1" in str(err.value)
