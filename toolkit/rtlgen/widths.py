"""Bit widths of every signal the RTL carries, derived from the IR, the plan and the data.

The emulator computes in int64; the hardware must hold every value the emulator can
produce, including the sums of approximate products (which may leave the exact
accumulator range) and the control-variate estimate. Widths here are worst-case
bounds over all activation codes, so no input can make the RTL wrap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.precision import Precision


def signed_bits(lo: int, hi: int) -> int:
    """Smallest two's-complement width holding every integer in ``[lo, hi]`` (at least 2)."""
    n = 2
    while lo < -(1 << (n - 1)) or hi > (1 << (n - 1)) - 1:
        n += 1
    return n


def product_range(design, a: Precision, w: Precision) -> tuple[int, int]:
    """Min and max product code: the design's table, or the exact corners for a plain multiply."""
    if design is not None:
        table = design.table()
        return int(table.min()), int(table.max())
    corners = [x * y for x in port_range(a) for y in port_range(w)]  # raw port codes
    return min(corners + [0]), max(corners + [0])


def port_range(p: Precision) -> tuple[int, int]:
    """Every raw code a ``p.width``-bit port can carry (whatever the saturation mode)."""
    return (-(1 << (p.width - 1)), (1 << (p.width - 1)) - 1) if p.signed else (0, (1 << p.width) - 1)


@dataclass(frozen=True)
class MacWidths:
    """Widths of one MAC engine's signals (see hls/rtl/tk_mac.v)."""

    sum_bits: int
    v_bits: int
    b_bits: int
    c_bits: int
    d_bits: int
    x_bits: int
    out_bits: int


def mac_widths(
    fan_in: int,
    a: Precision,
    p_range: tuple[int, int],
    bias: np.ndarray,
    shift: int,
    c: np.ndarray | None,
    d: np.ndarray | None,
    cv_frac: int,
    min_out_bits: int,
) -> MacWidths:
    """Worst-case widths for a MAC with ``fan_in`` products in ``p_range`` and the given constants."""
    a_lo, a_hi = port_range(a)
    s_lo, s_hi = fan_in * min(p_range[0], 0), fan_in * max(p_range[1], 0)
    v_lo, v_hi = fan_in * a_lo, fan_in * a_hi
    b_lo, b_hi = int(bias.min(initial=0)), int(bias.max(initial=0))
    c_lo, c_hi = (int(c.min(initial=0)), int(c.max(initial=0))) if c is not None else (0, 0)
    d_lo, d_hi = (int(d.min(initial=0)), int(d.max(initial=0))) if d is not None else (0, 0)
    cmag = max(abs(c_lo), abs(c_hi)) * max(abs(v_lo), abs(v_hi))
    est_lo, est_hi = -cmag + d_lo, cmag + d_hi + (1 << cv_frac)
    corr_lo, corr_hi = est_lo >> cv_frac, est_hi >> cv_frac
    y_lo = ((s_lo - corr_hi) << shift) + b_lo
    y_hi = ((s_hi - corr_lo) << shift) + b_hi
    out_bits = max(signed_bits(y_lo, y_hi), min_out_bits)
    sum_bits = signed_bits(s_lo, s_hi)
    x_bits = max(signed_bits(est_lo, est_hi), out_bits + 1, sum_bits + shift + 1, signed_bits(b_lo, b_hi)) + 2
    return MacWidths(
        sum_bits=sum_bits,
        v_bits=max(signed_bits(v_lo, v_hi), a.width + 1),
        b_bits=signed_bits(b_lo, b_hi),
        c_bits=signed_bits(c_lo, c_hi),
        d_bits=signed_bits(d_lo, d_hi),
        x_bits=x_bits,
        out_bits=out_bits,
    )
