"""Graph models in RTL: forks and joins of streams (residual Add, Subtract, Concatenate), depthwise
and separable convolutions, zero padding, Reshape, average and global pooling. Each of
tests/graph_models.py (functional API, Keras default names, inputs over both rails) equals the
emulator bit for bit on every sample, exact and with approximate products plus control-variate
corrections (on a depthwise layer too), free-running and under random backpressure; the
generated tops lint clean; the average's reciprocal division is exact over its whole range."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tests.graph_models import GRAPH_MODELS, build_graph
from toolkit.emulator.engine import Emulator
from toolkit.emulator.layers import truncated_mean
from toolkit.models import ir
from toolkit.models.reader import read_model
from toolkit.plan import plan_from_json
from toolkit.rtlgen import RtlDevice, generate, interval_bound, interval_floor
from toolkit.rtlgen import build as build_rtl
from toolkit.rtlgen.pooling import reciprocal

from .test_rtl_lint import lint


@functools.cache
def _read(name: str) -> tuple[ir.ModelIR, np.ndarray]:
    model, x = build_graph(name)
    return read_model(model)[0], x


def approx_plan(model_ir: ir.ModelIR) -> dict:
    """trunc2 on every MAC layer within the library's operands; a cv correction on the first such
    layer and on every depthwise one, bias-only on the last."""
    entries = []
    for layer in model_ir.mac_layers():
        a, w = layer.in_precision, layer.weight_precision
        if 2 <= a.width <= 8 and 2 <= w.width <= 8:
            cv = not entries or isinstance(layer, ir.DepthwiseConv)
            entries.append({"name": layer.name, "multiplier": "trunc2", "correction": "cv" if cv else "none"})
    entries[-1]["correction"] = entries[-1]["correction"] if len(entries) == 1 else "bias"
    return {"format": "toolkit-plan", "version": 1, "layers": entries}


def _plan(model_ir: ir.ModelIR, kind: str):
    return plan_from_json(approx_plan(model_ir), model_ir) if kind == "approx" else None


CASES = [
    (name, kind, None if kind == "exact" else 2)
    for name in sorted(GRAPH_MODELS)
    for kind in ("exact", "approx")
]
CASES.append(("depthwise_separable", "approx", 1))  # two lane groups per channel, corrected per channel


@pytest.mark.verilator
@pytest.mark.parametrize("name, kind, fold", CASES, ids=[f"{n}-{k}-fold{f}" for n, k, f in CASES])
def test_graph_model_rtl_equals_emulator(name: str, kind: str, fold: int | None) -> None:
    model_ir, x = _read(name)
    assert not model_ir.is_chain() or name == "depthwise_separable"
    plan = _plan(model_ir, kind)
    emulator = Emulator(model_ir, plan.kernels() if plan else None)
    codes = emulator.quantize_input(x)
    expected = emulator.predict_codes(codes)
    trace = emulator.trace(codes)
    quantizers = [q for q in model_ir.layers if isinstance(q, ir.Quantize)]
    assert any(
        (trace[q.name] == q.out_precision.max_code).any()
        and (trace[q.name] == q.out_precision.min_code).any()
        for q in quantizers  # (averages cannot reach the rails of the quantizer after them)
    ), "no requantization reaches both rails"
    if plan is not None:
        assert not np.array_equal(expected, Emulator(model_ir).predict_codes(codes))  # the plan matters
        if name == "depthwise_separable":
            corrected = {n for n, lp in plan.layers.items() if lp.correction and lp.correction.mode == "cv"}
            assert corrected & {
                layer.name for layer in model_ir.layers if isinstance(layer, ir.DepthwiseConv)
            }
    design = generate(model_ir, plan, fold=fold)
    with RtlDevice(design, build_rtl(design, activity=False)) as device:
        result = device.predict_codes(codes)
        np.testing.assert_array_equal(result.codes, expected)
        assert result.violations == 0
        assert interval_floor(design) <= result.interval <= interval_bound(design)
        stalled = device.predict_codes(codes, stall_in=0.4, stall_out=0.5, seed=len(name))
        np.testing.assert_array_equal(stalled.codes, expected)
        assert stalled.violations == 0


@pytest.mark.verilator
@pytest.mark.parametrize("name", ["residual_add", "subtract_concat", "pooling_padding", "conv1d_graph"])
def test_skip_connection_survives_a_stalled_consumer(name: str) -> None:
    """The skip side of a fork is far ahead of the convolution side whenever the output stalls:
    long TREADY-low bursts and a starved input must not deadlock the join."""
    model_ir, x = _read(name)
    emulator = Emulator(model_ir)
    codes = emulator.quantize_input(x[:48])
    design = generate(model_ir)
    with RtlDevice(design, build_rtl(design, activity=False)) as device:
        result = device.predict_codes(codes, stall_in=0.9, stall_out=0.95, seed=11)
    np.testing.assert_array_equal(result.codes, emulator.predict_codes(codes))


def test_graph_structure_forks_and_wires() -> None:
    """One fork per tensor read twice, a frame deep; Reshape and Flatten are wires; joins align."""
    model_ir, _ = _read("residual_add")
    design = generate(model_ir)
    (fork,) = design.forks
    assert fork.depth == 8 * 8 * 3 and len(fork.outputs) == 2
    (add,) = [s for s in design.stages if s.kind == "add"]
    assert design.links[add.index] == [fork.outputs[1], f"s{add.index - 1}"]
    model_ir, _ = _read("pooling_padding")
    design = generate(model_ir)
    kinds = [s.kind for s in design.stages]
    assert kinds.count("gpool") == 2 and "pad" in kinds and kinds.count("pool") == 2
    assert not any(isinstance(s.layer, ir.Reshape | ir.Flatten) for s in design.stages)
    (concat,) = [s for s in design.stages if s.kind == "concat"]
    assert concat.shifts == [concat.layer.out_precision.frac - p.frac for p in concat.layer.input_precisions]
    model_ir, _ = _read("depthwise_separable")
    dws = [s for s in generate(model_ir, fold=1).stages if s.params.get("DW")]
    assert len(dws) == 2 and all(s.lanes == 1 for s in dws)
    assert generate(model_ir).stages[1].lanes == 2  # depthwise lanes: at most the filters per channel


@pytest.mark.verilator
@pytest.mark.parametrize("name", sorted(GRAPH_MODELS))
def test_graph_top_lints_clean(name: str, tmp_path) -> None:
    model_ir, _ = _read(name)
    design = generate(model_ir, _plan(model_ir, "approx"), 2)
    top = design.write(tmp_path)
    assert lint([top, *design.sources()], "tk_accel", cwd=tmp_path) == []


@pytest.mark.parametrize("window, guard", [(9, 13), (5, 11), (3, 10), (25, 13), (4, 2), (2, 1), (7, 3)])
def test_reciprocal_division_is_exact_over_the_whole_range(window: int, guard: int) -> None:
    """(|s| R) >> RS == trunc(s 2^G / N) for every sum the stage can see (tk_div_const)."""
    top = 3000
    r, r_bits, rs = reciprocal(window, guard, top)
    assert r.bit_length() <= r_bits
    s = np.arange(-top, top + 1, dtype=np.int64)
    mag = (np.abs(s) * r) >> rs
    np.testing.assert_array_equal(np.where(s < 0, -mag, mag), truncated_mean(s, window, guard))
    if window & (window - 1):  # the smallest K: one bit less fails somewhere in the range
        r2 = -(-(1 << (rs + guard - 1)) // window)
        assert not np.array_equal((np.abs(s) * r2) >> (rs - 1), np.abs(truncated_mean(s, window, guard)))


@pytest.mark.verilator
@pytest.mark.yosys
def test_simulate_reports_area_and_power_of_a_graph() -> None:
    """`toolkit sim`'s library function on a residual model: every stage and the fork have area
    and modelled power, the parts add up to the whole, cycles are the simulation's."""
    from toolkit.models.datasets import Dataset
    from toolkit.rtlgen.run import simulate

    model_ir, x = _read("residual_add")
    y = np.zeros(len(x), np.int64)
    r = simulate(model_ir, Dataset("residual", x, y, x[:60], y[:60]), _plan(model_ir, "approx"), fold=2)
    assert r["bit_exact_samples"] == r["n"] == 60
    design = generate(model_ir, _plan(model_ir, "approx"), 2)
    (fork,) = design.forks
    area, power = r["area"], r["power"]
    assert area["layers"][fork.instance]["lut"] > 0  # the ring (LUT-RAM) and its pointers
    (add,) = [s for s in design.stages if s.kind == "add"]
    assert area["layers"][add.instance]["ff"] >= add.out_bits
    for key in ("lut", "ff", "carry4"):
        assert sum(layer[key] for layer in area["layers"].values()) == pytest.approx(area["total"][key])
    assert power["label"].startswith("modelled")
    assert (
        power["per_module_dynamic_w"][fork.instance] > 0 and power["per_module_dynamic_w"][add.instance] > 0
    )
    c = r["cycles"]
    assert c["basis"].startswith("simulated") and c["interval_floor"] <= c["interval"] < c["latency"]


