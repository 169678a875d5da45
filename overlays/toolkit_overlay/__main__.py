"""``python -m toolkit_overlay measure PACKAGE``: the board entry point (numpy + pynq only).

Exit status: 0 success, 2 bad input or a failed transfer, 3 the board's outputs differ from
the emulator's expected codes on some sample (results are written first).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from toolkit_overlay.errors import EXIT_MISMATCH, OverlayError
from toolkit_overlay.power.spec import ACCEPTED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit_overlay", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure", help="run the package's vectors on this board: accuracy, latency, power")
    m.add_argument("package", type=Path, help="the overlay package folder")
    m.add_argument(
        "--meter", default="auto", help=f"auto (PMBus where the board has it, else none), {ACCEPTED}"
    )
    m.add_argument("--samples", type=int, default=50, help="power readings per phase (idle, load) [50]")
    m.add_argument("--interval", type=float, default=0.05, help="seconds between power readings [0.05]")
    m.add_argument("--out", type=Path, default=None, help="results JSON [PACKAGE/results.json]")
    m.add_argument("--batch-size", type=int, default=256, help="samples per DMA transfer [256]")
    m.add_argument("--limit", type=int, default=None, help="use only the first N vectors")
    m.add_argument("--latency-repeats", type=int, default=100, help="one-sample transfers timed [100]")
    m.add_argument("--board", default=None, help="this board's name [$TOOLKIT_BOARD or PYNQ's $BOARD]")
    m.add_argument("--device", default="pynq", choices=("pynq", "double"),
                   help="pynq (the board), or double: a transfer-checking stand-in (testing)")  # fmt: skip
    args = parser.parse_args(argv)
    from toolkit_overlay.measure import measure_package

    out = args.out if args.out is not None else args.package / "results.json"
    try:
        r = measure_package(args.package, args.meter, args.samples, out, args.device, args.board, args.batch_size,
                            args.limit, args.latency_repeats, args.interval)  # fmt: skip
    except OverlayError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_status
    summary = {k: r[k] for k in ("samples", "mismatches", "accuracy", "expected_accuracy")}
    summary["inferences_per_second"] = r["throughput"]["inferences_per_second"]
    summary["latency_median_s"] = r["latency"]["median_s"]
    if r["power"]:
        e = r["power"]["energy"]
        summary["energy_per_inference_j"] = [e["joules"], e["stderr_j"]]
        summary["energy_label"] = r["power"]["label"]
    print(json.dumps(summary))
    print(f"results: {out}", file=sys.stderr)
    if r["mismatches"]:
        print(f"error: {r['mismatches']} of {r['samples']} samples differ from the emulator's expected codes: "
              "a hardware/bitstream defect (results written)", file=sys.stderr)  # fmt: skip
        return EXIT_MISMATCH
    return 0


if __name__ == "__main__":
    sys.exit(main())
