"""The selection's gradient statistics (G_l, Hutchinson T_l): a git revision's function beside this checkout's.

For each model, on the calibration split ``toolkit approx`` uses (split seed 0, 8 probes,
batch 256), one process times ``gradient_statistics`` of ``--before REV`` (read from
``git show REV:toolkit/select/sensitivity.py``, the rest of the toolkit is this checkout's)
and of this checkout in turn, wall and CPU seconds (``time.process_time``: every thread of
the process; the machine is shared, CPU seconds are the steadier figure). Both draw their
own Rademacher probes, so T_l differs within its sampling error: the table puts the
change against the spread of this checkout's T_l over ``--seeds`` probe seeds (z = change /
standard deviation across seeds; two independent draws differ by sqrt(2) sd on average).
G_l does not depend on the probes. With ``--plans`` it also runs ``toolkit approx`` at
budget 1 without caches with each function and says whether the plans are the same.
Prints a table and writes ``benchmarks/results/gradient_statistics.json``.

    python benchmarks/gradient_statistics.py [--models cifar-cnn zoo:mnist1d-resnet] [--before main] [--plans]
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from before import _module  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "gradient_statistics.json"


def load_before(rev: str):
    """``gradient_statistics`` of ``toolkit/select/sensitivity.py`` at ``rev``."""
    source = subprocess.run(
        ["git", "show", f"{rev}:toolkit/select/sensitivity.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return _module(f"before_sensitivity_{rev.replace('/', '_')}", source).gradient_statistics


def model_spec(name: str) -> tuple[str, str]:
    """(model spec, data spec) of a zoo model or a ``scale_models.py`` model."""
    from toolkit.models.loading import default_dataset_for

    if name.startswith("zoo:"):
        return name, default_dataset_for(name)
    from scale_models import dataset_spec, trained_model_path

    return os.fspath(trained_model_path(name)), dataset_spec(name)


def calibration(name: str):
    """The deployable model, its MAC layer names and the calibration split ``toolkit approx`` scores on."""
    from toolkit.models.datasets import load_dataset
    from toolkit.models.loading import load_model
    from toolkit.models.reader import read_model
    from toolkit.select.data import CERTIFY_FRACTION, split_selection_data

    spec, data = model_spec(name)
    sets = split_selection_data(load_dataset(data), None, CERTIFY_FRACTION, 0)
    if sets.y_calibration is None:
        raise SystemExit(f"{name}: the calibration set has no labels; this benchmark needs a labelled one")
    model_ir, deploy = read_model(load_model(spec, verbose=False))
    return deploy, [layer.name for layer in model_ir.mac_layers()], sets.x_calibration, sets.y_calibration


def timed(function, *args, **kwargs):
    """(result, wall seconds, CPU seconds)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start, time.process_time() - cpu


