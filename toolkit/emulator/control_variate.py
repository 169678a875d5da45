"""Control-variate correction of approximate MACs (Zervakis et al.), in integer arithmetic.

With approximate products the sum is ``y^ = y + E``, ``E = sum_i e(a_i, w_i)``. The
correction subtracts an estimate of E from a cheap run-time statistic, the sum of the
activation codes ``V = sum_i a_i`` (one extra accumulator per output position, shared
by all filters), and two constants per filter fitted offline from the weights:

    y~ = y^ - ((c_f * V + d_f + 2^(F-1)) >> F)          (integers, F fraction bits)

Fit: per weight code w, least squares ``e(a, w) ~= alpha(w) a + beta(w)`` over the
activation histogram. With V the plain sum of activations, the variance-optimal
``c* = Cov(E, V) / Var(V)`` is the *mean* of ``alpha(w_i)`` over the filter (not the
sum), and ``d_f = sum_i beta(w_i)``. For weight-perforated designs the fit is exact:
``alpha(w) = -sign(w) (|w| mod 2^m)``, ``beta = 0`` (the closed form).

``bias`` mode is the honest ablation: ``c_f = 0``, ``d_f = E[E]`` (the mean error folded
into the bias).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.emulator.products import ProductKernel
from toolkit.errors import ToolkitError

MODES = ("none", "cv", "bias")
DEFAULT_FRAC_BITS = 8


@dataclass(frozen=True, eq=False)
class Correction:
    """Integer constants of one layer's correction: ``c``, ``d`` per output channel, ``frac_bits`` F."""

    mode: str
    frac_bits: int
    c: np.ndarray
    d: np.ndarray
    source: str

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "frac_bits": self.frac_bits,
            "source": self.source,
            "c": [int(v) for v in self.c],
            "d": [int(v) for v in self.d],
        }

    @staticmethod
    def from_json(obj: dict[str, Any], n_out: int, where: str) -> Correction:
        try:
            c = np.asarray(obj["c"], dtype=np.int64)
            d = np.asarray(obj["d"], dtype=np.int64)
            correction = Correction(obj["mode"], int(obj["frac_bits"]), c, d, str(obj.get("source", "plan")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ToolkitError(f"{where}: correction needs mode, frac_bits, c and d ({exc})") from None
        if correction.mode not in ("cv", "bias"):
            raise ToolkitError(f"{where}: correction mode {correction.mode!r}; expected cv or bias")
        if c.shape != (n_out,) or d.shape != (n_out,):
            raise ToolkitError(
                f"{where}: correction has {c.size} c and {d.size} d values; the layer has {n_out} outputs"
            )
        if not 0 <= correction.frac_bits <= 24:
            raise ToolkitError(f"{where}: correction frac_bits {correction.frac_bits}; expected 0..24")
        return correction

    def select(self, columns: slice) -> Correction:
        """The constants of some output columns (a depthwise channel's filters)."""
        return Correction(self.mode, self.frac_bits, self.c[columns], self.d[columns], self.source)

    def apply(self, sums: np.ndarray, activation_sums: np.ndarray) -> np.ndarray:
        """Corrected sums: ``sums - round((c V + d) / 2^F)`` (round half up, as an add and a shift)."""
        half = (1 << (self.frac_bits - 1)) if self.frac_bits else 0
        estimate = (activation_sums[:, None] * self.c[None, :] + self.d[None, :] + half) >> self.frac_bits
        return sums - estimate


def line_fit(design: Any, p_a: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per weight code: weighted least squares ``e(a, w) ~= alpha(w) a + beta(w)``.

    ``p_a`` is a probability vector over ``design.a_codes`` (uniform if None).
    Returns (alpha, beta) indexed like ``design.w_codes``.
    """
    a = design.a_codes.astype(np.float64)
    p = np.full(len(a), 1.0 / len(a)) if p_a is None else np.asarray(p_a, dtype=np.float64)
    if p.shape != a.shape or p.min() < 0 or not np.isclose(p.sum(), 1.0):
        raise ToolkitError(f"activation histogram must be {len(a)} non-negative probabilities summing to 1")
    error = design.error_table().astype(np.float64)  # (A, W)
    mean_a = p @ a
    var_a = p @ (a - mean_a) ** 2
    mean_e = p @ error
    if var_a == 0:  # a single activation code is ever seen: only the intercept is identifiable
        return np.zeros(error.shape[1]), mean_e
    cov = p @ ((a - mean_a)[:, None] * (error - mean_e))
    alpha = cov / var_a
    return alpha, mean_e - alpha * mean_a


def fit_correction(
    design: Any,
    weight_matrix: np.ndarray,
    mode: str,
    p_a: np.ndarray | None = None,
    frac_bits: int = DEFAULT_FRAC_BITS,
) -> Correction:
    """Constants for one layer: ``weight_matrix`` is (fan_in, n_out) weight codes."""
    if mode not in ("cv", "bias"):
        raise ToolkitError(f"correction mode {mode!r} is unknown: expected cv or bias")
    alpha, beta = line_fit(design, p_a)
    w_index = weight_matrix - int(design.w_codes[0])
    if mode == "cv":
        c = alpha[w_index].mean(axis=0)
        d = beta[w_index].sum(axis=0)
    else:
        a = design.a_codes.astype(np.float64)
        mean_a = (np.full(len(a), 1.0 / len(a)) if p_a is None else np.asarray(p_a)) @ a
        c = np.zeros(weight_matrix.shape[1])
        d = (alpha * mean_a + beta)[w_index].sum(axis=0)  # E[e(a, w)] per weight, summed
    scale = float(1 << frac_bits)
    source = "least-squares (" + ("uniform activations" if p_a is None else "calibration histogram") + ")"
    return Correction(
        mode, frac_bits, np.rint(c * scale).astype(np.int64), np.rint(d * scale).astype(np.int64), source
    )


class CorrectedProduct:
    """A product kernel followed by the control-variate (or bias-only) correction."""

    def __init__(self, inner: ProductKernel, correction: Correction) -> None:
        self.inner = inner
        self.correction = correction
        self.name = f"{inner.name}+{correction.mode}"

    def matmul(self, a: np.ndarray, w: np.ndarray) -> np.ndarray:
        if w.shape[1] != len(self.correction.c):
            raise ToolkitError(
                f"{self.name}: correction is for {len(self.correction.c)} outputs, got {w.shape[1]}"
            )
        return self.correction.apply(self.inner.matmul(a, w), a.sum(axis=1))
