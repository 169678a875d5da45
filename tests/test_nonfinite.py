"""Non-finite and out-of-range inputs (issue 12): huge values saturate, NaN/inf are named errors.

Before, ``Precision.quantize`` cast the scaled floats to int64 before clipping, so inf
and finite values past about 7e16 overflowed and came out as the most negative code.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.models.datasets import load_dataset
from toolkit.precision import Precision

TYPES = [
    Precision(4, 2, True),  # quantized_bits(4,1)
    Precision(6, 3, True, saturation="SAT_SYM"),
    Precision(4, 2, False),  # quantized_relu(4,2)
    Precision(8, 4, True, "TRN", "SAT"),
]
HUGE = [7e16, 1e20, 1e30, 3.0e38]


@pytest.mark.parametrize("precision", TYPES, ids=lambda p: p.describe())
def test_huge_finite_values_saturate(precision):
    x = np.array(HUGE + [-v for v in HUGE], dtype=np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        codes = precision.quantize(x)
    n = len(HUGE)
    np.testing.assert_array_equal(codes[:n], precision.max_code)
    np.testing.assert_array_equal(codes[n:], precision.min_code)
    # signed types come from quantized_bits, whose QKeras arithmetic is inexact there
    assert [str(w.message).count("2^23 LSBs") for w in caught] == ([1] if precision.signed else [])


def test_huge_values_match_qkeras_quantized_relu_and_are_flagged_for_quantized_bits():
    """quantized_relu saturates huge values as the toolkit does; quantized_bits's float32
    straight-through stops returning codes past 2^23 LSBs (hence the warning)."""
    import qkeras

    x = np.array([7e16, 1e20, -1e20, 1e7], dtype=np.float32)
    relu = qkeras.get_quantizer("quantized_relu(4,2)")
    p = Precision.from_qkeras(relu)
    np.testing.assert_array_equal(p.to_float(p.quantize(x)), np.asarray(relu(x), dtype=np.float64))
    bits = qkeras.get_quantizer("quantized_bits(4,1,alpha=1)")
    p = Precision.from_qkeras(bits)
    assert np.asarray(bits(x))[3] == 2.0  # not a code of s4.2 (max 1.75): QKeras itself rounds
    with pytest.warns(UserWarning, match="QKeras predict can differ"):
        np.testing.assert_array_equal(p.quantize(x), [7, 7, -8, 7])


def test_wrap_types_wrap_huge_values_exactly():
    p = Precision(4, 4, True, "TRN", "WRAP")
    x = np.array([2.0**40 + 5, -(2.0**40) - 9, 1e20], dtype=np.float32)
    expected = [((int(v) + 8) % 16) - 8 for v in x.astype(np.float64)]
    with pytest.warns(UserWarning):
        np.testing.assert_array_equal(p.quantize(x), expected)


@pytest.mark.parametrize(
    "bad, shown", [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "-inf"), (1e300, "1e\\+300, beyond float32")]
)
def test_non_finite_inputs_name_the_sample(bad, shown):
    x = np.zeros((6, 3, 2))
    x[4, 1, 0] = bad
    x[5, 0, 0] = bad
    with pytest.raises(
        ToolkitError, match=rf"input: sample 4 \(element \(1, 0\)\) holds {shown}.*2 sample\(s\)"
    ):
        Precision(4, 2).quantize(x)


def test_emulator_refuses_nan_inputs_by_sample(zoo_models):
    entry = zoo_models["digits-mlp"]
    x = entry["data"].x_test[:10].copy()
    x[7, 2, 3, 0] = np.nan
    with pytest.raises(ToolkitError, match=r"sample 7 \(element \(2, 3, 0\)\) holds NaN"):
        Emulator(entry["ir"]).predict(x)


@pytest.mark.parametrize("split", ["train", "test"])
@pytest.mark.parametrize("bad, shown", [(np.nan, "NaN"), (np.inf, "inf"), (1e39, "1e\\+39, beyond float32")])
def test_npz_with_non_finite_inputs_is_named_on_load(tmp_path, split, bad, shown):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.uniform(0, 1, (20, 4)), "y_train": np.arange(20) % 3,
              "x_test": rng.uniform(0, 1, (10, 4)), "y_test": np.arange(10) % 3}  # fmt: skip
    arrays[f"x_{split}"][3, 2] = bad
    path = tmp_path / "mine.npz"
    np.savez(path, **arrays)
    with pytest.raises(
        ToolkitError, match=rf"dataset '.*mine.npz': x_{split}: sample 3 \(element \(2,\)\) holds {shown}"
    ):
        load_dataset(str(path))
