"""Where the time of ``toolkit approx`` goes, without and with its caches, before and after a change, in one run.

For each model and each code version (``--before REV``, extracted with ``git archive``, and
this checkout), one worker process runs these selections (the per-design kernel cache is
cleared before each, so each pays its own decompositions):

* ``uncached``: ``use_cache=False``: statistics recomputed, every plan a full emulator walk;
* ``cold``: caches on, empty statistics and evaluation caches (first run on this model and data);
* ``warm``: caches on, what the cold run cached, at another budget (2 points).

Each row splits wall time into phases (reading, calibration statistics, scoring, ladder
search, certification, uniform points, test split, plots) with the process's CPU time
beside the wall time (the machine is shared: CPU seconds are the steadier figure), and
counts the plans emulated and read back. The workers of one model run back to back, so
before and after see the same machine load. The selected plan must be identical uncached
and cold. Prints a table and writes ``benchmarks/results/selection_speed.json``.

    python benchmarks/selection_speed.py [--models cifar-cnn zoo:mnist1d-resnet] [--before main]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")
if "--worker" not in sys.argv:  # a worker imports the toolkit of its PYTHONPATH (this checkout or --before)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "selection_speed.json"
MODES = {"uncached": 1.0, "cold": 1.0, "warm": 2.0}  # mode -> budget
PHASES = {  # phase -> (module, function) timed while a selection runs
    "read model": ("toolkit.select.run", "read_model"),
    "problem": ("toolkit.select.run", "build_problem"),  # statistics + scoring
    "statistics": ("toolkit.select.run", "calibration_statistics"),
    "ladder search": ("toolkit.select.run", "build_ladder"),
    "certification": ("toolkit.select.run", "certify_ladder"),
    "uniform points": ("toolkit.select.run", "uniform_points"),
    "test split": ("toolkit.select.run", "evaluate_test"),  # absent before it had its own function
    "plots": ("toolkit.report.selection", "plot_selection"),
}


def _timed(table: dict[str, float], phase: str, function, cpu_table: dict[str, float] | None = None):
    """``function`` adding its wall seconds to ``table[phase]`` (and CPU seconds to ``cpu_table[phase]``)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            table[phase] = table.get(phase, 0.0) + time.perf_counter() - start
            if cpu_table is not None:
                cpu_table[phase] = cpu_table.get(phase, 0.0) + time.process_time() - cpu

    return wrapper


