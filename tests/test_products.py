"""The multiplier hook: exact GEMM paths and per-layer kernels plugged into the emulator."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator
from toolkit.emulator.products import FLOAT32_EXACT, exact_matmul
from toolkit.errors import ToolkitError


# 7: one float32 GEMM; 2**8: float32 blocks of the fan-in (255 positions); 2**10: float64; 2**20+: int64
@pytest.mark.parametrize("magnitude", [7, 2**8, 2**10, 2**20, 2**24])
def test_exact_matmul_is_exact_on_every_path(magnitude):
    rng = np.random.default_rng(magnitude)
    a = rng.integers(-magnitude, magnitude + 1, (33, 600))
    w = rng.integers(-magnitude, magnitude + 1, (600, 11))
    a[0, :] = magnitude
    w[:, 0] = magnitude
    a[1, :] = -magnitude  # the most negative sums as well
    reference = np.array(
        [[sum(int(x) * int(y) for x, y in zip(row, col, strict=True)) for col in w.T[:2]] for row in a[:3]],
        dtype=object,
    )
    out = exact_matmul(a, w)
    np.testing.assert_array_equal(out[:3, :2].astype(object), reference)
    np.testing.assert_array_equal(out, a.astype(np.int64) @ w.astype(np.int64))


def test_int64_overflow_is_refused():
    a = np.full((1, 4), 2**31, np.int64)
    with pytest.raises(OverflowError, match="may not fit in int64"):
        exact_matmul(a, a.T)


def test_float32_bound_edge():
    a = np.full((1, 2), 2**12, np.int64)
    w = np.full((2, 1), 2**11 - 1, np.int64)
    assert FLOAT32_EXACT > 2 * 2**12 * (2**11 - 1)
    assert exact_matmul(a, w)[0, 0] == 2 * 2**12 * (2**11 - 1)


class _Recording:
    """A product kernel that is exact but records what it was given (shapes, operand ranges)."""

    name = "recording"

    def __init__(self):
        self.calls = []

    def matmul(self, a, w):
        self.calls.append((a.shape, w.shape, int(a.min()), int(a.max())))
        return exact_matmul(a, w)


class _PlusOne:
    """Every product one larger than exact: sums grow by the fan-in."""

    name = "plus-one"

    def matmul(self, a, w):
        return exact_matmul(a, w) + a.shape[1]


def test_kernels_are_called_per_layer_with_im2col_rows(zoo_models):
    entry = zoo_models["digits-cnn"]
    rec = _Recording()
    emulator = Emulator(entry["ir"], products={"conv2": rec})
    x = entry["data"].x_test[:5]
    np.testing.assert_array_equal(emulator.predict(x), Emulator(entry["ir"]).predict(x))
    ((a_shape, w_shape, lo, hi),) = rec.calls
    assert a_shape == (5 * 2 * 2, 72) and w_shape == (72, 16) and lo >= 0 and hi <= 15


def test_approximate_kernel_changes_only_its_layer(zoo_models):
    entry = zoo_models["digits-mlp"]
    codes = Emulator(entry["ir"]).quantize_input(entry["data"].x_test[:20])
    exact = Emulator(entry["ir"]).trace(codes)
    approx = Emulator(entry["ir"], products={"fc2": _PlusOne()}).trace(codes)
    np.testing.assert_array_equal(approx["fc1_relu"], exact["fc1_relu"])
    layer = entry["ir"].layer("fc2")
    shift = layer.out_precision.frac - layer.product_precision.frac
    np.testing.assert_array_equal(approx["fc2"] - exact["fc2"], np.full_like(exact["fc2"], 32 << shift))


def test_kernel_for_unknown_layer_is_an_error(zoo_models):
    with pytest.raises(ToolkitError, match="'nope' do not match a MAC layer .* fc1, fc2"):
        Emulator(zoo_models["digits-mlp"]["ir"], products={"nope": _PlusOne()})
