"""Toggle activity per module, from Verilator's toggle coverage (``--coverage-toggle``).

Verilator counts, for every bit of every signal it covers, how many times the bit
changed value. The coverage file (``coverage.dat``) names each point's hierarchy; here
points are grouped by the layer instance they sit in (``l<i>_<layer>`` in ``tk_accel``, forks ``f<i>_fork``;
the AXI-Stream adapters are ``io``). Memories are excluded in the leaf sources
(``coverage_off``): their activity is that of their ports.

Every instance is counted: the harness (``tk_sim.cpp``) writes the file per instance
(``forcePerInstance``), so a MAC layer's LANES product units are LANES sets of bits, each with
its own count. By default Verilator's writer would merge the points of all instances of a
module into one point per signal bit (the counts summed, the differing part of the hierarchy
names joined by ``*``: ``l2_fc1.g_mul[*].u_mul``, or ``l*].u_mul`` across two layers using the
same multiplier); such a point cannot be placed or counted per bit, so reading one is an error.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError

_POINT = re.compile(r"^C '(?P<keys>[^']*)' (?P<count>\d+)$")
_INSTANCE = re.compile(r"\.([lf]\d+_[A-Za-z0-9_]+)")
_CLOCK = re.compile(r"(^|\.)(ap_)?clk$")  # the clock toggles every cycle by definition: not activity


@dataclass(frozen=True)
class ModuleActivity:
    """Toggle statistics of one layer instance (or ``io``)."""

    bits: int  # covered signal bits
    toggles: float  # bit changes counted over the run (scaled to the run when counted on a sample)

    def rate(self, cycles: int) -> float:
        """Average toggles per covered bit per clock cycle (the activity factor alpha)."""
        return self.toggles / (self.bits * cycles) if self.bits and cycles else 0.0


@dataclass(frozen=True)
class Activity:
    """Per-instance toggle statistics over ``cycles`` clock cycles."""

    cycles: int
    modules: dict[str, ModuleActivity]

    def rate(self, instance: str) -> float:
        m = self.modules.get(instance)
        return m.rate(self.cycles) if m else 0.0

    def merged(self, name: str) -> Activity:
        """Every instance as one unit ``name`` (a design whose hierarchy is not one module per layer)."""
        bits = sum(m.bits for m in self.modules.values())
        toggles = sum(m.toggles for m in self.modules.values())
        return Activity(self.cycles, {name: ModuleActivity(bits, toggles)})

    def to_json(self) -> dict:
        return {
            "cycles": self.cycles,
            "modules": {
                k: {"bits": m.bits, "toggles": m.toggles, "rate": m.rate(self.cycles)}
                for k, m in self.modules.items()
            },
        }


def read_points(path: Path) -> dict[str, tuple[int, int]]:
    """Toggle coverage per hierarchy name: (covered signal bits, toggles), the clock left out.

    Raises if a point merges several instances (a ``*`` in its hierarchy: a harness that does
    not write per instance)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in Path(path).read_text(errors="replace").splitlines():
        m = _POINT.match(line)
        if not m:
            continue
        fields = dict(kv.split("\x02", 1) for kv in m["keys"].split("\x01") if "\x02" in kv)
        if not fields.get("page", "").startswith("v_toggle") or _CLOCK.search(fields.get("o", "")):
            continue
        hier = fields.get("h", "")
        if "*" in hier:
            raise ToolkitError(
                f"{path}: coverage point {hier!r} (signal {fields.get('o', '')!r}) merges several instances "
                "of one module; expected one point per instance (the simulation harness must set "
                "forcePerInstance: rebuild it with the current tk_sim.cpp)"
            )
        entry = out[hier]
        entry[0] += 1
        entry[1] += int(m["count"])
    return {k: (b, t) for k, (b, t) in out.items()}


def read_activity(path: Path, cycles: int) -> Activity:
    """Parse a Verilator coverage file into per-instance toggle statistics."""
    bits: dict[str, int] = defaultdict(int)
    toggles: dict[str, int] = defaultdict(int)
    for hier, (b, t) in read_points(path).items():
        found = _INSTANCE.search(hier)
        where = found.group(1) if found else "io"
        bits[where] += b
        toggles[where] += t
    return Activity(cycles, {k: ModuleActivity(bits[k], toggles[k]) for k in sorted(bits)})