def _spec(name: str) -> tuple[str, str | None]:
    import toolkit  # noqa: F401  (before scale_models puts this checkout first on sys.path: keep our own)

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
    cpu_phases: dict[str, float] = {}
    originals = []
    for phase, (module_name, attr) in PHASES.items():
        module = importlib.import_module(module_name)
        if not hasattr(module, attr):
            continue
        originals.append((module, attr, getattr(module, attr)))
        setattr(module, attr, _timed(phases, phase, getattr(module, attr), cpu_phases))
    problems: dict[int, object] = {}  # every Problem evaluated (search, certification, uniform, test)
    emulate: dict[str, float] = {}
    predict, correct = search.Problem.predict_codes, search.Problem.correct

    def tracked(self, choice):
        problems[id(self)] = self
        return correct(self, choice)

    search.Problem.predict_codes = _timed(emulate, "emulation", predict)
    search.Problem.correct = tracked
    from toolkit.select.run import approx_model

    try:
        start, cpu = time.perf_counter(), time.process_time()
        summary = approx_model(model, data, out, budget=budget, verbose=False, use_cache=mode != "uncached")
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        for module, attr, function in originals:
            setattr(module, attr, function)
        search.Problem.predict_codes, search.Problem.correct = predict, correct
    for table, whole in ((phases, total), (cpu_phases, cpu)):
        table["scoring"] = table.pop("problem", 0.0) - table.get("statistics", 0.0)
        table["other"] = whole - sum(table.values())
    problems_list = list(problems.values())
    walks = [p._emulator for p in problems_list if p._emulator is not None]
    return {
        "mode": mode,
        "budget": budget,
        "seconds": total,
        "cpu_seconds": cpu,
        "phases": phases,
        "cpu_phases": cpu_phases,
        "emulation_seconds": emulate.get("emulation", 0.0),
        "evaluations": sum(p.evaluations for p in problems_list),
        "reused": sum(getattr(p, "reused", 0) for p in problems_list),
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
    parser.add_argument("--before", default=None, help="git revision to time beside this checkout")
    parser.add_argument(
        "--before-modes", nargs="+", default=["cold", "warm"], choices=list(MODES), help="modes of --before"
    )
    parser.add_argument("--show", type=Path, default=None, help="print the table of a results JSON and stop")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.show:
        _table(json.loads(args.show.read_text())["rows"])
        return
    if args.worker:
        _worker(args.models[0], args.modes, args.out)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        versions = [("after", f"HEAD ({_describe('HEAD')})", ROOT, args.modes)]
        if args.before:
            old = Path(tmp) / "before"
            old.mkdir()
            archive = subprocess.run(
                ["git", "archive", args.before], cwd=ROOT, check=True, capture_output=True
            )
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
            versions.insert(
                0, ("before", f"{args.before} ({_describe(args.before)})", old, args.before_modes)
            )
        for name in args.models:
            for label, rev, root, modes in versions:
                out = Path(tmp) / f"{label}-{name.replace(':', '_')}.json"
                env = os.environ | {"PYTHONPATH": f"{root}{os.pathsep}{root / 'overlays'}"}
                command = [sys.executable, __file__, "--worker", "--models", name, "--out", str(out)]
                subprocess.run(command + ["--modes", *modes], env=env, check=True)
                row = json.loads(out.read_text())
                rows.append(row | {"version": label, "revision": rev})
    _table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    print(f"wrote {args.out}")


def _describe(rev: str) -> str:
    """The short commit of ``rev``; for HEAD, marked when the checkout has uncommitted changes."""
    git = functools.partial(subprocess.run, cwd=ROOT, check=True, capture_output=True, text=True)
    short = git(["git", "rev-parse", "--short", rev]).stdout.strip()
    dirty = rev == "HEAD" and git(["git", "status", "--porcelain", "--untracked-files=no"]).stdout.strip()
    return short + (" + uncommitted changes" if dirty else "")


def _worker(name: str, modes: list[str], out_json: Path) -> None:
    """One code version, one model: the modes in order, in this process (see module docstring)."""
    model, data = _spec(name)
    start, cpu = time.perf_counter(), time.process_time()
    _warm_up(model)
    setup = {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        stats_root = Path(tmp) / "cache"
        for mode in modes:
            budget = MODES[mode]
            saved = os.environ.get("TOOLKIT_CACHE")
            if mode != "uncached":  # statistics and evaluation caches start empty for this model
                os.environ["TOOLKIT_CACHE"] = os.fspath(stats_root)
                stats_root.mkdir(parents=True, exist_ok=True)
                for target in Path(saved).iterdir() if saved else []:  # all but what a selection caches
                    fresh = target.name not in ("select-stats", "select-evals")
                    if fresh and not (stats_root / target.name).exists():
                        (stats_root / target.name).symlink_to(target)
            try:
                result = run_mode(model, data, mode, budget, Path(tmp) / mode)
            finally:
                if saved is not None:
                    os.environ["TOOLKIT_CACHE"] = saved
            results.append(result)
            print(
                f"{name:20s} {mode:9s} budget {budget:g}: {result['seconds']:6.1f} s wall "
                f"({result['cpu_seconds']:.1f} s CPU), {result['evaluations']} evaluations "
                f"({result['reused']} read back), layer runs {result['layer_runs']}",
                flush=True,
            )
    plans = {r["mode"]: r["plan"] for r in results}
    same_plan = plans["uncached"] == plans["cold"] if {"uncached", "cold"} <= set(plans) else None
    for result in results:
        result["plan"] = json.loads(result["plan"])
    import toolkit

    expected = Path(os.environ["PYTHONPATH"].split(os.pathsep)[0]).resolve()
    if Path(toolkit.__file__).resolve().parents[1] != expected:
        raise RuntimeError(f"worker ran {toolkit.__file__}, not the toolkit of {expected}")
    row = {"model": name, "same_plan_uncached_vs_cached": same_plan, "setup": setup, "modes": results}
    row["toolkit"] = str(Path(toolkit.__file__).parent)  # which code this worker ran
    out_json.write_text(json.dumps(row) + "\n")


def _warm_up(model: str) -> None:
    """Imports and the first model load (TensorFlow, QKeras, matplotlib) before any timed mode."""
    import matplotlib.pyplot  # noqa: F401

    import toolkit.report.selection  # noqa: F401
    from toolkit.models.loading import load_model
    from toolkit.models.reader import read_model

    read_model(load_model(model, verbose=False))


def _table(rows: list[dict]) -> None:
    phases = [p for p in PHASES if p != "problem"] + ["scoring", "other"]
    for name in dict.fromkeys(row["model"] for row in rows):
        cols = [(row, m) for row in rows if row["model"] == name for m in row["modes"]]
        same = {row["version"]: row["same_plan_uncached_vs_cached"] for row in rows if row["model"] == name}
        setup = {
            row["version"]: round(row["setup"]["cpu_seconds"], 1) for row in rows if row["model"] == name
        }
        print(f"\n{name} (same plan uncached vs cached: {same}; process setup CPU s: {setup})")
        print(f"{'phase (wall s)':26s}" + "".join(f"{r['version'] + ' ' + m['mode']:>16s}" for r, m in cols))
        for phase in phases:
            print(f"{phase:26s}" + "".join(f"{m['phases'].get(phase, 0.0):16.1f}" for _, m in cols))
        if all("cpu_phases" in m for _, m in cols):
            print("phase (CPU s)")
            for phase in phases:
                print(f"  {phase:24s}" + "".join(f"{m['cpu_phases'].get(phase, 0.0):16.1f}" for _, m in cols))
        for label, key in (("total wall s", "seconds"), ("total CPU s", "cpu_seconds")):
            print(f"{label:26s}" + "".join(f"{m[key]:16.1f}" for _, m in cols))
        print(f"{'emulation wall s':26s}" + "".join(f"{m['emulation_seconds']:16.1f}" for _, m in cols))
        print(f"{'plans emulated':26s}" + "".join(f"{m['evaluations']:16d}" for _, m in cols))
        print(f"{'plans read back':26s}" + "".join(f"{m['reused']:16d}" for _, m in cols))
        print(
            f"{'saving (status)':26s}"
            + "".join(f"{100 * m['saving']:10.1f}% {m['status'][:5]}" for _, m in cols)
        )
        before = {m["mode"]: m["plan"] for r, m in cols if r["version"] == "before"}
        same = ["-" if m["mode"] not in before else str(m["plan"] == before[m["mode"]]) for _, m in cols]
        print(f"{'same plan as before':26s}" + "".join(f"{v:>16s}" for v in same))


if __name__ == "__main__":
    main()
