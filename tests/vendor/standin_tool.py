"""A stand-in for vitis_hls / vivado (tests only): checks its call, runs the generated Tcl, writes outputs.

Installed by test_synth_step.py as ``bin/vitis_hls`` and ``bin/vivado`` (a shebang line naming
this interpreter, then this file). It logs each call (argv, cwd) to $STANDIN_CALLS, answers
``-version`` with the real tools' banner, sources the generated script under tcl_harness.tcl
(so the script itself runs) and writes the sample reports where the script asked for them.
$STANDIN_FAIL=<tool> makes that tool fail like the real one; $STANDIN_TIMING picks the timing report;
$STANDIN_HLS_VERILOG names a folder of hand-written Verilog that the HLS stand-in copies where HLS
writes its RTL (<project>/solution1/syn/verilog/).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "vendor_reports"
TOOL = Path(sys.argv[0]).name
ARGS = sys.argv[1:]
EXPECTED = {
    "vitis_hls": ["-f", "hls.tcl"],
    "vivado_hls": ["-f", "hls.tcl"],
    "vivado": ["-mode", "batch", "-nojournal", "-nolog", "-source", "block_design.tcl"],
}


def harness(script: str) -> list[list[str]]:
    record = Path("standin-calls.jsonl")
    subprocess.run([shutil.which("tclsh") or "tclsh", str(HERE / "tcl_harness.tcl"), str(record),
                    str(Path("standin-work").resolve()), script], check=True)  # fmt: skip
    return [json.loads(line) for line in record.read_text().splitlines()]


with open(os.environ["STANDIN_CALLS"], "a") as fh:
    fh.write(json.dumps({"tool": TOOL, "argv": ARGS, "cwd": os.getcwd()}) + "\n")
if ARGS == ["-version"]:
    print((DATA / ("vivado_version.txt" if TOOL == "vivado" else "vitis_hls_version.txt")).read_text())
    sys.exit(0)
if EXPECTED[TOOL] != ARGS:
    print(f"ERROR: stand-in {TOOL} called with {ARGS}, expected {EXPECTED[TOOL]}")
    sys.exit(3)
if os.environ.get("STANDIN_FAIL") == TOOL:
    print("INFO: [Common 17-206] Exiting")
    print(
        f"ERROR: [Place 30-640] Place Check : this design requires more LUT cells than are available ({TOOL})"
    )
    sys.exit(1)

calls = harness(ARGS[-1])
if TOOL == "vivado":
    if "set tk_accelerator hls4ml" in Path("settings.tcl").read_text():
        assert Path("toolkit_hls/solution1/impl/ip").is_dir(), "vivado ran before the HLS IP existed"
    for call in calls:
        if call[0] in ("report_utilization", "report_timing_summary", "report_power"):
            sample = {
                "report_utilization": "utilization_pynq-z2.rpt",
                "report_timing_summary": os.environ.get("STANDIN_TIMING", "timing_summary_met.rpt"),
                "report_power": "power_pynq-z2.rpt",
            }[call[0]]
            shutil.copy(DATA / sample, call[call.index("-file") + 1])
    print("write_bitstream completed successfully")
else:
    project = next(c[-1] for c in calls if c[0] == "open_project")
    report = Path(project) / "solution1" / "syn" / "report"
    report.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "csynth.xml", report / "csynth.xml")
    (Path(project) / "solution1" / "impl" / "ip").mkdir(parents=True, exist_ok=True)
    if os.environ.get("STANDIN_HLS_VERILOG"):  # the RTL a real run writes: a hand-written stand-in
        verilog = Path(project) / "solution1" / "syn" / "verilog"
        shutil.copytree(os.environ["STANDIN_HLS_VERILOG"], verilog, dirs_exist_ok=True)
    print("INFO: [HLS 200-111] Finished Exporting IP")
