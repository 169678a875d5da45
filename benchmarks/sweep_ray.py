"""A 12-point sweep, serial in one process vs on a local Ray (one worker per core), side by side.

2 zoo models x 2 budgets x 3 multiplier families, each point quantize (the zoo model kept)
+ selection (`[run] to = "approx"`, no measurement). Each mode gets a fresh sweep folder, so
both share steps only within themselves (one quantize per model); the zoo models come from
the cache. Ray's figure includes its start and each worker's TensorFlow import. Prints the
wall times and their ratio and writes ``benchmarks/results/sweep_ray.json`` and the serial
sweep's accuracy / energy front ``sweep_pareto.png`` (shown in the README).

    python benchmarks/sweep_ray.py
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

RESULTS = Path(__file__).parent / "results" / "sweep_ray.json"
PARETO = RESULTS.with_name("sweep_pareto.png")
CONFIG = """
[axes]
models = ["zoo:digits-mlp", "zoo:mnist1d-cnn"]
budgets = [1.0, 2.0]
families = ["trunc", "perfw", "drum"]
quantize = ["keep"]
[run]
to = "approx"
measure = "none"
"""


def main() -> None:
    from toolkit.sweep.run import run_sweep

    runs = {}
    RESULTS.parent.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "sweep.toml"
        config.write_text(CONFIG)
        for mode in ("serial", "ray"):
            load = os.getloadavg()[0]
            start = time.perf_counter()
            result = run_sweep(config, Path(tmp) / mode, serial=mode == "serial", log=lambda _: None)
            wall = time.perf_counter() - start
            runs[mode] = {"wall_seconds": wall, "passed": result["passed"], "points": result["points"],
                          "load_average_before": load,
                          "point_seconds": {r["id"]: r["seconds"] for r in result["rows"]}}  # fmt: skip
            front = Path(tmp) / mode / "pareto-energy.png"
            if mode == "serial" and front.exists():  # the README shows this front
                PARETO.write_bytes(front.read_bytes())
            print(f"{mode:<7} {wall:7.1f} s  {result['passed']}/{result['points']} passed  (load {load:.1f})")
    ratio = runs["serial"]["wall_seconds"] / runs["ray"]["wall_seconds"]
    print(f"serial / ray wall time: {ratio:.2f}x on {os.cpu_count()} cores")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(), "config": CONFIG,
                                   "speedup": ratio, **runs}, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
