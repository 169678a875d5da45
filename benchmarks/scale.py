"""The scale issue's table on realistic-size models (``scale_models.py``): RTL simulation with and
without power, selection wall time, approximate emulation / exact GEMM, emulator vs TensorFlow.

Rows (before and after side by side in one run where the old way still exists):

* ``toolkit sim`` with area and power: *before* toggle coverage on every sample (``--power-samples
  all``, measured on ``--before-samples`` samples: its cost is per sample), *after* agreement and
  cycles on every sample without coverage plus toggles on the default sample (the adaptive rule,
  ``--power-samples auto``), and the former default fixed 64-sample draw beside it;
* ``toolkit sim --no-area``: the build without coverage alone;
* ``toolkit approx`` at budget 1 on cifar-cnn (wall and CPU time);
* approximate emulation / exact GEMM median and worst ratio at 2/4/8 bits: ``approx_emulation.py``'s
  own measurement (its JSON to a temporary file), summarised here;
* the emulator of an approximate plan vs TensorFlow ``model(x)`` of the exact model, on every zoo
  model (a uniform ``trunc2`` plan) and on cifar-cnn (the plan the selection row chose).

Simulation rates are per wall second of the simulation calls (builds and yosys are cached
one-off costs, reported apart) and per CPU second (the machine is shared: CPU time is the
steadier figure). Writes ``benchmarks/results/scale.json``.

    python benchmarks/scale.py [--samples 500] [--before-samples 40] [--sim-models cifar-cnn] [--skip-approx]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
from scale_models import dataset_spec, trained_model_path  # noqa: E402
from timing import best_time, cpu_seconds  # noqa: E402

RESULTS = HERE / "results" / "scale.json"
ISSUE_BEFORE = {  # the issue's "now" column, measured before this work on the same machine kind
    "sim_power_inf_s": 3.8,
    "sim_no_area_inf_s": 56.0,
    "approx_s": 94.0,
    "gemm_median": {2: 3.9, 4: 9.4, 8: 6.3},
}


class Clock:
    """Wall and CPU seconds (this process + finished children) of a block."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, cpu_seconds() - self.cpu


def load(name: str):
    from toolkit.models.datasets import load_dataset
    from toolkit.models.loading import load_keras_file
    from toolkit.models.reader import read_model

    model = load_keras_file(trained_model_path(name))
    model_ir, _ = read_model(model)
    return model, model_ir, load_dataset(dataset_spec(name))


def sim_rows(name: str, samples: int, before_samples: int) -> dict:
    """`toolkit sim` three ways on ``name``: power on a sample, power on every sample, no area."""
    from toolkit.rtlgen.run import simulate

    _, model_ir, data = load(name)
    out: dict = {"model": name}
    with Clock() as c:  # both builds and yosys, so that no row below pays them
        warm = simulate(model_ir, data, None, limit=20, power_samples=2)
    out["warmup"] = {"wall_s": c.wall, "cpu_s": c.cpu, "build_seconds": warm["build_seconds"],
                     "power_build_seconds": warm["power_build_seconds"], "builds_cached": warm["build_cached"]}  # fmt: skip
    for label, kwargs, n in (
        ("after_power_sampled", {"area": True}, samples),
        ("power_fixed_64", {"area": True, "power_samples": 64}, samples),
        ("no_area", {"area": False}, samples),
        ("before_power_every_sample", {"area": True, "power_samples": None}, before_samples),
    ):
        print(f"{name}: {label} on {n} samples ...", file=sys.stderr, flush=True)
        with Clock() as c:
            r = simulate(model_ir, data, None, limit=n, **kwargs)
        sim_wall = r["sim_seconds"] + (r["power_sim_seconds"] or 0.0)
        sim_cpu = r["sim_cpu_seconds"] + (r["power_sim_cpu_seconds"] or 0.0)
        cycles = r["cycles"]["interval"] * r["n"]
        out[label] = {
            "n": r["n"],
            "bit_exact": r["bit_exact_samples"] == r["n"],
            "interval_cycles": r["cycles"]["interval"],
            "sim_seconds": r["sim_seconds"],
            "power_sim_seconds": r["power_sim_seconds"],
            "inferences_per_s": r["n"] / sim_wall,
            "mcycles_per_s": cycles / sim_wall / 1e6,
            "sim_cpu_seconds": sim_cpu,
            "mcycles_per_cpu_s": cycles / sim_cpu / 1e6,
            "total_wall_s": c.wall,
            "total_cpu_s": c.cpu,
            "build_seconds": r["build_seconds"],
            "power_build_seconds": r["power_build_seconds"],
            "power": r["power"] and {k: r["power"][k] for k in ("dynamic_w", "dynamic_stderr_w", "sampling")},
        }
    return out


