"""Parameter handling shared by the sign-magnitude and the two's-complement versions of a family.

Truncation (``k`` dropped partial-product columns) and perforation (``m`` dropped rows of
one operand) mean the same on both arrays; only the arithmetic core differs. Each
mixin holds the name grammar, the parameter check, the C++ class and the Verilog
parameters; ``cpp_template`` names the C++ core (e.g. ``approx::trunc``).
"""

from __future__ import annotations

from toolkit.multipliers.family import Params, require


class ColumnTruncation:
    """``<k>``: drop the partial-product bits of columns i + j < k (1 <= k <= a + w - 2)."""

    pattern = r"(?P<k>\d+)"
    compensated = False
    cpp_template = ""
    name = ""

    def format(self, params: Params) -> str:
        return str(params["k"])

    def check(self, params: Params, a_bits: int, w_bits: int) -> None:
        top = a_bits + w_bits - 2
        require(1 <= params["k"] <= top, self.name, "k", params["k"], f"1..{top} at {a_bits}x{w_bits} bits")

    def cpp_class(self, params: Params) -> str:
        return (
            f"{self.cpp_template}<{params['k']}, true>"
            if self.compensated
            else f"{self.cpp_template}<{params['k']}>"
        )

    def verilog_params(self, params: Params) -> Params:
        return {"K": params["k"], "COMP": int(self.compensated)}


class RowPerforation:
    """``<m>``: drop the partial-product rows of the m low bits of one operand (1 <= m <= bits - 1)."""

    pattern = r"(?P<m>\d+)"
    on_weight = True
    cpp_template = ""
    name = ""

    def format(self, params: Params) -> str:
        return str(params["m"])

    def check(self, params: Params, a_bits: int, w_bits: int) -> None:
        bits = w_bits if self.on_weight else a_bits
        require(1 <= params["m"] <= bits - 1, self.name, "m", params["m"], f"1..{bits - 1} at {bits} bits")

    def cpp_class(self, params: Params) -> str:
        return f"{self.cpp_template}<{params['m']}, {'true' if self.on_weight else 'false'}>"

    def verilog_params(self, params: Params) -> Params:
        return {"M": params["m"], "ON_W": int(self.on_weight)}