@pytest.mark.verilator
def test_fork_depth_bound_is_tight_for_frame_buffered_branches(monkeypatch) -> None:
    """With whole-frame buffers the convolution branch of a residual block needs the whole frame
    before its first output, so the skip side must hold one frame: the closed form. One code less
    deadlocks (the device reports the design stuck instead of hanging)."""
    import sys

    from toolkit.errors import ToolkitError

    generator = sys.modules["toolkit.rtlgen.generate"]
    model_ir, x = _read("residual_add")
    emulator = Emulator(model_ir)
    codes = emulator.quantize_input(x[:4])
    frame = int(np.prod(model_ir.input_shape))
    for depth in (frame, frame - 1):
        monkeypatch.setattr(generator, "fork_depth", lambda shape, d=depth: d)
        design = generate(model_ir, None, 1, buffer="frame")
        assert design.forks[0].depth == depth
        with RtlDevice(design, build_rtl(design, activity=False)) as device:
            if depth == frame:
                result = device.predict_codes(codes, stall_in=0.3, stall_out=0.5, seed=5)
                np.testing.assert_array_equal(result.codes, emulator.predict_codes(codes))
            else:
                with pytest.raises(ToolkitError, match="it is stuck"):
                    device.predict_codes(codes, stall_in=0.3, stall_out=0.5, seed=5)
