"""Emulator inference throughput vs TensorFlow ``predict`` of the same QKeras model.

Both run on the same test set, interleaved, in one process; the best of several
repeats is kept (this machine is shared and noisy), and the ratio is what to quote.

A second table times the emulator of an *approximate plan* (every MAC layer on one
multiplier family, ``--plans``, completed to each layer's operand tag) against TensorFlow
``model(x)`` of the exact model, on every zoo model and the CIFAR-sized CNN of
``benchmarks/scale_models.py``; ``--before REV`` adds the emulator of commit REV
(engine, layers and product kernels) in the same run. Prints both tables and writes ``benchmarks/results/emulator_throughput.json``.

    python benchmarks/emulator_throughput.py [--repeats 5] [--plans trunc2 mitchell] [--before REV]
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
from approx_emulation import interleaved_best  # noqa: E402
from before import load_before  # noqa: E402
from scale_models import dataset_spec, trained_model_path  # noqa: E402
from timing import best_time  # noqa: E402

from toolkit.emulator.engine import Emulator  # noqa: E402
from toolkit.models.datasets import load_dataset  # noqa: E402
from toolkit.models.loading import load_keras_file  # noqa: E402
from toolkit.models.reader import read_model  # noqa: E402
from toolkit.models.zoo import ZOO, load_zoo_model  # noqa: E402
from toolkit.plan import approx_kernel, design_for  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "emulator_throughput.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--plans", nargs="+", default=["trunc2", "mitchell"], help="multiplier families")
    parser.add_argument("--before", metavar="REV", help="also time the product kernels of this git revision")
    parser.add_argument(
        "--skip-exact",
        action="store_true",
        help="only the approximate-plan table (the exact one is kept from the last results file)",
    )
    args = parser.parse_args()
    if args.skip_exact:  # keep the exact table of the last full run
        rows = json.loads(RESULTS.read_text())["rows"] if RESULTS.exists() else []
    else:
        rows = exact_rows(args.repeats)
    plan_rows = approx_rows(args.repeats, args.plans, args.before)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "repeats": args.repeats,
        "numpy": np.__version__,
        "before": args.before,
    }
    RESULTS.write_text(
        json.dumps({"meta": meta, "rows": rows, "approx_plan_rows": plan_rows}, indent=2) + "\n"
    )
    print(f"\nwrote {RESULTS}")


def exact_rows(repeats: int) -> list[dict]:
    """The exact emulator vs TensorFlow predict and model(x), zoo models."""
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
        t_tf32 = best_time(lambda m=model, x=x: m.predict(x, verbose=0), repeats)
        t_tf_full = best_time(lambda m=model, x=x, n=n: m.predict(x, verbose=0, batch_size=n), repeats)
        t_tf_call = best_time(lambda m=model, x=x: m(x, training=False), repeats)
        t_emu = best_time(lambda e=emulator, x=x: e.predict(x), repeats)
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
    return rows


def benchmark_models():
    """(name, Keras model, test inputs): the zoo, then the CIFAR-sized CNN."""
    for name, entry in ZOO.items():
        yield name, load_zoo_model(name, verbose=False), load_dataset(entry.dataset).x_test
    path = trained_model_path("cifar-cnn")
    yield "cifar-cnn", load_keras_file(path), load_dataset(dataset_spec("cifar-cnn")).x_test


def approx_rows(repeats: int, plans: list[str], before: str | None) -> list[dict]:
    """The emulator of an approximate plan (after, and before if asked) vs TF model(x) of the exact model."""
    old = load_before(before) if before else None
    rows = []
    before_head = f" {'before/s':>11} {'x before':>10}" if old else ""
    print(
        f"\n{'model':<15} {'plan':<9} {'n':>5} {'model(x)/s':>11} {'emulator/s':>11} {'x call':>10}{before_head}  methods"
    )
    for name, model, x in benchmark_models():
        model_ir, _ = read_model(model)
        n = len(x)
        model(x[:32], training=False)  # trace once
        for family in plans:
            designs = {layer.name: design_for(layer, family) for layer in model_ir.mac_layers()}
            emulator = Emulator(model_ir, {k: approx_kernel(d.name) for k, d in designs.items()})
            emulator.predict(x[:32])  # factor tables built outside the timing
            fns = {
                "call": lambda m=model, x=x: m(x, training=False),
                "emulator": lambda e=emulator, x=x: e.predict(x),
            }
            if old is not None:
                before_emu = old.Emulator(model_ir, {k: old.ApproxProduct(d) for k, d in designs.items()})
                before_emu.predict(x[:32])
                fns["before"] = lambda e=before_emu, x=x: e.predict(x)
            # small models: more repeats (about 3 s of calls each, at most 40) to see past load bursts
            once = interleaved_best(fns, 1)
            t = interleaved_best(fns, min(40, max(repeats, int(3.0 / max(once.values())))))
            t = {key: min(t[key], once[key]) for key in t}
            row = {
                "model": name,
                "plan": family,
                "n": n,
                "tf_call_per_s": n / t["call"],
                "emulator_per_s": n / t["emulator"],
                "ratio_vs_call": t["call"] / t["emulator"],
                "methods": [
                    approx_kernel(designs[lay.name].name).plan(lay.fan_in)[0] for lay in model_ir.mac_layers()
                ],
            }
            if old is not None:
                row.update(
                    before_emulator_per_s=n / t["before"], before_ratio_vs_call=t["call"] / t["before"]
                )
            rows.append(row)
            before_txt = (
                f" {row['before_emulator_per_s']:>11.0f} {row['before_ratio_vs_call']:>9.2f}x" if old else ""
            )
            print(
                f"{name:<15} {family:<9} {n:>5} {row['tf_call_per_s']:>11.0f} {row['emulator_per_s']:>11.0f} "
                f"{row['ratio_vs_call']:>9.2f}x{before_txt}  {','.join(sorted(set(row['methods'])))}",
                flush=True,
            )
    return rows


if __name__ == "__main__":
    main()
