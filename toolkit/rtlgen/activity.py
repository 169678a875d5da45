"""Toggle activity per module, from Verilator's toggle coverage (``--coverage-toggle``).

Verilator counts, for every bit of every signal it covers, how many times the bit
changed value. The coverage file (``coverage.dat``) names each point's hierarchy; here
points are grouped by the layer instance they sit in (``l<i>_<layer>`` in ``tk_accel``, forks ``f<i>_fork``;
the AXI-Stream adapters are ``io``). Memories are excluded in the leaf sources
(``coverage_off``): their activity is that of their ports.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

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


def read_activity(path: Path, cycles: int) -> Activity:
    """Parse a Verilator coverage file into per-instance toggle statistics."""
    bits: dict[str, int] = defaultdict(int)
    toggles: dict[str, int] = defaultdict(int)
    for line in Path(path).read_text(errors="replace").splitlines():
        m = _POINT.match(line)
        if not m:
            continue
        fields = dict(kv.split("\x02", 1) for kv in m["keys"].split("\x01") if "\x02" in kv)
        if not fields.get("page", "").startswith("v_toggle"):
            continue
        if _CLOCK.search(fields.get("o", "")):
            continue
        found = _INSTANCE.search(fields.get("h", ""))
        where = found.group(1) if found else "io"
        bits[where] += 1
        toggles[where] += int(m["count"])
    return Activity(cycles, {k: ModuleActivity(bits[k], toggles[k]) for k in sorted(bits)})
