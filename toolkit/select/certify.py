"""The acceptance rule: a plan is accepted only when an upper confidence bound of its loss fits the budget.

The accuracy loss of a plan against the exact model is a paired quantity. On n samples
classified by both, let ``b`` count the samples the exact model gets right and the plan
gets wrong (losses) and ``c`` the reverse (gains); only these ``d = b + c`` discordant
pairs carry information. The loss is ``p_b - p_c`` and its point estimate ``(b - c) / n``.
Its upper bound is exact: :mod:`toolkit.select.paired_bound` inverts exact unconditional
tests of ``p_b - p_c >= D`` on the trinomial counts (worst case over the nuisance gain rate
inside a Berger-Boos interval). Crediting gains matters: approximate multipliers on a hard
dataset flip many samples both ways (mnist1d-cnn: 15 losses and 20 gains of 600 at 25%
saving), and a bound on ``p_b`` alone could never certify them.

The earlier bound, kept as :func:`bonferroni_loss_bound` for comparison, combined two
Clopper-Pearson bounds at ``1 - alpha/2`` each (discordant rate ``pi`` and loss share
``theta`` of the discordant pairs): ``pi_u (2 theta_u - 1)``. It is also exact but looser:
1.24 against 0.46 points for 15 losses and 20 gains of 600, 0.50 against 0.39 for none of 600.

Several plans are certified on one set by fixed-sequence testing: the plans are ordered
by saving (an order fixed by the search data alone), each is tested at the full level,
and the walk stops at the first plan whose bound breaks the budget. The probability
that the accepted plan's true loss exceeds the budget is then at most ``1 - confidence``,
and a larger budget can only walk further (the saving is monotonic in the budget).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.select.paired_bound import GAMMA_SHARE, exact_upper_bound, ranking

DEFAULT_CONFIDENCE = 0.9


def check_confidence(confidence: float) -> float:
    """The confidence level as a float in (0, 1), or a clear error."""
    if not 0.0 < confidence < 1.0:
        raise ToolkitError(f"confidence {confidence!r}: expected a level strictly between 0 and 1 (e.g. 0.9)")
    return float(confidence)


def upper_bound(k: int, n: int, confidence: float = DEFAULT_CONFIDENCE) -> float:
    """Exact one-sided upper confidence bound of a binomial proportion from ``k`` of ``n`` (Clopper-Pearson)."""
    from scipy.special import betaincinv

    check_confidence(confidence)
    if n < 1 or not 0 <= k <= n:
        raise ToolkitError(f"binomial bound of {k} of {n} samples: expected 0 <= k <= n and n >= 1")
    if k == n:
        return 1.0
    return float(betaincinv(k + 1, n - k, confidence))


def _check_counts(losses: int, gains: int, n: int, confidence: float) -> None:
    check_confidence(confidence)
    if n < 1 or losses < 0 or gains < 0 or losses + gains > n:
        raise ToolkitError(
            f"paired counts {losses} losses + {gains} gains of {n} samples: expected b, c >= 0, b + c <= n"
        )


def loss_upper_bound(losses: int, gains: int, n: int, confidence: float = DEFAULT_CONFIDENCE) -> float:
    """Exact upper ``confidence`` bound of the paired loss ``p_b - p_c`` (a fraction) from the counts."""
    _check_counts(losses, gains, n, confidence)
    return exact_upper_bound(int(losses), int(gains), int(n), float(confidence))


def bonferroni_loss_bound(losses: int, gains: int, n: int, confidence: float = DEFAULT_CONFIDENCE) -> float:
    """The earlier, looser exact bound ``pi_u (2 theta_u - 1)`` (Bonferroni over two Clopper-Pearson bounds)."""
    _check_counts(losses, gains, n, confidence)
    d = losses + gains
    half = 1.0 - (1.0 - confidence) / 2.0
    pi_upper = upper_bound(d, n, half)
    if d == 0:
        return pi_upper  # theta unknown: every discordant pair could be a loss
    factor = 2.0 * upper_bound(losses, d, half) - 1.0
    if factor >= 0:
        return pi_upper * factor
    pi_lower = 1.0 - upper_bound(n - d, n, half)
    return pi_lower * factor


@dataclass(frozen=True)
class PairedLoss:
    """A plan's loss against the exact model on one sample set, in percentage points."""

    n: int
    losses: int  # exact right, plan wrong (b)
    gains: int  # exact wrong, plan right (c)
    exact_accuracy: float
    plan_accuracy: float
    point: float
    bound: float
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def paired_loss(
    exact_correct: np.ndarray, plan_correct: np.ndarray, confidence: float = DEFAULT_CONFIDENCE
) -> PairedLoss:
    """Paired counts, point estimate and upper bound of the loss from per-sample correctness."""
    exact_correct = np.asarray(exact_correct, bool)
    plan_correct = np.asarray(plan_correct, bool)
    if exact_correct.shape != plan_correct.shape or exact_correct.ndim != 1 or not exact_correct.size:
        raise ToolkitError(
            f"paired loss needs one correctness flag per sample for both models, got shapes "
            f"{exact_correct.shape} and {plan_correct.shape}"
        )
    n = int(exact_correct.size)
    b = int(np.sum(exact_correct & ~plan_correct))
    c = int(np.sum(~exact_correct & plan_correct))
    return PairedLoss(
        n=n,
        losses=b,
        gains=c,
        exact_accuracy=float(exact_correct.mean()),
        plan_accuracy=float(plan_correct.mean()),
        point=100.0 * (b - c) / n,
        bound=100.0 * loss_upper_bound(b, c, n, confidence),
        confidence=confidence,
    )