def as_arrays(stats: dict, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([stats[n].grad_sum for n in names]), np.array([stats[n].hessian_trace for n in names])


def plans(name: str, functions: dict) -> dict:
    """``toolkit approx`` at budget 1 without caches with each statistics function: time, plan, saving."""
    from toolkit.select import stats_cache
    from toolkit.select.run import approx_model

    spec, data = model_spec(name)
    original = stats_cache.gradient_statistics
    out = {}
    try:
        for label, function in functions.items():
            stats_cache.gradient_statistics = function
            with tempfile.TemporaryDirectory() as tmp:
                summary, wall, cpu = timed(
                    approx_model, spec, data, Path(tmp), budget=1.0, verbose=False, use_cache=False
                )
                plan = json.loads((Path(tmp) / "plan.json").read_text())
            out[label] = {
                "seconds": wall,
                "cpu_seconds": cpu,
                "plan": plan,
                "saving": summary["energy"]["reduction"],
            }
    finally:
        stats_cache.gradient_statistics = original
    out["same_plan"] = out["before"]["plan"] == out["after"]["plan"]
    return out


def run_model(name: str, before, seeds: int, with_plans: bool) -> dict:
    from toolkit.select.sensitivity import gradient_statistics as after

    deploy, names, x, y = calibration(name)
    stats_before, wall_b, cpu_b = timed(before, deploy, names, x, y, seed=0)
    stats_after, wall_a, cpu_a = timed(after, deploy, names, x, y, seed=0)
    again = after(deploy, names, x, y, seed=0)
    g_b, t_b = as_arrays(stats_before, names)
    g_a, t_a = as_arrays(stats_after, names)
    spread = np.array(
        [as_arrays(after(deploy, names, x, y, seed=s), names)[1] for s in range(1, seeds)] + [t_a]
    )
    sd = spread.std(axis=0, ddof=1)
    row = {
        "model": name,
        "samples": len(x),
        "layers": names,
        "before": {
            "seconds": wall_b,
            "cpu_seconds": cpu_b,
            "grad_sum": g_b.tolist(),
            "hessian_trace": t_b.tolist(),
        },
        "after": {
            "seconds": wall_a,
            "cpu_seconds": cpu_a,
            "grad_sum": g_a.tolist(),
            "hessian_trace": t_a.tolist(),
        },
        "deterministic": as_arrays(again, names)[1].tolist() == t_a.tolist(),
        "grad_sum_rel_change": (np.abs(g_a - g_b) / np.maximum(np.abs(g_b), 1e-30)).tolist(),
        "trace_rel_change": ((t_a - t_b) / t_b).tolist(),
        "trace_seed_rel_sd": (sd / np.abs(spread.mean(axis=0))).tolist(),
        "trace_z": ((t_a - t_b) / sd).tolist(),
        "seeds": seeds,
    }
    if with_plans:
        row["approx"] = plans(name, {"before": before, "after": after})
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["cifar-cnn", "zoo:mnist1d-resnet", "zoo:digits-cnn"])
    parser.add_argument("--before", default="main", help="git revision whose gradient_statistics is timed")
    parser.add_argument("--seeds", type=int, default=5, help="probe seeds for the spread of T_l (after)")
    parser.add_argument("--plans", action="store_true", help="also run toolkit approx at budget 1 with each")
    args = parser.parse_args()
    before = load_before(args.before)
    rows = []
    for name in args.models:
        row = run_model(name, before, args.seeds, args.plans)
        rows.append(row)
        b, a = row["before"], row["after"]
        print(
            f"\n{name} ({row['samples']} samples): before {b['seconds']:.1f} s wall / {b['cpu_seconds']:.1f} s CPU, "
            f"after {a['seconds']:.1f} s / {a['cpu_seconds']:.1f} s: x{b['seconds'] / a['seconds']:.1f} wall, "
            f"x{b['cpu_seconds'] / a['cpu_seconds']:.1f} CPU; deterministic: {row['deterministic']}"
        )
        print(
            f"  {'layer':14s} {'G rel chg':>10s} {'T before':>10s} {'T after':>10s} {'T rel chg':>10s} {'seed sd':>8s} {'z':>6s}"
        )
        for i, layer in enumerate(row["layers"]):
            print(
                f"  {layer:14s} {row['grad_sum_rel_change'][i]:10.1e} {b['hessian_trace'][i]:10.4g} "
                f"{a['hessian_trace'][i]:10.4g} {row['trace_rel_change'][i]:+10.2%} "
                f"{row['trace_seed_rel_sd'][i]:8.2%} {row['trace_z'][i]:+6.2f}"
            )
        if "approx" in row:
            ap = row["approx"]
            print(
                f"  toolkit approx budget 1, no cache: before {ap['before']['seconds']:.1f} s / "
                f"{ap['before']['cpu_seconds']:.1f} s CPU, after {ap['after']['seconds']:.1f} s / "
                f"{ap['after']['cpu_seconds']:.1f} s CPU; saving {ap['before']['saving']:.2%} vs "
                f"{ap['after']['saving']:.2%}; same plan: {ap['same_plan']}"
            )
    load = os.getloadavg()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"before": args.before, "load_average": load, "models": rows}, indent=1))
    print(f"\nload average at the end {load[0]:.1f}; wrote {RESULTS}")


if __name__ == "__main__":
    main()
