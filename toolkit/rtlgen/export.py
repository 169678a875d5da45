"""The generated RTL as a deployable source folder: the files Verilator simulates, for Vivado.

:func:`export_rtl` writes ``tk_accel.v`` (the structural top and layer wrappers), every leaf
module and multiplier it instantiates (copied byte for byte from ``hls/rtl`` and
``hls/multipliers``) and the ROM contents into one folder, plus ``rtl.json``: the design hash
(:meth:`RtlDesign.key`, the hash the Verilator build and ``sim.json`` carry) and the sha256 of
every file. The only difference from the simulated build folder is where ``$readmemh`` looks:
here the ROM files are named without a folder (Vivado finds them among the project's memory
files; a simulator opened in this folder finds them too), which the design hash abstracts
away. :func:`check_rtl_folder` recomputes everything and refuses a folder that drifted.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from toolkit_overlay.files import sha256_file

from toolkit.errors import ToolkitError
from toolkit.rtlgen.generate import TOP, RtlDesign

RTL_JSON = "rtl.json"
ROM_PLACEHOLDER = "@ROM@"


def portable_verilog(design: RtlDesign) -> str:
    """``tk_accel.v`` with ROM files named relative to its own folder (no absolute path)."""
    text = design.verilog(ROM_PLACEHOLDER)
    return text.replace(f'"{ROM_PLACEHOLDER}/', '"')


def export_rtl(design: RtlDesign, out_dir: Path | str) -> dict[str, Any]:
    """Write the design's sources into ``out_dir`` (created); returns what ``rtl.json`` records."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sources = design.sources()
    names = [p.name for p in sources]
    clash = sorted({n for n in names if names.count(n) > 1} | ({f"{TOP}.v"} & set(names)))
    if clash:
        raise ToolkitError(f"RTL sources share file names {clash}: they cannot be exported into one folder")
    (out / f"{TOP}.v").write_text(portable_verilog(design))
    for path in sources:
        shutil.copy2(path, out / path.name)
    for name, text in design.roms().items():
        (out / name).write_text(text)
    record = {
        "top": TOP,
        "design_hash": design.key(),
        "model": design.model_ir.name,
        "plan": design.plan_name,
        "axis": {"in": design.axis_in.describe(), "out": design.axis_out.describe()},
        "leaf_sources": {p.name: str(p) for p in sources},
        "files": {p.name: sha256_file(p) for p in sorted(out.iterdir()) if p.name != RTL_JSON},
    }
    (out / RTL_JSON).write_text(json.dumps(record, indent=2) + "\n")
    return record


def check_rtl_folder(folder: Path | str, design: RtlDesign) -> dict[str, Any]:
    """ToolkitError unless ``folder`` holds exactly ``design``'s sources as :func:`export_rtl` wrote them."""
    folder = Path(folder)
    try:
        record = json.loads((folder / RTL_JSON).read_text())
    except (OSError, ValueError) as exc:
        raise ToolkitError(
            f"'{folder}' has no readable {RTL_JSON} ({exc}): expected an exported RTL folder"
        ) from None
    if record.get("design_hash") != design.key():
        raise ToolkitError(
            f"'{folder}' holds RTL design {record.get('design_hash')}, not the simulated {design.key()}"
        )
    if (folder / f"{TOP}.v").read_text() != portable_verilog(design):
        raise ToolkitError(
            f"'{folder / (TOP + '.v')}' differs from the generated top of the simulated design"
        )
    for path in design.sources():
        if sha256_file(folder / path.name) != sha256_file(path):
            raise ToolkitError(f"'{folder / path.name}' differs from the simulated leaf source '{path}'")
    for name, text in design.roms().items():
        if (folder / name).read_text() != text:
            raise ToolkitError(f"ROM file '{folder / name}' differs from the simulated design's")
    files = {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.name != RTL_JSON}
    if files != record.get("files"):
        raise ToolkitError(f"'{folder}' files differ from its {RTL_JSON} (edited after export?)")
    return record


def build_rtl_folder(folder: Path | str, design: RtlDesign, activity: bool = False) -> Any:
    """Verilate the exported folder's own files (checked against ``design``) with the simulation harness.

    The returned :class:`~toolkit.rtlgen.verilator.Build` must be opened with the folder as the
    working directory (:func:`open_rtl_folder`): its ``$readmemh`` names are relative, as in Vivado.
    """
    from toolkit.cache import cache_dir, content_hash
    from toolkit.rtlgen.verilator import HARNESS, build_sources, find_verilator

    folder = Path(folder).resolve()
    record = check_rtl_folder(folder, design)
    verilog = [folder / f"{TOP}.v"] + [folder / p.name for p in design.sources()]
    key = content_hash(record["files"], HARNESS.read_text(), find_verilator().version, activity, "folder-v1")
    directory = cache_dir("rtl", key)
    return build_sources(
        verilog, directory, key, activity, f"{design.model_ir.name} (exported {folder.name}/)"
    )


def open_rtl_folder(folder: Path | str, design: RtlDesign, activity: bool = False) -> Any:
    """An :class:`~toolkit.rtlgen.device.RtlDevice` on the exported folder's files (ROMs read from it)."""
    import contextlib

    from toolkit.rtlgen.device import RtlDevice

    made = build_rtl_folder(folder, design, activity)
    with contextlib.chdir(folder):  # the ROMs are loaded when the model is constructed
        return RtlDevice(design, made)
