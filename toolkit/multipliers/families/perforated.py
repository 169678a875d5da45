"""Perforated multipliers: drop the partial-product rows of the m low bits of one operand.

``perfw<m>`` ignores the m least significant bits of the weight magnitude, so for unsigned
magnitudes ``e = -a * (w mod 2^m)`` (the form the control-variate correction exploits);
``perfa<m>`` does the same on the activation. 1 <= m <= bits - 1 of the perforated operand.
"""

from __future__ import annotations

import numpy as np

from toolkit.multipliers.families.shared import RowPerforation
from toolkit.multipliers.family import Family, Params, pp_array


class PerforatedWeight(RowPerforation, Family):
    """``perfw<m>``: rows j < m of the weight are removed."""

    name = "perfw"
    grammar = "'perfw<m>' with m >= 1 perforated weight bits, e.g. perfw1"
    header = "approx_perf.h"
    verilog_file = "approx_perf.v"
    verilog_module = "approx_perf"
    catalogue = ({"m": 1}, {"m": 2})
    on_weight = True
    cpp_template = "approx::perf"

    def core(self, ma: np.ndarray, mw: np.ndarray, a_bits: int, w_bits: int, params: Params) -> np.ndarray:
        m = params["m"]
        if self.on_weight:
            return pp_array(ma, mw, a_bits, w_bits, lambda i, j: j >= m)
        return pp_array(ma, mw, a_bits, w_bits, lambda i, j: i >= m)


class PerforatedActivation(PerforatedWeight):
    """``perfa<m>``: the m low activation bits are removed (columns of the array)."""

    name = "perfa"
    grammar = "'perfa<m>' with m >= 1 perforated activation bits, e.g. perfa1"
    catalogue = ({"m": 1},)
    on_weight = False
