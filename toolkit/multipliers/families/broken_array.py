"""Broken-array multiplier (BAM): a horizontal and a vertical break line in the array.

Our definition (array drawn with weight row j = 0 at the bottom and column i + j growing to
the left): partial-product bit a_i w_j is kept iff ``j >= h`` (rows below the horizontal
break are removed) **and** ``i + j >= v`` (columns right of the vertical break are removed).
With h = 0 this is ``trunc<v>``, with v <= h it is ``perfw<h>``; so a BAM name requires
1 <= h <= w_bits - 1 and h < v <= a_bits + w_bits - 2.
"""

from __future__ import annotations

import numpy as np

from toolkit.multipliers.family import Family, Params, pp_array, require


class BrokenArray(Family):
    """``bamh<h>v<v>``, e.g. ``bamh1v3``."""

    name = "bam"
    pattern = r"h(?P<h>\d+)v(?P<v>\d+)"
    grammar = "'bamh<h>v<v>' with 1 <= h < v, e.g. bamh1v3"
    header = "approx_bam.h"
    verilog_file = "approx_bam.v"
    verilog_module = "approx_bam"
    catalogue = ({"h": 1, "v": 3},)

    def format(self, params: Params) -> str:
        return f"h{params['h']}v{params['v']}"

    def check(self, params: Params, a_bits: int, w_bits: int) -> None:
        h, v = params["h"], params["v"]
        require(1 <= h <= w_bits - 1, self.name, "h", h, f"1..{w_bits - 1} at {w_bits} weight bits")
        top = a_bits + w_bits - 2
        require(h < v <= top, self.name, "v", v, f"{h + 1}..{top} (h < v) at {a_bits}x{w_bits} bits")

    def core(self, ma: np.ndarray, mw: np.ndarray, a_bits: int, w_bits: int, params: Params) -> np.ndarray:
        h, v = params["h"], params["v"]
        return pp_array(ma, mw, a_bits, w_bits, lambda i, j: j >= h and i + j >= v)

    def cpp_class(self, params: Params) -> str:
        return f"approx::bam<{params['h']}, {params['v']}>"

    def verilog_params(self, params: Params) -> Params:
        return {"H": params["h"], "V": params["v"]}
