"""The exact paired-loss bound: against a brute-force scipy computation, its closed form, coverage, tightening."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom, multinomial, norm

from toolkit.select.certify import bonferroni_loss_bound, loss_upper_bound
from toolkit.select.paired_bound import GAMMA_SHARE, nuisance_interval

ALPHA = 0.1
GAMMA = GAMMA_SHARE * ALPHA


def _brute_p_value(b_obs: int, c_obs: int, n: int, delta: float, grid: int = 400) -> float:
    """sup over p_c (a grid) of P(W <= W_obs) on p_b = max(0, p_c + delta), every outcome enumerated by scipy."""
    z = norm.ppf(1 - ALPHA)
    k = z * z / 4
    b, c = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    inside = b + c <= n
    w = b - c + z * np.sqrt(b + c + k)
    region = inside & (w <= b_obs - c_obs + z * np.sqrt(b_obs + c_obs + k) + 1e-9)
    counts = np.stack([b[region], c[region], n - b[region] - c[region]], axis=1)
    lo, hi = nuisance_interval(c_obs, n, GAMMA)
    best = 0.0
    for p_c in np.linspace(max(lo, 0.0), min(hi, (1 - delta) / 2), grid):
        p_b = max(0.0, p_c + delta)
        best = max(best, float(multinomial.pmf(counts, n, [p_b, p_c, 1 - p_b - p_c]).sum()))
    return best


@pytest.mark.parametrize(("b", "c", "n"), [(0, 0, 40), (2, 0, 60), (3, 5, 60), (6, 6, 80), (9, 2, 50)])
def test_bound_is_where_the_brute_force_exact_test_starts_to_reject(b, c, n):
    """Just above the bound the enumerated test rejects at alpha - gamma; just below it does not."""
    bound = loss_upper_bound(b, c, n, 1 - ALPHA)
    assert _brute_p_value(b, c, n, bound + 1e-4) <= ALPHA - GAMMA
    assert _brute_p_value(b, c, n, bound - 2e-3) > ALPHA - GAMMA


@pytest.mark.parametrize("n", [50, 202, 270, 600, 4800])
def test_zero_discordance_bound_has_the_closed_form(n):
    """No loss and no gain: the set {b = 0} at p_c = 0, so (1 - D)^n = alpha - gamma."""
    expected = 1 - (ALPHA - GAMMA) ** (1 / n)
    assert loss_upper_bound(0, 0, n, 0.9) == pytest.approx(expected, abs=3e-6)
    assert loss_upper_bound(0, 0, n, 0.9) >= 1 - ALPHA ** (1 / n)  # no exact bound can go below this


@pytest.mark.parametrize(("p_b", "p_c", "n"), [(0.05, 0.0, 30), (0.08, 0.04, 25)])
def test_exact_coverage_is_at_least_nominal(p_b, p_c, n):
    """Coverage summed over every trinomial outcome of non-negligible probability (no Monte Carlo noise)."""
    miss, mass = 0.0, 0.0
    for b in range(int(binom.isf(1e-7, n, p_b)) + 2):
        for c in range(min(int(binom.isf(1e-7, n, p_c)) + 2, n - b + 1)):
            prob = float(multinomial.pmf([b, c, n - b - c], n, [p_b, p_c, 1 - p_b - p_c]))
            mass += prob
            if prob > 1e-9 and loss_upper_bound(b, c, n, 0.9) < p_b - p_c:
                miss += prob
    assert mass > 1 - 1e-5
    assert 1 - miss >= 0.9


def test_coverage_simulation_is_at_least_nominal():
    """Seeded Monte Carlo at the digits certification size (one bound per distinct outcome; wider coverage
    studies in the report)."""
    rng = np.random.default_rng(0)
    for p_b, p_c, n in [(0.025, 0.033, 270), (0.004, 0.0, 270)]:
        draws = rng.multinomial(n, [p_b, p_c, 1 - p_b - p_c], size=400)[:, :2]
        outcomes, counts = np.unique(draws, axis=0, return_counts=True)
        misses = sum(
            k
            for (b, c), k in zip(outcomes, counts, strict=True)
            if loss_upper_bound(int(b), int(c), n, 0.9) < p_b - p_c
        )
        assert misses / len(draws) <= 0.1 + 3 * np.sqrt(0.09 / len(draws))


def test_the_exact_bound_tightens_the_bonferroni_bound_where_it_matters():
    """Zero and few discordances, and plans flipping many samples both ways (mnist1d: 2-6 % each way)."""
    for b, c, n in [(0, 0, 202), (1, 0, 270), (3, 3, 600), (15, 20, 600), (30, 30, 600), (10, 10, 270)]:
        new, old = loss_upper_bound(b, c, n, 0.9), bonferroni_loss_bound(b, c, n, 0.9)
        assert (b - c) / n <= new <= old
    assert loss_upper_bound(15, 20, 600, 0.9) < 0.5 * bonferroni_loss_bound(15, 20, 600, 0.9)
