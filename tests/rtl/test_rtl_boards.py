"""Boards beyond the PYNQ-Z2: the AXI-Stream TDATA width follows the board's DMA width
(128-bit beats on the UltraScale+ boards), bit-exact through simulate() and `toolkit sim`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from toolkit.boards import load_board
from toolkit.cli.main import cli
from toolkit.emulator.engine import Emulator
from toolkit.plan import plan_from_json
from toolkit.rtlgen import RtlDevice, build, generate, interval_floor
from toolkit.rtlgen.run import simulate

from .plans import plan_json

pytestmark = pytest.mark.verilator


def test_128_bit_stream_is_bit_exact_under_backpressure(zoo_models) -> None:
    entry = zoo_models["mnist1d-cnn"]  # 6-bit inputs: 16 lanes per 128-bit beat, 40 codes = 3 beats
    plan = plan_from_json(plan_json("mnist1d-cnn", "approx_cv"), entry["ir"])
    design = generate(entry["ir"], plan, fold=8, axis_bits=load_board("zcu104").dma_data_bits)
    assert (design.axis_in.data_bits, design.axis_in.words, design.axis_in.beats) == (128, 2, 3)
    assert "[127:0] s_axis_tdata" in design.verilog("roms")
    emulator = Emulator(entry["ir"], plan.kernels())
    codes = emulator.quantize_input(entry["data"].x_test[:40])
    with RtlDevice(design, build(design, activity=False)) as device:
        assert device.words == 2
        free = device.predict_codes(codes)
        stalled = device.predict_codes(codes, stall_in=0.5, stall_out=0.5, seed=3, tlast="batch")
    expected = emulator.predict_codes(codes)
    np.testing.assert_array_equal(free.codes, expected)
    np.testing.assert_array_equal(stalled.codes, expected)
    assert stalled.violations == 0 and stalled.out_last.tolist() == [0] * 39 + [1]
    assert interval_floor(design) <= free.interval <= stalled.cycles / len(codes)


def test_toolkit_sim_on_zcu104_is_bit_exact(zoo_models) -> None:
    result = CliRunner().invoke(
        cli, ["sim", "--model", "zoo:digits-cnn", "--board", "zcu104", "--limit", "50", "--no-area", "--json"]
    )
    assert result.exit_code == 0, result.output
    r = json.loads(result.stdout.strip().splitlines()[-1])
    assert r["board"] == "zcu104" and r["bit_exact_samples"] == r["n"] == 50
    assert r["axis"]["in"].startswith("128-bit TDATA, 16 x 8-bit lanes")
    c = r["cycles"]
    assert c["basis"].startswith("simulated") and c["interval_floor"] <= c["interval"] < c["latency"]


def test_simulate_follows_the_board(zoo_models) -> None:
    entry = zoo_models["digits-mlp"]
    wide = simulate(entry["ir"], entry["data"], board="ultra96v2", limit=30, area=False)
    narrow = simulate(entry["ir"], entry["data"], board="pynq-z2", limit=30, area=False)
    assert wide["bit_exact_samples"] == narrow["bit_exact_samples"] == 30
    assert wide["axis"]["out"].startswith("128-bit") and narrow["axis"]["out"].startswith("64-bit")
