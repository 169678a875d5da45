"""Run-time access to the committed cost table (no yosys needed).

The table ``data/costs.json`` is written by ``python -m toolkit.multipliers.costgen``; see
that module for the synthesis flow and the exact definition of ``energy_proxy``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from toolkit.multipliers.costgen import TABLE
from toolkit.multipliers.design import Design
from toolkit.multipliers.family import MultiplierError
from toolkit.multipliers.registry import get_design

KEYS = ("luts", "carry4", "muxf7", "muxf8", "inv", "energy_proxy")


@functools.lru_cache(maxsize=1)
def cost_table() -> dict[str, dict[str, Any]]:
    """All rows of the committed table, by design name."""
    if not TABLE.exists():
        raise MultiplierError(f"cost table {TABLE} is missing: run `python -m toolkit.multipliers.costgen`")
    return json.loads(TABLE.read_text())["designs"]


def table_meta() -> dict[str, Any]:
    """How the table was made (tool version, flow, vector count, proxy definition)."""
    return json.loads(TABLE.read_text())["meta"]


def design_cost(design: Design | str) -> dict[str, float]:
    """luts, carry4, muxf7, muxf8, inv (7-series cells from yosys) and energy_proxy (exact = 1.0)."""
    d = get_design(design) if isinstance(design, str) else design
    row = cost_table().get(d.name)
    if row is None:
        raise MultiplierError(
            f"design {d.name!r} is not in the cost table {TABLE.name}: the table covers list_designs() "
            "(u x s and s x s operands); add it to the catalogue and run `python -m toolkit.multipliers.costgen`"
        )
    return {k: row[k] for k in KEYS}
