"""Graph-shaped models in hls4ml C-simulation == the emulator, bit for bit.

Joins (Add, Subtract, a three-input Concatenate), depthwise convolutions (depth multiplier
2, and the depthwise half of a separable convolution), zero padding, reshapes, power-of-two
and truncated (non-power-of-two) averages, global pooling: the five graph models of
:mod:`tests.graph_models` in io_parallel and io_stream, with inputs on both rails of the
input quantizer, plus approximate plans with control-variate and bias-only corrections on
a residual and a depthwise model. What hls4ml 1.3 cannot compute is refused in one line.
Each compile takes ~10-20 s of g++.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.graph_models import GRAPH_MODELS, build_graph
from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.hlsgen.csim import HlsCSim
from toolkit.models import ir
from toolkit.models.reader import read_model
from toolkit.multipliers import list_designs
from toolkit.plan import plan_from_json

pytestmark = pytest.mark.slow

STREAM_REFUSED = ("pooling_padding",)  # its 3x3 average has strides 2


def stream_pooling():
    """Averages io_stream can compute: a 3x3 window with strides 3 (truncated), a strided 1-D
    window of 3, a global average of 9 positions and a global max over negative values."""
    from qkeras import QActivation
    from tensorflow.keras import layers, models

    inp = layers.Input((9, 9, 2))
    x = QActivation("quantized_bits(5,2,alpha=1)")(inp)
    a = QActivation("quantized_bits(6,2,alpha=1)")(layers.AveragePooling2D(3)(x))
    g = QActivation("quantized_bits(6,3,alpha=1)")(layers.GlobalAveragePooling2D()(a))
    m = layers.GlobalMaxPooling2D()(a)
    s = layers.Reshape((9, 2))(a)
    s = QActivation("quantized_bits(5,1,alpha=1)")(layers.AveragePooling1D(3, strides=2)(s))
    h = layers.Concatenate()([g, m, layers.Flatten()(s)])
    from qkeras import QDense

    return models.Model(inp, QDense(3, kernel_quantizer="quantized_bits(4,0,alpha=1)",
                                    bias_quantizer="quantized_bits(6,2,alpha=1)")(h))  # fmt: skip


def _setup(name: str):
    if name == "stream_pooling":
        import tensorflow as tf

        tf.keras.utils.set_random_seed(3)
        model = stream_pooling()
        rng = np.random.default_rng(3)
        for layer in model.layers:
            if layer.get_weights():
                layer.set_weights(
                    [rng.uniform(-1.2, 1.2, w.shape).astype(np.float32) for w in layer.get_weights()]
                )
        x = rng.normal(0.0, 2.5, (400, *model.input_shape[1:])).astype(np.float32)
    else:
        model, x = build_graph(name)
    model_ir, deploy = read_model(model)
    emulator = Emulator(model_ir)
    codes = emulator.quantize_input(x)
    p = model_ir.input_precision
    assert (codes == p.max_code).any() and (codes == p.min_code).any()
    return model_ir, deploy, codes


# stream_pooling exists for io_stream; its io_parallel averages are covered by pooling_padding and conv1d_graph
CASES = [(name, io) for name in sorted(GRAPH_MODELS) for io in ("io_parallel", "io_stream")]
CASES.append(("stream_pooling", "io_stream"))


@pytest.mark.parametrize("name, io_type", CASES)
def test_graph_model_csim_equals_emulator(name, io_type, tmp_path):
    model_ir, deploy, codes = _setup(name)
    if io_type == "io_stream" and name in STREAM_REFUSED:
        pool = next(
            layer
            for layer in model_ir.layers
            if isinstance(layer, ir.AvgPool) and layer.strides != layer.pool
        )
        with pytest.raises(
            ToolkitError, match=rf"layer '{pool.name}' \(AvgPool, pool \(3, 3\), strides \(2, 2\)\)"
        ):
            HlsCSim(model_ir, deploy, tmp_path / "hls", io_type=io_type)
        return
    csim = HlsCSim(model_ir, deploy, tmp_path / "hls", io_type=io_type)
    np.testing.assert_array_equal(csim.predict_codes(codes), Emulator(model_ir).predict_codes(codes))


def test_depthwise_vitis_resource_stream(tmp_path):
    model_ir, deploy, codes = _setup("depthwise_separable")
    csim = HlsCSim(
        model_ir, deploy, tmp_path / "hls", backend="Vitis", io_type="io_stream", strategy="Resource"
    )
    np.testing.assert_array_equal(csim.predict_codes(codes), Emulator(model_ir).predict_codes(codes))


def test_depthwise_resource_io_parallel_is_refused(tmp_path):
    model_ir, deploy, _ = _setup("depthwise_separable")
    first = model_ir.mac_layers()[0].name
    message = rf"layer '{first}' \(DepthwiseConv\): hls4ml has no Resource strategy"
    with pytest.raises(ToolkitError, match=message) as info:
        HlsCSim(model_ir, deploy, tmp_path / "hls", strategy="Resource")
    assert "\n" not in str(info.value)


def _plan(model_ir: ir.ModelIR, assignment: list[tuple[str, str] | None]):
    """``assignment``: (family, correction) per MAC layer in order, None = exact; the registry's first
    design at the layer's widths."""
    layers = []
    for layer, entry in zip(model_ir.mac_layers(), assignment, strict=True):
        if entry is None:
            continue
        family, correction = entry
        a, w = layer.in_precision, layer.weight_precision
        design = list_designs(
            a_bits=a.width, w_bits=w.width, a_signed=a.signed, w_signed=w.signed, family=family
        )[0]
        layers.append({"name": layer.name, "multiplier": design.name, "correction": correction})
    return plan_from_json({"format": "toolkit-plan", "version": 1, "layers": layers}, model_ir)


APPROX = {
    # residual: both convs of the block with the control variate, the dense layer uncorrected
    "residual_add": ("io_parallel", [("trunc", "cv"), ("perfw", "cv"), ("drum", "none")]),
    # depthwise: multiplier 2 with the control variate (per-column constants, per-channel V), the
    # separable's depthwise half with the bias-only correction (it has no bias of its own); its
    # pointwise half reads the 13-bit depthwise sums, beyond the multiplier library: exact
    "depthwise_separable": ("io_stream", [("mitchell", "cv"), ("trunc", "bias"), None, ("drum", "cv")]),
}


@pytest.mark.parametrize("name", sorted(APPROX))
def test_approximate_plan_on_graph_csim_equals_emulator(name, tmp_path):
    io_type, assignment = APPROX[name]
    model_ir, deploy, codes = _setup(name)
    kinds = [layer.kind for layer in model_ir.mac_layers()]
    assert kinds == (["Conv", "Conv", "Dense"] if name == "residual_add" else
                     ["DepthwiseConv", "DepthwiseConv", "Conv", "Dense"])  # fmt: skip
    plan = _plan(model_ir, assignment)
    expected = Emulator(model_ir, plan.kernels()).predict_codes(codes)
    exact = Emulator(model_ir).predict_codes(codes)
    assert (expected != exact).reshape(len(codes), -1).any(axis=1).mean() > 0.5, (
        "the plan must change outputs"
    )
    uncorrected = _plan(model_ir, [entry and (entry[0], "none") for entry in assignment])
    assert (expected != Emulator(model_ir, uncorrected.kernels()).predict_codes(codes)).any()
    csim = HlsCSim(model_ir, deploy, tmp_path / "hls", io_type=io_type, plan=plan)
    np.testing.assert_array_equal(csim.predict_codes(codes), expected)
