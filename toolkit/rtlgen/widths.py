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


@dataclass(frozen=True)
class ScaleWidths:
    """Widths of one Scale stage's signals (see hls/rtl/tk_scale.v)."""

    s_bits: int  # a scale code (two's complement)
    h_bits: int  # a shift code
    out_bits: int  # the exact result


def precision_bits(p: Precision) -> int:
    """Two's-complement width of every code of ``p`` (an unsigned type needs one more bit)."""
    return signed_bits(p.min_code, p.max_code)


def scale_widths(
    in_bits: int, in_signed: bool, scale: np.ndarray, shift: np.ndarray, scale_p: Precision, out_p: Precision
) -> ScaleWidths:
    """Constant widths from the Scale's precisions; the output holds ``x * scale + shift`` for every
    code the ``in_bits``-wide input port can carry (it may be wider than the IR's input type, e.g.
    after approximate products), and at least the IR's output type."""
    x_lo, x_hi = (-(1 << (in_bits - 1)), (1 << (in_bits - 1)) - 1) if in_signed else (0, (1 << in_bits) - 1)
    ends = [x * s + h for x in (x_lo, x_hi) for s, h in zip(scale.tolist(), shift.tolist(), strict=True)]
    return ScaleWidths(
        s_bits=precision_bits(scale_p),
        h_bits=precision_bits(out_p),
        out_bits=max(signed_bits(min(ends), max(ends)), precision_bits(out_p)),
    )
