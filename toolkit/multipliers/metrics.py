"""Error metrics of a design under uniform or measured operand distributions.

With p(a, w) = p_a(a) p_w(w) (independent operands, as FAMES assumes) and the error table
e(a, w) = approx - exact (in product units):

* ``mean``  bias, E[e]                      * ``var``  Var[e]
* ``mae``   E[|e|]                          * ``mse``  E[e^2]
* ``wce``   max |e| over codes with p > 0   * ``ep``   P(e != 0)
* ``mre``   E[|e| / |a w| | a w != 0]  (mean relative error over non-zero exact products)
"""

from __future__ import annotations

import numpy as np

from toolkit.multipliers.design import Design
from toolkit.multipliers.family import MultiplierError


def _distribution(p: np.ndarray | None, n: int, what: str) -> np.ndarray:
    if p is None:
        return np.full(n, 1.0 / n)
    p = np.asarray(p, dtype=np.float64)
    if p.shape != (n,):
        raise MultiplierError(f"{what} histogram has shape {p.shape}: expected ({n},), one entry per code")
    if not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
        raise MultiplierError(f"{what} histogram must be finite, non-negative and not all zero")
    return p / p.sum()


def error_metrics(
    design: Design, p_a: np.ndarray | None = None, p_w: np.ndarray | None = None
) -> dict[str, float]:
    """Metrics of ``design`` with p_a over ``design.a_codes`` and p_w over ``design.w_codes``
    (None = uniform; counts are normalised)."""
    pa = _distribution(p_a, len(design.a_codes), "activation")
    pw = _distribution(p_w, len(design.w_codes), "weight")
    joint = np.outer(pa, pw)
    e = design.error_table().astype(np.float64)
    exact = design.exact_table().astype(np.float64)
    mean = float(np.sum(joint * e))
    mse = float(np.sum(joint * e * e))
    nz = exact != 0
    p_nz = float(joint[nz].sum())
    mre = float(np.sum(joint[nz] * np.abs(e[nz]) / np.abs(exact[nz])) / p_nz) if p_nz > 0 else 0.0
    return {
        "mean": mean,
        "var": float(np.sum(joint * (e - mean) ** 2)),
        "mae": float(np.sum(joint * np.abs(e))),
        "mse": mse,
        "wce": float(np.abs(e[joint > 0]).max()),
        "mre": mre,
        "ep": float(joint[e != 0].sum()),
    }
