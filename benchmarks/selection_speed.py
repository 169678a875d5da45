"""Where the time of ``toolkit approx`` goes, without and with its caches, side by side in one run.

For each model, three selections in one process (the per-design kernel cache is cleared
before each, so each pays its own decompositions):

* ``uncached``: ``use_cache=False``: statistics recomputed, every plan a full emulator walk;
* ``cold``: caches on, an empty statistics cache (first run on this model and data);
* ``warm``: caches on, statistics cached by the cold run, at another budget (2 points).

Each row splits wall time into phases (reading, calibration statistics, scoring, ladder
search, certification, the report's test/uniform evaluations and plots) and counts the
layer runs the emulator did. The selected plan must be identical in all three modes.
Prints a table and writes ``benchmarks/results/selection_speed.json``.

    python benchmarks/selection_speed.py [--models cifar-cnn zoo:mnist1d-resnet]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

RESULTS = Path(__file__).parent / "results" / "selection_speed.json"
MODES = {"uncached": 1.0, "cold": 1.0, "warm": 2.0}  # mode -> budget
PHASES = {  # phase -> (module, function) timed while a selection runs
    "read model": ("toolkit.select.run", "read_model"),
    "problem": ("toolkit.select.run", "build_problem"),  # statistics + scoring
    "statistics": ("toolkit.select.run", "calibration_statistics"),
    "ladder search": ("toolkit.select.run", "build_ladder"),
    "certification": ("toolkit.select.run", "certify_ladder"),
    "uniform points": ("toolkit.select.run", "uniform_points"),
    "plots": ("toolkit.report.selection", "plot_selection"),
}


def _timed(table: dict[str, float], phase: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            table[phase] = table.get(phase, 0.0) + time.perf_counter() - start

    return wrapper


def _spec(name: str) -> tuple[str, str | None]:
    if name.startswith("zoo:"):
        return name, None
    from scale_models import dataset_spec, trained_model_path

    return os.fspath(trained_model_path(name)), dataset_spec(name)


def run_mode(model: str, data: str | None, mode: str, budget: float, out: Path) -> dict:
    """One selection with phase timings and emulator counters."""
    import importlib

    from toolkit.plan import approx_kernel
    from toolkit.select import search

    approx_kernel.cache_clear()
    phases: dict[str, float] = {}
    originals = []
    for phase, (module_name, attr) in PHASES.items():
        module = importlib.import_module(module_name)
        originals.append((module, attr, getattr(module, attr)))
        setattr(module, attr, _timed(phases, phase, getattr(module, attr)))
    problems: dict[int, object] = {}  # every Problem that emulates (search, certification, test)
    emulate: dict[str, float] = {}
    predict = search.Problem.predict_codes
    timed_predict = _timed(emulate, "emulation", predict)

    def tracked(self, choice):
        problems[id(self)] = self
        return timed_predict(self, choice)

    search.Problem.predict_codes = tracked
    from toolkit.select.run import approx_model

    try:
        start, cpu = time.perf_counter(), time.process_time()
        summary = approx_model(model, data, out, budget=budget, verbose=False, use_cache=mode != "uncached")
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        for module, attr, function in originals:
            setattr(module, attr, function)
        search.Problem.predict_codes = predict
    phases["scoring"] = phases.pop("problem", 0.0) - phases.get("statistics", 0.0)
    phases["other (test split, writing)"] = total - sum(phases.values())
    problems_list = list(problems.values())
    walks = [p._emulator for p in problems_list if p._emulator is not None]
    return {
        "mode": mode,
        "budget": budget,
        "seconds": total,
        "cpu_seconds": cpu,
        "phases": phases,
        "emulation_seconds": emulate.get("emulation", 0.0),
        "evaluations": sum(p.evaluations for p in problems_list),
        "layer_runs": sum(w.layers_run for w in walks) if walks else None,
        "restarts": sum(w.layers_reused for w in walks) if walks else None,
        "plan": (out / "plan.json").read_text(),
        "saving": summary["energy"]["reduction"],
        "status": summary["certificate"]["status"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["cifar-cnn", "zoo:mnist1d-resnet"])
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON file to write")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            model, data = _spec(name)
            _warm_up(model)
            stats_root = Path(tmp) / name.replace(":", "_") / "cache"
            results = []
            for mode, budget in ((m, MODES[m]) for m in args.modes):
                saved = os.environ.get("TOOLKIT_CACHE")
                if mode != "uncached":  # the statistics cache starts empty for this model
                    os.environ["TOOLKIT_CACHE"] = os.fspath(stats_root)
                    stats_root.mkdir(parents=True, exist_ok=True)
                    for target in Path(saved).iterdir() if saved else []:  # all but the statistics
                        if target.name != "select-stats" and not (stats_root / target.name).exists():
                            (stats_root / target.name).symlink_to(target)
                try:
                    out = Path(tmp) / name.replace(":", "_") / mode
                    result = run_mode(model, data, mode, budget, out)
                finally:
                    if saved is not None:
                        os.environ["TOOLKIT_CACHE"] = saved
                results.append(result)
                print(
                    f"{name:20s} {mode:9s} budget {budget:g}: {result['seconds']:6.1f} s wall "
                    f"({result['cpu_seconds']:.1f} s CPU), {result['evaluations']} evaluations, "
                    f"layer runs {result['layer_runs']}",
                    flush=True,
                )
            plans = {r["mode"]: r["plan"] for r in results}
            same_plan = plans["uncached"] == plans["cold"] if {"uncached", "cold"} <= set(plans) else None
            rows.append({"model": name, "same_plan_uncached_vs_cached": same_plan, "modes": results})
    _table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for row in rows:
        for result in row["modes"]:
            result["plan"] = json.loads(result["plan"])
    args.out.write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    print(f"wrote {args.out}")


def _warm_up(model: str) -> None:
    """Imports and the first model load (TensorFlow, QKeras, matplotlib) before any timed mode."""
    import matplotlib.pyplot  # noqa: F401

    import toolkit.report.selection  # noqa: F401
    from toolkit.models.loading import load_model
    from toolkit.models.reader import read_model

    read_model(load_model(model, verbose=False))


def _table(rows: list[dict]) -> None:
    phases = [p for p in PHASES if p != "problem"] + [
        "scoring",
        "other (test split, writing)",
        "emulation (in search+cert+report)",
        "total wall",
        "total CPU",
    ]
    for row in rows:
        modes = row["modes"]
        print(f"\n{row['model']} (same plan uncached vs cached: {row['same_plan_uncached_vs_cached']})")
        print(
            f"{'phase':36s}" + "".join(f"{m['mode'] + ' b=' + format(m['budget'], 'g'):>16s}" for m in modes)
        )
        for phase in phases:
            cells = []
            for m in modes:
                value = {
                    "emulation (in search+cert+report)": m["emulation_seconds"],
                    "total wall": m["seconds"],
                    "total CPU": m["cpu_seconds"],
                }.get(phase, m["phases"].get(phase, 0.0))
                cells.append(f"{value:15.1f}s")
            print(f"{phase:36s}" + "".join(cells))
        print(f"{'emulated plans':36s}" + "".join(f"{m['evaluations']:16d}" for m in modes))


if __name__ == "__main__":
    main()