def approx_row(name: str) -> dict:
    """``toolkit approx`` at budget 1 (wall and CPU) and the plan it wrote."""
    from toolkit.select.run import approx_model

    with tempfile.TemporaryDirectory(prefix="scale_approx_") as tmp, Clock() as c:
        summary = approx_model(
            os.fspath(trained_model_path(name)), dataset_spec(name), Path(tmp), budget=1.0, verbose=False
        )
        plan = json.loads((Path(tmp) / "plan.json").read_text())
    return {"model": name, "wall_s": c.wall, "cpu_s": c.cpu, "plan": plan,
            "saving": (summary.get("energy") or {}).get("reduction")}  # fmt: skip


def gemm_rows(repeats: int) -> dict:
    """Run approx_emulation.py's ``main`` (its JSON goes to a temporary file) and summarise it per width."""
    with tempfile.TemporaryDirectory(prefix="scale_gemm_") as tmp:
        target = Path(tmp) / "approx_emulation.json"
        code = (
            "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import approx_emulation as m; "
            "m.RESULTS = Path(sys.argv[2]); sys.argv = ['approx_emulation.py', '--repeats', sys.argv[3]]; m.main()"
        )
        subprocess.run([sys.executable, "-c", code, os.fspath(HERE), os.fspath(target), str(repeats)],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        rows = json.loads(target.read_text())["rows"]
    out = {}
    for bits in sorted({r["bits"] for r in rows}):
        approx = [r for r in rows if r["bits"] == bits and r["method"] != "exact"]
        ratios = np.array([r["fast_over_exact"] for r in approx])
        worst = max(approx, key=lambda r: r["fast_over_exact"])
        out[bits] = {"median": float(np.median(ratios)), "max": float(ratios.max()), "worst": worst["design"],
                     "designs": len(ratios)}  # fmt: skip
    return out


def uniform_plan(model_ir, multiplier: str):
    from toolkit.plan import plan_from_json

    layers = [{"name": layer.name, "multiplier": multiplier} for layer in model_ir.mac_layers()]
    return plan_from_json({"format": "toolkit-plan", "version": 1, "layers": layers}, model_ir)


def emulator_vs_tf(label: str, model, model_ir, x: np.ndarray, plan, plan_label: str, repeats: int) -> dict:
    """Emulator with ``plan`` vs TensorFlow ``model(x)`` of the exact model, same inputs, best of ``repeats``."""
    from toolkit.emulator.engine import Emulator

    emulator = Emulator(model_ir, plan.kernels() if plan is not None else None)
    emulator.predict(x[:8])
    model(x[:8], training=False)
    t_emu = best_time(lambda: emulator.predict(x), repeats)
    t_tf = best_time(lambda: model(x, training=False), repeats)
    return {"model": label, "n": len(x), "plan": plan_label,
            "emulator_per_s": len(x) / t_emu, "tf_call_per_s": len(x) / t_tf, "ratio": t_tf / t_emu}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--before-samples", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sim-models", nargs="+", default=["cifar-cnn", "dense-100k"],
                        help="models of the simulation rows (dense-100k's Verilator build takes minutes)")  # fmt: skip
    parser.add_argument("--skip-approx", action="store_true", help="skip the selection row")
    parser.add_argument("--skip-gemm", action="store_true", help="skip approx_emulation.py")
    parser.add_argument("--print-only", action="store_true", help="print the table of the last results JSON")
    args = parser.parse_args()
    if args.print_only:
        _print(json.loads(RESULTS.read_text()))
        return
    from toolkit.models.datasets import load_dataset
    from toolkit.models.zoo import ZOO, load_zoo_model
    from toolkit.plan import plan_from_json
    from toolkit.rtlgen.verilator import find_verilator

    result: dict = {"meta": {"machine": platform.machine(), "cpus": os.cpu_count(), "load": os.getloadavg(),
                             "verilator": find_verilator().version, "samples": args.samples,
                             "before_samples": args.before_samples}, "issue_before": ISSUE_BEFORE}  # fmt: skip
    result["sim"] = []
    for name in args.sim_models:
        result["sim"].append(sim_rows(name, args.samples, args.before_samples))
        _write(result)
    if not args.skip_approx:
        result["approx"] = approx_row("cifar-cnn")
        _write(result)
    if not args.skip_gemm:
        result["gemm"] = gemm_rows(args.repeats)
        _write(result)
    rows = []
    for name, entry in ZOO.items():
        model = load_zoo_model(name, verbose=False)
        from toolkit.models.reader import read_model

        model_ir, _ = read_model(model)
        rows.append(emulator_vs_tf(name, model, model_ir, load_dataset(entry.dataset).x_test,
                                   uniform_plan(model_ir, "trunc2"), "trunc2", args.repeats))  # fmt: skip
    model, model_ir, data = load("cifar-cnn")
    chosen = result.get("approx", {}).get("plan")
    plan = plan_from_json(chosen, model_ir) if chosen else uniform_plan(model_ir, "trunc2")
    label = "selected at budget 1" if chosen else "trunc2"
    rows.append(emulator_vs_tf("cifar-cnn", model, model_ir, data.x_test, plan, label, args.repeats))
    result["emulator_vs_tf"] = rows
    _write(result)
    _print(result)


