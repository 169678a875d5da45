"""The Verilog HLS synthesised for the hls4ml accelerator, simulated like the generated RTL.

Where Vitis HLS (or Vivado HLS) is on PATH, the rtl build step runs the vendor project's
``hls.tcl`` (:func:`run_csynth`); the tool writes the RTL of the AXI-Stream top
``toolkit_axis_top`` into ``toolkit_hls/solution1/syn/verilog/`` (``*.v``, plus ``*.dat`` ROM
contents read by ``$readmemh`` relative to that folder). :func:`open_hls_device` Verilates
those files behind ``hls/vendor/verilator/tk_hls_accel.v`` (HLS's ports -> the ports of the
generated top ``tk_accel``) with the same harness (``hls/rtl/tk_sim.cpp``), so the same
:class:`~toolkit.rtlgen.device.RtlDevice` drives it: the stream formats are the generated
design's (one derivation, :func:`toolkit.pipeline.package.stream_formats`). :func:`synthesize_hls`
gives its area (yosys), and :func:`hls_record` the sha256 of every file, which the synth step
checks against the Verilog its own HLS run writes, so the bitstream holds the simulated design.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

from toolkit_overlay.files import sha256_file

from toolkit.cache import cache_dir, content_hash, write_atomic_json
from toolkit.errors import ToolkitError
from toolkit.resources import hls_dir

HLS_TOP = "toolkit_axis_top"  # hls.tcl's set_top (toolkit.hlsgen.vendor.TOP)
VERILOG_SUBDIR = Path("toolkit_hls", "solution1", "syn", "verilog")  # under the HLS project's folder
WRAPPER = hls_dir("vendor", "verilator") / "tk_hls_accel.v"
UNIT = "hls"  # area and activity of the HLS design are one unit (its hierarchy is HLS's, not per layer)
TOOL_LABELS = {"vitis_hls": "Vitis HLS", "vivado_hls": "Vivado HLS"}
REQUIRED = {  # port -> direction; the data widths are checked against the stream format
    "ap_clk": "input", "s_axis_TDATA": "input", "s_axis_TVALID": "input", "s_axis_TREADY": "output",
    "s_axis_TLAST": "input", "m_axis_TDATA": "output", "m_axis_TVALID": "output",
    "m_axis_TREADY": "input", "m_axis_TLAST": "output",
}  # fmt: skip
TIED_INPUTS = {  # optional HLS inputs the wrapper ties, and the define that connects each
    "ap_start": "TK_HLS_AP_START", "s_axis_TKEEP": "TK_HLS_IN_KEEP", "s_axis_TSTRB": "TK_HLS_IN_STRB",
    "s_axis_TUSER": "TK_HLS_IN_USER", "s_axis_TID": "TK_HLS_IN_ID", "s_axis_TDEST": "TK_HLS_IN_DEST",
}  # fmt: skip
_DECL = re.compile(
    r"\b(input|output|inout)\s+(?:wire\s+|reg\s+|logic\s+)?(?:signed\s+)?(?:\[\s*(\d+)\s*:\s*(\d+)\s*\]\s*)?"
    r"([A-Za-z_]\w*)"
)


def hls_label(tool: str) -> str:
    """How records name the HLS design: ``hls (Vitis HLS Verilog)``."""
    return f"hls ({TOOL_LABELS.get(tool, tool)} Verilog)"


def verilog_dir(hls_project_dir: Path | str) -> Path:
    """Where HLS writes the Verilog of a vendor project's ``hls.tcl`` run."""
    return Path(hls_project_dir) / VERILOG_SUBDIR


def verilog_files(folder: Path | str) -> list[Path]:
    """The ``*.v`` files of an HLS Verilog folder (ToolkitError when the top's file is missing)."""
    folder = Path(folder)
    files = sorted(folder.glob("*.v"))
    if not (folder / f"{HLS_TOP}.v").is_file():
        raise ToolkitError(
            f"'{folder}' holds no {HLS_TOP}.v: expected the Verilog HLS writes for hls.tcl's top "
            f"(<project>/{VERILOG_SUBDIR.as_posix()}/{HLS_TOP}.v)"
        )
    return files


