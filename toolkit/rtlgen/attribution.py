"""Modelled RTL energy per layer and per sub-block, with every instance's signal bits counted.

Verilator keeps one toggle counter per signal bit of a *module*, shared by all its instances:
the coverage file holds one point per bit whose count is the sum over the instances, under a
merged hierarchy name (Verilator joins the differing part with ``*``: ``l2_fc1.g_mul[*].u_mul``
for a MAC layer's LANES product units, ``l*].u_mul`` when two layers use the same multiplier at
the same widths). :func:`toolkit.rtlgen.activity.read_activity` counts such a point as one bit
and files a name it cannot place (``l*]``) under ``io``: a layer's activity factor then holds
its product units' toggles LANES times over one unit's bits, and whether they land in the layer
or in ``io`` depends on whether the plan shares a design between layers. Here instead:

* :func:`unshared` gives each MAC layer's product unit its own module name (a renamed copy of
  the library file, the logic unchanged), so no counter is shared across layers;
* :func:`attribute` counts a point merged over a layer's product units as LANES bits, and
  splits each layer into sub-blocks with their own activity and their own yosys cells:
  ``products`` (the LANES multipliers), ``mac`` (weight ROM, accumulators, output bank,
  counters), ``post`` (``tk_mac_post``: control-variate correction, alignment, bias) and
  ``buffer`` (the input buffer); other stages are one ``logic`` block, the AXI-Stream
  adapters ``io``.

A block's energy is :mod:`toolkit.rtlgen.power`'s formula with its constants: toggles per bit
x the block's switched energy per toggle, plus the clock load of its flip-flops. Modelled.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from toolkit.cache import atomic_path, content_hash
from toolkit.errors import ToolkitError
from toolkit.rtlgen.activity import _CLOCK, _POINT
from toolkit.rtlgen.area import _match, flatten, summarize
from toolkit.rtlgen.generate import TOP, RtlDesign
from toolkit.rtlgen.power import E_CLK, ENERGY

BLOCKS = ("products", "mac", "post", "buffer", "logic", "io")
_SUB_BLOCK = {"tk_mac": "mac", "tk_mac_post": "post", "tk_line_buffer": "buffer"}
_ROOT = f"TOP.{TOP}."


def unshared(design: RtlDesign, directory: Path) -> RtlDesign:
    """``design`` with each MAC layer's product unit renamed ``<module>__<instance>`` (copies of the
    library files written into ``directory``): the same logic, no toggle counter shared by layers."""
    stages = []
    for s in design.stages:
        if s.kind != "mac" or s.mult_file is None:
            stages.append(s)
            continue
        name = f"{s.mult_module}__{s.instance}"
        text, count = re.subn(
            rf"\bmodule\s+{re.escape(s.mult_module)}\b", f"module {name}", s.mult_file.read_text()
        )
        if count != 1:
            raise ToolkitError(f"{s.mult_file}: expected one 'module {s.mult_module}', found {count}")
        path = directory / f"{name}_{content_hash(text)}.v"
        if not path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                tmp.write_text(text)
        stages.append(dataclasses.replace(s, mult_module=name, mult_file=path))
    return dataclasses.replace(design, stages=stages)


def read_points(path: Path) -> dict[str, tuple[int, int]]:
    """Toggle coverage per hierarchy name: (covered bits, toggles), the clock left out."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in Path(path).read_text(errors="replace").splitlines():
        m = _POINT.match(line)
        if not m:
            continue
        fields = dict(kv.split("\x02", 1) for kv in m["keys"].split("\x01") if "\x02" in kv)
        if not fields.get("page", "").startswith("v_toggle") or _CLOCK.search(fields.get("o", "")):
            continue
        entry = out[fields.get("h", "")]
        entry[0] += 1
        entry[1] += int(m["count"])
    return {k: (b, t) for k, (b, t) in out.items()}


def place(hier: str, design: RtlDesign) -> tuple[str, str, int]:
    """(unit, block, instances) of a coverage hierarchy name: the layer instance (or ``io``), the
    sub-block, and how many instances a merged name stands for (a layer's LANES product units)."""
    units = {s.instance: s for s in design.stages} | {f.instance: None for f in design.forks}
    rest = hier[len(_ROOT) :].split(".") if hier.startswith(_ROOT) else []
    if not rest or rest[0] not in units:
        if "*" in hier:
            raise ToolkitError(
                f"coverage point {hier!r} is merged across layers (a module shared by several instances): "
                "its toggles cannot be split; generate the design through unshared()"
            )
        return "io", "io", 1
    unit, stage, path = rest[0], units[rest[0]], rest[1:]
    if stage is None or stage.kind != "mac":
        block, count = "logic", 1
    elif path[:1] and path[0].startswith("g_mul["):
        block, count = "products", stage.lanes if path[0] == "g_mul[*]" else 1
    elif path[:2] == ["u", "u_post"]:
        block, count = "post", 1
    elif path[:2] == ["u", "u_buf"]:
        block, count = "buffer", 1
    else:
        block, count = "mac", 1
    wild = [p for p in path if "*" in p and not (block == "products" and p == "g_mul[*]")]
    if wild:
        raise ToolkitError(
            f"coverage point {hier!r}: a merged name inside layer {unit!r} this accounting does not know"
        )
    return unit, block, count


