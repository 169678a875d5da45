"""An exact one-sided upper confidence bound for a paired loss ``p_b - p_c`` (trinomial samples).

Each of ``n`` samples is a loss (exact right, plan wrong; probability ``p_b``), a gain (the
reverse; ``p_c``) or a tie. The bound inverts exact unconditional tests of
``H0(D): p_b - p_c >= D``:

* **Ordering.** Outcomes ``(b, c)`` are ranked by ``W(b, c) = b - c + z sqrt(b + c + k)``
  with ``z`` the normal quantile of the confidence and ``k = z^2 / 4`` (a Wald-type upper
  bound times ``n``). It does not depend on ``D``, rises with ``b`` and, because
  ``k >= z^2/4``, falls with ``c``: the set ``R`` of outcomes ranked at or below the observed
  one is closed under fewer losses and more gains. (Only the ranking is asymptotic; the
  probabilities below are exact.)
* **Worst case over the nuisance.** For such a set, ``P(R)`` falls when ``p_b`` grows and
  rises when ``p_c`` grows (couple each sample to one uniform: loss below ``p_b``, gain above
  ``1 - p_c``). So the supremum of ``P(R)`` over ``H0(D)`` is reached on the curve
  ``p_b = max(0, p_c + D)``, and over a cell ``p_c in [p1, p2]`` of it ``P(R)`` is at most its
  value at ``(max(0, p1 + D), p2)``. The supremum is bracketed by these cell maxima and by
  values at cell midpoints; cells are split until the test decides, and an undecided test
  counts as not rejected (conservative).
* **Berger-Boos.** The nuisance ``p_c`` is restricted to an exact two-sided ``1 - gamma``
  Clopper-Pearson interval from ``c`` of ``n`` (``gamma = alpha / 100``) and the test runs at
  level ``alpha - gamma``:
  ``P(reject a true D) <= gamma + (alpha - gamma)``. Without it the point ``p_c = 0`` (no
  gains at all) dominates and a plan that flips 20 samples each way is bounded as if it had
  lost one of ``n``.
* **Inversion.** ``H0(D)`` shrinks as ``D`` grows and ``R`` does not depend on ``D``, so the
  p-value falls with ``D`` and bisection finds the bound; it returns the smallest ``D`` it
  showed rejected (never one it could not show).

With zero discordant samples the bound is ``1 - (alpha - gamma)^(1/n)`` (the set is
``{b = 0}`` at ``p_c = 0``), within 1 % of the floor ``1 - alpha^(1/n)`` below which no exact
bound can go: a plan that disagrees with the exact model on no sample has probability
``(1 - D)^n`` of showing so however large its true loss ``D``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

GAMMA_SHARE = 0.01  # share of alpha spent on the nuisance interval (0.001 at 90%, as Berger & Boos suggest)
TOLERANCE = 2e-6  # bisection width in loss fraction (0.0002 points)
CELLS, DEPTH, MAX_CELLS = 64, 18, 1024  # nuisance cells: initial, halvings, most at once
_EPS = 1e-13  # binomial rows rarer than this in both tails are skipped (and their mass counted)
_TIE = 1e-9  # outcomes ranked within this of the observed one count as at least as extreme (conservative)


def _z(confidence: float) -> tuple[float, float]:
    from scipy.stats import norm

    z = float(norm.ppf(confidence))
    return z, z * z / 4.0


def ranking(losses: float, gains: float, n: int, confidence: float) -> float:
    """The ordering statistic ``W / n``: a Wald-type approximate upper bound (not a guarantee).

    Cheap and monotone; the search ranks plans by it, and the exact bound uses it to order outcomes.
    """
    z, k = _z(confidence)
    return float((losses - gains + z * np.sqrt(losses + gains + k)) / n)


def _c_min(n: int, b_obs: int, c_obs: int, confidence: float) -> np.ndarray:
    """For every b, the fewest gains c with W(b, c) <= W(observed): the set R row by row."""
    z, k = _z(confidence)
    t = b_obs - c_obs + z * np.sqrt(b_obs + c_obs + k) + _TIE
    b = np.arange(n + 1, dtype=float)

    def w(c: np.ndarray) -> np.ndarray:
        return b - c + z * np.sqrt(np.maximum(b + c + k, 0.0))

    # W = 2b + k + z s - s^2 with s = sqrt(b + c + k): solve W <= t for s, then correct rounding by one step
    disc = z * z + 4.0 * (2.0 * b + k - t)
    s = (z + np.sqrt(np.maximum(disc, 0.0))) / 2.0
    c = np.where(disc < 0, 0.0, np.maximum(np.ceil(s * s - b - k), 0.0))
    for _ in range(3):
        c = np.where((c > 0) & (w(c - 1) <= t), c - 1, c)
        c = np.where(w(c) > t, c + 1, c)
    return c.astype(np.int64)  # > n - b: the row is empty


def _prob(c_min: np.ndarray, n: int, p_b: np.ndarray, p_c: np.ndarray, upper: bool) -> np.ndarray:
    """P((b, c) in R) for each (p_b, p_c): the sum over b of P(b) P(c >= c_min(b) | b).

    Rows b with negligible probability for every p_b of the batch (below ``_EPS`` in either
    tail) are skipped; with ``upper`` their whole probability is added back (an upper bound),
    without it they are left out (a lower bound). Either way the result errs on its safe side.
    """
    from scipy.special import bdtr, bdtrc, gammaln
    from scipy.stats import binom

    p_b, p_c = np.asarray(p_b, float), np.asarray(p_c, float)
    first = int(max(binom.ppf(_EPS, n, p_b.min()) - 1, 0))
    last = int(min(binom.isf(_EPS, n, p_b.max()) + 1, n))
    rows = np.arange(first, last + 1)
    keep = c_min[first : last + 1] <= n - rows
    b, cm = rows[keep][None, :], c_min[first : last + 1][keep][None, :]
    pb, pc = p_b[:, None], p_c[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = (
            gammaln(n + 1) - gammaln(b + 1) - gammaln(n - b + 1) + b * np.log(pb) + (n - b) * np.log1p(-pb)
        )
    log_pmf = np.where(pb == 0, np.where(b == 0, 0.0, -np.inf), log_pmf)
    q = np.clip(pc / np.maximum(1.0 - pb, 1e-300), 0.0, 1.0)  # gain rate among the non-losses
    tail = np.where(cm == 0, 1.0, bdtrc(np.maximum(cm - 1, 0), n - b, q))
    total = np.sum(np.exp(log_pmf) * tail, axis=1)
    if upper:
        below = bdtr(first - 1, n, p_b) if first > 0 else 0.0
        above = bdtrc(last, n, p_b) if last < n else 0.0
        total = total + below + above
    return total


def _rejected(c_min: np.ndarray, n: int, delta: float, level: float, p_lo: float, p_hi: float) -> bool:
    """True only when sup P(R) over H0(delta) with p_c in [p_lo, p_hi] is shown to be <= level."""
    lo, hi = max(0.0, p_lo), min((1.0 - delta) / 2.0, p_hi)
    if hi < lo:
        return True  # no null point is left in the nuisance interval
    edges = np.linspace(lo, hi, CELLS + 1)
    p1, p2 = edges[:-1], edges[1:]
    for _ in range(DEPTH):
        mid = (p1 + p2) / 2.0
        if np.any(_prob(c_min, n, np.maximum(mid + delta, 0.0), mid, upper=False) > level):
            return False  # a null point where R is likely enough: not rejected
        open_ = _prob(c_min, n, np.maximum(p1 + delta, 0.0), p2, upper=True) > level
        if not open_.any():
            return True
        if 2 * open_.sum() > MAX_CELLS:
            return False  # undecided: counted as not rejected (conservative)
        p1, p2 = p1[open_], p2[open_]
        mid = (p1 + p2) / 2.0
        p1, p2 = np.concatenate([p1, mid]), np.concatenate([mid, p2])
    return False


def nuisance_interval(gains: int, n: int, gamma: float) -> tuple[float, float]:
    """Two-sided exact (Clopper-Pearson) ``1 - gamma`` interval of the gain rate ``p_c``."""
    from scipy.special import betaincinv

    if gamma <= 0:
        return 0.0, 1.0
    lo = 0.0 if gains == 0 else float(betaincinv(gains, n - gains + 1, gamma / 2.0))
    hi = 1.0 if gains == n else float(betaincinv(gains + 1, n - gains, 1.0 - gamma / 2.0))
    return lo, hi


@lru_cache(maxsize=4096)
def exact_upper_bound(
    losses: int, gains: int, n: int, confidence: float, gamma: float | None = None
) -> float:
    """Exact upper ``confidence`` bound of ``p_b - p_c`` (a fraction) from ``losses`` and ``gains`` of ``n``.

    Arguments are assumed checked (see :func:`toolkit.select.certify.loss_upper_bound`).
    """
    alpha = 1.0 - confidence
    gamma = GAMMA_SHARE * alpha if gamma is None else gamma
    if not 0.0 <= gamma < alpha:
        raise ValueError(f"Berger-Boos gamma {gamma} must lie in [0, alpha={alpha})")
    c_min = _c_min(n, losses, gains, confidence)
    p_lo, p_hi = nuisance_interval(gains, n, gamma)
    level = alpha - gamma
    lo, hi = -1.0, 1.0
    guess = ranking(losses, gains, n, confidence)  # bracket near the approximation, widen if it misses
    for width in (0.25, 1.0, 4.0):
        a, b = guess - width * abs(guess) - 1e-3, guess + width * abs(guess) + 1e-3
        if a > -1.0 and not _rejected(c_min, n, a, level, p_lo, p_hi):
            lo = max(lo, a)
        if b < 1.0 and _rejected(c_min, n, b, level, p_lo, p_hi):
            hi = min(hi, b)
        if hi - lo < 4.0 * (abs(guess) + 1e-3):
            break
    while hi - lo > TOLERANCE:
        mid = (lo + hi) / 2.0
        if _rejected(c_min, n, mid, level, p_lo, p_hi):
            hi = mid
        else:
            lo = mid
    return hi
