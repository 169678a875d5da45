"""The acceptance rule: the loss bound against scipy's exact binomial intervals, the fixed-sequence walk."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from toolkit.errors import ToolkitError
from toolkit.select.certify import (
    bonferroni_loss_bound,
    certify,
    loss_upper_bound,
    paired_loss,
    samples_needed,
    upper_bound,
)


def _scipy_upper(k: int, n: int, level: float) -> float:
    return binomtest(k, n, alternative="less").proportion_ci(confidence_level=level, method="exact").high


@pytest.mark.parametrize(("k", "n"), [(0, 1), (0, 200), (3, 200), (17, 600), (99, 100), (100, 100)])
@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_binomial_bound_equals_scipy_clopper_pearson(k, n, confidence):
    assert upper_bound(k, n, confidence) == pytest.approx(_scipy_upper(k, n, confidence), abs=1e-10)


@pytest.mark.parametrize(
    ("b", "c", "n"), [(0, 0, 202), (2, 0, 202), (15, 20, 600), (8, 8, 600), (3, 30, 400), (40, 1, 1000)]
)
def test_bonferroni_bound_from_independent_scipy_intervals(b, c, n):
    """The earlier bound: pi_u (2 theta_u - 1), both exact at 1 - alpha/2 (pi_l when the factor is negative)."""
    level = 1 - 0.1 / 2
    d = b + c
    pi_u = _scipy_upper(d, n, level)
    if d == 0:
        expected = pi_u
    else:
        factor = 2 * _scipy_upper(b, d, level) - 1
        pi_l = (
            binomtest(d, n, alternative="greater").proportion_ci(confidence_level=level, method="exact").low
        )
        expected = pi_u * factor if factor >= 0 else pi_l * factor
    assert bonferroni_loss_bound(b, c, n, 0.9) == pytest.approx(expected, abs=1e-10)
    assert bonferroni_loss_bound(b, c, n, 0.9) >= (b - c) / n
    assert loss_upper_bound(b, c, n, 0.9) <= bonferroni_loss_bound(b, c, n, 0.9) + 1e-5  # never looser here


def _correct(n: int, lose: int, gain: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact right on all but ``gain`` samples; the plan loses ``lose`` of the rest and gets the ``gain`` ones."""
    exact = np.ones(n, bool)
    exact[:gain] = False
    plan = exact.copy()
    plan[:gain] = True
    plan[gain : gain + lose] = False
    return exact, plan


def test_paired_counts_and_point_estimate():
    exact, plan = _correct(400, lose=6, gain=2)
    loss = paired_loss(exact, plan, 0.9)
    assert (loss.n, loss.losses, loss.gains) == (400, 6, 2)
    assert loss.point == pytest.approx(1.0)
    assert loss.bound == pytest.approx(100 * loss_upper_bound(6, 2, 400, 0.9))


def test_a_plan_within_budget_by_point_but_not_by_bound_is_rejected():
    exact, plan = _correct(400, lose=6, gain=2)  # point loss 1.0, bound ~2.5
    loss = paired_loss(exact, plan, 0.9)
    assert loss.point <= 1.5 < loss.bound
    cert = certify([0.0, 0.3], lambda i: exact if i == 0 else plan, budget=1.5)
    assert cert.fallback and cert.accepted == 0
    assert cert.rungs[1]["certified"] is False
    assert "no approximate plan is certified; using the exact plan" in cert.message
    assert "loses 6 and gains 2 of 400" in cert.message and "bound" in cert.message
    assert cert.to_json()["status"] == "exact-fallback"


def test_a_plan_whose_bound_fits_is_accepted_and_the_walk_stops_at_the_first_failure():
    n = 2000
    plans = [_correct(n, 0, 0)[1], _correct(n, 2, 0)[1], _correct(n, 60, 0)[1], _correct(n, 4, 0)[1]]
    exact = plans[0]
    cert = certify([0.0, 0.1, 0.2, 0.3], lambda i: plans[i], budget=1.0)
    assert cert.accepted == 1  # rung 3 would pass but comes after the failing rung 2
    assert [r["certified"] for r in cert.rungs] == [True, True, False]
    assert cert.message.startswith("certified: 10.0% modelled saving")
    assert exact.all()


def test_savings_are_monotonic_in_the_budget():
    n = 3000
    plans = [_correct(n, k, k // 3)[1] for k in (0, 3, 9, 20, 45, 90)]
    accepted = [
        certify(np.linspace(0, 0.5, 6), lambda i: plans[i], budget=b).accepted for b in np.linspace(0, 4, 41)
    ]
    assert accepted == sorted(accepted) and accepted[-1] > accepted[0]


def test_too_small_a_certification_set_falls_back_and_says_how_many_samples():
    exact, plan = _correct(60, lose=0, gain=0)
    cert = certify([0.0, 0.4], lambda i: exact if i == 0 else plan, budget=1.0)
    need = samples_needed(0.0, 0.0, 1.0, 0.9)
    assert cert.fallback and cert.accepted == 0
    assert (
        "certification set (60 samples) is too small to certify any saving at a budget of 1 points"
        in cert.message
    )
    assert f"about {need} certification samples would be needed" in cert.message
    assert loss_upper_bound(0, 0, need, 0.9) <= 0.01 < loss_upper_bound(0, 0, need - 1, 0.9)  # exact here


def test_samples_needed_scales_the_observed_rates():
    need = samples_needed(0.02, 0.015, 1.0, 0.9)
    assert need is not None  # an estimate (normal approximation): the exact bound there is near the budget
    assert loss_upper_bound(round(0.02 * need), round(0.015 * need), need, 0.9) <= 0.011
    half = need // 2
    assert loss_upper_bound(round(0.02 * half), round(0.015 * half), half, 0.9) > 0.01
    assert samples_needed(0.02, 0.005, 1.0, 0.9) is None  # net loss 1.5 points: no sample count helps


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5, -0.1])
def test_bad_confidence_is_refused(confidence):
    with pytest.raises(
        ToolkitError, match=rf"confidence {confidence!r}: expected a level strictly between 0 and 1"
    ):
        upper_bound(1, 10, confidence)


def test_bad_counts_and_budget_are_refused():
    with pytest.raises(ToolkitError, match="expected b, c >= 0, b"):
        loss_upper_bound(5, 6, 10)
    with pytest.raises(ToolkitError, match="budget -1: expected an accuracy loss in points >= 0"):
        certify([0.0], lambda i: np.ones(3, bool), budget=-1)
    with pytest.raises(ToolkitError, match="one correctness flag per sample"):
        paired_loss(np.ones(3, bool), np.ones(4, bool))
