"""The emulator's fast paths (toolkit/emulator/fast.py) equal the int64 reference, bit for bit."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.emulator import fast, layers
from toolkit.emulator.approx import ApproxProduct
from toolkit.emulator.engine import Emulator
from toolkit.emulator.products import EXACT
from toolkit.models import ir
from toolkit.multipliers import get_design, list_designs
from toolkit.precision import Precision


def _out_size(size: int, k: int, s: int, padding: str) -> int:
    return (
        -(-size // s) if padding == "same" else (size - k) // s + 1 if padding == "valid" else -(-size // s)
    )


@st.composite
def mac_case(draw):
    """A random Dense / Conv / DepthwiseConv (1-D, 2-D) layer, its multiplier (a design or the exact product), input
    codes (extremes in the first sample) and a Quantize after it whose narrow type saturates."""
    a_bits, w_bits = draw(st.integers(2, 8)), draw(st.integers(2, 8))
    a_signed = draw(st.booleans())
    design = draw(
        st.sampled_from([None, *list_designs(a_bits=a_bits, w_bits=w_bits, a_signed=a_signed, w_signed=True)])
    )
    a_p = Precision(a_bits, draw(st.integers(-2, a_bits)), a_signed)
    w_p = Precision(w_bits, draw(st.integers(-2, w_bits)), True)
    kind = draw(st.sampled_from(["dense", "conv1", "conv2", "depthwise1", "depthwise2"]))
    channels, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    if kind == "dense":
        in_shape, kernel, strides, padding = (draw(st.integers(1, 40)),), (), (), "valid"
        out_shape, w_shape = (n_out,), (in_shape[0], n_out)
    else:
        rank = 1 if kind.endswith("1") else 2
        padding = draw(st.sampled_from(["valid", "same"] + (["causal"] if rank == 1 else [])))
        spatial = tuple(draw(st.integers(3, 7)) for _ in range(rank))
        kernel = tuple(draw(st.integers(1, 3)) for _ in range(rank))
        strides = tuple(draw(st.integers(1, 2)) for _ in range(rank))
        in_shape = (*spatial, channels)
        out_shape = (
            *(_out_size(n, k, s, padding) for n, k, s in zip(spatial, kernel, strides, strict=True)),
            n_out,
        )
        w_shape = (*kernel, channels, n_out)
        if kind.startswith("depthwise"):  # n_out is the depth multiplier
            out_shape, w_shape = out_shape[:-1] + (channels * n_out,), (*kernel, channels, n_out)
    product = a_p.times(w_p)
    shift = draw(st.integers(0, 3))
    acc = Precision(product.width + 12 + shift, product.integer + 12, True, "TRN", "WRAP")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w_codes = np.arange(w_p.min_code, w_p.max_code + 1)
    weights = rng.choice(w_codes, w_shape)
    weights.reshape(-1, n_out)[:, 0] = w_p.min_code  # the extreme weight code in one filter
    bias_top = 1 << draw(st.sampled_from([0, 6, 20, 30]))  # large biases leave the float32 bound
    bias = rng.integers(-bias_top, bias_top, out_shape[-1])
    cls = {"dense": ir.Dense, "conv": ir.Conv, "depthwise": ir.DepthwiseConv}[kind.rstrip("12")]
    extra = {"multiplier": n_out} if cls is ir.DepthwiseConv else {}
    layer = cls(
        "mac", in_shape, out_shape, a_p, acc, weights=weights, weight_precision=w_p, bias=bias,
        kernel=kernel, strides=strides, padding=padding, product_precision=product, **extra,
    )  # fmt: skip
    out_p = Precision(
        draw(st.integers(2, 8)),
        draw(st.integers(-2, 4)),
        draw(st.booleans()),
        draw(st.sampled_from(["RND_CONV", "TRN"])),
        draw(st.sampled_from(["SAT", "SAT_SYM"])),
    )
    quant = ir.Quantize("q", out_shape, out_shape, acc, out_p, relu=draw(st.booleans()))
    codes = rng.integers(a_p.min_code, a_p.max_code + 1, (draw(st.integers(1, 4)), *in_shape))
    codes[0] = a_p.max_code if draw(st.booleans()) else a_p.min_code
    return layer, quant, design, codes


def _kernels(design):
    if design is None:
        return EXACT, EXACT
    return ApproxProduct(design), ApproxProduct(design, method="gather")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mac_case())
def test_fast_mac_and_quantize_equal_the_reference(case):
    layer, quant, design, codes = case
    kernel, reference_kernel = _kernels(design)
    expected = layers.mac_reference(codes, layer, reference_kernel)
    expected_q = layers.quantize(expected, quant)
    for carrier in (codes, codes.astype(fast.narrow_dtype(layer.in_precision))):
        sums = fast.run_layer(carrier, layer, kernel)
        np.testing.assert_array_equal(fast.widen(sums), expected)
        np.testing.assert_array_equal(layers.mac(carrier, layer, kernel), expected)
        out = fast.run_layer(sums, quant, EXACT)
        assert out.dtype == fast.narrow_dtype(quant.out_precision)
        np.testing.assert_array_equal(fast.widen(out), expected_q)


@pytest.mark.parametrize("name", ["trunc4_u8s8", "perfw2_s8s8", "exact_u8s8"])
def test_a_fan_in_cut_into_float32_spans_is_exact(name):
    # 8-bit terms reach 2^15: a 1200-long sum is cut into spans of ~512 added in int64; the
    # extreme codes make every span's sum largest.
    design = get_design(name)
    a_p = Precision(design.a_bits, design.a_bits, bool(design.a_codes[0] < 0))
    w_p = Precision(design.w_bits, design.w_bits, True)
    rng = np.random.default_rng(5)
    weights = rng.choice(design.w_codes, (1200, 3))
    weights[:, 0] = design.w_codes[0]
    product = a_p.times(w_p)
    layer = ir.Dense("fc", (1200,), (3,), a_p, product, weights=weights, weight_precision=w_p,
                     bias=np.array([1, -2, 3]), product_precision=product)  # fmt: skip
    codes = rng.choice(design.a_codes, (4, 1200))
    codes[0] = design.a_codes[-1]
    kernel = ApproxProduct(design)
    form = fast.stacked(codes, layer, kernel)
    assert form is not None and form.span < 1200
    np.testing.assert_array_equal(
        fast.widen(fast.mac(codes, layer, kernel)),
        layers.mac_reference(codes, layer, ApproxProduct(design, method="gather")),
    )


def test_wide_exact_operands_fall_back_to_the_reference():
    # 20-bit codes times 8-bit weights: no float32 span of 64 positions is exact.
    a_p, w_p = Precision(20, 20, True), Precision(8, 8, True)
    weights = np.full((100, 2), -128)
    layer = ir.Dense("fc", (100,), (2,), a_p, a_p.times(w_p), weights=weights, weight_precision=w_p,
                     bias=np.zeros(2, np.int64), product_precision=a_p.times(w_p))  # fmt: skip
    codes = np.full((2, 100), a_p.min_code)
    assert fast.mac(codes, layer, EXACT) is None
    np.testing.assert_array_equal(layers.mac(codes, layer, EXACT), codes @ weights)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 2),
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from([np.int8, np.int64, np.float32]),
    st.integers(0, 2**32 - 1),
)
def test_fast_maxpool_equals_the_reference(rank, pool, stride, dtype, seed):
    rng = np.random.default_rng(seed)
    spatial = tuple(int(n) for n in rng.integers(pool, 9, rank))
    out = tuple((n - pool) // stride + 1 for n in spatial)
    p = Precision(8, 8, True)
    layer = ir.MaxPool("pool", (*spatial, 3), (*out, 3), p, p, pool=(pool,) * rank, strides=(stride,) * rank)
    codes = rng.integers(-128, 128, (2, *spatial, 3)).astype(dtype)
    np.testing.assert_array_equal(fast.maxpool(codes, layer), layers.maxpool(codes.astype(np.int64), layer))


@functools.cache
def _zoo(name: str) -> tuple[ir.ModelIR, np.ndarray]:
    from toolkit.models.datasets import load_dataset
    from toolkit.models.reader import read_model
    from toolkit.models.zoo import load_zoo_model, zoo_entry

    model_ir, _ = read_model(load_zoo_model(name, verbose=False))
    return model_ir, load_dataset(zoo_entry(name).dataset).x_test[:16]


@pytest.mark.parametrize("family", [None, "trunc2", "mitchell"])
@pytest.mark.parametrize("name", ["digits-cnn", "mnist1d-resnet", "digits-dscnn"])
def test_whole_emulator_equals_the_reference_path(name, family, monkeypatch):
    # Inputs x4 saturate the quantizers; the reference path runs the int64 im2col rows through
    # the kernels' matmul (the gather for approximate designs).
    from toolkit.plan import design_for

    model_ir, x = _zoo(name)
    designs = {lay.name: design_for(lay, family) for lay in model_ir.mac_layers()} if family else {}
    codes = Emulator(model_ir).quantize_input(np.concatenate([x, 4 * x]))
    emulator = Emulator(model_ir, {k: ApproxProduct(d) for k, d in designs.items()}, batch_size=13)
    reference = Emulator(
        model_ir, {k: ApproxProduct(d, method="gather") for k, d in designs.items()}, reference=True
    )
    expected = reference.trace(codes)
    fast_trace = emulator.trace(codes)  # every tensor: each layer on its own
    assert fast_trace.keys() == expected.keys()
    for layer_name, want in expected.items():
        assert fast_trace[layer_name].dtype == np.int64
        np.testing.assert_array_equal(fast_trace[layer_name], want, err_msg=layer_name)
    # the output: convs run with the layers after them a block of samples at a time
    np.testing.assert_array_equal(emulator.predict_codes(codes), expected[model_ir.layers[-1].name])
    monkeypatch.setattr(fast, "CHAIN_BYTES", 1)  # blocks of one sample
    monkeypatch.setattr(fast, "ROW_BLOCK_BYTES", 1)
    np.testing.assert_array_equal(emulator.predict_codes(codes), expected[model_ir.layers[-1].name])


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("out_p", [Precision(4, 0, False), Precision(4, 2, True, saturation="SAT_SYM")])
def test_integer_quantize_without_shift_is_the_saturating_clip(relu, out_p):
    # every 8-bit code (past both rails of the output type; same fraction bits), int64 and int8
    in_p = Precision(8, out_p.integer + 4, True)
    layer = ir.Quantize("q", (4,), (4,), in_p, out_p, relu=relu)
    codes = np.arange(in_p.min_code, in_p.max_code + 1).reshape(-1, 4)
    expected = layers.quantize(codes, layer)
    for carrier in (codes, codes.astype(np.int8)):
        out = fast.quantize(carrier, layer)
        assert out.dtype == np.int8
        np.testing.assert_array_equal(out, expected)
