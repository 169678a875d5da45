"""Exact integer factorisations of a design's product table: ``table == F @ G.T``.

With ``F`` (activation codes x r) and ``G`` (weight codes x r) integer matrices, a layer's
approximate sums are one stacked GEMM, ``Y = [F_1(A) .. F_r(A)] @ [G_1(W); ..; G_r(W)]``,
exact in floating point whenever every partial sum is an integer the float holds exactly
(see :meth:`Factors.bound`). The smaller the rank r, the cheaper the GEMM.

Candidates, all derived from the table itself (no family-specific code) and each checked
``F @ G.T == table`` in int64 before it is offered:

* ``bits``  the table is linear in the operand's bits. Partial-product-array designs
  (truncated, perforated, broken-array, Baugh-Wooley) are: ``T(a, w) = sum_i bit_i(a) h_i(w)``
  on the magnitude bits inside a sign-magnitude shell, or on the two's-complement bits of the
  code. Bits whose ``h_i`` are integer multiples of one row share one factor column
  (``a & mask`` for the fully kept rows), so a trunc-k design has about k + 1 columns.
* ``rows``  one column per distinct row up to an integer multiple (a one-hot decomposition
  over the operand's codes, with proportional codes merged): always exists, rank at most the
  number of codes.

Both are tried on the activation side and (transposed) on the weight side; :func:`table_factors`
returns them cheapest first (rank, then the bound per unit fan-in).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Factors:
    """``table == F @ G.T`` in integers; ``how`` names the construction (for reports)."""

    f: np.ndarray
    g: np.ndarray
    how: str

    @property
    def rank(self) -> int:
        return int(self.f.shape[1])

    @cached_property
    def unit_bound(self) -> int:
        """Largest ``sum_r |F[a, r] G[w, r]|`` over all code pairs: the bound of one product's terms."""
        # float64 BLAS is exact here: every entry is an integer far below 2**53
        terms = np.abs(self.f).astype(np.float64) @ np.abs(self.g).T.astype(np.float64)
        return int(terms.max(initial=0))

    def bound(self, fan_in: int) -> int:
        """No partial sum of a ``fan_in``-long stacked dot product can exceed this in magnitude."""
        return fan_in * self.unit_bound


def design_factors(design: Any) -> Factors:
    """The cheapest factorisation of a :class:`~toolkit.multipliers.design.Design`'s table (cached)."""
    if "factors" not in design._cache:
        d = design
        design._cache["factors"] = table_factors(d.table(), d.a_codes, d.w_codes, d.a_bits, d.w_bits)[0]
    return design._cache["factors"]


def table_factors(
    table: np.ndarray, a_codes: np.ndarray, w_codes: np.ndarray, a_bits: int, w_bits: int
) -> list[Factors]:
    """Every exact factorisation found, cheapest first (rank, then unit bound)."""
    table = np.asarray(table, dtype=np.int64)
    found: list[Factors] = []
    for side, codes, bits, t in (("a", a_codes, a_bits, table), ("w", w_codes, w_bits, table.T)):
        for how, features in _feature_maps(codes, bits):
            factors = _bit_factors(t, features)
            if factors is not None:
                found.append(_oriented(factors, side, f"{side}-{how}"))
        found.append(_oriented(_row_factors(t), side, f"{side}-rows"))
    low = min(fac.rank for fac in found)
    found.sort(key=lambda fac: (fac.rank, fac.unit_bound if fac.rank == low else 0))
    return found


def _oriented(fg: tuple[np.ndarray, np.ndarray], side: str, how: str) -> Factors:
    f, g = fg
    return Factors(f, g, how) if side == "a" else Factors(g, f, how)


def _feature_maps(codes: np.ndarray, bits: int) -> list[tuple[str, np.ndarray]]:
    """Bit features of each code: sign-magnitude bits, and two's-complement bits (signed codes).

    Each map also has a zero-gate feature (``sign(code)``; ``[code != 0]`` and a constant for
    two's complement), which is how compensated designs add their constant.
    """
    codes = np.asarray(codes, dtype=np.int64)
    sign = np.sign(codes)
    mag_bits = (np.abs(codes)[:, None] >> np.arange(bits)) & 1
    maps = [("sm-bits", np.column_stack([sign, sign[:, None] * mag_bits]))]
    if codes.min() < 0:
        twos = (codes[:, None] >> np.arange(bits)) & 1
        twos[:, -1] *= -1  # the sign bit weighs -2^(b-1)
        gate = (codes != 0).astype(np.int64)
        maps.append(("tc-bits", np.column_stack([np.ones(len(codes), dtype=np.int64), gate, twos])))
    return maps


def _bit_factors(t: np.ndarray, features: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``t == features @ H`` for an integer H (then grouped), or None if the table is not bit-linear.

    H is solved in floating point and rounded; the integer identity is then checked exactly,
    so a rounding slip can only reject a candidate, never admit a wrong one.
    """
    h, *_ = np.linalg.lstsq(features.astype(np.float64), t.astype(np.float64), rcond=None)
    h = np.rint(h).astype(np.int64)
    if not np.array_equal(features @ h, t):
        return None
    return _group(features, h)


def _row_factors(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-hot over the codes: ``t[i] = c_i * rep`` grouped by primitive row."""
    return _group(np.eye(t.shape[0], dtype=np.int64), t)


def _group(features: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge feature columns whose rows of ``h`` are integer multiples of one primitive row."""
    keep = np.any(h != 0, axis=1)
    features, h = features[:, keep], h[keep]
    if not len(h):
        return np.zeros((features.shape[0], 0), dtype=np.int64), np.zeros((h.shape[1], 0), dtype=np.int64)
    first = h[np.arange(len(h)), np.argmax(h != 0, axis=1)]
    c = np.gcd.reduce(h, axis=1) * np.sign(first)  # primitive row with a positive first entry
    prims, which = np.unique(h // c[:, None], axis=0, return_inverse=True)
    f = np.zeros((features.shape[0], len(prims)), dtype=np.int64)
    np.add.at(f.T, which.ravel(), (features * c).T)
    return f, prims.T.copy()
