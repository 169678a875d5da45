"""Wall time of each step of the default build (`toolkit build --board pynq-z2`), cold and resumed.

The cold run uses a fresh temporary cache (no cached Verilator library or yosys area) and
a fresh build folder; the second run of the same command reuses every step, which is
what a resumed build costs. Prints a table and writes ``benchmarks/results/build_steps.json``.

    python benchmarks/build_steps.py [--model zoo:digits-cnn] [--board pynq-z2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

RESULTS = Path(__file__).parent / "results" / "build_steps.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="zoo:digits-cnn")
    parser.add_argument("--board", default="pynq-z2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TOOLKIT_CACHE"] = str(Path(tmp) / "cache")
        from toolkit.pipeline.build import build
        from toolkit.pipeline.engine import BuildConfig

        config = BuildConfig(board=args.board, model=args.model)
        runs = {}
        for label in ("cold", "resumed"):
            start = time.perf_counter()
            result = build(config, Path(tmp) / "build", log=lambda _: None)
            runs[label] = {
                "total_seconds": time.perf_counter() - start,
                "steps": {
                    r["step"]: {
                        "status": r["status"],
                        "seconds": r["seconds"],
                        "reused": r.get("reused", False),
                    }
                    for r in result["steps"]
                },  # fmt: skip
            }
    print(f"{'step':<10} {'status':<9} {'cold (s)':>9}")
    for name, step in runs["cold"]["steps"].items():
        print(f"{name:<10} {step['status']:<9} {step['seconds']:>9.1f}")
    print(f"{'total':<10} {'':<9} {runs['cold']['total_seconds']:>9.1f}")
    print(f"resumed (every step reused): {runs['resumed']['total_seconds']:.1f} s")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(), "model": args.model,
                                   "board": args.board, **runs}, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
