"""Area: yosys ``synth_xilinx -family xc7`` utilisation per layer and for the whole design.

The design is synthesised with its hierarchy kept (one wrapper module per layer), so
``stat -json`` gives each module's own cells; a layer's area is its wrapper's cells plus
those of everything instantiated below it. Cells are summarised in 7-series resources:
LUTs (LUT1..LUT6 plus LUT-RAM sites), FFs, CARRY4, BRAM36 equivalents (RAMB18 = 0.5) and
DSP48E1. ``-nodsp`` by default, as the multiplier cost table, so multipliers are compared
in LUTs. Results are cached by the design's content hash.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from toolkit.boards import Board
from toolkit.cache import cache_dir, content_hash, write_atomic_json
from toolkit.errors import ToolkitError
from toolkit.rtlgen.generate import TOP, RtlDesign

# LUT sites taken by LUT-RAM primitives (SLICEM LUTs)
_LUTRAM = {"RAM32M": 4, "RAM64M": 4, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4, "RAM256X1S": 4,
           "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "SRL16E": 1, "SRLC32E": 1}  # fmt: skip
RESOURCES = ("lut", "ff", "carry4", "bram36", "dsp")


@dataclass(frozen=True)
class Area:
    """Utilisation of the whole design and of each layer instance (plus the AXI-Stream ``io``)."""

    total: dict[str, float]
    layers: dict[str, dict[str, float]]  # instance name -> resources
    cells: dict[str, dict[str, int]]  # instance name -> raw cell counts (for the power model)
    flow: str
    seconds: float

    def percent(self, board: Board) -> dict[str, float]:
        """Whole-design utilisation as a percentage of the board's device."""
        caps = board.resources
        return {k: 100.0 * self.total[k] / v for k, v in caps.items()}

    def to_json(self) -> dict:
        return {"total": self.total, "layers": self.layers, "flow": self.flow, "seconds": self.seconds}


def summarize(cells: Counter) -> dict[str, float]:
    """Raw 7-series cell counts -> LUT / FF / CARRY4 / BRAM36 / DSP."""
    out = dict.fromkeys(RESOURCES, 0.0)
    for cell, n in cells.items():
        if cell.startswith("LUT"):
            out["lut"] += n
        elif cell in _LUTRAM:
            out["lut"] += _LUTRAM[cell] * n
        elif cell.startswith("FD"):
            out["ff"] += n
        elif cell == "CARRY4":
            out["carry4"] += n
        elif cell == "RAMB36E1":
            out["bram36"] += n
        elif cell == "RAMB18E1":
            out["bram36"] += 0.5 * n
        elif cell.startswith("DSP48"):
            out["dsp"] += n
    return out


def find_yosys() -> str:
    exe = os.environ.get("TOOLKIT_YOSYS") or shutil.which("yosys")
    if not exe:
        raise ToolkitError("yosys was not found on PATH: install it (apt-get install yosys, 0.23 works)")
    return exe


def cell_counts(sources: list[str], flow: str, cwd: Path, what: str) -> dict[str, dict[str, int]]:
    """Cells of each module after ``flow`` on ``sources`` (yosys, run in ``cwd``); ``what`` names them in errors.

    The netlist is read back from ``write_json``: yosys 0.23's ``stat -json`` mixes text into
    the JSON with a hierarchy. Library cells (black/white boxes) are leaves, not modules.
    """
    exe = find_yosys()
    with tempfile.TemporaryDirectory() as tmp:
        net = Path(tmp) / "net.json"
        script = f"read_verilog -defer {' '.join(sources)}; {flow}; write_json {net}"
        proc = subprocess.run([exe, "-q", "-p", script], capture_output=True, text=True, cwd=cwd)
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-10:])
            raise ToolkitError(f"yosys ({exe}) failed on {what}:\n{tail}")
        modules = json.loads(net.read_text())["modules"]
    return {
        m: dict(Counter(c["type"] for c in v.get("cells", {}).values()))
        for m, v in modules.items()
        if not {"blackbox", "whitebox"} & set(v.get("attributes", {}))
    }


def synthesize(design: RtlDesign, dsp: bool = False) -> Area:
    """Synthesise ``design`` for xc7 (cached) and return per-layer and total utilisation."""
    raw, flow = _synthesized(design, dsp)
    return _area(design, raw["modules"], flow, raw["seconds"])


def module_cells(design: RtlDesign, dsp: bool = False) -> dict[str, dict[str, int]]:
    """Cells of every module of ``design`` with its hierarchy (the same cached synthesis as
    :func:`synthesize`): sub-blocks such as a layer's product units or ``tk_mac_post`` by name."""
    return _synthesized(design, dsp)[0]["modules"]


def _synthesized(design: RtlDesign, dsp: bool) -> tuple[dict, str]:
    flow = f"synth_xilinx -family xc7 {'' if dsp else '-nodsp '}-noiopad -top {TOP}"
    key = content_hash(design.key(), flow, "area-v2")
    cached = cache_dir("rtl", "area") / f"{key}.json"
    if cached.exists():
        raw = json.loads(cached.read_text())
    else:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            top = design.write(Path(tmp))
            sources = [str(top)] + [str(p) for p in design.sources()]
            counts = cell_counts(sources, flow, Path(tmp), f"model {design.model_ir.name!r}")
        raw = {"modules": counts, "seconds": time.perf_counter() - start}
        write_atomic_json(cached, raw)
    return raw, flow


def flatten(name: str, modules: dict[str, dict[str, int]]) -> Counter:
    """Library cells of module ``name`` and of everything instantiated below it."""
    total: Counter = Counter()
    for cell, n in modules.get(_match(name, modules) or name, {}).items():
        sub = _match(cell, modules)
        if sub is not None:
            for k, v in flatten(sub, modules).items():
                total[k] += v * n
        else:
            total[cell] += n
    return total


def _area(design: RtlDesign, modules: dict[str, dict[str, int]], flow: str, seconds: float) -> Area:
    def flat(name: str) -> Counter:
        return flatten(name, modules)

    top = _match(TOP, modules) or TOP
    everything = flat(top)
    cells = {}
    for name, module in design.units():
        mod = _match(module, modules)
        cells[name] = dict(flat(mod)) if mod else {}
    io = Counter(everything)
    for c in cells.values():
        io.subtract(c)
    cells["io"] = {k: v for k, v in io.items() if v}
    layers = {k: summarize(Counter(v)) for k, v in cells.items()}
    return Area(summarize(everything), layers, cells, flow, seconds)


def _match(cell: str, modules: dict) -> str | None:
    """The module a cell type instantiates (yosys may escape names with a backslash)."""
    for name in (cell, cell.lstrip("\\"), "\\" + cell):
        if name in modules:
            return name
    return None
