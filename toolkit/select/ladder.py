"""A ladder of plans with increasing saving, found on the search set without looking at the budget.

The ladder is what certification walks (:func:`toolkit.select.certify.certify`): rung 0 is
the exact plan, each further rung saves more modelled energy and has a larger upper bound of its loss on
the search set (the normal approximation of the certificate's bound). Because the ladder does not depend on the budget, a larger budget walks
at least as far up it: the certified saving is monotonic in the budget by construction.

How it is built:

1. **ILP path.** The FAMES integer program at a geometric grid of score budgets, from
   below the smallest non-zero score to the sum of the largest: every distinct plan is
   evaluated on the search set. (This path alone is coarse: the score ranks candidates
   imperfectly and consecutive ILP plans jump in saving, e.g. 8% -> 21% on digits-cnn,
   which is why the old bisection returned one plan for budgets from 0.5 to 2 points.)
2. **Greedy refinement** of every ILP plan whose search bound is under ``max_loss`` points: layer
   by layer (largest possible saving first), the ``tries`` cheaper candidates of lowest
   score are tried, and a move is kept when its search bound is no worse than the plan's. Every plan tried, kept or not, joins the pool.
3. **Pareto front** of the pool on (energy, search bound), by decreasing energy, thinned to
   rungs that each save at least 25% (relative) and 1 point more than the one below.

Nothing here sees the certification set, so however hard the search (refinement included)
fits the search set, it cannot bias the certificate; it can only lower the saving that
certifies.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.select import ilp
from toolkit.select.certify import DEFAULT_CONFIDENCE
from toolkit.select.paired_bound import ranking
from toolkit.select.search import Problem

GRID_POINTS = 32
STEP_RATIO, STEP_MIN = 1.25, 0.01  # ladder rungs differ in saving by >= 25% relative and 1 point
MAX_REFINE_LOSS = 10.0  # points: plans whose search bound exceeds this are not refined


@dataclass
class Ladder:
    """Rungs (choices) from the exact plan upwards in saving, with their search-set numbers."""

    choices: list[list[int]]
    energy: list[float]
    search_bound: list[float]  # points: upper bound of the loss on the search set
    evaluated: int
    seconds: float

    @property
    def savings(self) -> list[float]:
        return [1 - e / self.energy[0] for e in self.energy]

    def to_json(self, problem: Problem) -> list[dict[str, Any]]:
        return [
            {
                "saving": s,
                "search_bound": loss,
                "choice": [problem.candidates[k][c].label for k, c in enumerate(choice)],
            }
            for choice, s, loss in zip(self.choices, self.savings, self.search_bound, strict=True)
        ]


def lost(problem: Problem, choice: list[int]) -> float:
    """An approximate upper bound of the loss of ``choice``, in points, computed on the search set.

    The search ranks plans by (the normal approximation of) the quantity certification will
    test, not by the net loss: a plan that flips many samples both ways has a small net loss
    and a large bound. It is the exact bound's ordering statistic, cheap enough for every plan
    the search evaluates; only certification needs (and computes) the exact bound.
    """
    exact = problem.correct(problem.exact_choice())
    plan = problem.correct(choice)
    b, c = int(np.sum(exact & ~plan)), int(np.sum(~exact & plan))
    return 100.0 * ranking(b, c, len(exact), DEFAULT_CONFIDENCE)


def pareto_ladder(
    problem: Problem, pool: list[list[int]]
) -> tuple[list[list[int]], list[float], list[float]]:
    """Exact plan first, then the pool's plans cheaper than it that no cheaper plan matches in search bound."""
    exact = problem.exact_choice()
    e_exact = problem.total_energy(exact)
    unique = {tuple(c): c for c in pool}
    scored = sorted(
        ((problem.total_energy(c), lost(problem, c), c) for c in unique.values()), key=lambda t: (t[0], t[1])
    )
    front: list[tuple[float, float, list[int]]] = []
    best = np.inf
    for energy, loss, choice in scored:  # cheapest first: keep a plan only if it loses less than all cheaper
        if energy < e_exact - 1e-9 and loss < best - 1e-12:
            front.append((energy, loss, choice))
            best = loss
    front.reverse()
    front = _thin(front, e_exact)
    return (
        [exact] + [f[2] for f in front],
        [e_exact] + [f[0] for f in front],
        [0.0] + [f[1] for f in front],
    )


def _thin(
    front: list[tuple[float, float, list[int]]], e_exact: float
) -> list[tuple[float, float, list[int]]]:
    """Keep the first rung of every saving step of at least STEP_RATIO x (and STEP_MIN more than) the last kept.

    Every rung is a hurdle of the fixed-sequence walk; rungs that add almost no saving
    (0.04%, 0.09%, 0.2% on mnist1d-cnn) only add chances to stop early.
    """
    kept: list[tuple[float, float, list[int]]] = []
    last = 0.0
    for rung in front:
        saving = 1 - rung[0] / e_exact
        if saving >= max(last * STEP_RATIO, last + STEP_MIN):
            kept.append(rung)
            last = saving
    return kept


def build_ladder(
    problem: Problem,
    grid: int = GRID_POINTS,
    tries: int = 3,
    max_loss: float = MAX_REFINE_LOSS,
    extra: list[list[int]] | None = None,
    progress: Any = None,
) -> Ladder:
    """The budget-free ladder of ``problem`` (see module docstring); ``extra`` plans join the pool (GA)."""
    start = time.perf_counter()
    evals_before = problem.evaluations
    exact = problem.exact_choice()
    pool: list[list[int]] = [exact] + [list(c) for c in (extra or [])]
    ilp_plans: list[list[int]] = []
    positive = np.concatenate([o[o > 0] for o in problem.omega])
    if positive.size:
        hi = float(np.sum([o.max() for o in problem.omega])) * 1.0001
        seen: set[tuple[int, ...]] = set()
        for budget in np.geomspace(float(positive.min()) * 0.5, hi, grid):
            choice = ilp.solve(problem.energy, problem.omega, float(budget))
            if choice is not None and tuple(choice) not in seen:
                seen.add(tuple(choice))
                ilp_plans.append(choice)
                problem.accuracy(choice)
            if progress is not None:
                progress()
    pool += ilp_plans
    for choice in sorted(ilp_plans, key=problem.total_energy, reverse=True):
        if lost(problem, choice) <= max_loss and tries:
            pool += _refine(problem, choice, tries)
    choices, energy, losses = pareto_ladder(problem, pool)
    return Ladder(choices, energy, losses, problem.evaluations - evals_before, time.perf_counter() - start)


def _refine(problem: Problem, choice: list[int], tries: int) -> list[list[int]]:
    """Greedy single-layer moves to cheaper candidates, kept when they lose no more search samples; all tried."""
    choice = list(choice)
    acc = -lost(problem, choice)
    tried: list[list[int]] = []
    savings = [problem.energy[i][c] - problem.energy[i].min() for i, c in enumerate(choice)]
    for layer in np.argsort(savings)[::-1]:
        current = problem.energy[layer][choice[layer]]
        cheaper = [i for i in np.argsort(problem.omega[layer]) if problem.energy[layer][i] < current]
        for index in cheaper[:tries]:
            trial = list(choice)
            trial[layer] = int(index)
            tried.append(trial)
            trial_acc = -lost(problem, trial)
            if trial_acc >= acc:
                choice, acc = trial, trial_acc
                break
    return tried
