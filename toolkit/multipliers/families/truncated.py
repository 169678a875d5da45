"""Truncated multipliers: drop the k least significant partial-product columns.

``trunc<k>``  keeps partial-product bit a_i w_j (of the magnitudes) iff ``i + j >= k``.
``ctrunc<k>`` is the same plus a constant compensation ``C`` whenever both magnitudes are
non-zero: ``C = round_half_up(E[dropped])`` with independent uniform operand bits
(P(a_i w_j = 1) = 1/4), i.e. ``C = (S + 2) // 4`` with ``S = sum_{i+j<k} 2^(i+j)``.
The zero gate keeps ``x * 0 == 0`` exact, which matters for ReLU activations (many zeros).
"""

from __future__ import annotations

import numpy as np

from toolkit.multipliers.families.shared import ColumnTruncation
from toolkit.multipliers.family import Family, Params, pp_array


def compensation(k: int, a_bits: int, w_bits: int) -> int:
    """Rounded expected value of the dropped columns under uniform independent operand bits."""
    s = sum(1 << (i + j) for i in range(a_bits) for j in range(w_bits) if i + j < k)
    return (s + 2) // 4


class Truncated(ColumnTruncation, Family):
    """``trunc<k>``, k = number of dropped columns, 1 <= k <= a_bits + w_bits - 2."""

    name = "trunc"
    grammar = "'trunc<k>' with k >= 1 dropped columns, e.g. trunc2"
    header = "approx_trunc.h"
    verilog_file = "approx_trunc.v"
    verilog_module = "approx_trunc"
    catalogue = ({"k": 2}, {"k": 4})
    compensated = False
    cpp_template = "approx::trunc"

    def core(self, ma: np.ndarray, mw: np.ndarray, a_bits: int, w_bits: int, params: Params) -> np.ndarray:
        k = params["k"]
        out = pp_array(ma, mw, a_bits, w_bits, lambda i, j: i + j >= k)
        if self.compensated:
            c = compensation(k, a_bits, w_bits)
            out = out + np.where((np.asarray(ma) != 0) & (np.asarray(mw) != 0), c, 0)
        return out


class CompensatedTruncated(Truncated):
    """``ctrunc<k>``: truncation plus the rounded expected value of the dropped bits."""

    name = "ctrunc"
    grammar = "'ctrunc<k>' with k >= 1 dropped columns, e.g. ctrunc3"
    catalogue = ({"k": 2}, {"k": 4})
    compensated = True
