"""Approximations of the two's-complement (Baugh-Wooley) partial-product array itself.

The sign-magnitude shell of the other families costs more than their approximation saves
on signed operands (two negations in front, one behind). These families approximate the
array of the operand *codes* directly. Bits: a_i (i < n = a_bits) and w_j (j < m = w_bits)
of the two's-complement codes. The signed partial-product array is

    a * w = sum_{i,j} sigma_ij a_i w_j 2^(i+j),   sigma_ij = s_i t_j,

with s_i = -1 iff the activation is signed and i = n-1 (its sign bit), else +1, and t_j
likewise for the weight. A design keeps a set of positions (i, j); its product is the
exact integer ``sum_{kept} sigma_ij a_i w_j 2^(i+j)`` (plus, for ``bctrunc``, a gated
constant). Baugh-Wooley realisation (the Verilog): a kept positive bit is ``a_i & w_j``,
a kept negative bit is ``~(a_i & w_j)`` plus the constant -2^(i+j); the constants of the
*kept* negative bits are merged into one correction constant
``B = -sum_{kept, sigma<0} 2^(i+j) mod 2^(n+m+1)``. All kept weights are multiples of
2^k for ``btrunc<k>``, so B has no bit below column k either: dropping columns < k removes
array bits, complemented sign bits and correction bits alike. (Keeping the textbook
constant of the full array instead would leave -sum(dropped complemented bits) in every
product, so 0 * w != 0.) Hence a zero operand gives exactly 0 in every family here.

* ``btrunc<k>``: keep i + j >= k, 1 <= k <= n + m - 2.
* ``bctrunc<k>``: btrunc plus ``C = floor((S + 2) / 4)`` when a != 0 and w != 0, with
  ``S = sum_{i+j<k} sigma_ij 2^(i+j)``: C rounds (half up) the expected value S/4 of the
  dropped signed bits under uniform independent operand bits. The gate (one OR tree per
  operand) keeps x * 0 = 0 * w = 0 exact, as ``ctrunc`` does (ReLU zeros, pruned weights).
* ``bperfw<m>``: keep rows j >= m (1 <= m <= w_bits - 1): p = a (w - (w mod 2^m)), so
  e = -a (w mod 2^m) with w mod 2^m in [0, 2^m) of the two's-complement code.
* ``bperfa<m>``: keep i >= m (1 <= m <= a_bits - 1): e = -w (a mod 2^m).

On unsigned x unsigned operands btrunc/bctrunc/bperfw/bperfa equal trunc/ctrunc/perfw/perfa.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from toolkit.multipliers.families.shared import ColumnTruncation, RowPerforation
from toolkit.multipliers.family import Params, TwosComplementFamily

Keep = Callable[[int, int], bool]


def pp_sign(i: int, j: int, a_bits: int, w_bits: int, a_signed: bool, w_signed: bool) -> int:
    """sigma_ij: -1 for exactly one sign bit among a_i, w_j, else +1."""
    s = -1 if a_signed and i == a_bits - 1 else 1
    t = -1 if w_signed and j == w_bits - 1 else 1
    return s * t


def signed_array(
    a: np.ndarray, w: np.ndarray, a_bits: int, w_bits: int, a_signed: bool, w_signed: bool, keep: Keep
) -> np.ndarray:
    """``sum_{keep(i, j)} sigma_ij a_i w_j 2^(i+j)`` over the two's-complement bits of the codes."""
    a = np.asarray(a, dtype=np.int64)
    w = np.asarray(w, dtype=np.int64)
    out = np.zeros(np.broadcast(a, w).shape, dtype=np.int64)
    for j in range(w_bits):
        wj = (w >> j) & 1
        for i in range(a_bits):
            if keep(i, j):
                sigma = pp_sign(i, j, a_bits, w_bits, a_signed, w_signed)
                out += sigma * (((a >> i) & 1) * wj << (i + j))
    return out


def signed_compensation(k: int, a_bits: int, w_bits: int, a_signed: bool, w_signed: bool) -> int:
    """floor((S + 2) / 4), S = signed weight of the dropped columns i + j < k (may be negative)."""
    s = sum(
        pp_sign(i, j, a_bits, w_bits, a_signed, w_signed) << (i + j)
        for i in range(a_bits)
        for j in range(w_bits)
        if i + j < k
    )
    return (s + 2) // 4


class BTruncated(ColumnTruncation, TwosComplementFamily):
    """``btrunc<k>``: columns i + j < k of the two's-complement array are dropped."""

    name = "btrunc"
    grammar = "'btrunc<k>' with k >= 1 dropped columns, e.g. btrunc2"
    header = "approx_btrunc.h"
    verilog_file = "approx_btrunc.v"
    verilog_module = "approx_btrunc"
    catalogue = ({"k": 1}, {"k": 2}, {"k": 3}, {"k": 4}, {"k": 6})
    compensated = False
    cpp_template = "approx::btrunc"

    def native(
        self,
        a: np.ndarray,
        w: np.ndarray,
        a_bits: int,
        w_bits: int,
        a_signed: bool,
        w_signed: bool,
        params: Params,
    ) -> np.ndarray:
        k = params["k"]
        out = signed_array(a, w, a_bits, w_bits, a_signed, w_signed, lambda i, j: i + j >= k)
        if self.compensated:
            c = signed_compensation(k, a_bits, w_bits, a_signed, w_signed)
            out = out + np.where((np.asarray(a) != 0) & (np.asarray(w) != 0), c, 0)
        return out


class BCompensatedTruncated(BTruncated):
    """``bctrunc<k>``: btrunc plus the rounded expected value of the dropped signed bits."""

    name = "bctrunc"
    grammar = "'bctrunc<k>' with k >= 1 dropped columns, e.g. bctrunc3"
    catalogue = ({"k": 2}, {"k": 3}, {"k": 4}, {"k": 6})
    compensated = True


class BPerforatedWeight(RowPerforation, TwosComplementFamily):
    """``bperfw<m>``: rows j < m of the two's-complement array (low weight bits) are dropped."""

    name = "bperfw"
    grammar = "'bperfw<m>' with m >= 1 perforated weight bits, e.g. bperfw1"
    header = "approx_bperf.h"
    verilog_file = "approx_bperf.v"
    verilog_module = "approx_bperf"
    catalogue = ({"m": 1}, {"m": 2})
    on_weight = True
    cpp_template = "approx::bperf"

    def native(
        self,
        a: np.ndarray,
        w: np.ndarray,
        a_bits: int,
        w_bits: int,
        a_signed: bool,
        w_signed: bool,
        params: Params,
    ) -> np.ndarray:
        m = params["m"]
        keep: Keep = (lambda i, j: j >= m) if self.on_weight else (lambda i, j: i >= m)
        return signed_array(a, w, a_bits, w_bits, a_signed, w_signed, keep)


class BPerforatedActivation(BPerforatedWeight):
    """``bperfa<m>``: the rows of the m low activation bits are dropped."""

    name = "bperfa"
    grammar = "'bperfa<m>' with m >= 1 perforated activation bits, e.g. bperfa1"
    catalogue = ({"m": 1}, {"m": 2})
    on_weight = False
