"""The closed loop's control logic: tighten the selection budget until the measured loss holds, or stop."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from toolkit.errors import ToolkitError
from toolkit.measure.closed_loop import closed_loop, next_budget, worst_case_loss
from toolkit.select.certify import PairedLoss


class Hardware:
    """Measured accuracy as a function of the selection budget the current build was made with."""

    def __init__(self, loss_at: dict[float, float], exact: float = 0.98) -> None:
        self.loss_at, self.exact, self.budget, self.rebuilds = loss_at, exact, 1.0, []

    def measure(self) -> dict:
        acc = self.exact - self.loss_at[self.budget] / 100
        return {"accuracy": {"emulator_exact": self.exact, "hardware": acc}, "agreement": {"mismatches": 0},
                "energy": {"saving": {"predicted_selection": self.budget / 2, "measured": self.budget / 3}}}  # fmt: skip

    def paired(self, result: dict) -> PairedLoss:
        """A measurement as paired counts: the loss is all losses, its bound 0.3 points above it."""
        loss = self.loss_at[self.budget]
        return PairedLoss(
            400, round(4 * loss), 0, self.exact, result["accuracy"]["hardware"], loss, loss + 0.3, 0.9
        )

    def rebuild(self, budget: float) -> None:
        self.rebuilds.append(budget)
        self.budget = budget


def test_next_budget_shrinks_by_the_overshoot_at_least_halving() -> None:
    assert next_budget(1.0, loss=2.4, user_budget=1.0) == 0.0  # overshoot 1.4 > budget: tightest
    assert next_budget(2.0, loss=1.5, user_budget=1.0) == 1.0  # halving beats the 0.5 overshoot
    assert next_budget(4.0, loss=3.5, user_budget=0.5) == 1.0
    assert next_budget(0.08, loss=1.2, user_budget=1.0) == 0.0


def test_loop_tightens_until_the_budget_holds(tmp_path: Path) -> None:
    hw = Hardware({1.0: 2.4, 0.0: 0.4})
    summary = closed_loop(tmp_path, 1.0, hw.measure, hw.rebuild, 1.0, log=lambda _: None, paired=hw.paired)
    assert summary["outcome"] == "holds" and hw.rebuilds == [0.0]
    assert [r["holds"] for r in summary["rounds"]] == [False, True]
    assert json.loads((tmp_path / "closed_loop.json").read_text()) == summary


def test_loop_stops_when_no_plan_can_meet_the_budget(tmp_path: Path) -> None:
    hw = Hardware({2.0: 3.0, 1.0: 2.0, 0.0: 1.5})
    hw.budget = 2.0
    summary = closed_loop(tmp_path, 1.0, hw.measure, hw.rebuild, 2.0, log=lambda _: None, paired=hw.paired)
    assert summary["outcome"] == "no-plan" and hw.rebuilds == [0.0]
    assert summary["rounds"][-1]["selection_budget"] == 0.0


def test_a_first_measurement_within_budget_needs_no_rebuild(tmp_path: Path) -> None:
    hw = Hardware({1.0: 0.3})
    summary = closed_loop(tmp_path, 1.0, hw.measure, hw.rebuild, 1.0, log=lambda _: None, paired=hw.paired)
    assert summary["outcome"] == "holds" and hw.rebuilds == [] and len(summary["rounds"]) == 1


def test_negative_budget_is_refused(tmp_path: Path) -> None:
    hw = Hardware({1.0: 0.3})
    with pytest.raises(ToolkitError, match="--budget -1: expected a loss in points >= 0"):
        closed_loop(tmp_path, -1, hw.measure, hw.rebuild, 1.0)


def test_a_point_loss_within_budget_whose_bound_is_not_rebuilds(tmp_path: Path) -> None:
    hw = Hardware({1.0: 0.8, 0.5: 0.2})  # bound 1.1 > 1: the loop tightens although the point loss holds
    summary = closed_loop(tmp_path, 1.0, hw.measure, hw.rebuild, 1.0, log=lambda _: None, paired=hw.paired)
    first = summary["rounds"][0]
    assert first["loss_points"] == 0.8 and first["bound_points"] == pytest.approx(1.1) and not first["holds"]
    assert hw.rebuilds == [0.5] and summary["outcome"] == "holds"
    assert {"losses", "gains", "samples", "confidence"} <= set(first)


def test_hardware_mismatches_count_as_losses() -> None:
    exact = np.array([True] * 190 + [False] * 10)
    plan = exact.copy()
    plan[:2] = False  # 2 losses
    plan[195:] = True  # 5 gains
    clean = worst_case_loss(exact, plan, 0, 0.9)
    broken = worst_case_loss(exact, plan, 3, 0.9)
    assert (clean.losses, clean.gains) == (2, 5) and (broken.losses, broken.gains) == (5, 2)
    assert broken.bound > clean.bound and broken.point == pytest.approx(1.5)