def read_ports(folder: Path | str, top: str = HLS_TOP) -> dict[str, tuple[str, int]]:
    """The ports of module ``top`` in the folder's Verilog: name -> (direction, width)."""
    for path in verilog_files(folder):
        text = re.sub(r"//[^\n]*|/\*.*?\*/", "", path.read_text(errors="replace"), flags=re.S)
        found = re.search(rf"\bmodule\s+{top}\b(.*?)\bendmodule\b", text, flags=re.S)
        if found:
            ports = {}
            for direction, msb, lsb, name in _DECL.findall(found.group(1)):
                width = abs(int(msb) - int(lsb)) + 1 if msb else 1
                ports.setdefault(name, (direction, width))
            return ports
    raise ToolkitError(f"no 'module {top}' in the Verilog files of '{folder}'")


def wrapper_flags(ports: dict[str, tuple[str, int]], in_bits: int, out_bits: int) -> list[str]:
    """Verilator flags (defines, parameters) that fit the wrapper to HLS's port list, or ToolkitError."""
    where = f"HLS top {HLS_TOP}"
    missing = [p for p in REQUIRED if p not in ports]
    reset = [p for p in ("ap_rst_n", "ap_rst") if p in ports]
    if missing or not reset:
        raise ToolkitError(
            f"{where} lacks port(s) {', '.join(missing + ([] if reset else ['ap_rst_n']))}: expected "
            f"{', '.join(REQUIRED)} and ap_rst_n or ap_rst (an AXI-Stream top with s_axis/m_axis, as hls.tcl makes)"
        )
    wrong = [f"{p} is an {ports[p][0]}" for p, d in REQUIRED.items() if ports[p][0] != d]
    if wrong:
        raise ToolkitError(
            f"{where}: {', '.join(wrong)}: expected {', '.join(f'{p} {d}' for p, d in REQUIRED.items())}"
        )
    for port, bits in (("s_axis_TDATA", in_bits), ("m_axis_TDATA", out_bits)):
        if ports[port][1] != bits:
            raise ToolkitError(
                f"{where}: {port} is {ports[port][1]} bits wide; the stream format (the board's DMA) is {bits}"
            )
    known = set(REQUIRED) | set(TIED_INPUTS) | {"ap_rst_n", "ap_rst"}
    unknown = sorted(p for p, (d, _) in ports.items() if d != "output" and p not in known)
    if unknown:
        raise ToolkitError(
            f"{where} has input(s) {', '.join(unknown)} the simulation cannot drive: expected only "
            f"{', '.join(sorted(known))}"
        )
    flags = ["--timescale", "1ns/1ps", f"-GIN_BITS={in_bits}", f"-GOUT_BITS={out_bits}"]
    if "ap_rst_n" not in ports:
        flags.append("-DTK_HLS_RST_HIGH")
    for port, define in TIED_INPUTS.items():
        if port in ports:
            flags.append(f"-D{define}")
    for side in ("USER", "ID", "DEST"):
        if f"s_axis_T{side}" in ports:
            flags.append(f"-GIN_{side}_BITS={ports[f's_axis_T{side}'][1]}")
    return flags


def logic_sha256(path: Path) -> str:
    """sha256 of a file's logic: for Verilog the text without ``//`` comments and blank lines (a banner
    naming a tool build or a date cannot make two HLS runs of the same design differ), else its bytes."""
    if path.suffix != ".v":
        return sha256_file(path)
    lines = (re.sub(r"//.*", "", line).rstrip() for line in path.read_text(errors="replace").splitlines())
    return hashlib.sha256("\n".join(line for line in lines if line).encode()).hexdigest()


def hls_record(folder: Path | str, tool: str) -> dict[str, Any]:
    """What sim.json and the manifest record about the simulated HLS Verilog: files, their logic's sha256, a hash."""
    folder = Path(folder).absolute()
    verilog_files(folder)
    files = {p.name: logic_sha256(p) for p in sorted(folder.iterdir()) if p.is_file()}
    return {"design": hls_label(tool), "tool": tool, "top": HLS_TOP, "folder": str(folder),
            "hash": content_hash(files, "hls-verilog")[:16], "files": files}  # fmt: skip


def check_same_verilog(folder: Path | str, simulated: dict[str, Any]) -> dict[str, Any]:
    """ToolkitError unless ``folder`` holds exactly the Verilog files ``simulated`` (an :func:`hls_record`) names."""
    now = hls_record(folder, simulated.get("tool", "vitis_hls"))
    if now["files"] != simulated.get("files"):
        changed = sorted(set(now["files"]).symmetric_difference(simulated.get("files") or {}) | {
            n for n in now["files"] if n in (simulated.get("files") or {}) and now["files"][n] != simulated["files"][n]
        })  # fmt: skip
        raise ToolkitError(
            f"the Verilog HLS wrote in '{folder}' is not the Verilog the rtl step simulated ({simulated.get('folder')}): "
            f"{', '.join(changed[:5])} differ; rerun `toolkit build --from rtl` so the bitstream is the simulated design"
        )
    return now


