"""DRUM-style dynamic-range unbiased multiplier (Hashemi et al., ICCAD 2015).

Each magnitude x >= 2^k is cut to the k bits starting at its leading one; the lowest kept
bit is forced to 1 (unbiasing: it stands for the expected value of the dropped tail) and
the lower bits are cleared: ``x' = ((x >> s) | 1) << s`` with ``s = lead(x) - k + 1``.
Magnitudes below 2^k pass unchanged. The product is ``a' * w'`` (exact k x k multiply and
shift back). ``drum<k>`` with 2 <= k <= 8; k >= the operand width leaves that operand exact.
"""

from __future__ import annotations

import numpy as np

from toolkit.multipliers.family import Family, Params, leading_one, require


def drum_operand(x: np.ndarray, k: int) -> np.ndarray:
    """The DRUM approximation of unsigned magnitudes."""
    x = np.asarray(x, dtype=np.int64)
    s = np.maximum(leading_one(x) - k + 1, 0)
    return np.where(x >= (1 << k), ((x >> s) | 1) << s, x)


class Drum(Family):
    """``drum<k>``, e.g. ``drum3``."""

    name = "drum"
    pattern = r"(?P<k>\d+)"
    grammar = "'drum<k>' with 2 <= k <= 8 kept bits, e.g. drum3"
    header = "approx_drum.h"
    verilog_file = "approx_drum.v"
    verilog_module = "approx_drum"
    catalogue = ({"k": 3},)

    def format(self, params: Params) -> str:
        return str(params["k"])

    def check(self, params: Params, a_bits: int, w_bits: int) -> None:
        require(2 <= params["k"] <= 8, self.name, "k", params["k"], "2..8")

    def core(self, ma: np.ndarray, mw: np.ndarray, a_bits: int, w_bits: int, params: Params) -> np.ndarray:
        k = params["k"]
        return drum_operand(ma, k) * drum_operand(mw, k)

    def cpp_class(self, params: Params) -> str:
        return f"approx::drum<{params['k']}>"

    def verilog_params(self, params: Params) -> Params:
        return {"K": params["k"]}
