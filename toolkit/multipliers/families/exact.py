"""The exact multiplier: the reference every approximate design is measured against."""

from __future__ import annotations

import numpy as np

from toolkit.multipliers.family import Family, Params


class Exact(Family):
    """``exact``: no parameters. Its Verilog is a native ``*`` (what HLS would infer), not sign-magnitude."""

    name = "exact"
    pattern = ""
    grammar = "no parameters (just 'exact')"
    header = "approx_exact.h"
    verilog_file = "approx_exact.v"
    verilog_module = "approx_exact"

    def format(self, params: Params) -> str:
        return ""

    def core(self, ma: np.ndarray, mw: np.ndarray, a_bits: int, w_bits: int, params: Params) -> np.ndarray:
        return np.asarray(ma, dtype=np.int64) * np.asarray(mw, dtype=np.int64)

    def cpp_class(self, params: Params) -> str:
        return "approx::exact"

    def verilog_params(self, params: Params) -> Params:
        return {}
