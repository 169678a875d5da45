"""Emulator inference throughput vs TensorFlow ``predict`` of the same QKeras model.

Both run on the same test set, interleaved, in one process; the best of several
repeats is kept (this machine is shared and noisy), and the ratio is what to quote.
Prints a table and writes ``benchmarks/results/emulator_throughput.json``.

    python benchmarks/emulator_throughput.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
from timing import best_time  # noqa: E402

from toolkit.emulator.engine import Emulator  # noqa: E402
from toolkit.models.datasets import load_dataset  # noqa: E402
from toolkit.models.reader import read_model  # noqa: E402
from toolkit.models.zoo import ZOO, load_zoo_model  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "emulator_throughput.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for name, entry in ZOO.items():
        model = load_zoo_model(name, verbose=False)
        data = load_dataset(entry.dataset)
        model_ir, _ = read_model(model)
        emulator = Emulator(model_ir)
        x = data.x_test
        n = len(x)
        # Warm up both (graph tracing, BLAS threads) before timing.
        model.predict(x, verbose=0, batch_size=n)
        emulator.predict(x)
        t_tf32 = best_time(lambda m=model, x=x: m.predict(x, verbose=0), args.repeats)
        t_tf_full = best_time(lambda m=model, x=x, n=n: m.predict(x, verbose=0, batch_size=n), args.repeats)
        t_tf_call = best_time(lambda m=model, x=x: m(x, training=False), args.repeats)
        t_emu = best_time(lambda e=emulator, x=x: e.predict(x), args.repeats)
        rows.append(
            {
                "model": name,
                "n": n,
                "emulator_per_s": n / t_emu,
                "tf_predict_batch32_per_s": n / t_tf32,
                "tf_predict_full_batch_per_s": n / t_tf_full,
                "tf_call_per_s": n / t_tf_call,
                "ratio_vs_predict_batch32": t_tf32 / t_emu,
                "ratio_vs_predict_full_batch": t_tf_full / t_emu,
                "ratio_vs_call": t_tf_call / t_emu,
            }
        )
    header = (
        f"{'model':<12} {'n':>5} {'emulator/s':>11} {'tf.predict/s':>13} {'(full batch)':>13} "
        f"{'model(x)/s':>11} {'x predict':>10} {'x full':>8} {'x call':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['model']:<12} {r['n']:>5} {r['emulator_per_s']:>11.0f} {r['tf_predict_batch32_per_s']:>13.0f} "
            f"{r['tf_predict_full_batch_per_s']:>13.0f} {r['tf_call_per_s']:>11.0f} "
            f"{r['ratio_vs_predict_batch32']:>9.1f}x {r['ratio_vs_predict_full_batch']:>7.1f}x "
            f"{r['ratio_vs_call']:>7.1f}x"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "repeats": args.repeats,
        "numpy": np.__version__,
    }
    RESULTS.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
