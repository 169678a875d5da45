"""Approximate products as GEMMs, bit-exact.

* ``gather``  the reference: look up every (n, k, o) product. Simple, slow.
* ``factored`` ``table == F @ G.T`` in integers (:mod:`toolkit.multipliers.factors`: the
  bit-linear structure of partial-product designs, or a one-hot over codes), so
  ``Y = [F_1(A) .. F_r(A)] @ [G_1(W); ..; G_r(W)]``: one stacked GEMM of inner size K r.
  Exact because every term is an integer and every partial sum of a block of ``c`` fan-in
  positions is at most ``c * max_{a,w} sum_r |F[a,r] G[w,r]|``; the fan-in is cut into
  blocks that keep this under 2**24 (float32), the blocks are added in int64.

The other two keep the exact GEMM and add the error term ``sum_k E(A[n,k], W[k,o])``,
``E = table - outer(a_codes, w_codes)``:

* ``onehot``  ``sum_v 1[A == v] @ E[v, W]`` over the activation codes whose error row
  is not all zero (or the same over weight codes, whichever side is shorter). Integer
  terms, so exact whenever ``K * max|E|`` fits the float's mantissa.
* ``lowrank`` ``E ~= U S V^T`` of rank r, ``rint(sum_r u_r[A] @ v_r[W])``. Exact by proof:
  with ``delta`` the largest reconstruction error over the whole table and the
  standard summation bound ``gamma_n = n u / (1 - n u)``, rounding recovers the
  integer sum whenever ``K delta + gamma_{K r} K r max|u| max|v| < 1/2``. The smallest
  rank meeting that for the layer's fan-in is used; a design with none falls back.

``method="auto"`` picks the cheapest exact method per design and fan-in by a fixed rule,
counted in float32 GEMM-equivalents of the layer (``factored``: its rank; the others one
for the exact GEMM plus their terms, a float64 GEMM counting ``FLOAT64_COST``; the gather
``GATHER_COST``). Ties go to the earlier of factored, onehot, lowrank, gather.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.emulator.products import FLOAT32_EXACT, FLOAT64_EXACT, exact_matmul, lookup_table
from toolkit.errors import ToolkitError
from toolkit.multipliers.factors import Factors, design_factors

METHODS = ("auto", "gather", "factored", "onehot", "lowrank")
_EPS = np.finfo(np.float64).eps / 2  # unit roundoff
_GATHER_CHUNK = 1 << 22  # elements per gather block
_ROW_BLOCK = 1 << 20  # gathered float32 elements per row block of the factored GEMM
# Costs in float32 GEMMs of the layer, measured on a 4096x576x64 layer
# (benchmarks/approx_emulation.py): the table gather costs ~56 of them at 8 bits (80-110 at 2-4
# bits), a factored rank-64 table (mitchell_u8s8) ~119, i.e. ~1.9 per rank column at that
# size, ~1 at ranks up to 8; a float64 GEMM costs 2.4.
GATHER_COST = 40
FLOAT64_COST = 2.5


@dataclass
class ApproxProduct:
    """A :class:`~toolkit.emulator.products.ProductKernel` for one multiplier design."""

    design: Any
    method: str = "auto"
    _svd: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _plans: dict[int, tuple[str, int]] = field(default_factory=dict, repr=False)
    _tables: tuple | None = field(default=None, repr=False)
    _float32: tuple | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ToolkitError(
                f"emulation method {self.method!r} is unknown: expected one of {', '.join(METHODS)}"
            )
        self.a_min = int(self.design.a_codes[0])
        self.w_min = int(self.design.w_codes[0])
        self.error = self.design.table() - np.outer(self.design.a_codes, self.design.w_codes)
        self.max_error = int(np.abs(self.error).max(initial=0))
        self.rows = np.flatnonzero(np.any(self.error != 0, axis=1))  # activation codes with any error
        self.cols = np.flatnonzero(np.any(self.error != 0, axis=0))  # weight codes with any error
        self.name = self.design.name
        self.factors: Factors = design_factors(self.design)

    # ---- ProductKernel --------------------------------------------------------------
    def matmul(self, a: np.ndarray, w: np.ndarray) -> np.ndarray:
        self._check_operands(a, w)
        method, rank = self.plan(a.shape[1])
        if method == "gather":
            return self.gather_matmul(a, w)
        if method == "factored":
            return self._factored(a, w)
        exact = exact_matmul(a, w)
        if method == "exact":
            return exact
        if method == "onehot":
            return exact + self._onehot(a, w)
        return exact + self._lowrank(a, w, rank)

    def depthwise_matmul(self, windows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Depthwise sums: (N, K, C) codes x (K, C, M) weights -> (N, C*M), channel c with its own filters.

        Every input meets only its channel's M weights, so there is no shared operand for a GEMM
        to reuse: one table lookup per product, all channels at once, is as cheap as the exact
        sum and is the reference itself.
        """
        self._check_operands(windows, weights)
        n, k, channels = windows.shape
        mult = weights.shape[2]
        # sub[k, c, m, :] = the table column of weight W[k, c, m]: then a product is one lookup
        # at base[k, c, m] + (a - a_min), a single add per product before the gather. Table
        # entries fit int32 (|product| < 2**17 at 8 bits), which halves the gathered bytes;
        # the sums are kept in int64.
        table = self.design.table()
        small = np.int32 if int(np.abs(table).max(initial=0)) < 2**31 else np.int64
        sub = np.moveaxis(table[:, weights - self.w_min], 0, -1).astype(small).ravel()  # (K, C, M, A)
        base = (np.arange(k * channels * mult) * table.shape[0] - self.a_min).reshape(k, channels, mult)
        out = np.zeros((n, channels, mult), dtype=np.int64)
        for kk in range(k):
            out += np.take(sub, windows[:, kk, :, None] + base[kk])
        return out.reshape(n, channels * mult)

    def plan(self, fan_in: int) -> tuple[str, int]:
        """(method, rank) used for this fan-in: the cheapest exact one, or the forced one."""
        if fan_in not in self._plans:
            self._plans[fan_in] = self._choose(fan_in)
        return self._plans[fan_in]

    # ---- the methods ----------------------------------------------------------
    def gather_matmul(self, a: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Reference: ``sum_k table[a[n,k], w[k,o]]`` by explicit lookup, in blocks of rows."""
        table = self.design.table()
        ai, wi = a - self.a_min, w - self.w_min
        n, k = a.shape
        o = w.shape[1]
        out = np.empty((n, o), dtype=np.int64)
        step = max(1, _GATHER_CHUNK // max(1, k * o))
        for start in range(0, n, step):
            block = table[ai[start : start + step, :, None], wi[None, :, :]]
            out[start : start + step] = block.sum(axis=1)
        return out

    def _factored(self, a: np.ndarray, w: np.ndarray) -> np.ndarray:
        blocks, g_tab, dtype, chunk = self._factor_tables()
        n, k = a.shape
        o = w.shape[1]
        spans = [(s, min(k, s + chunk)) for s in range(0, k, chunk)]  # each one's sum is exact in `dtype`
        rights = []
        for s, e in spans:
            g_rows = g_tab[w[s:e]]  # (kc, o, r)
            rights.append(
                [g_rows[:, :, cols].transpose(0, 2, 1).reshape((e - s) * len(cols), o) for _, cols in blocks]
            )
        out = np.zeros((n, o), dtype=np.int64)
        step = max(256, _ROW_BLOCK // max(1, 2 * k))  # rows per block: the gathered operand stays in cache
        for r0 in range(0, n, step):
            rows = a[r0 : r0 + step]
            for (s, e), right_parts in zip(spans, rights, strict=True):
                part = rows[:, s:e]
                acc = None
                for (f_view, cols), right in zip(
                    blocks, right_parts, strict=True
                ):  # 1 or 2 rank columns each
                    left = np.take(f_view, part).view(dtype).reshape(len(rows), (e - s) * len(cols))
                    if acc is None:
                        acc = left @ right
                    else:
                        acc += left @ right
                if acc is not None:
                    out[r0 : r0 + step] += acc.astype(np.int64)
        return out

    def float32_factors(self) -> tuple[np.ndarray | None, np.ndarray | None, int]:
        """(F, G, unit): float32 lookup tables of the factors indexed by the codes themselves (negative
        codes from the end, see :func:`lookup_table`) and the bound of one product's terms; the tables
        are None when that bound is not below 2**24 (float32 sums of the terms would not be exact)."""
        unit = self.factors.unit_bound
        if unit >= FLOAT32_EXACT:
            return None, None, unit
        if self._float32 is None:
            self._float32 = (
                lookup_table(self.factors.f, self.design.a_codes, np.float32),
                lookup_table(self.factors.g, self.design.w_codes, np.float32),
            )
        f_tab, g_tab = self._float32
        return f_tab, g_tab, unit

    def _factor_tables(self) -> tuple[list[tuple[np.ndarray, list[int]]], np.ndarray, type, int]:
        """Lookup tables of F and G indexed by the codes themselves, and the fan-in chunk size.

        F's columns are gathered two at a time (a float32 pair viewed as one 8-byte item: numpy
        gathers fixed 8-byte items fast, but rows of a 2-D table slowly); each pair or single
        column is one GEMM, added in the float (exact: the bound covers the sum of all of them).
        """
        if self._tables is None:
            unit = self.factors.unit_bound
            dtype, limit = (
                (np.float32, FLOAT32_EXACT) if unit < FLOAT32_EXACT else (np.float64, FLOAT64_EXACT)
            )
            chunk = max(1, (limit - 1) // max(1, unit))
            f_tab = lookup_table(self.factors.f, self.design.a_codes, dtype)
            g_tab = lookup_table(self.factors.g, self.design.w_codes, dtype)
            rank = self.factors.rank
            width = 2 if dtype is np.float32 else 1
            blocks = []
            for c in range(0, rank, width):
                cols = list(range(c, min(rank, c + width)))
                view = np.ascontiguousarray(f_tab[:, cols])
                blocks.append((view.view(np.float64).ravel() if len(cols) == 2 else view.ravel(), cols))
            self._tables = (blocks, g_tab, dtype, chunk)
        return self._tables

    def _onehot(self, a: np.ndarray, w: np.ndarray) -> np.ndarray:
        k = a.shape[1]
        dtype = np.float32 if k * self.max_error < FLOAT32_EXACT else np.float64
        ai, wi = a - self.a_min, w - self.w_min
        acc = np.zeros((a.shape[0], w.shape[1]), dtype=dtype)
        if len(self.rows) <= len(self.cols):
            for v in self.rows:
                left = (ai == v).astype(dtype)
                acc += left @ self.error[v][wi].astype(dtype)
        else:
            for u in self.cols:
                right = (wi == u).astype(dtype)
                acc += self.error[:, u][ai].astype(dtype) @ right
        return acc.astype(np.int64)

    def _lowrank(self, a: np.ndarray, w: np.ndarray, rank: int) -> np.ndarray:
        us, vt = self._factors(rank)
        ai, wi = a - self.a_min, w - self.w_min
        n, k = a.shape
        left = us[ai].reshape(n, k * rank)  # (n, k, r) -> (n, k*r), k-major
        right = np.moveaxis(vt[:, wi], 0, 1).reshape(k * rank, -1)  # (r, k, o) -> (k*r, o), same order
        return np.rint(left @ right).astype(np.int64)

    # ---- choosing -------------------------------------------------------------------
    def _choose(self, fan_in: int) -> tuple[str, int]:
        if self.method == "gather":
            return "gather", 0
        if self.max_error == 0:
            return "exact", 0
        onehot_ok = fan_in * self.max_error < FLOAT64_EXACT
        onehot_cost = 1 + min(len(self.rows), len(self.cols)) * (
            1 if fan_in * self.max_error < FLOAT32_EXACT else FLOAT64_COST
        )
        factored_cost = self.factors.rank * (1 if self.factors.unit_bound < FLOAT32_EXACT else FLOAT64_COST)
        # low rank costs at least 1 + FLOAT64_COST: its SVD search is skipped when that cannot win
        lowrank_may_win = self.method == "auto" and factored_cost > 1 + FLOAT64_COST
        rank = self.exact_rank(fan_in) if self.method == "lowrank" or lowrank_may_win else 0
        if self.method == "factored":
            return "factored", self.factors.rank
        if self.method == "onehot":
            if not onehot_ok:
                raise ToolkitError(f"{self.name}: one-hot emulation is not exact at fan-in {fan_in}")
            return "onehot", 0
        if self.method == "lowrank":
            if not rank:
                raise ToolkitError(
                    f"{self.name}: no low-rank decomposition is provably exact at fan-in {fan_in}"
                )
            return "lowrank", rank
        candidates = [(factored_cost, 0, "factored", self.factors.rank)]
        if onehot_ok:
            candidates.append((onehot_cost, 1, "onehot", 0))
        if rank:
            candidates.append((1 + FLOAT64_COST * rank, 2, "lowrank", rank))
        candidates.append((GATHER_COST, 3, "gather", 0))
        _, _, method, r = min(candidates)
        return method, r

    def exact_rank(self, fan_in: int) -> int:
        """Smallest rank whose rounded float64 sum is provably exact at this fan-in (0: none)."""
        u, s, vt = self._decomposition()
        limit = min(len(s), 16)
        for r in range(1, limit + 1):
            us, v = u[:, :r] * s[:r], vt[:r]
            recon = us @ v
            max_u, max_v = float(np.abs(us).max()), float(np.abs(v).max())
            # recon itself carries rounding error; bound it and add it to the measured residual.
            delta = float(np.abs(recon - self.error).max()) + _gamma(r) * r * max_u * max_v
            terms = fan_in * r
            if fan_in * delta + _gamma(terms) * terms * max_u * max_v < 0.49:
                return r
        return 0

    def _decomposition(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._svd is None:
            self._svd = np.linalg.svd(self.error.astype(np.float64), full_matrices=False)
        return self._svd

    def _factors(self, rank: int) -> tuple[np.ndarray, np.ndarray]:
        u, s, vt = self._decomposition()
        return np.ascontiguousarray(u[:, :rank] * s[:rank]), np.ascontiguousarray(vt[:rank])

    def _check_operands(self, a: np.ndarray, w: np.ndarray) -> None:
        d = self.design
        for arr, lo, hi, what in (
            (a, self.a_min, int(d.a_codes[-1]), "activation"),
            (w, self.w_min, int(d.w_codes[-1]), "weight"),
        ):
            if arr.size and (int(arr.min()) < lo or int(arr.max()) > hi):
                raise ToolkitError(
                    f"{what} codes span [{int(arr.min())}, {int(arr.max())}] but multiplier {d.name} accepts "
                    f"[{lo}, {hi}]"
                )


def _gamma(n: int) -> float:
    nu = n * _EPS
    return nu / (1 - nu) if nu < 1 else float("inf")
