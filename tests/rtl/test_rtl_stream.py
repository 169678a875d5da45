"""The AXI-Stream handshake under random backpressure in both directions, and TLAST."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator

pytestmark = pytest.mark.verilator


@pytest.mark.parametrize("stall_in, stall_out", [(0.5, 0.0), (0.0, 0.7), (0.6, 0.6), (0.9, 0.3)])
def test_random_backpressure_keeps_every_output(zoo_models, rtl_device, stall_in, stall_out) -> None:
    entry = zoo_models["digits-cnn"]
    design, device, plan = rtl_device("digits-cnn", "approx_cv", 4)
    emulator = Emulator(entry["ir"], plan.kernels())
    codes = emulator.quantize_input(entry["data"].x_test[:60])
    free = device.predict_codes(codes)
    stalled = device.predict_codes(
        codes, stall_in=stall_in, stall_out=stall_out, seed=int(100 * stall_in + stall_out * 10)
    )
    np.testing.assert_array_equal(stalled.codes, emulator.predict_codes(codes))
    assert stalled.violations == 0  # TVALID/TDATA/TLAST held while TREADY was low
    assert stalled.cycles >= free.cycles
    assert stalled.out_last.all()


def test_input_starved_design_slows_down_but_stays_exact(zoo_models, rtl_device) -> None:
    """digits-mlp at full parallelism needs 65 cycles per sample: a 90 % idle sender starves it."""
    entry = zoo_models["digits-mlp"]
    design, device, _ = rtl_device("digits-mlp", "exact")
    emulator = Emulator(entry["ir"])
    codes = emulator.quantize_input(entry["data"].x_test[:50])
    free = device.predict_codes(codes)
    starved = device.predict_codes(codes, stall_in=0.9, stall_out=0.5, seed=1)
    np.testing.assert_array_equal(starved.codes, emulator.predict_codes(codes))
    assert starved.cycles > 1.2 * free.cycles and starved.violations == 0


def test_tlast_mirrors_the_input_per_sample_or_per_batch(zoo_models, rtl_device) -> None:
    entry = zoo_models["digits-mlp"]
    design, device, _ = rtl_device("digits-mlp", "exact")
    codes = Emulator(entry["ir"]).quantize_input(entry["data"].x_test[:7])
    assert device.predict_codes(codes, tlast="sample").out_last.tolist() == [1] * 7
    assert device.predict_codes(codes, tlast="batch").out_last.tolist() == [0] * 6 + [1]


def test_raw_stream_beats_and_back_to_back_batches(zoo_models, rtl_device) -> None:
    """The driver's view: beats in, beats out; a device keeps state across batches."""
    entry = zoo_models["mnist1d-cnn"]
    design, device, _ = rtl_device("mnist1d-cnn", "exact")
    emulator = Emulator(entry["ir"])
    codes = emulator.quantize_input(entry["data"].x_test[:10])
    beats = design.axis_in.pack(codes.reshape(10, -1))
    last = np.zeros(len(beats), np.uint8)
    last[-1] = 1
    for _ in range(2):
        res = device.stream(beats, last, 10 * design.axis_out.beats, stall_out=0.5, seed=7)
        out = design.axis_out.unpack(res.out_beats, 10)
        np.testing.assert_array_equal(out, emulator.predict_codes(codes).reshape(10, -1))
        assert res.out_last.tolist() == [0] * (len(res.out_last) - 1) + [1]
        assert np.all(np.diff(res.in_cycles) > 0) and np.all(np.diff(res.out_cycles) > 0)


def test_predict_on_floats_matches_the_emulator(zoo_models, rtl_device) -> None:
    entry = zoo_models["digits-cnn"]
    design, device, plan = rtl_device("digits-cnn", "approx_cv", 4)
    x = entry["data"].x_test[:25]
    result = device.predict(x)
    np.testing.assert_array_equal(result.values, Emulator(entry["ir"], plan.kernels()).predict(x))
