"""Selection that does not recompute what it knows: incremental emulation and the statistics cache.

Every plan a recorded search emulates incrementally must equal a full emulator walk of the
same plan, bit for bit; the plan a cached run selects must equal the one an uncached run
selects; cached calibration statistics must equal fresh ones exactly.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.graph_models import build_graph
from toolkit.emulator.engine import DEFAULT_BATCH, Emulator
from toolkit.emulator.incremental import IncrementalEmulator, batch_size_for, narrow
from toolkit.errors import ToolkitError
from toolkit.models.reader import read_model
from toolkit.multipliers import list_designs
from toolkit.plan import approx_kernel
from toolkit.select.ladder import build_ladder
from toolkit.select.run import build_problem
from toolkit.select.search import bisect, refine
from toolkit.select.stats_cache import calibration_statistics

N = 160  # samples: enough for a real search, small enough for the suite


@pytest.fixture(scope="module")
def models(zoo_models) -> dict:
    """The conftest zoo models plus the graph-shaped mnist1d-resnet."""
    from toolkit.models.datasets import load_dataset
    from toolkit.models.zoo import load_zoo_model, zoo_entry

    model_ir, deploy = read_model(load_zoo_model("mnist1d-resnet", verbose=False))
    data = load_dataset(zoo_entry("mnist1d-resnet").dataset)
    return zoo_models | {"mnist1d-resnet": {"ir": model_ir, "deploy": deploy, "data": data}}


@pytest.fixture
def own_cache(zoo_models, tmp_path, monkeypatch):
    """A fresh cache root for the statistics (after the zoo models are loaded from the shared one)."""
    monkeypatch.setenv("TOOLKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _problem(entry, incremental=True, max_bytes=None):
    x, y = entry["data"].x_train[:N], entry["data"].y_train[:N]
    problem, _ = build_problem(
        entry["ir"], entry["deploy"], (x, y), (x, y), None, ("none", "cv"), use_cache=False
    )
    problem.incremental = incremental
    if max_bytes is not None:
        codes = Emulator(entry["ir"]).quantize_input(x)
        problem._emulator = IncrementalEmulator(entry["ir"], codes, max_bytes=max_bytes)
    return problem


def _record(problem):
    steps = []
    inner = problem.predict_codes

    def recorded(choice):
        out = inner(choice)
        steps.append((list(choice), out))
        return out

    problem.predict_codes = recorded
    return steps


@pytest.mark.parametrize(
    "name, max_bytes",
    [("digits-cnn", None), ("mnist1d-resnet", None), ("mnist1d-resnet", 40_000)],
    ids=["sequential", "graph", "graph-evicting"],
)
def test_incremental_equals_full_on_every_step_of_a_recorded_search(models, name, max_bytes):
    """Bisection, its greedy refinement and the ladder (ILP grid + refinement): every emulated plan,
    in the order the search asked for it, equals a full walk; and the walks did reuse layers."""
    entry = models[name]
    problem = _problem(entry, max_bytes=max_bytes)
    steps = _record(problem)
    if max_bytes is None:
        refine(problem, bisect(problem, 1.0, steps=5), 1.0, tries_per_layer=1)
    build_ladder(problem, grid=6, tries=1)
    assert len(steps) >= 10
    codes = Emulator(entry["ir"]).quantize_input(problem.x_val)
    for choice, out in steps:
        full = Emulator(entry["ir"], problem.plan(choice).kernels()).predict_codes(codes)
        np.testing.assert_array_equal(out, full)
    walk = problem._emulator
    assert walk.layers_run < len(steps) * len(entry["ir"].layers)
    assert walk.layers_reused > 0  # walks restarted inside the network


def _designs(layer):
    a, w = layer.in_precision, layer.weight_precision
    names = [
        d.name
        for d in list_designs(a_bits=a.width, w_bits=w.width, a_signed=a.signed, w_signed=w.signed)
        if d.family != "exact"
    ]
    assert len(names) >= 2, f"no approximate designs at {a.width}x{w.width} bits"
    return names


def test_a_changed_branch_reruns_only_the_layers_it_reaches():
    """Two parallel convolutions feeding a Subtract: changing one branch's multiplier leaves the other
    branch's layers unrun, and every output equals a full walk (inputs and weights that saturate)."""
    model, x = build_graph("subtract_concat", n=120)
    model_ir, _ = read_model(model)
    conv_a, conv_b, dense = model_ir.mac_layers()
    codes = Emulator(model_ir).quantize_input(x)
    walk = IncrementalEmulator(model_ir, codes)
    plans = [{}, {conv_b.name: _designs(conv_b)[0]}, {conv_b.name: _designs(conv_b)[1]}]
    plans += [{conv_a.name: _designs(conv_a)[0], conv_b.name: _designs(conv_b)[1]}]
    plans += [
        {conv_a.name: _designs(conv_a)[0], conv_b.name: _designs(conv_b)[1], dense.name: _designs(dense)[0]}
    ]
    runs = []
    for plan in plans:
        before = walk.layers_run
        out = walk.predict_codes(plan, lambda name, plan=plan: approx_kernel(plan[name]))
        runs.append(walk.layers_run - before)
        kernels = {name: approx_kernel(design) for name, design in plan.items()}
        np.testing.assert_array_equal(out, Emulator(model_ir, kernels).predict_codes(codes))
    reach_b = {conv_b.name}
    for layer in model_ir.layers:  # the layers reachable from conv_b
        if set(model_ir.inputs_of(layer)) & reach_b:
            reach_b.add(layer.name)
    assert runs[0] == len(model_ir.layers)
    assert runs[1] == runs[2] == len(reach_b) < len(model_ir.layers)
    assert runs[4] == 1  # only the dense layer: everything before it is stored
    assert walk.predict_codes(plans[2], lambda name: approx_kernel(plans[2][name])) is not None
    with pytest.raises(ToolkitError, match="do not name a MAC layer"):
        walk.predict_codes({"nope": "x"}, approx_kernel)