def build_hls(folder: Path | str, design: Any, activity: bool = True, jobs: int = 2) -> Any:
    """Verilate the HLS Verilog behind the wrapper with the harness (cached by the files' content)."""
    from toolkit.rtlgen.verilator import HARNESS, LIB_NAME, Build, build_sources, find_verilator

    folder = Path(folder).resolve()
    sources = verilog_files(folder)
    flags = wrapper_flags(read_ports(folder), design.axis_in.data_bits, design.axis_out.data_bits)
    files = {p.name: sha256_file(p) for p in sources}
    tool = find_verilator()
    key = content_hash(
        files, WRAPPER.read_text(), HARNESS.read_text(), tool.version, activity, flags, "hls-v1"
    )
    directory = cache_dir("rtl", key)
    if (directory / LIB_NAME).exists() and (directory / "build.json").exists():
        return Build(directory, directory / LIB_NAME, key, activity, 0.0, True,
                     json.loads((directory / "build.json").read_text()))  # fmt: skip
    return build_sources([WRAPPER, *sources], directory, key, activity, f"{HLS_TOP} (HLS Verilog in {folder})",
                         jobs, extra_flags=tuple(flags))  # fmt: skip


def open_hls_device(folder: Path | str, design: Any, activity: bool = True) -> Any:
    """An :class:`~toolkit.rtlgen.device.RtlDevice` on the HLS Verilog (ROM files read from ``folder``).

    ``design`` is the generated design of the same model and plan: it gives the stream formats
    and shapes (identical for both accelerators), not the logic.
    """
    from toolkit.rtlgen.device import RtlDevice

    made = build_hls(folder, design, activity)
    with contextlib.chdir(folder):  # HLS's ROMs are $readmemh'd by relative name when the model is built
        return RtlDevice(design, made, cycle_slack=64.0, what=f"the HLS design in '{folder}'")


def synthesize_hls(folder: Path | str) -> Any:
    """yosys area of the HLS Verilog (xc7, no DSP, as the generated RTL's), as one unit ``hls``."""
    from toolkit.rtlgen.area import Area, cell_counts, flatten, summarize

    folder = Path(folder).resolve()
    sources = verilog_files(folder)
    flow = f"synth_xilinx -family xc7 -nodsp -noiopad -top {HLS_TOP}"
    key = content_hash({p.name: sha256_file(p) for p in sources}, flow, "hls-area-v1")
    cached = cache_dir("rtl", "area") / f"{key}.json"
    if cached.exists():
        raw = json.loads(cached.read_text())
    else:
        start = time.perf_counter()
        counts = cell_counts([p.name for p in sources], flow, folder, f"the HLS Verilog in '{folder}'")
        raw = {"modules": counts, "seconds": time.perf_counter() - start}
        write_atomic_json(cached, raw)
    everything = flatten(HLS_TOP, raw["modules"])
    return Area(
        summarize(everything), {UNIT: summarize(everything)}, {UNIT: dict(everything)}, flow, raw["seconds"]
    )


def run_csynth(hls_project: Path, out_dir: Path, board: Any, stream: dict[str, Any], tool: str,
               log: Any = print) -> Path:  # fmt: skip
    """Write the vendor project's HLS half into ``out_dir`` and run ``TOOL -f hls.tcl`` there; the Verilog folder.

    The same generator and the same ``hls.tcl`` as the synth step, so the synth step's own HLS
    run must write the same files (it checks: :func:`check_same_verilog`).
    """
    from toolkit.hlsgen.vendor import generate_vendor_project
    from toolkit.hlsgen.vendor_synth import _run

    exe = shutil.which(tool)
    if exe is None:
        raise ToolkitError(f"{tool} is not on PATH: the HLS Verilog cannot be made here")
    project = generate_vendor_project(hls_project, out_dir, board, stream, hls_tool=tool)
    project.logs.mkdir(parents=True, exist_ok=True)
    hls_log = project.logs / "hls.log"
    log(f"rtl: {tool} -f hls.tcl in {project.path} (C-synthesis of the hls4ml accelerator; log {hls_log})")
    _run([exe, "-f", project.hls_script.name], project.path, hls_log, None)
    folder = verilog_dir(project.path)
    if not (folder / f"{HLS_TOP}.v").is_file():
        raise ToolkitError(
            f"{tool} finished without writing '{folder / (HLS_TOP + '.v')}': see log '{hls_log}'"
        )
    return folder
