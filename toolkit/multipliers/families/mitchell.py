"""Mitchell's logarithmic multiplier, optionally with truncated log fractions.

For magnitudes a = 2^ka + xa, w = 2^kw + xw (0 <= xa < 2^ka), Mitchell adds the piecewise-
linear logarithms ka + xa/2^ka and kw + xw/2^kw and takes the piecewise-linear antilog.
In integers, with ``s = xa*2^kw + xw*2^ka``: product = ``2^(ka+kw) + s`` if ``s < 2^(ka+kw)``
else ``2*s``; zero if either operand is zero. This is exact integer arithmetic (no rounding),
so numpy, C++ and Verilog agree trivially. ``mitchell<t>`` first keeps only the t fraction bits
below each leading one (lower bits cleared): a narrower log-domain adder. ``mitchell`` = all bits.
"""

from __future__ import annotations

import numpy as np

from toolkit.multipliers.family import Family, Params, leading_one, require

FULL = 16  # the C++/Verilog value of T meaning "keep every fraction bit"


def truncate_below_lead(x: np.ndarray, keep: int) -> np.ndarray:
    """Clear every bit more than ``keep`` places below the leading one."""
    x = np.asarray(x, dtype=np.int64)
    drop = np.maximum(leading_one(x) - keep, 0)
    return (x >> drop) << drop


class Mitchell(Family):
    """``mitchell`` or ``mitchell<t>`` with 0 <= t <= 7 kept fraction bits."""

    name = "mitchell"
    pattern = r"(?P<t>\d)?"
    grammar = "'mitchell' or 'mitchell<t>' with 0 <= t <= 7 kept fraction bits, e.g. mitchell2"
    header = "approx_mitchell.h"
    verilog_file = "approx_mitchell.v"
    verilog_module = "approx_mitchell"
    catalogue = ({},)

    def format(self, params: Params) -> str:
        return str(params["t"]) if "t" in params else ""

    def check(self, params: Params, a_bits: int, w_bits: int) -> None:
        if "t" in params:
            require(0 <= params["t"] <= 7, self.name, "t", params["t"], "0..7")

    def core(self, ma: np.ndarray, mw: np.ndarray, a_bits: int, w_bits: int, params: Params) -> np.ndarray:
        t = params.get("t", FULL)
        a = truncate_below_lead(ma, t)
        w = truncate_below_lead(mw, t)
        ka, kw = leading_one(a), leading_one(w)
        xa, xw = a - (np.int64(1) << ka), w - (np.int64(1) << kw)
        s = (xa << kw) + (xw << ka)
        base = np.int64(1) << (ka + kw)
        p = np.where(s < base, base + s, 2 * s)
        return np.where((a == 0) | (w == 0), 0, p).astype(np.int64)

    def cpp_class(self, params: Params) -> str:
        return f"approx::mitchell<{params['t']}>" if "t" in params else "approx::mitchell<>"

    def verilog_params(self, params: Params) -> Params:
        return {"T": params.get("t", FULL)}