def test_batch_size_does_not_change_the_output_and_scales_with_the_layers():
    """Batches of 7 samples (a ragged last batch) equal a full walk of one batch, saturating inputs included;
    the automatic batch grows with the byte budget, from 1 sample to the engine's default."""
    model, x = build_graph("subtract_concat", n=40)
    model_ir, _ = read_model(model)
    codes = Emulator(model_ir).quantize_input(x * 50.0)  # far outside the input range: saturates
    plan = {layer.name: _designs(layer)[0] for layer in model_ir.mac_layers()}
    kernels = {name: approx_kernel(design) for name, design in plan.items()}
    out = IncrementalEmulator(model_ir, codes, batch_size=7).predict_codes(plan, lambda n: kernels[n])
    np.testing.assert_array_equal(
        out, Emulator(model_ir, kernels, batch_size=len(codes)).predict_codes(codes)
    )
    sizes = [batch_size_for(model_ir, budget=1 << bits) for bits in range(0, 48, 4)]
    assert sizes[0] == 1 and sizes[-1] == DEFAULT_BATCH and sizes == sorted(sizes)


def test_narrow_is_lossless_and_picks_the_smallest_type():
    for values, dtype in (([-128, 127], np.int8), ([-129, 5], np.int16), ([0, 1 << 20], np.int32)):
        arr = np.array(values, np.int64)
        got = narrow(arr)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got.astype(np.int64), arr)
    assert narrow(np.array([-(1 << 40)], np.int64)).dtype == np.int64


def test_statistics_cache_reads_back_exactly_and_is_keyed(zoo_models, own_cache):
    entry = zoo_models["digits-cnn"]
    x, y = entry["data"].x_train[:N], entry["data"].y_train[:N]
    args = (entry["ir"], entry["deploy"], x, y)
    fresh_p, fresh_s = calibration_statistics(*args, use_cache=False)
    written_p, written_s = calibration_statistics(*args)
    files = list((own_cache / "select-stats").glob("*.json"))
    assert len(files) == 1
    stored = json.loads(files[0].read_text())
    stored["sensitivity"] = {n: [0.0, 0.0] for n in stored["sensitivity"]}  # poison: a read must show it
    files[0].write_text(json.dumps(stored))
    read_p, read_s = calibration_statistics(*args)
    assert {s.grad_sum for s in read_s.values()} == {0.0}
    for name, prof in fresh_p.items():
        np.testing.assert_array_equal(prof.p_a, written_p[name].p_a)
        np.testing.assert_array_equal(prof.p_a, read_p[name].p_a)
        np.testing.assert_array_equal(prof.p_w, read_p[name].p_w)
        assert fresh_s[name] == written_s[name]
    calibration_statistics(*args, seed=1)  # another key: another file, the poisoned one is not read
    calibration_statistics(entry["ir"], entry["deploy"], x[:-1], y[:-1])
    assert len(list((own_cache / "select-stats").glob("*.json"))) == 3


def test_profile_from_one_walk_equals_the_operands(models):
    """Histograms counted from the stored layer inputs == histograms of the operands the emulator multiplies."""
    entry = models["mnist1d-resnet"]
    x = entry["data"].x_train[:N]
    profiles, _ = calibration_statistics(
        entry["ir"], entry["deploy"], x, entry["data"].y_train[:N], use_cache=False
    )
    emulator = Emulator(entry["ir"])
    codes = emulator.quantize_input(x)
    for layer in entry["ir"].mac_layers():
        rows = emulator.mac_operands(codes, layer.name)
        a_codes = layer.in_precision.codes
        want = np.bincount(rows.ravel() - a_codes[0], minlength=len(a_codes)) / rows.size
        np.testing.assert_array_equal(profiles[layer.name].p_a, want)


def test_cached_run_selects_the_plan_an_uncached_run_selects(models, own_cache):
    """Search and certification without caches, with a cold cache and with a warm one: the same ladder,
    certificate and plan, byte for byte."""
    import dataclasses

    from toolkit.select.data import split_selection_data
    from toolkit.select.run import certify_ladder, search_ladder

    entry = models["digits-cnn"]
    sets = split_selection_data(entry["data"], split_seed=0)
    sets = dataclasses.replace(
        sets,
        x_calibration=sets.x_calibration[:N],
        y_calibration=sets.y_calibration[:N],
        x_search=sets.x_search[:N],
        y_search=sets.y_search[:N],
    )
    runs = []
    for use_cache in (False, True, True):
        problem, scores, ladder, _ = search_ladder(
            entry["ir"], entry["deploy"], sets, refine_steps=1, use_cache=use_cache
        )
        cert = certify_ladder(problem, ladder, sets, 4.0, 0.9)
        plan = problem.plan(ladder.choices[cert.accepted]).to_json(entry["ir"])
        runs.append((json.dumps(plan), ladder.choices, cert.to_json(), json.dumps(scores)))
    assert runs[0] == runs[1] == runs[2]
    assert len(list((own_cache / "select-stats").glob("*.json"))) == 1
    assert json.loads(runs[0][0])["layers"] and runs[0][2]["status"] == "certified"  # not the exact fallback