def samples_needed(
    loss_rate: float, gain_rate: float, budget: float, confidence: float = DEFAULT_CONFIDENCE
) -> int | None:
    """About how many samples a plan with these loss and gain rates (fractions) needs to certify ``budget`` points.

    Found with the cheap ranking statistic (the exact bound's normal approximation) and
    rounded up to two significant digits; None when no sample count would (the net loss
    itself is at or above the budget). With zero discordance it is exact:
    ``log(alpha - gamma) / log(1 - budget)``.
    """
    target = budget / 100.0
    if loss_rate - gain_rate >= target or target <= 0:
        return None
    if loss_rate == 0 and gain_rate == 0:
        alpha = 1.0 - confidence
        return int(math.ceil(math.log(alpha - GAMMA_SHARE * alpha) / math.log1p(-target)))

    def ok(n: int) -> bool:
        return ranking(loss_rate * n, gain_rate * n, n, confidence) <= target

    hi = 1
    while not ok(hi):
        hi *= 2
        if hi > 10**9:
            return None
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    digits = max(len(str(hi)) - 2, 0)
    return int(math.ceil(hi / 10**digits) * 10**digits)


@dataclass
class Certificate:
    """Outcome of certifying a ladder of plans (exact first, increasing saving) at one budget."""

    accepted: int  # index into the ladder; 0 = the exact plan
    budget: float
    confidence: float
    n: int
    rungs: list[dict[str, Any]]
    message: str

    @property
    def fallback(self) -> bool:
        return self.accepted == 0

    def to_json(self) -> dict[str, Any]:
        accepted = self.rungs[self.accepted] if self.rungs else {}
        return {
            "status": "exact-fallback" if self.fallback else "certified",
            "budget_points": self.budget,
            "confidence": self.confidence,
            "n": self.n,
            "accepted_rung": self.accepted,
            "plan": accepted.get("loss"),
            "message": self.message,
            "rungs": self.rungs,
        }


def certify(
    savings: Sequence[float],
    correct: Callable[[int], np.ndarray],
    budget: float,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Certificate:
    """Fixed-sequence certification of ladder rungs 1, 2, ... (rung 0 is the exact plan).

    ``savings[i]`` is rung i's modelled energy saving (fraction), ``correct(i)`` its
    per-sample correctness on the certification set. Rungs are tested in order until the
    first whose bound exceeds ``budget``; the last one passed is accepted.
    """
    check_confidence(confidence)
    if budget < 0:
        raise ToolkitError(f"budget {budget:g}: expected an accuracy loss in points >= 0")
    exact = np.asarray(correct(0), bool)
    n = int(exact.size)
    rungs: list[dict[str, Any]] = [{"rung": 0, "saving": float(savings[0]), "loss": paired_loss(exact, exact, confidence).to_json(), "certified": True}]  # fmt: skip
    accepted, failed = 0, None
    for i in range(1, len(savings)):
        loss = paired_loss(exact, correct(i), confidence)
        ok = loss.bound <= budget
        rungs.append({"rung": i, "saving": float(savings[i]), "loss": loss.to_json(), "certified": ok})
        if not ok:
            failed = loss
            break
        accepted = i
    pct = f"{100 * confidence:g}%"
    if accepted:
        loss = rungs[accepted]["loss"]
        message = (
            f"certified: {100 * rungs[accepted]['saving']:.1f}% modelled saving, loss {loss['point']:.2f} points "
            f"(upper {pct} bound {loss['bound']:.2f} <= budget {budget:g}; {loss['losses']} samples lost, "
            f"{loss['gains']} gained of {n} certification samples)"
        )
    else:
        message = _fallback_message(failed, n, budget, confidence, len(savings) > 1)
    return Certificate(accepted, budget, confidence, n, rungs, message)


def _fallback_message(
    failed: PairedLoss | None, n: int, budget: float, confidence: float, tried: bool
) -> str:
    pct = f"{100 * confidence:g}%"
    floor = 100.0 * loss_upper_bound(0, 0, n, confidence)
    head = "no approximate plan is certified; using the exact plan: "
    if floor > budget:
        need = samples_needed(0.0, 0.0, budget, confidence)
        return (
            head + f"the certification set ({n} samples) is too small to certify any saving at a budget of "
            f"{budget:g} points: even a plan that loses no sample has an upper {pct} bound of {floor:.2f} points; "
            f"about {need} certification samples would be needed (more labelled held-out data, a larger "
            f"--certify-fraction, a larger --budget or a lower --confidence)"
        )
    if not tried or failed is None:
        return head + "the search found no plan cheaper than the exact one"
    need = samples_needed(failed.losses / failed.n, failed.gains / failed.n, budget, confidence)
    more = (
        f"at the same loss and gain rates about {need} certification samples would certify it"
        if need is not None
        else "its net loss rate alone breaks the budget"
    )
    return (
        head
        + f"the least aggressive plan loses {failed.losses} and gains {failed.gains} of {n} certification "
        f"samples (loss {failed.point:.2f} points, upper {pct} bound {failed.bound:.2f} > budget {budget:g}); {more}"
    )