def _write(result: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")


def _print(r: dict) -> None:
    b = r["issue_before"]
    print(f"(issue's 'now' column, same machine kind before this work: {b})")
    for s in r["sim"]:
        a, n, old = s["after_power_sampled"], s["no_area"], s["before_power_every_sample"]
        p = a["power"]
        rows = [
            ("sim with area + power", old, "every sample"),
            ("", a, f"{p['sampling']['samples']} sampled"),
        ]
        if "power_fixed_64" in s:
            rows.append(("", s["power_fixed_64"], "64 sampled"))
        for what, row, how in (*rows, ("sim --no-area", n, "")):
            wall = row["n"] / row["inferences_per_s"]
            if "sim_cpu_seconds" in row:  # the simulation calls alone (builds and yosys are cached)
                cpu, rate = row["sim_cpu_seconds"], row["mcycles_per_cpu_s"]
            else:  # older results: the whole call's CPU
                cpu = row["total_cpu_s"]
                rate = row["n"] * row["interval_cycles"] / cpu / 1e6
            print(f"{s['model'] + ': ' + what if what else '':<42} {how:<13} {row['n']:>4} samples: simulation "
                  f"{wall:5.1f} s wall / {cpu:5.1f} s CPU = {row['mcycles_per_s']:5.2f} M cycles/s wall "
                  f"(load-dependent), {rate:5.2f} M cycles/CPU-s")  # fmt: skip
        key = "sim_cpu_seconds" if "sim_cpu_seconds" in a else "total_cpu_s"
        label = f"  {a['n']} samples with power, {key} (before: scaled from its sample)"
        print(f"{label:<60} "
              f"{old[key] * a['n'] / old['n']:7.1f} -> {a[key]:.1f}")  # fmt: skip
        print(f"{'  modelled dynamic power (mW)':<60} every sample of its own (smaller) run {1e3 * old['power']['dynamic_w']:.3f}; "
              f"sampled {1e3 * p['dynamic_w']:.3f} ± {1e3 * p['dynamic_stderr_w']:.3f} (s.e.)")  # fmt: skip
    if "approx" in r:
        a = r["approx"]
        print(f"{'cifar-cnn: toolkit approx budget 1 (s wall / CPU)':<58} {b['approx_s']:22.0f} "
              f"{a['wall_s']:20.1f} / {a['cpu_s']:.1f}")  # fmt: skip
    b["gemm_median"] = {str(k): v for k, v in b["gemm_median"].items()}  # JSON keys are strings
    for bits, g in {str(k): v for k, v in (r.get("gemm") or {}).items()}.items():
        print(f"{f'approx emulation / exact GEMM, {bits}-bit (median, worst)':<58} "
              f"{b['gemm_median'][bits]:21.1f}x {g['median']:19.2f}x, {g['max']:.2f}x ({g['worst']})")  # fmt: skip
    for e in r.get("emulator_vs_tf", []):
        print(f"{'emulator (' + e['plan'] + ') vs TF model(x): ' + e['model']:<58} {'not measured':>22} "
              f"{e['ratio']:19.2f}x ({e['emulator_per_s']:.0f} vs {e['tf_call_per_s']:.0f} inf/s)")  # fmt: skip
    print(f"-> {RESULTS}")


if __name__ == "__main__":
    main()
