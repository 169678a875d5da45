"""MAC stage register-bank layout against Verilator speed and yosys area, by measurement (a negative result).

``tk_mac.v`` banks a finished group's sums in one packed ``LANES*SUM_BITS`` vector (208-384
bits on ``cifar-cnn``) read with a variable part-select ``res[ridx*SUM_BITS+:SUM_BITS]``.
Verilator keeps packed vectors over 64 bits as multi-word arrays, so one lane-width word per
lane looked cheaper to simulate. This script rewrites the current ``tk_mac.v`` into two such
layouts (the hardware function unchanged) and measures all three side by side:

* ``packed``: the file as it is;
* ``bank-array``: ``reg [SUM_BITS-1:0] res[0:LANES-1]``, element ``j`` written in lane ``j``
  of the generate loop, read as ``res[ridx]``;
* ``lane-regs``: one ``reg`` per lane inside the generate loop, read through a wire array
  ``res[ridx]``.

Per layout: a plain and (``--cov-samples``) a toggle-coverage Verilator build of the model
(default ``cifar-cnn`` of ``scale_models.py``) stream the same samples in interleaved rounds
(best round kept; wall and CPU seconds), checked bit-exact against the emulator, with cycles
and toggles counted; and yosys ``synth_xilinx`` area (the flow of ``toolkit.rtlgen.area``) of
``--area-models``. Prints a table and writes ``benchmarks/results/rtl_mac_layout.json``.

The committed run (load 6-7 on 2 cores beside other jobs) found no gain, so ``tk_mac.v`` keeps
its packed bank: plain simulation 3.96 (packed), 3.94 (bank-array), 3.66 (lane-regs) M cycles
per CPU second, all bit-exact with the same cycles (an earlier, noisier pair of runs had
bank-array 15 % and lane-regs 5 % slower). Verilator already writes the packed bank only on a
group transfer and reads it with two word shifts, and its DFG pass splits the packed product
and weight buses into native words; a ``--prof-cfuncs`` perf profile of the packed design puts
the time in the product units (~24 %) and the accumulators (~21 %), per-lane work the layout
does not change. Coverage builds counted 5.1 % fewer toggles with either array (the packed
``sums`` wire, a copy of the accumulators, is gone), so toggle-based power figures would move.
yosys LUTs: digits-cnn 3298 -> 2954 (-10 %), cifar-cnn 6345 -> 6375/6391 (within yosys/abc's
run-to-run spread of ~1 %); FFs and CARRY4 unchanged.

    python benchmarks/rtl_mac_layout.py [--model cifar-cnn] [--samples 100] [--cov-samples 16]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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

from scale_models import SCALE_MODELS, dataset_spec, trained_model_path  # noqa: E402
from timing import cpu_seconds, stream_rounds  # noqa: E402

RESULTS = HERE / "results" / "rtl_mac_layout.json"
_DECL = (
    "  reg [LANES*SUM_BITS-1:0] res;  // the banked group's exact sums\n  wire [LANES*SUM_BITS-1:0] sums;\n"
)
_LANE = "      assign sums[j*SUM_BITS+:SUM_BITS] = acc;\n"
_READ = ".acc(res[ridx*SUM_BITS+:SUM_BITS])"
_BANK = "      res <= sums;\n"
_EDITS = {  # layout -> (declaration, lane statements) replacing _DECL and _LANE
    "bank-array": ("  reg [SUM_BITS-1:0] res[0:LANES-1];\n",
                   "      always @(posedge clk) if (rst_n && xfer) res[j] <= acc;\n"),
    "lane-regs": ("  wire [SUM_BITS-1:0] res[0:LANES-1];\n",
                  "      reg [SUM_BITS-1:0] r;\n      always @(posedge clk) if (rst_n && xfer) r <= acc;\n"
                  "      assign res[j] = r;\n"),
}  # fmt: skip


def layout(text: str, name: str) -> str:
    """``tk_mac.v`` ``text`` with its group-sum bank rewritten to layout ``name`` (``packed``: as is)."""
    if name == "packed":
        return text
    for anchor in (_DECL, _LANE, _READ, _BANK):
        if text.count(anchor) != 1:
            raise SystemExit(f"tk_mac.v no longer holds {anchor.strip()!r} once: update rtl_mac_layout.py")
    decl, lane = _EDITS[name]
    return text.replace(_DECL, decl).replace(_LANE, lane).replace(_READ, ".acc(res[ridx])").replace(_BANK, "")


def _model_ir(name: str):  # noqa: ANN202 - a ModelIR
    """Benchmark model ``name`` of ``scale_models.py``, else the zoo model of that name (must be cached)."""
    from toolkit.models.loading import load_keras_file
    from toolkit.models.reader import read_model
    from toolkit.models.zoo import load_zoo_model

    if name in SCALE_MODELS:
        return read_model(load_keras_file(trained_model_path(name)))[0]
    return read_model(load_zoo_model(name, train_if_missing=False, verbose=False))[0]


def _sources(design, folder: Path, mac_text: str) -> list[Path]:  # noqa: ANN001 - an RtlDesign
    """The design written into ``folder`` with ``mac_text`` as its ``tk_mac.v``."""
    top = design.write(folder)
    mac = folder / "tk_mac.v"
    mac.write_text(mac_text)
    return [top, *(mac if p.name == "tk_mac.v" else p for p in design.sources())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cifar-cnn")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--cov-samples", type=int, default=16, help="0: no coverage builds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--area-models", nargs="*", default=["digits-cnn", "cifar-cnn"])
    args = parser.parse_args()

    from toolkit.emulator.engine import Emulator
    from toolkit.models.datasets import load_dataset
    from toolkit.rtlgen.area import cell_counts, flatten, summarize
    from toolkit.rtlgen.generate import RTL_DIR, TOP, generate
    from toolkit.rtlgen.verilator import build_sources, find_verilator

    text = (RTL_DIR / "tk_mac.v").read_text()
    names = ("packed", *_EDITS)
    texts = {name: layout(text, name) for name in names}
    model_ir = _model_ir(args.model)
    data = load_dataset(dataset_spec(args.model))
    design = generate(model_ir, None, None, axis_bits=64)
    emulator = Emulator(model_ir)
    n = max(args.samples, args.cov_samples)
    codes = emulator.quantize_input(data.x_test[:n])
    reference = emulator.predict_codes(codes).reshape(n, -1)
    rows: list[dict] = []
    area: dict[str, dict[str, dict[str, float]]] = {name: {} for name in names}
    flow = f"synth_xilinx -family xc7 -nodsp -noiopad -top {TOP}"  # as toolkit.rtlgen.area
    with tempfile.TemporaryDirectory(prefix="rtl_mac_layout_") as tmp:
        for model in args.area_models:
            rtl = generate(_model_ir(model), None)
            for name in names:
                folder = Path(tmp) / f"area_{model}_{name}"
                folder.mkdir()
                print(f"synthesising {model} ({name}) ...", file=sys.stderr, flush=True)
                sources = [str(p) for p in _sources(rtl, folder, texts[name])]
                area[name][model] = summarize(flatten(TOP, cell_counts(sources, flow, folder, model)))
        libs = []
        for name in names:
            for activity in (False, True) if args.cov_samples else (False,):
                folder = Path(tmp) / f"{len(libs)}"
                folder.mkdir()
                print(
                    f"building {name} ({'coverage' if activity else 'plain'}) ...",
                    file=sys.stderr,
                    flush=True,
                )
                wall, cpu = time.perf_counter(), cpu_seconds()
                made = build_sources(
                    _sources(design, folder, texts[name]), folder, name, activity, args.model
                )
                wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
                k = args.cov_samples if activity else args.samples
                row = {"layout": name, "coverage": activity, "build_wall_s": wall, "build_cpu_s": cpu,
                       "samples": k, "runs": []}  # fmt: skip
                rows.append(row)
                libs.append((row, made))
        stream_rounds(libs, design, codes, reference, args.rounds)
    result = {"meta": {"model": args.model, "machine": platform.machine(), "cpus": os.cpu_count(),
                       "verilator": find_verilator().version, "rounds": args.rounds,
                       "basis": "measured: best of the rounds per library (build = verilate + make); area: yosys "
                       "synth_xilinx -nodsp cell counts (synthesised)"}, "rows": rows, "area": area}  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    _print(result)


def _print(result: dict) -> None:
    meta = result["meta"]
    print(
        f"{meta['model']}, Verilator {meta['verilator']} (measured; best of {meta['rounds']} interleaved rounds)"
    )
    print(
        f"{'layout':<11} {'build':<8} {'M cycles/s wall':>16} {'/CPU s':>7} {'cycles':>9} {'toggles':>11} {'exact':>6}"
    )
    for r in result["rows"]:
        print(f"{r['layout']:<11} {'coverage' if r['coverage'] else 'plain':<8} {r['mcycles_per_wall_s']:16.3f} "
              f"{r['mcycles_per_cpu_s']:7.3f} {r['cycles']:9d} {r.get('toggles', ''):>11} {str(r['bit_exact']):>6}")  # fmt: skip
    print(f"{'layout':<11} {'model':<11} {'LUT':>6} {'FF':>6} {'CARRY4':>6} (yosys synth_xilinx -nodsp)")
    for name, models in result["area"].items():
        for model, a in models.items():
            print(f"{name:<11} {model:<11} {a['lut']:6.0f} {a['ff']:6.0f} {a['carry4']:6.0f}")
    print(f"-> {RESULTS}")


if __name__ == "__main__":
    main()
