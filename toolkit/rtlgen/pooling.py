"""Stages of pooling and padding: MaxPool/AvgPool (``tk_pool.v``), GlobalPool (``tk_global_pool.v``),
Pad (``tk_pad.v``), and the constant division of an average (``tk_div_const.v``).

An average is ``trunc(sum * 2^G / N)`` (toward zero, ``G`` the IR's guard bits,
:func:`toolkit.emulator.layers.truncated_mean`). The hardware multiplies ``|sum|`` by a
reciprocal ``R = ceil(2^K / N)`` and shifts right by ``K - G``; :func:`reciprocal` picks the
smallest ``K`` for which that is exact for every ``|sum| <= S``: with ``y = |sum| 2^G = qN + r``
and ``e = RN - 2^K`` (``0 <= e < N``), ``y R / 2^K = q + (r + y e / 2^K) / N``, so the floor
is ``q`` whenever ``S 2^G e < 2^K`` (then ``r + y e / 2^K < r + 1 <= N``). One multiplier by a
constant instead of a sequential divider: no cycles, and a global pool's or a pooling
window's result leaves in the cycle it is complete. A power-of-two window is ``R = 1``
(the guard bits make the quotient the sum itself).
"""

from __future__ import annotations

import math
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.rtlgen.netlist import Sized
from toolkit.rtlgen.stages import MAX_FRAME_CODES, Stage, line_depth, spatial
from toolkit.rtlgen.widths import signed_bits

MAX_RECIPROCAL_BITS = 64


def port_range(bits: int, signed: bool) -> tuple[int, int]:
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def reciprocal(window: int, guard: int, max_abs: int) -> tuple[int, int, int]:
    """(R, R_BITS, RS) with ``(s * R) >> RS == s * 2^guard // window`` for every ``0 <= s <= max_abs``."""
    if window & (window - 1) == 0 and guard >= window.bit_length() - 1:
        return 1 << (guard - (window.bit_length() - 1)), guard - window.bit_length() + 2, 0
    top = max_abs << guard
    k = guard
    while True:
        r = -(-(1 << k) // window)
        if top * (r * window - (1 << k)) < (1 << k):
            break
        k += 1
    if r.bit_length() > MAX_RECIPROCAL_BITS:
        raise ToolkitError(f"an average over {window} needs a {r.bit_length()}-bit reciprocal")
    return r, r.bit_length(), k - guard


def _average(window: int, guard: int, acc_lo: int, acc_hi: int) -> tuple[dict[str, Any], int]:
    """Divider parameters for sums in [acc_lo, acc_hi] and the width of the quotient."""
    r, r_bits, rs = reciprocal(window, guard, max(-acc_lo, acc_hi))
    lo, hi = -((-acc_lo << guard) // window), (acc_hi << guard) // window
    return {"R_BITS": r_bits, "R": Sized(r, 64), "RS": rs}, signed_bits(lo, hi)


def pool_stage(
    index: int, layer: ir.MaxPool | ir.AvgPool, in_bits: int, in_signed: bool, buffer: str
) -> Stage:
    """MaxPool (OP 0) or AvgPool (OP 1) -> ``tk_pool`` with a line buffer or a whole frame."""
    ih, iw, c = spatial(layer.in_shape)
    oh, ow, _ = spatial(layer.out_shape)
    pool, strides = tuple(layer.pool), tuple(layer.strides)
    if len(pool) == 1:
        pool, strides = (1, pool[0]), (1, strides[0])
    depth = line_depth(layer.in_shape, pool) if buffer == "line" else 0
    if (depth or ih * iw * c) > MAX_FRAME_CODES:
        raise ToolkitError(
            f"layer {layer.name!r}: input of {ih * iw * c} codes exceeds the frame buffer limit"
        )
    params: dict[str, Any] = {"IN_H": ih, "IN_W": iw, "C": c, "OUT_H": oh, "OUT_W": ow, "P_H": pool[0],
                              "P_W": pool[1], "S_H": strides[0], "S_W": strides[1], "BITS": in_bits,
                              "SIGNED": int(in_signed), "LINE_DEPTH": depth}  # fmt: skip
    if isinstance(layer, ir.MaxPool):
        return Stage(index, layer, "pool", [(in_bits, in_signed)], in_bits, in_signed, params)
    window = math.prod(pool)
    lo, hi = port_range(in_bits, in_signed)
    acc_bits = signed_bits(window * lo, window * hi)
    guard = layer.out_precision.frac - layer.in_precision.frac
    div, out_bits = _average(window, guard, window * lo, window * hi)
    params |= {"OP": 1, "ACC_BITS": acc_bits, "OUT_BITS": out_bits, **div}
    return Stage(index, layer, "pool", [(in_bits, in_signed)], out_bits, True, params)


def global_pool_stage(index: int, layer: ir.GlobalPool, in_bits: int, in_signed: bool) -> Stage:
    """GlobalPool (max or avg over every position, per channel) -> ``tk_global_pool``."""
    positions, c = math.prod(layer.in_shape[:-1]), layer.in_shape[-1]
    lo, hi = port_range(in_bits, in_signed)
    params: dict[str, Any] = {"P": positions, "C": c, "IN_BITS": in_bits, "IN_SIGNED": int(in_signed)}
    if layer.op == "max":
        params |= {"OP": 0, "ACC_BITS": signed_bits(lo, hi), "OUT_BITS": in_bits}
        return Stage(index, layer, "gpool", [(in_bits, in_signed)], in_bits, in_signed, params)
    acc_lo, acc_hi = positions * lo, positions * hi
    guard = layer.out_precision.frac - layer.in_precision.frac
    div, out_bits = _average(positions, guard, acc_lo, acc_hi)
    params |= {"OP": 1, "ACC_BITS": signed_bits(acc_lo, acc_hi), "OUT_BITS": out_bits, **div}
    return Stage(index, layer, "gpool", [(in_bits, in_signed)], out_bits, True, params)


def pad_stage(index: int, layer: ir.Pad, in_bits: int, in_signed: bool) -> Stage:
    """ZeroPadding1D/2D -> ``tk_pad``."""
    ih, iw, c = spatial(layer.in_shape)
    pads = tuple(layer.pads)
    if len(pads) == 1:
        pads = ((0, 0), pads[0])
    params = {"IN_H": ih, "IN_W": iw, "C": c, "P_T": pads[0][0], "P_B": pads[0][1], "P_L": pads[1][0],
              "P_R": pads[1][1], "BITS": in_bits}  # fmt: skip
    return Stage(index, layer, "pad", [(in_bits, in_signed)], in_bits, in_signed, params)
