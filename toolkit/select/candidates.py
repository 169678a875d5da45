"""Candidates per layer: (design, correction) pairs with their error moments under real histograms.

Moments are per product, scaled so that a layer sum of K products has mean ``K mean``
and variance ``K var`` (operands drawn independently from the layer's activation and
weight histograms p_a, p_w, as FAMES assumes):

* ``none``  the raw design error e(a, w): mean and variance over p_a x p_w.
* ``bias``  e minus its per-weight mean E_a[e | w] (folded into the filter's bias):
            mean 0, var = E_w[Var_a(e | w)].
* ``cv``    additionally minus ``c_f (V - E[V])``, c_f the filter's mean least-squares slope.
            Per product the residual does *not* shrink; the gain is in the sum, where the
            slopes' deviations from c_f cancel: Var(sum) = sum_i Var_a(e | w_i) - K c_f^2 Var(a),
            so var = E_w[Var_a(e | w)] - c^2 Var(a) with c = E_w[alpha(w)].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.emulator.control_variate import line_fit
from toolkit.errors import ToolkitError
from toolkit.select.profile import LayerProfile

CORRECTIONS = ("none", "bias", "cv")


@dataclass(frozen=True, eq=False)
class Candidate:
    """One choice for one layer."""

    layer: str
    design: Any
    correction: str
    mean: float
    var: float

    @property
    def label(self) -> str:
        if self.design is None:
            return "exact (wide)"
        return self.design.name + ("" if self.correction == "none" else f"+{self.correction}")

    @property
    def is_exact(self) -> bool:
        return self.design is None or (self.design.family == "exact" and self.correction == "none")


def residual_moments(design: Any, p_a: np.ndarray, p_w: np.ndarray, correction: str) -> tuple[float, float]:
    """(mean, variance) per product of the error left by ``design`` with ``correction`` (see module doc)."""
    if correction not in CORRECTIONS:
        raise ToolkitError(f"correction {correction!r} is unknown: expected one of {', '.join(CORRECTIONS)}")
    e = design.error_table().astype(np.float64)
    if correction == "none":
        joint = np.outer(p_a, p_w)
        mean = float(np.sum(joint * e))
        return mean, float(np.sum(joint * (e - mean) ** 2))
    a = design.a_codes.astype(np.float64)
    conditional_var = p_a @ (e - p_a @ e) ** 2  # Var_a(e | w) per weight code
    var = float(p_w @ conditional_var)
    if correction == "cv":
        alpha, _ = line_fit(design, p_a)
        var_a = float(p_a @ (a - p_a @ a) ** 2)
        var = max(var - float(p_w @ alpha) ** 2 * var_a, 0.0)
    return 0.0, var


def layer_candidates(
    profile: LayerProfile, families: list[str] | None, corrections: tuple[str, ...]
) -> list[Candidate]:
    """Every catalogue design at the layer's widths (filtered by family) x the requested corrections.

    The exact multiplier is always a candidate (without correction); a layer whose
    operands are wider than the library gets only that.
    """
    from toolkit.multipliers import list_designs, make_design

    a_signed = bool(profile.a_codes[0] < 0)
    w_signed = bool(profile.w_codes[0] < 0)
    a_bits = int(np.log2(len(profile.a_codes)))
    w_bits = int(np.log2(len(profile.w_codes)))
    if not profile.approximable:
        return [Candidate(profile.name, None, "none", 0.0, 0.0)]
    exact = make_design("exact", a_bits, w_bits, a_signed, w_signed)
    out = [Candidate(profile.name, exact, "none", 0.0, 0.0)]
    for design in list_designs(a_bits=a_bits, w_bits=w_bits, a_signed=a_signed, w_signed=w_signed):
        if design.family == "exact" or (families and design.family not in families):
            continue
        for correction in corrections:
            mean, var = residual_moments(design, profile.p_a, profile.p_w, correction)
            out.append(Candidate(profile.name, design, correction, mean, var))
    return out
