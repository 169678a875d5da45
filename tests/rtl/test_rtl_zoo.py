"""RTL == emulator, bit for bit, on every test sample of every zoo model, exact and with
approximate plans (with and without control variate, with Ax-BxP), with line buffers (the
default) and whole-frame buffers; Verilator's cycle counts lie within the closed-form bounds."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator
from toolkit.rtlgen import interval_bound, interval_floor

pytestmark = pytest.mark.verilator

CASES = [
    # (model, plan kind, fold, buffer): folds chosen to hit partial last groups and drain-bound groups
    ("digits-mlp", "exact", None, "line"),
    ("digits-mlp", "approx", 3, "line"),
    ("digits-mlp", "approx_cv", 7, "line"),
    ("digits-mlp", "axbxp", 4, "line"),
    ("digits-cnn", "exact", None, "line"),
    ("digits-cnn", "approx", 3, "line"),
    ("digits-cnn", "approx_cv", 4, "line"),
    ("digits-cnn", "axbxp", 6, "line"),
    ("digits-cnn", "approx_cv", 4, "frame"),
    ("mnist1d-cnn", "exact", None, "line"),
    ("mnist1d-cnn", "approx", 5, "line"),
    ("mnist1d-cnn", "approx_cv", 8, "line"),
    ("mnist1d-cnn", "axbxp", 16, "line"),
    ("mnist1d-cnn", "exact", None, "frame"),
]


@pytest.mark.parametrize(
    "model, kind, fold, buffer", CASES, ids=[f"{m}-{k}-fold{f}-{b}" for m, k, f, b in CASES]
)
def test_rtl_equals_emulator_on_the_full_test_set(zoo_models, rtl_device, model, kind, fold, buffer) -> None:
    entry = zoo_models[model]
    design, device, plan = rtl_device(model, kind, fold, buffer=buffer)
    emulator = Emulator(entry["ir"], plan.kernels())
    codes = emulator.quantize_input(entry["data"].x_test)
    assert len(codes) == {"digits-mlp": 450, "digits-cnn": 450, "mnist1d-cnn": 1000}[model]
    result = device.predict_codes(codes)
    np.testing.assert_array_equal(result.codes, emulator.predict_codes(codes))
    if kind != "exact":  # the plan really changes the arithmetic
        assert not np.array_equal(result.codes, Emulator(entry["ir"]).predict_codes(codes))
    # cycles are Verilator's counts; the closed-form bounds hold around them
    assert interval_floor(design) <= result.interval <= interval_bound(design)
    assert interval_floor(design) <= result.latency
    assert result.violations == 0
