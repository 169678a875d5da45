"""Vendor project of one model for one board: the accelerator, the Vivado block design, run.sh.

The accelerator is either the hls4ml design (``accelerator="hls4ml"``: HLS script, C-synthesis
exported as an IP) or the toolkit's generated RTL (``"rtl"``: the Verilog Verilator simulated,
as a module reference, :mod:`toolkit.rtlgen.export`); both have the same ports (``ap_clk``,
``ap_rst_n``, AXI-Stream ``s_axis``/``m_axis``) and sit behind the same AXI DMA.

The Tcl files are real templates under ``hls/vendor/`` copied verbatim; Python writes
only ``settings.tcl`` (Tcl variables from the board file and the stream format), the
AXI-Stream top's config header (:mod:`toolkit.hlsgen.axis_top`) and a copy of the hls4ml
firmware or the RTL sources, so the folder is self-contained: copy it to a machine with
Vivado and run ``./run.sh`` there. The folder appears complete or not at all (written
beside, then renamed).

Layout of ``out_dir``::

    settings.tcl  block_design.tcl  ps.tcl  accel.tcl  run.sh  vendor.json
    hls4ml: hls.tcl  hls/firmware/...  hls/toolkit_axis_top.{h,cpp}  hls/toolkit_axis_config.h
    rtl:    rtl/tk_accel.v  rtl/<leaf modules>.v  rtl/*.hex  rtl/rtl.json
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.boards import Board
from toolkit.errors import ToolkitError
from toolkit.hlsgen.axis_top import (
    VENDOR_DIR,
    axis_formats,
    find_hls_project,
    project_io_type,
    write_axis_top,
)
from toolkit.hlsgen.vendor_synth import synth_step

__all__ = ["VendorProject", "generate_vendor_project", "synth_step"]

HLS_TOOLS = ("vitis_hls", "vivado_hls")
PS_TEMPLATES = {"zynq-7000": "ps_zynq7000.tcl", "zynq-us+": "ps_zynqmp.tcl"}
ACCELERATORS = ("hls4ml", "rtl")  # the hls4ml design (HLS IP) or the toolkit's generated RTL
ACCEL_TEMPLATES = {"hls4ml": "accel_hls.tcl", "rtl": "accel_rtl.tcl"}
RTL_DIR_NAME = "rtl"
TOP = "toolkit_axis_top"
BD_NAME = "toolkit"  # block design name: the PYNQ pair is output/toolkit.bit + output/toolkit.hwh
HLS_PROJECT = "toolkit_hls"
IP_VENDOR, IP_LIBRARY, IP_VERSION = "toolkit", "hls", "1.0"


@dataclass(frozen=True)
class VendorProject:
    """A generated vendor project folder and what the synth step needs to run and read it."""

    path: Path
    board: Board
    hls_tool: str
    stream: dict[str, Any]
    accelerator: str = "hls4ml"
    rtl: dict[str, Any] | None = None  # rtl.json of the RTL accelerator

    @property
    def hls_script(self) -> Path:
        return self.path / "hls.tcl"

    @property
    def vivado_script(self) -> Path:
        return self.path / "block_design.tcl"

    @property
    def run_script(self) -> Path:
        return self.path / "run.sh"

    @property
    def csynth_xml(self) -> Path:
        return self.path / HLS_PROJECT / "solution1" / "syn" / "report" / "csynth.xml"

    @property
    def ip_dir(self) -> Path:
        return self.path / HLS_PROJECT / "solution1" / "impl" / "ip"

    @property
    def reports(self) -> Path:
        return self.path / "reports"

    @property
    def bitstream(self) -> Path:
        return self.path / "output" / f"{BD_NAME}.bit"

    @property
    def hwh(self) -> Path:
        return self.path / "output" / f"{BD_NAME}.hwh"

    @property
    def logs(self) -> Path:
        return self.path / "logs"


def default_hls_tool() -> str:
    """vitis_hls if on PATH, else vivado_hls if on PATH, else vitis_hls (current releases)."""
    for tool in HLS_TOOLS:
        if shutil.which(tool):
            return tool
    return HLS_TOOLS[0]


def _tcl_string(value: str) -> str:
    """A Tcl double-quoted word (board strings are plain, but never let one break the script)."""
    return '"' + "".join("\\" + c if c in '\\"$[]' else c for c in str(value)) + '"'


def settings_tcl(
    board: Board, stream: dict[str, Any], hls_tool: str, label: str, jobs: int, accelerator: str = "hls4ml"
) -> str:
    """The Tcl variables the templates read (everything board- and model-specific)."""
    axis_in, axis_out = axis_formats(stream)
    if max(axis_in.data_bits, axis_out.data_bits) > board.dma_data_bits:
        raise ToolkitError(
            f"stream of {max(axis_in.data_bits, axis_out.data_bits)} bits is wider than {board.name}'s "
            f"{board.dma_data_bits}-bit DMA: expected data_bits <= board dma_data_bits"
        )
    values: list[tuple[str, Any]] = [
        ("tk_board", _tcl_string(board.name)),
        ("tk_part", _tcl_string(board.part)),
        ("tk_board_part", _tcl_string(board.board_part)),
        ("tk_family", _tcl_string(board.family)),
        ("tk_ps_ip", _tcl_string(board.ps_ip)),
        ("tk_hp_port", _tcl_string(board.hp_port)),
        ("tk_clock_pin", _tcl_string(board.clock_pin)),
        ("tk_address_base", f"0x{board.address_base:08X}"),
        ("tk_clock_mhz", f"{board.clock_mhz:g}"),
        ("tk_clock_period_ns", f"{1000.0 / board.clock_mhz:.3f}"),
        ("tk_dma_bits", board.dma_data_bits),
        ("tk_in_bits", axis_in.data_bits),
        ("tk_out_bits", axis_out.data_bits),
        ("tk_hls_tool", hls_tool),
        ("tk_hls_project", HLS_PROJECT),
        ("tk_top", TOP),
        ("tk_ip_vendor", IP_VENDOR),
        ("tk_ip_library", IP_LIBRARY),
        ("tk_ip_version", IP_VERSION),
        ("tk_bd_name", BD_NAME),
        ("tk_model_label", _tcl_string(label)),
        ("tk_jobs", jobs),
        ("tk_accelerator", accelerator),
        ("tk_rtl_dir", RTL_DIR_NAME),
        ("tk_rtl_top", "tk_accel"),
    ]
    lines = [
        f"# Written by toolkit.hlsgen.vendor: board {board.name} ({board.description}).",
        f"# in:  {axis_in.describe()}",
        f"# out: {axis_out.describe()}",
    ]
    lines += [f"set {name} {value}" for name, value in values]
    return "\n".join(lines) + "\n"


def generate_vendor_project(
    hls_project: Path | None,
    out_dir: Path,
    board: Board,
    stream: dict[str, Any],
    hls_tool: str | None = None,
    label: str | None = None,
    jobs: int = 4,
    accelerator: str = "hls4ml",
    rtl_design: Any = None,
) -> VendorProject:
    """Write the vendor project for ``board`` around the hls4ml project or the generated RTL.

    ``accelerator="hls4ml"``: ``hls_project`` is ``HlsCSim``'s output folder. ``"rtl"``:
    ``rtl_design`` is the :class:`~toolkit.rtlgen.generate.RtlDesign` the rtl step simulated
    (its files go to ``rtl/``; ``hls_project`` is not used). ``stream`` is ``{"data_bits": N,
    "in": {code_bits, signed, codes}, "out": {...}}`` (as
    :func:`toolkit.pipeline.package.stream_formats` gives it) or AxisFormat values.
    ``hls_tool`` is ``vitis_hls`` or ``vivado_hls`` (default: whichever is on PATH, else
    vitis_hls). Replaces ``out_dir`` atomically.
    """
    if accelerator not in ACCELERATORS:
        raise ToolkitError(f"accelerator {accelerator!r}: expected one of {', '.join(ACCELERATORS)}")
    if accelerator == "rtl":
        if rtl_design is None:
            raise ToolkitError("the RTL accelerator needs the generated design (rtl_design)")
        if (rtl_design.axis_in.data_bits, rtl_design.axis_out.data_bits) != (board.dma_data_bits,) * 2:
            raise ToolkitError(
                f"the RTL streams {rtl_design.axis_in.data_bits}/{rtl_design.axis_out.data_bits}-bit beats; "
                f"{board.name}'s DMA is {board.dma_data_bits} bits: generate it with axis_bits={board.dma_data_bits}"
            )
    hls_tool = hls_tool or default_hls_tool()
    if hls_tool not in HLS_TOOLS:
        raise ToolkitError(f"HLS tool {hls_tool!r} is unknown: expected one of {', '.join(HLS_TOOLS)}")
    if board.family not in PS_TEMPLATES:
        raise ToolkitError(
            f"board {board.name!r} has family {board.family!r}: the vendor flow knows {', '.join(PS_TEMPLATES)}"
        )
    if jobs < 1:
        raise ToolkitError(f"jobs = {jobs}: expected at least 1 parallel Vivado job")
    project = find_hls_project(Path(hls_project)) if accelerator == "hls4ml" else None
    io_type = project_io_type(project) if project is not None else None
    axis_in, axis_out = axis_formats(stream)
    label = label or (project.name if project is not None else rtl_design.model_ir.name)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        (tmp / "settings.tcl").write_text(settings_tcl(board, stream, hls_tool, label, jobs, accelerator))
        shutil.copy2(VENDOR_DIR / "block_design.tcl", tmp / "block_design.tcl")
        shutil.copy2(VENDOR_DIR / PS_TEMPLATES[board.family], tmp / "ps.tcl")
        shutil.copy2(VENDOR_DIR / ACCEL_TEMPLATES[accelerator], tmp / "accel.tcl")
        run = (VENDOR_DIR / "run.sh").read_text()
        for key, value in (("@HLS_TOOL@", hls_tool), ("@BOARD@", board.name), ("@PART@", board.part),
                           ("@BD@", BD_NAME), ("@MODEL@", label), ("@ACCELERATOR@", accelerator)):  # fmt: skip
            run = run.replace(key, value)
        (tmp / "run.sh").write_text(run)
        (tmp / "run.sh").chmod(0o755)
        rtl = None
        if project is not None:
            shutil.copy2(VENDOR_DIR / "hls.tcl", tmp / "hls.tcl")
            shutil.copytree(
                project / "firmware", tmp / "hls" / "firmware", ignore=shutil.ignore_patterns("*.so")
            )
            write_axis_top(tmp / "hls", axis_in, axis_out, io_type)
        else:
            from toolkit.rtlgen.export import export_rtl

            rtl = export_rtl(rtl_design, tmp / RTL_DIR_NAME)
        meta = {
            "accelerator": accelerator,
            "board": board.name,
            "part": board.part,
            "board_part": board.board_part,
            "family": board.family,
            "hls_tool": hls_tool,
            "io_type": io_type,
            "hls_project": str(project) if project is not None else None,
            "stream": {"in": _fmt_json(axis_in), "out": _fmt_json(axis_out)},
            "top": TOP if project is not None else "tk_accel",
            "ip_vlnv": f"{IP_VENDOR}:{IP_LIBRARY}:{TOP}:{IP_VERSION}" if project is not None else None,
            "rtl": None if rtl is None else {k: rtl[k] for k in ("top", "design_hash", "files")},
            "outputs": {"bitstream": f"output/{BD_NAME}.bit", "hwh": f"output/{BD_NAME}.hwh"},
        }
        (tmp / "vendor.json").write_text(json.dumps(meta, indent=2) + "\n")
        tmp.chmod(0o755)
        _replace_dir(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return VendorProject(out_dir, board, hls_tool, {"data_bits": axis_in.data_bits, **meta["stream"]},
                         accelerator, meta["rtl"])  # fmt: skip


def _replace_dir(new: Path, target: Path) -> None:
    """Move ``new`` onto ``target``; an old ``target`` is renamed away first and removed after."""
    holder = None
    if target.exists():
        holder = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        target.rename(holder / target.name)
    new.rename(target)
    if holder is not None:
        shutil.rmtree(holder, ignore_errors=True)


def _fmt_json(fmt: Any) -> dict[str, Any]:
    return {"code_bits": fmt.code_bits, "signed": fmt.signed, "codes": fmt.codes, "beats": fmt.beats,
            "data_bits": fmt.data_bits}  # fmt: skip
