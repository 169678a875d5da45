"""A concrete multiplier design: one family, its parameters, operand widths and signedness.

Signed operands use a sign-magnitude shell around the family's unsigned core:
``approx(a, w) = sign(a) * sign(w) * core(|a|, |w|)``. A b-bit magnitude register holds
every |code| of a b-bit two's-complement operand, including |-2^(b-1)| = 2^(b-1), so the
core always works on ``a_bits`` x ``w_bits`` magnitudes, whatever the signedness. This
keeps the errors sign-symmetric (a truncation rounds towards zero, not towards -inf),
which keeps the bias small for zero-mean weights; the price is two conditional negations
and one on the result in hardware, paid in the cost table. ``exact`` is a plain signed ``*``.
Families with ``sign_magnitude = False`` (the Baugh-Wooley ones) skip the shell and model
the two's-complement array of the codes directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toolkit.multipliers.family import Family, MultiplierError, Params
from toolkit.resources import hls_dir

#: where the real hardware sources live (repository checkout)
HLS_DIR = hls_dir("multipliers")
MIN_BITS, MAX_BITS = 2, 8


def codes(bits: int, signed: bool) -> np.ndarray:
    """All operand codes of a width, ascending (two's complement when signed)."""
    if signed:
        return np.arange(-(1 << (bits - 1)), 1 << (bits - 1), dtype=np.int64)
    return np.arange(0, 1 << bits, dtype=np.int64)


@dataclass(frozen=True)
class Design:
    """A multiplier design; ``table()`` is the reference model every backend must reproduce."""

    name: str
    family: str
    a_bits: int
    w_bits: int
    a_signed: bool
    w_signed: bool
    param_items: tuple[tuple[str, int], ...]
    impl: Family = field(repr=False, compare=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False, hash=False)

    # ---- operands and the reference model --------------------------------------------
    @property
    def params(self) -> Params:
        """Family parameters, e.g. ``{"k": 2}`` (a fresh dict)."""
        return dict(self.param_items)

    @property
    def a_codes(self) -> np.ndarray:
        """All activation codes, ascending."""
        return codes(self.a_bits, self.a_signed)

    @property
    def w_codes(self) -> np.ndarray:
        """All weight codes, ascending."""
        return codes(self.w_bits, self.w_signed)

    @property
    def result_bits(self) -> int:
        """Width of the signed product port/type: a_bits + w_bits + 1 holds every design's result."""
        return self.a_bits + self.w_bits + 1

    def table(self) -> np.ndarray:
        """Approximate products, shape (len(a_codes), len(w_codes)), int64, read-only (cached)."""
        if "table" not in self._cache:
            a = self.a_codes[:, None]
            w = self.w_codes[None, :]
            if self.impl.sign_magnitude:
                mag = self.impl.core(np.abs(a), np.abs(w), self.a_bits, self.w_bits, self.params)
                t = (np.sign(a) * np.sign(w) * mag).astype(np.int64)
            else:
                t = self.impl.native(  # type: ignore[attr-defined]
                    a, w, self.a_bits, self.w_bits, self.a_signed, self.w_signed, self.params
                ).astype(np.int64)
            t.setflags(write=False)
            self._cache["table"] = t
        return self._cache["table"]

    def exact_table(self) -> np.ndarray:
        """Exact products ``outer(a_codes, w_codes)``."""
        return np.outer(self.a_codes, self.w_codes)

    def error_table(self) -> np.ndarray:
        """``table() - exact_table()``: the error e(a, w) in product units."""
        return self.table() - self.exact_table()

    def product(self, a: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Elementwise approximate product of integer code arrays (broadcasting), by table gather."""
        a = np.asarray(a)
        w = np.asarray(w)
        for what, x, lo, bits in (
            ("activation", a, self.a_codes[0], self.a_bits),
            ("weight", w, self.w_codes[0], self.w_bits),
        ):
            if x.size and (x.min() < lo or x.max() > lo + (1 << bits) - 1):
                bad = x.min() if x.min() < lo else x.max()
                raise MultiplierError(
                    f"{self.name}: {what} code {int(bad)} is out of range: expected {lo}..{lo + (1 << bits) - 1}"
                )
        return self.table()[a.astype(np.int64) - self.a_codes[0], w.astype(np.int64) - self.w_codes[0]]

    # ---- hardware views -----------------------------------------------------------------
    @property
    def cpp_header(self) -> Path:
        """The family's header; ``approx_mult.h`` includes every family."""
        return HLS_DIR / self.impl.header

    @property
    def cpp_class(self) -> str:
        """C++ core type, e.g. ``approx::trunc<2>``; its ``::product<x_T, w_T>`` is the hls4ml policy."""
        return self.impl.cpp_class(self.params)

    def cpp_product(self, x_t: str = "x_T", w_t: str = "w_T") -> str:
        """The product policy type for hls4ml: ``using product = <this>;`` in a layer config."""
        return f"approx::policy<{self.cpp_class}, {x_t}, {w_t}>"

    @property
    def verilog_file(self) -> Path:
        """The family's self-contained Verilog-2005 file."""
        return HLS_DIR / self.impl.verilog_file

    @property
    def verilog_module(self) -> str:
        return self.impl.verilog_module

    @property
    def verilog_params(self) -> Params:
        """Every parameter of the module instance: widths, signedness, family parameters."""
        base = {"AW": self.a_bits, "WW": self.w_bits, "AS": int(self.a_signed), "WS": int(self.w_signed)}
        return base | self.impl.verilog_params(self.params)
