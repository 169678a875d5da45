"""Board facts the RTL path needs: fabric clock, static power, FPGA resource totals.

One lookup function, :func:`board_facts`, so the table can later be swapped for the
data files under ``boards/`` without touching callers.

Static power is the board's modelled idle on-chip power of the programmable logic
(PL) plus the processing system (PS), from the Xilinx Power Estimator ballpark for a
Zynq-7020 at 25 C (a routed hls4ml design reported ~1.49 W on chip, PS ~1.26 W).
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.errors import ToolkitError


@dataclass(frozen=True)
class BoardFacts:
    """What the simulation reports are scaled by."""

    name: str
    part: str
    clock_mhz: float
    static_w: float  # device static (PL + PS idle), watts: modelled
    lut: int
    ff: int
    bram36: int
    dsp: int


_BOARDS = {
    "pynq-z2": BoardFacts("pynq-z2", "xc7z020clg400-1", 100.0, 0.14 + 1.26, 53200, 106400, 140, 220),
}


def board_facts(name: str) -> BoardFacts:
    """Facts for a board name (ToolkitError listing the known boards otherwise)."""
    try:
        return _BOARDS[name]
    except KeyError:
        raise ToolkitError(
            f"board {name!r} is unknown to the RTL path: expected one of {', '.join(_BOARDS)}"
        ) from None
