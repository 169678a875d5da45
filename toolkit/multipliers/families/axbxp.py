"""Ax-BxP approximate blocked products (Elangovan et al., TODAES 2022), sign-magnitude.

A b-bit magnitude is split into N = ceil(b / K) blocks of K bits (block 0 = least
significant; the top block may be partial). Each operand keeps L blocks:

* ``bxps<K>l<L>`` (static): the L most significant blocks, N-1 .. N-L.
* ``bxpd<K>l<L>`` (dynamic): L consecutive blocks from the most significant non-zero block
  downwards; if fewer than L blocks lie at or below it, the lowest L blocks (0 .. L-1).

The product is the sum of the L^2 kept block products with their shifts, which equals the
product of the two operands with their other blocks cleared. 1 <= K <= 8, 1 <= L <= 8.
"""

from __future__ import annotations

import numpy as np

from toolkit.multipliers.family import Family, Params, leading_one, require


def keep_blocks(x: np.ndarray, bits: int, k: int, keep: int, dynamic: bool) -> np.ndarray:
    """Clear every block of x except the kept ones."""
    x = np.asarray(x, dtype=np.int64)
    n_blocks = -(-bits // k)
    if dynamic:
        top = np.maximum(leading_one(x) // k, keep - 1)
    else:
        top = np.full(x.shape, n_blocks - 1, dtype=np.int64)
    low = np.maximum(top - keep + 1, 0)
    return x & ~((np.int64(1) << (low * k)) - 1)


class BlockedStatic(Family):
    """``bxps<K>l<L>``, e.g. ``bxps2l2``."""

    name = "bxps"
    pattern = r"(?P<k>\d+)l(?P<l>\d+)"
    grammar = "'bxps<K>l<L>' (static) with 1 <= K <= 8 block bits and 1 <= L <= 8 kept blocks, e.g. bxps2l2"
    header = "approx_bxp.h"
    verilog_file = "approx_bxp.v"
    verilog_module = "approx_bxp"
    catalogue = ({"k": 2, "l": 2}, {"k": 4, "l": 1})
    dynamic = False

    def format(self, params: Params) -> str:
        return f"{params['k']}l{params['l']}"

    def check(self, params: Params, a_bits: int, w_bits: int) -> None:
        require(1 <= params["k"] <= 8, self.name, "K", params["k"], "1..8")
        require(1 <= params["l"] <= 8, self.name, "L", params["l"], "1..8")

    def core(self, ma: np.ndarray, mw: np.ndarray, a_bits: int, w_bits: int, params: Params) -> np.ndarray:
        k, keep = params["k"], params["l"]
        a = keep_blocks(ma, a_bits, k, keep, self.dynamic)
        w = keep_blocks(mw, w_bits, k, keep, self.dynamic)
        return a * w

    def cpp_class(self, params: Params) -> str:
        return f"approx::bxp<{params['k']}, {params['l']}, {'true' if self.dynamic else 'false'}>"

    def verilog_params(self, params: Params) -> Params:
        return {"K": params["k"], "L": params["l"], "DYN": int(self.dynamic)}


class BlockedDynamic(BlockedStatic):
    """``bxpd<K>l<L>``, e.g. ``bxpd2l2``: blocks chosen from the leading non-zero block."""

    name = "bxpd"
    grammar = "'bxpd<K>l<L>' (dynamic) with 1 <= K <= 8 block bits and 1 <= L <= 8 kept blocks, e.g. bxpd2l2"
    catalogue = ({"k": 2, "l": 2}, {"k": 4, "l": 1})
    dynamic = True
