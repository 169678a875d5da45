"""Closed-loop validation: re-select with a tighter budget while the hardware's loss is not certified.

The selection certifies its plan on held-out data in the emulator; the hardware is measured
on the test split. The loop applies the same acceptance rule as the selection
(:mod:`toolkit.select.certify`) to the hardware: paired counts of test samples the exact
model gets right and the hardware wrong (losses) and the reverse (gains), and the upper
confidence bound of the loss. The budget holds when the bound is within it. Otherwise the
selection budget shrinks by the overshoot of the bound (at least halving) and the build
reruns from ``approx``; at a selection budget of 0 the loop stops either way. Every round,
with its counts and bound, is recorded in ``DIR/closed_loop.json``.

The hardware's predictions are the emulator's plan predictions except on the samples where
the measurement reports a mismatch; those are counted as losses (the worst case), so a
defective bitstream can only make the bound larger.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.select.certify import DEFAULT_CONFIDENCE, PairedLoss, loss_upper_bound

MIN_BUDGET = 0.05  # selection budgets below this many points are rounded to 0 (the tightest)


def next_budget(selection_budget: float, loss: float, user_budget: float) -> float:
    """The selection budget of the next round: shrink by the overshoot, at least halve, floor at 0."""
    tighter = min(selection_budget / 2, selection_budget - (loss - user_budget))
    return 0.0 if tighter < MIN_BUDGET else round(tighter, 3)


def hardware_paired_loss(
    build_dir: Path | str, result: dict[str, Any], confidence: float = DEFAULT_CONFIDENCE
) -> PairedLoss:
    """Paired loss of the measured hardware vs the exact model on the package's test vectors."""
    from toolkit.emulator.engine import Emulator
    from toolkit.pipeline.steps import load_build

    folder = Path(build_dir)
    model_ir, _, _ = load_build(folder, with_plan=False)
    with np.load(folder / "package" / "vectors.npz") as f:
        x, expected, labels = f["x_codes"], f["expected_codes"], f["labels"]
    n = int(result["agreement"]["samples"])
    x, expected, labels = x[:n], expected[:n], labels[:n]
    exact = Emulator(model_ir).predict_codes(x).reshape(n, -1).argmax(-1) == labels
    plan = expected.reshape(n, -1).argmax(-1) == labels
    return worst_case_loss(exact, plan, int(result["agreement"]["mismatches"]), confidence)


def worst_case_loss(
    exact_correct: np.ndarray, plan_correct: np.ndarray, mismatches: int, confidence: float
) -> PairedLoss:
    """Paired loss of hardware that equals the emulated plan except on ``mismatches`` samples, counted as losses."""
    n = int(len(exact_correct))
    b = int(np.sum(exact_correct & ~plan_correct))
    c = int(np.sum(~exact_correct & plan_correct))
    b, c = min(b + mismatches, n - max(c - mismatches, 0)), max(c - mismatches, 0)
    exact_acc = float(np.mean(exact_correct))
    return PairedLoss(
        n=n,
        losses=b,
        gains=c,
        exact_accuracy=exact_acc,
        plan_accuracy=exact_acc - (b - c) / n,
        point=100.0 * (b - c) / n,
        bound=100.0 * loss_upper_bound(b, c, n, confidence),
        confidence=confidence,
    )


def closed_loop(
    build_dir: Path | str,
    user_budget: float,
    measure: Callable[[], dict[str, Any]],
    rebuild: Callable[[float], None],
    selection_budget: float,
    max_rounds: int = 6,
    log: Callable[[str], None] = print,
    paired: Callable[[dict[str, Any]], PairedLoss] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> dict[str, Any]:
    """Measure; while the loss bound breaks ``user_budget``, ``rebuild(tighter budget)`` and measure again.

    ``paired(result)`` gives the hardware's paired loss for a measurement (default:
    :func:`hardware_paired_loss` on ``build_dir``).
    """
    if paired is None:
        paired = lambda result: hardware_paired_loss(build_dir, result, confidence)  # noqa: E731
    from toolkit.cache import write_atomic_json

    if user_budget < 0:
        raise ToolkitError(f"--budget {user_budget}: expected a loss in points >= 0")
    rounds: list[dict[str, Any]] = []
    outcome = "max-rounds"
    for index in range(max_rounds):
        result = measure()
        loss = paired(result)
        holds = loss.bound <= user_budget
        rounds.append({
            "round": index + 1, "selection_budget": selection_budget, "hardware_accuracy": loss.plan_accuracy,
            "exact_accuracy": loss.exact_accuracy, "loss_points": loss.point, "bound_points": loss.bound,
            "confidence": loss.confidence, "losses": loss.losses, "gains": loss.gains, "samples": loss.n,
            "holds": holds, "mismatches": result["agreement"]["mismatches"],
            "energy_saving_predicted": result["energy"]["saving"]["predicted_selection"],
            "energy_saving_measured": result["energy"]["saving"]["measured"],
        })  # fmt: skip
        log(f"closed loop round {index + 1}: selection budget {selection_budget:g}, measured loss {loss.point:.2f} "
            f"points ({loss.losses} lost, {loss.gains} gained of {loss.n}), upper {100 * loss.confidence:g}% bound "
            f"{loss.bound:.2f} vs budget {user_budget:g}")  # fmt: skip
        if holds:
            outcome = "holds"
            break
        if selection_budget == 0.0:
            outcome = "no-plan"  # even the tightest selection breaks the budget on the hardware
            break
        selection_budget = next_budget(selection_budget, loss.bound, user_budget)
        rebuild(selection_budget)
    summary = {
        "user_budget_points": user_budget,
        "confidence": confidence,
        "outcome": outcome,
        "rounds": rounds,
    }
    write_atomic_json(Path(build_dir) / "closed_loop.json", summary)
    return summary
