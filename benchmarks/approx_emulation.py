"""Approximate-layer emulation time / exact-layer time, for a conv-sized layer.

For a (rows x fan_in x outputs) = 4096 x 576 x 64 layer at 2, 4 and 8 bits (unsigned
activations x signed weights), every catalogue design is run through the fast path
(``auto``: the method the kernel's cost rule picks, see toolkit/emulator/approx.py) beside
the exact integer GEMM of the same operands, best of ``--repeats``, the two called in turn. With
``--before REV`` the kernels of commit REV (exact GEMM and fast path) are timed in the same
run on the same operands, so before and after share the machine load. The reference table
gather is timed for one design per family (``--no-gather`` skips it).
Prints a table and writes ``benchmarks/results/approx_emulation.json``.

    python benchmarks/approx_emulation.py [--rows 4096] [--repeats 3] [--before REV]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from before import load_before
from timing import best_time

from toolkit.emulator.approx import ApproxProduct
from toolkit.emulator.products import exact_matmul
from toolkit.multipliers import list_designs

RESULTS = Path(__file__).parent / "results" / "approx_emulation.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--fan-in", type=int, default=576)
    parser.add_argument("--outputs", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bits", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--before", metavar="REV", help="also time the kernels of this git revision")
    parser.add_argument("--no-gather", action="store_true", help="skip the reference gather")
    args = parser.parse_args()
    old = load_before(args.before) if args.before else None
    rng = np.random.default_rng(0)
    rows = []
    for bits in args.bits:
        designs = list_designs(a_bits=bits, w_bits=bits, a_signed=False, w_signed=True)
        a = rng.integers(0, 1 << bits, (args.rows, args.fan_in))
        w = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), (args.fan_in, args.outputs))
        reference_done: set[str] = set()
        for design in designs:
            kernel = ApproxProduct(design)
            kernel.matmul(a[:8], w)  # build factors once, outside the timing
            fns = {
                "exact": lambda a=a, w=w: exact_matmul(a, w),
                "fast": lambda k=kernel, a=a, w=w: k.matmul(a, w),
            }
            if old is not None:
                before = old.ApproxProduct(design)
                before.matmul(a[:8], w)
                fns["before_exact"] = lambda a=a, w=w: old.exact_matmul(a, w)
                fns["before_fast"] = lambda k=before, a=a, w=w: k.matmul(a, w)
            t = interleaved_best(fns, args.repeats)
            method, rank = kernel.plan(args.fan_in)
            row = {
                "bits": bits,
                "design": design.name,
                "family": design.family,
                "method": method,
                "rank": rank,
                "exact_ms": 1e3 * t["exact"],
                "fast_ms": 1e3 * t["fast"],
                "fast_over_exact": t["fast"] / t["exact"],
            }
            if old is not None:
                row.update(
                    before_method=before.plan(args.fan_in)[0],
                    before_exact_ms=1e3 * t["before_exact"],
                    before_fast_ms=1e3 * t["before_fast"],
                    before_fast_over_exact=t["before_fast"] / t["before_exact"],
                )
            if design.family not in reference_done and not args.no_gather:
                reference_done.add(design.family)
                ref = ApproxProduct(design, method="gather")
                t_ref = best_time(lambda r=ref, a=a, w=w: r.matmul(a, w), 1)
                row.update(reference_ms=1e3 * t_ref, reference_over_exact=t_ref / t["exact"])
            rows.append(row)
            ref_txt = f"{row['reference_over_exact']:>8.1f}x" if "reference_ms" in row else f"{'':>9}"
            old_txt = (
                f"  before {row['before_method']:<8} {row['before_fast_ms']:8.1f} ms "
                f"{row['before_fast_over_exact']:6.2f}x (exact {row['before_exact_ms']:6.1f} ms)"
                if old is not None
                else ""
            )
            print(
                f"{bits:>2}b {design.name:<16} {method:<8} r={rank:<2} exact {row['exact_ms']:7.1f} ms  "
                f"fast {row['fast_ms']:8.1f} ms  {row['fast_over_exact']:6.2f}x   gather {ref_txt}{old_txt}",
                flush=True,
            )
    print()
    summary = []
    for bits in args.bits:
        mine = [r for r in rows if r["bits"] == bits and r["method"] != "exact"]
        entry = {"bits": bits}
        for when, key in (("after", "fast_over_exact"), ("before", "before_fast_over_exact")):
            ratios = np.array([r[key] for r in mine if key in r])
            if len(ratios):
                entry[when] = {"median": float(np.median(ratios)), "max": float(ratios.max())}
                print(
                    f"{bits}-bit {when:<6}: fast/exact median {np.median(ratios):.2f}x, max {ratios.max():.2f}x, "
                    f"{np.mean(ratios <= 2):.0%} of designs at or under 2x"
                )
        summary.append(entry)
    meta = {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "shape": [args.rows, args.fan_in, args.outputs],
        "repeats": args.repeats,
        "before": args.before,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"meta": meta, "summary": summary, "rows": rows}, indent=2) + "\n")
    print(f"wrote {RESULTS}")


def interleaved_best(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Fastest wall time of each function, the functions called in turn in every repeat (so a
    burst of load on the shared machine hits all of them, not one). The order rotates from one
    repeat to the next, so that no function always runs right after the same other one (a
    TensorFlow call leaves its thread pool spinning for a while, which slows whatever follows)."""
    best = dict.fromkeys(fns, float("inf"))
    names = list(fns)
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            fns[name]()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


if __name__ == "__main__":
    main()
