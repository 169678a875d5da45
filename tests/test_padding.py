"""Every padding/stride combination the reader accepts, against QKeras predict (issue 12).

Conv1D (valid, same, causal), Conv2D (valid, same) and max pooling (valid) with strides
1, 2 and 3, odd and even kernels and odd and even input sizes: the emulator equals the
QKeras model bit for bit (``assert_array_equal``) on inputs that saturate. A causal
Conv1D is deployed as Keras computes it (k-1 zeros on the left): one hls4ml compile
(io_parallel, no correction) and the RTL check it against the emulator; the corrected,
strided causal case runs through hls4ml io_stream and the RTL in ``tests/test_names.py``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator
from toolkit.models.reader import read_model

Q = {"kernel_quantizer": "quantized_bits(4,0,alpha=1)", "bias_quantizer": "quantized_bits(8,3,alpha=1)"}


def _model(shape, layer, seed):
    import tensorflow as tf
    from qkeras import QActivation

    model = tf.keras.Sequential([tf.keras.Input(shape), QActivation("quantized_bits(4,1,alpha=1)"), layer])
    rng = np.random.default_rng(seed)
    if layer.get_weights():
        layer.set_weights([rng.uniform(-1.5, 1.5, w.shape).astype(np.float32) for w in layer.get_weights()])
    x = rng.uniform(-4, 4, (24, *shape)).astype(np.float32)
    return model, x


def _check(model, x):
    model_ir, _ = read_model(model)
    expected = model(x, training=False).numpy().astype(np.float64)
    got = Emulator(model_ir).predict(x)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    return model_ir


CONV1D = list(itertools.product(("valid", "same", "causal"), (1, 2, 3), (2, 3), (7, 8)))
CONV2D = list(itertools.product(("valid", "same"), (1, 2, 3), ((2, 3), (3, 3)), ((7, 8), (8, 9))))
POOL = list(itertools.product((1, 2), ((2, 1), (2, 2), (3, 2), (2, 3)), ((7, 8), (8, 9))))


@pytest.mark.parametrize("padding, stride, kernel, size", CONV1D)
def test_conv1d_matches_qkeras(padding, stride, kernel, size):
    from qkeras import QConv1D

    model, x = _model((size, 2), QConv1D(3, kernel, strides=stride, padding=padding, **Q), seed=size + kernel)
    model_ir = _check(model, x)
    if padding == "causal":
        assert model_ir.mac_layers()[0].pad_amounts() == ((kernel - 1, 0),)


@pytest.mark.parametrize("padding, stride, kernel, size", CONV2D)
def test_conv2d_matches_qkeras(padding, stride, kernel, size):
    from qkeras import QConv2D

    model, x = _model((*size, 2), QConv2D(3, kernel, strides=stride, padding=padding, **Q), seed=stride)
    _check(model, x)


def test_conv2d_with_unequal_strides_matches_qkeras():
    from qkeras import QConv2D

    for strides in ((1, 2), (3, 1), (2, 3)):
        model, x = _model((8, 7, 2), QConv2D(2, 3, strides=strides, padding="same", **Q), seed=5)
        _check(model, x)


@pytest.mark.parametrize("rank, stride_pool, size", POOL)
def test_maxpool_matches_qkeras(rank, stride_pool, size):
    import tensorflow as tf

    stride, pool = stride_pool
    shape = (size[0], 2) if rank == 1 else (*size, 2)
    layer = (tf.keras.layers.MaxPooling1D if rank == 1 else tf.keras.layers.MaxPooling2D)(
        pool, strides=stride
    )
    model, x = _model(shape, layer, seed=pool)
    _check(model, x)


def _causal_model():
    import tensorflow as tf
    from qkeras import QActivation, QConv1D, QDense

    model = tf.keras.Sequential(
        [
            tf.keras.Input((10, 2)),
            QActivation("quantized_bits(4,1,alpha=1)", name="in_q"),
            QConv1D(3, 4, padding="causal", name="c1", **Q),
            QActivation("quantized_relu(4,2)", name="c1_q"),
            QConv1D(3, 3, strides=3, padding="causal", name="c2", **Q),
            QActivation("quantized_relu(4,2)", name="c2_q"),
            tf.keras.layers.Flatten(name="flat"),
            QDense(3, name="fc", **Q),
        ]
    )
    rng = np.random.default_rng(11)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights(
                [rng.uniform(-1.5, 1.5, w.shape).astype(np.float32) for w in layer.get_weights()]
            )
    return model, rng.uniform(-4, 4, (64, 10, 2)).astype(np.float32)


@pytest.fixture(scope="module")
def causal():
    from toolkit.plan import plan_from_json

    model, x = _causal_model()
    model_ir = _check(model, x)
    spec = {"format": "toolkit-plan", "version": 1, "layers": [
        {"name": "c1", "multiplier": "trunc2"}, {"name": "c2", "multiplier": "drum2", "correction": "bias"}]}  # fmt: skip
    return model_ir, read_model(model)[1], plan_from_json(spec, model_ir), x


@pytest.mark.slow
def test_causal_conv1d_in_hls4ml_equals_the_emulator(causal, tmp_path):
    from toolkit.hlsgen.check import csim_check

    model_ir, deploy, plan, x = causal
    codes = Emulator(model_ir).quantize_input(x)
    result = csim_check(model_ir, deploy, plan, codes, tmp_path / "hls", io_type="io_parallel")
    assert result["equal_samples"] == result["n_samples"] == len(x)


@pytest.mark.verilator
def test_causal_conv1d_in_rtl_equals_the_emulator(causal):
    from toolkit.rtlgen import RtlDevice, generate
    from toolkit.rtlgen import build as build_rtl

    model_ir, _, plan, x = causal
    emulator = Emulator(model_ir, plan.kernels())
    codes = emulator.quantize_input(x)
    design = generate(model_ir, plan)
    assert design.stages[1].params["P_L"] == 3 and design.stages[3].params["P_L"] == 2
    with RtlDevice(design, build_rtl(design, activity=False)) as device:
        result = device.predict_codes(codes, stall_in=0.2, stall_out=0.2, seed=1)
    np.testing.assert_array_equal(result.codes, emulator.predict_codes(codes))
