"""Closed-loop validation: re-select with a tighter budget while the measured loss breaks the user's.

The selection spends its budget on the validation split in the emulator; the hardware is
measured on the test split. When the measured accuracy loss (exact emulated model minus
hardware) exceeds the user's budget, the selection budget shrinks by the overshoot (at
least halving) and the build reruns from ``approx``; at a selection budget of 0 the loop
stops either way. Every round is recorded in ``DIR/closed_loop.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError

MIN_BUDGET = 0.05  # selection budgets below this many points are rounded to 0 (the tightest)


def next_budget(selection_budget: float, loss: float, user_budget: float) -> float:
    """The selection budget of the next round: shrink by the overshoot, at least halve, floor at 0."""
    tighter = min(selection_budget / 2, selection_budget - (loss - user_budget))
    return 0.0 if tighter < MIN_BUDGET else round(tighter, 3)


def closed_loop(
    build_dir: Path | str,
    user_budget: float,
    measure: Callable[[], dict[str, Any]],
    rebuild: Callable[[float], None],
    selection_budget: float,
    max_rounds: int = 6,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measure; while the loss breaks ``user_budget``, ``rebuild(tighter budget)`` and measure again."""
    from toolkit.cache import write_atomic_json

    if user_budget < 0:
        raise ToolkitError(f"--budget {user_budget}: expected a loss in points >= 0")
    rounds: list[dict[str, Any]] = []
    outcome = "max-rounds"
    for index in range(max_rounds):
        result = measure()
        acc = result["accuracy"]
        if acc["emulator_exact"] is None:
            raise ToolkitError("the closed loop needs the exact model's accuracy (approx/selection.json)")
        loss = 100 * (acc["emulator_exact"] - acc["hardware"])
        rounds.append({
            "round": index + 1, "selection_budget": selection_budget, "hardware_accuracy": acc["hardware"],
            "loss_points": loss, "holds": loss <= user_budget, "mismatches": result["agreement"]["mismatches"],
            "energy_saving_predicted": result["energy"]["saving"]["predicted_selection"],
            "energy_saving_measured": result["energy"]["saving"]["measured"],
        })  # fmt: skip
        log(f"closed loop round {index + 1}: selection budget {selection_budget:g}, measured loss {loss:.2f} "
            f"points vs budget {user_budget:g}")  # fmt: skip
        if loss <= user_budget:
            outcome = "holds"
            break
        if selection_budget == 0.0:
            outcome = "no-plan"  # even the tightest selection breaks the budget on the hardware
            break
        selection_budget = next_budget(selection_budget, loss, user_budget)
        rebuild(selection_budget)
    summary = {"user_budget_points": user_budget, "outcome": outcome, "rounds": rounds}
    write_atomic_json(Path(build_dir) / "closed_loop.json", summary)
    return summary
