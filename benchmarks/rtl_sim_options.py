"""Verilator build options for a large design, by measurement: build time against simulation speed.

On one model (default ``cifar-cnn`` of ``scale_models.py``, ~37 k cycles per inference), each
option set is built twice into a fresh temporary folder (the plain library and the toggle
coverage one; Verilator's runtime objects come from the shared cache, as in normal use),
then every library streams the same samples, in interleaved rounds (the machine is shared:
the best round of each is kept, wall and CPU seconds both reported). Every output is checked
bit-exact against the emulator. Option sets:

* ``-O1/-O0/-O1`` (make's OPT_FAST/OPT_SLOW/OPT_GLOBAL) with the harness before this change
  (three model evaluations per clock; taken from git at ``BEFORE_COMMIT``, skipped without git);
* ``-O1/-O0/-O1`` with the current harness (two evaluations per clock): the default;
* ``-O2/-O0/-O2``; ``-O2`` plus Verilator's own ``-O3``; ``-O3/-O0/-O2`` plus ``-O3``;
* ``--threads 2`` (the machine has 2 cores), plain build only.

Build times are the model's alone when ``runtime_objects_cached`` (the first build of each
make level and flag set compiles Verilator's runtime objects once, ~4-6 CPU s; a second run
of the script has them all cached). Coverage rows record the toggles counted: the same for
every harness and option set.

An earlier run also tried plain (not atomic) toggle-counter increments, a rewrite of
Verilator's output: 1 % faster coverage simulation, so it was not kept.

Prints a table and writes ``benchmarks/results/rtl_sim_options.json``.

    python benchmarks/rtl_sim_options.py [--model cifar-cnn] [--plain-samples 100] [--cov-samples 16]
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

from scale_models import dataset_spec, trained_model_path  # noqa: E402
from timing import cpu_seconds, stream_rounds  # noqa: E402

RESULTS = HERE / "results" / "rtl_sim_options.json"
BEFORE_COMMIT = "e3c3df3"  # the harness before two-evaluation clocks
BEFORE = ("OPT_FAST=-O1", "OPT_SLOW=-O0", "OPT_GLOBAL=-O1")
O2 = ("OPT_FAST=-O2", "OPT_SLOW=-O0", "OPT_GLOBAL=-O2")
O3 = ("OPT_FAST=-O3", "OPT_SLOW=-O0", "OPT_GLOBAL=-O2")
VARIANTS = {  # label -> (make_opt, verilator flags, old harness, also a coverage build)
    "O1, harness before (3 evals/clock)": (BEFORE, (), True, True),
    "O1 (default)": (BEFORE, (), False, True),
    "O2": (O2, (), False, True),
    "O2 + verilator -O3": (O2, ("-O3",), False, True),
    "O3 + verilator -O3": (O3, ("-O3",), False, True),
    "O1 --threads 2": (BEFORE, ("--threads", "2"), False, False),
}


def old_harness(folder: Path) -> Path | None:
    """The harness at ``BEFORE_COMMIT`` written into ``folder`` (None if git cannot show it)."""
    proc = subprocess.run(["git", "-C", str(HERE), "show", f"{BEFORE_COMMIT}:toolkit/resources/hls/rtl/tk_sim.cpp"],
                          capture_output=True, text=True)  # fmt: skip
    if proc.returncode != 0:
        return None
    path = folder / "tk_sim_before.cpp"
    path.write_text(proc.stdout)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cifar-cnn")
    parser.add_argument("--plain-samples", type=int, default=100)
    parser.add_argument("--cov-samples", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="labels of the variants to run")
    args = parser.parse_args()

    from toolkit.emulator.engine import Emulator
    from toolkit.models.datasets import load_dataset
    from toolkit.models.loading import load_keras_file
    from toolkit.models.reader import read_model
    from toolkit.rtlgen.generate import generate
    from toolkit.rtlgen.verilator import HARNESS, Options, _runtime_objects, build_sources, find_verilator

    model_ir, _ = read_model(load_keras_file(trained_model_path(args.model)))
    data = load_dataset(dataset_spec(args.model))
    design = generate(model_ir, None, None, axis_bits=64)
    emulator = Emulator(model_ir)
    n = max(args.plain_samples, args.cov_samples)
    codes = emulator.quantize_input(data.x_test[:n])
    reference = emulator.predict_codes(codes).reshape(n, -1)
    variants = {k: v for k, v in VARIANTS.items() if args.only is None or k in args.only}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="rtl_sim_options_") as tmp:
        libs = []
        before = old_harness(Path(tmp))
        for label, (make_opt, flags, old, with_cov) in variants.items():
            if old and before is None:
                print(f"skipping {label}: git cannot show {BEFORE_COMMIT}", file=sys.stderr)
                continue
            options = Options(make_opt, flags, before if old else HARNESS)
            for activity in (False, True) if with_cov else (False,):
                folder = Path(tmp) / f"{len(libs)}"
                folder.mkdir()
                top = design.write(folder)
                print(
                    f"building {label} ({'coverage' if activity else 'plain'}) ...",
                    file=sys.stderr,
                    flush=True,
                )
                runtime = any(_runtime_objects(find_verilator(), activity, options).glob("*.o"))
                wall, cpu = time.perf_counter(), cpu_seconds()
                made = build_sources(
                    [top, *design.sources()], folder, label, activity, args.model, options=options
                )
                wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
                k = args.cov_samples if activity else args.plain_samples
                if "--threads" in flags:
                    k = min(k, 10)  # measured ~20x slower on this machine: a few samples tell
                row = {"options": label, "make_opt": list(make_opt), "verilator_flags": list(flags),
                       "harness": "before" if old else "current", "coverage": activity, "build_wall_s": wall, "build_cpu_s": cpu,
                       "runtime_objects_cached": runtime, "samples": k, "runs": []}  # fmt: skip
                rows.append(row)
                libs.append((row, made))
        stream_rounds(libs, design, codes, reference, args.rounds)
    result = {"meta": {"model": args.model, "machine": platform.machine(), "cpus": os.cpu_count(),
                       "verilator": find_verilator().version, "rounds": args.rounds,
                       "basis": "measured: best of the rounds per library; build = verilate + make (runtime objects "
                       "from the cache)"}, "rows": rows}  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    _print(result)


def _print(result: dict) -> None:
    print(f"{result['meta']['model']}, Verilator {result['meta']['verilator']} (measured; best of "
          f"{result['meta']['rounds']} interleaved rounds)")  # fmt: skip
    print(
        f"{'options':<36} {'build':<8} {'build s wall/CPU':>17} {'M cycles/s wall':>16} {'/CPU s':>7} {'exact':>6}"
    )
    for r in result["rows"]:
        print(f"{r['options']:<36} {'coverage' if r['coverage'] else 'plain':<8} "
              f"{r['build_wall_s']:8.1f} / {r['build_cpu_s']:6.1f} {r['mcycles_per_wall_s']:16.3f} "
              f"{r['mcycles_per_cpu_s']:7.3f} {str(r['bit_exact']):>6}")  # fmt: skip
    print(f"-> {RESULTS}")


if __name__ == "__main__":
    main()