def block_cells(design: RtlDesign, modules: dict[str, dict[str, int]]) -> dict[tuple[str, str], Counter]:
    """yosys cells of every (unit, block): the walk of :func:`toolkit.rtlgen.area.flatten` with
    each sub-module filed under its block (product units by the stage's multiplier module);
    ``io`` is the whole design less the units, as in :mod:`toolkit.rtlgen.area`."""
    out: dict[tuple[str, str], Counter] = defaultdict(Counter)

    def walk(name: str, unit: str, block: str, times: int, mult: str) -> None:
        for cell, n in modules.get(name, {}).items():
            sub = _match(cell, modules)
            if sub is None:
                out[unit, block][cell] += n * times
                continue
            leaf = sub.rsplit("\\", 1)[-1]
            child = "products" if leaf == mult else _SUB_BLOCK.get(leaf, block)
            walk(sub, unit, child, times * n, mult)

    for s in design.stages:
        top = _match(s.module, modules)
        if top is None:
            raise ToolkitError(f"yosys netlist has no module {s.module!r} for layer instance {s.instance!r}")
        walk(
            top,
            s.instance,
            "mac" if s.kind == "mac" else "logic",
            1,
            s.mult_module if s.kind == "mac" else "",
        )
    for f in design.forks:
        walk(_match(f.module, modules) or f.module, f.instance, "logic", 1, "")
    io = flatten(TOP, modules)
    for cells in out.values():
        io.subtract(cells)
    out["io", "io"] = Counter({k: v for k, v in io.items() if v})
    return dict(out)


def switched_energy(cells: Counter) -> tuple[float, float]:
    """(joules per toggle of every cell output, flip-flops) of a set of cells, as power.py weighs them."""
    res = summarize(cells)
    muxf = sum(n for cell, n in cells.items() if cell.startswith("MUXF"))
    e = (ENERGY["lut"] * res["lut"] + ENERGY["muxf"] * muxf + ENERGY["carry4"] * res["carry4"]
         + ENERGY["ff"] * res["ff"] + ENERGY["bram36"] * res["bram36"])  # fmt: skip
    return e, res["ff"]


def attribute(
    points: dict[str, tuple[int, int]], design: RtlDesign, cells: dict[tuple[str, str], Counter], cycles: int
) -> dict[str, Any]:
    """Modelled dynamic energy (joules over the run) per unit and per block, instance-aware.

    ``unit_j``: one activity factor per unit (power.py's granularity) with every instance's bits;
    ``blocks_j``: each block with its own activity factor and cells.
    """
    bits: Counter = Counter()
    toggles: Counter = Counter()
    for hier, (b, t) in points.items():
        unit, block, count = place(hier, design)
        bits[unit, block] += b * count
        toggles[unit, block] += t
    keys = sorted(set(cells) | set(bits))
    blocks: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for unit, block in keys:
        e, ff = switched_energy(cells.get((unit, block), Counter()))
        b, t = bits[unit, block], toggles[unit, block]
        blocks[unit][block] = {
            "bits": b,
            "toggles": t,
            "rate": t / (b * cycles) if b and cycles else 0.0,
            "lut": summarize(cells.get((unit, block), Counter()))["lut"],
            "energy_j": (t / b if b else 0.0) * e + E_CLK * ff * cycles,
        }
    units: dict[str, float] = {}
    for unit, parts in blocks.items():
        b = sum(p["bits"] for p in parts.values())
        t = sum(p["toggles"] for p in parts.values())
        merged: Counter = Counter()
        for block in parts:
            merged.update(cells.get((unit, block), Counter()))
        e, ff = switched_energy(merged)
        units[unit] = (t / b if b else 0.0) * e + E_CLK * ff * cycles
    return {
        "unit_j": units,
        "blocks_j": {u: {k: v["energy_j"] for k, v in parts.items()} for u, parts in blocks.items()},
        "blocks": dict(blocks),
    }
