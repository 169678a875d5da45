"""Modelled RTL energy per layer and per sub-block of each layer.

:mod:`toolkit.rtlgen.power` gives one activity factor and one energy per layer instance. Here
each MAC layer is split into sub-blocks with their own activity (the coverage points under
them, one per instance and signal bit: :func:`toolkit.rtlgen.activity.read_points`) and their
own yosys cells: ``products`` (the LANES multipliers), ``mac`` (weight ROM, accumulators,
output bank, counters), ``post`` (``tk_mac_post``: control-variate correction, alignment,
bias) and ``buffer`` (the input buffer); other stages are one ``logic`` block, the AXI-Stream
adapters ``io``.

A block's energy is :mod:`toolkit.rtlgen.power`'s formula with its constants: toggles per bit
x the block's switched energy per toggle, plus the clock load of its flip-flops. Modelled.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.rtlgen.area import _match, flatten, summarize
from toolkit.rtlgen.generate import TOP, RtlDesign
from toolkit.rtlgen.power import E_CLK, ENERGY

BLOCKS = ("products", "mac", "post", "buffer", "logic", "io")
_SUB_BLOCK = {"tk_mac": "mac", "tk_mac_post": "post", "tk_line_buffer": "buffer"}
_ROOT = f"TOP.{TOP}."


def place(hier: str, design: RtlDesign) -> tuple[str, str]:
    """(unit, block) of a per-instance coverage hierarchy name: the layer instance (or ``io``) and
    the sub-block."""
    units = {s.instance: s for s in design.stages} | {f.instance: None for f in design.forks}
    rest = hier[len(_ROOT) :].split(".") if hier.startswith(_ROOT) else []
    if not rest or rest[0] not in units:
        return "io", "io"
    unit, stage, path = rest[0], units[rest[0]], rest[1:]
    if stage is None or stage.kind != "mac":
        return unit, "logic"
    if path[:1] and path[0].startswith("g_mul["):
        return unit, "products"
    if path[:2] == ["u", "u_post"]:
        return unit, "post"
    if path[:2] == ["u", "u_buf"]:
        return unit, "buffer"
    return unit, "mac"


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
    """Modelled dynamic energy (joules over the run) per unit and per block, from per-instance
    ``points`` (:func:`toolkit.rtlgen.activity.read_points`).

    ``unit_j``: one activity factor per unit (power.py's granularity);
    ``blocks_j``: each block with its own activity factor and cells.
    """
    bits: Counter = Counter()
    toggles: Counter = Counter()
    for hier, (b, t) in points.items():
        unit, block = place(hier, design)
        bits[unit, block] += b
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
