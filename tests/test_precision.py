"""The precision type against QKeras' own quantizers (the definition of rounding and saturation)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.errors import ToolkitError
from toolkit.precision import Precision

QUANTIZERS = [
    "quantized_bits(4,0,alpha=1)",
    "quantized_bits(8,3,alpha=1)",
    "quantized_bits(2,0,alpha=1)",
    "quantized_bits(6,2,alpha=1,symmetric=1)",
    "quantized_bits(5,5,alpha=1)",
    "quantized_relu(4,2)",
    "quantized_relu(8,0)",
    "quantized_relu(3,3)",
]


def _probe_values(precision: Precision) -> np.ndarray:
    """Every code, every tie between codes, and values far past both rails."""
    codes = np.arange(precision.min_code - 4, precision.max_code + 5)
    ties = codes + 0.5
    rng = np.random.default_rng(0)
    rand = rng.uniform(precision.min_code - 50, precision.max_code + 50, 500)
    return (np.concatenate([codes, ties, rand, [1e6, -1e6]]) * precision.scale).astype(np.float32)


@pytest.mark.parametrize("spec", QUANTIZERS)
def test_quantize_matches_qkeras(spec):
    import qkeras

    quantizer = qkeras.get_quantizer(spec)
    precision = Precision.from_qkeras(quantizer)
    x = _probe_values(precision)
    expected = np.asarray(quantizer(x), dtype=np.float64)
    np.testing.assert_array_equal(precision.to_float(precision.quantize(x)), expected)
    assert precision.quantize(x).min() == precision.min_code
    assert precision.quantize(x).max() == precision.max_code


@pytest.mark.parametrize("spec", QUANTIZERS)
def test_round_trip_to_qkeras(spec):
    precision = Precision.from_qkeras(spec)
    assert Precision.from_qkeras(precision.to_qkeras()) == precision


def test_qkeras_integer_bits_exclude_the_sign():
    assert Precision.from_qkeras("quantized_bits(4,0,alpha=1)") == Precision(4, 1, True, "RND_CONV", "SAT")
    assert Precision.from_qkeras("quantized_relu(4,2)") == Precision(4, 2, False, "RND_CONV", "SAT")
    assert Precision.from_qkeras("quantized_bits(6,2,alpha=1,symmetric=1)").min_code == -31


@settings(max_examples=200, deadline=None)
@given(
    src_frac=st.integers(-2, 12),
    dst_width=st.integers(2, 10),
    dst_int=st.integers(-2, 8),
    signed=st.booleans(),
    rounding=st.sampled_from(["RND_CONV", "TRN"]),
    codes=st.lists(st.integers(-(2**20), 2**20), min_size=1, max_size=40),
)
def test_requantize_equals_float_quantize(src_frac, dst_width, dst_int, signed, rounding, codes):
    """Integer requantization == quantizing the exact value (the float path QKeras takes)."""
    source = Precision(40, 40 - src_frac, True, "TRN", "WRAP")
    target = Precision(dst_width, dst_int, signed, rounding, "SAT")
    codes = np.array(codes, dtype=np.int64)
    values = codes.astype(np.float64) * source.scale
    scaled = values * 2.0**target.frac
    expected = np.rint(scaled) if rounding == "RND_CONV" else np.floor(scaled)
    expected = np.clip(expected, target.min_code, target.max_code).astype(np.int64)
    np.testing.assert_array_equal(target.requantize(codes, source), expected)


def test_wrap_overflow():
    p = Precision(4, 4, True, "TRN", "WRAP")
    np.testing.assert_array_equal(p.requantize(np.array([7, 8, -9, 23]), p), [7, -8, 7, 7])


def test_hls_types():
    assert Precision(8, 3, True).hls_type() == "ap_fixed<8,3,AP_RND_CONV,AP_SAT>"
    assert Precision(4, 2, False).hls_type() == "ap_ufixed<4,2,AP_RND_CONV,AP_SAT>"
    assert Precision(13, 6, True, "TRN", "WRAP").hls_type() == "ap_fixed<13,6>"
    assert Precision(6, 2, True, "RND_CONV", "SAT_SYM").hls4ml_config() == "fixed<6,2,RND_CONV,SAT_SYM>"


def test_product_and_range_types_are_exact():
    a, w = Precision(4, 2, False), Precision(4, 1, True)
    p = a.times(w)
    extremes = [x * y for x in (a.min_code, a.max_code) for y in (w.min_code, w.max_code)]
    assert p.frac == a.frac + w.frac
    assert p.min_code <= min(extremes) and max(extremes) <= p.max_code
    r = Precision.for_range(-1000, 37, frac=5)
    assert r.min_code <= -1000 and r.max_code >= 37 and r.frac == 5
    assert Precision.for_range(-1000, 37, frac=5).width == 11


@pytest.mark.parametrize(
    "spec, message",
    [
        ("quantized_bits(4,0,alpha='auto')", "alpha='auto': a floating-point scale per output channel"),
        ("quantized_bits(4,0,alpha=1,use_stochastic_rounding=True)", "stochastic rounding"),
        ("quantized_relu(4,0,use_sigmoid=1)", "use_sigmoid"),
        ("quantized_po2(4)", r"quantizer quantized_po2\(4\) has no fixed-point deployment"),
    ],
)
def test_unsupported_quantizers_are_named(spec, message):
    with pytest.raises(ToolkitError, match=message):
        Precision.from_qkeras(spec, where="layer 'x'")


def test_bad_precision_fields():
    with pytest.raises(ToolkitError, match="width 0 is invalid"):
        Precision(0, 0)
    with pytest.raises(ToolkitError, match="rounding 'RND' is unknown"):
        Precision(4, 1, rounding="RND")  # type: ignore[arg-type]
