"""NSGA-II baseline of the selection (ALWANN-style), on pymoo's NSGA-II (the optional ``ga`` extra).

Same candidates, energy model and emulator as the ILP path: a genome is one candidate index
per MAC layer, evaluated through :class:`toolkit.select.search.Problem` (its memo included).

Objectives, both minimised: modelled energy and the emulated error rate on the search set
(one minus accuracy, i.e. the accuracy loss up to the exact plan's constant). Accuracy is an
objective rather than a constraint at the budget because the GA's job in ``toolkit approx``
is the budget-free ladder that certification walks (as the ILP path's is): one run yields the
whole trade-off, and a benchmark reads any budget's answer off the same run.

Operators: the genes are categorical (a layer's candidates are in catalogue order, not
ordered by energy or error), so uniform crossover and per-gene random reset with probability
1/layers, not SBX or polynomial mutation (which assume ordered genes). Parent selection is
NSGA-II's binary tournament (domination, then crowding distance), survival is rank and
crowding, duplicate genomes are eliminated. The first population is the exact plan plus
random genomes; everything is seeded, so a run is deterministic for its seed and caps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.select.search import Problem

PYMOO_VERSION = "0.6.2"
INSTALL_HINT = f"pip install 'axdnn-toolkit[ga]' (or pip install 'pymoo=={PYMOO_VERSION}')"


def require_pymoo() -> None:
    """Raise a ToolkitError saying how to install pymoo when it is absent (no fallback GA)."""
    try:
        import pymoo  # noqa: F401
    except ImportError as exc:
        raise ToolkitError(
            f"the GA selection (--method ga) runs pymoo's NSGA-II, which is not installed: {INSTALL_HINT}"
        ) from exc


@dataclass
class GAResult:
    front: list[dict[str, Any]]  # the final population's non-dominated plans, by increasing energy
    best_within_budget: dict[str, Any] | None  # lowest-energy front plan within the loss budget
    seconds: float
    evaluations: int  # emulator runs (plans already in the problem's memo are free)
    generations: int
    reached_reference_after: float | None = None  # seconds until a plan matched ``reference``
    reached_reference_evaluations: int | None = None  # emulator runs until then (load-independent)
    history: list[dict[str, Any]] = field(default_factory=list)  # one entry per generation
    # every plan evaluated, in order: (seconds, emulator runs so far, energy, accuracy)
    trace: list[tuple[float, int, float, float]] = field(default_factory=list)


def _point(problem: Problem, genome: list[int]) -> dict[str, Any]:
    return {
        "energy": problem.total_energy(genome),
        "accuracy": problem.accuracy(genome),
        "choice": [problem.candidates[k][c].label for k, c in enumerate(genome)],
        "genome": genome,
    }


def _non_dominated(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Points no other point beats in (lower energy, higher accuracy); one per objective pair."""
    unique = {(p["energy"], p["accuracy"]): p for p in points}
    return sorted(
        (
            p
            for p in unique.values()
            if not any(
                q["energy"] <= p["energy"]
                and q["accuracy"] >= p["accuracy"]
                and (q["energy"], q["accuracy"]) != (p["energy"], p["accuracy"])
                for q in unique.values()
            )
        ),
        key=lambda p: p["energy"],
    )


def run_ga(
    problem: Problem,
    loss_budget_pp: float | None = None,
    population: int = 24,
    generations: int = 25,
    seed: int = 0,
    reference: tuple[float, float] | None = None,
    stop_at_reference: bool = False,
    max_seconds: float | None = None,
    progress: Any = None,
) -> GAResult:
    """Run NSGA-II on ``problem``; return its final front and when it first matched ``reference``.

    ``reference`` is (energy, accuracy): matched by a plan with energy <= it at accuracy >= it
    (e.g. the ILP's plan); ``stop_at_reference`` ends the run there. ``max_seconds`` caps the
    wall time as well as ``generations`` (a time cap makes the run depend on the machine).
    ``loss_budget_pp`` (points below the exact plan's accuracy) picks ``best_within_budget``.
    """
    require_pymoo()
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.mutation import Mutation
    from pymoo.core.problem import Problem as PymooProblem
    from pymoo.core.termination import TerminateIfAny
    from pymoo.operators.crossover.ux import UX
    from pymoo.termination.max_gen import MaximumGenerationTermination
    from pymoo.termination.max_time import TimeBasedTermination

    if population < 2 or generations < 1:
        raise ToolkitError(f"GA population {population} / generations {generations}: expected >= 2 and >= 1")
    sizes = np.array([len(options) for options in problem.candidates])
    start = time.perf_counter()
    evals_before = problem.evaluations
    trace: list[tuple[float, int, float, float]] = []
    reached: list[tuple[float, int, float, float]] = []

    class Selection(PymooProblem):
        def __init__(self) -> None:
            super().__init__(n_var=len(sizes), n_obj=2, xl=0, xu=sizes - 1, vtype=int)

        def _evaluate(self, x: np.ndarray, out: dict[str, Any], *args: Any, **kwargs: Any) -> None:
            objectives = []
            for row in np.asarray(x, dtype=int):
                genome = [int(g) for g in row]
                energy, accuracy = problem.total_energy(genome), problem.accuracy(genome)
                runs = problem.evaluations - evals_before
                trace.append((time.perf_counter() - start, runs, energy, accuracy))
                if (
                    reference is not None
                    and not reached
                    and energy <= reference[0]
                    and accuracy >= reference[1]
                ):
                    reached.append(trace[-1])
                objectives.append((energy, 1.0 - accuracy))
            out["F"] = np.array(objectives)

    class ResetMutation(Mutation):
        """Each gene redrawn uniformly from its layer's candidates with probability 1/layers."""

        def _do(self, _problem: Any, x: np.ndarray, *args: Any, random_state: Any = None, **kwargs: Any):
            x = np.asarray(x, dtype=int).copy()
            redraw = random_state.random(x.shape) < 1.0 / len(sizes)
            fresh = np.floor(random_state.random(x.shape) * sizes).astype(int)
            x[redraw] = fresh[redraw]
            return x

    rng = np.random.default_rng(seed)
    first = np.vstack(
        [problem.exact_choice()] + [rng.integers(0, sizes) for _ in range(population - 1)]
    ).astype(int)
    algorithm = NSGA2(pop_size=population, sampling=first, crossover=UX(), mutation=ResetMutation())
    caps = [MaximumGenerationTermination(generations)]
    if max_seconds is not None:
        caps.append(TimeBasedTermination(max_seconds))
    algorithm.setup(Selection(), termination=TerminateIfAny(*caps), seed=seed)
    history: list[dict[str, Any]] = []
    while algorithm.has_next():
        algorithm.next()
        history.append(
            {
                "generation": algorithm.n_gen,
                "seconds": time.perf_counter() - start,
                "evaluations": problem.evaluations - evals_before,
                "front_size": len(algorithm.opt),
            }
        )
        if progress is not None:
            progress()
        if reached and stop_at_reference:
            break
    front = _non_dominated([_point(problem, [int(g) for g in x]) for x in algorithm.opt.get("X")])
    best = None
    if loss_budget_pp is not None:
        target = problem.accuracy(problem.exact_choice()) - loss_budget_pp / 100.0 - 1e-12
        best = min((p for p in front if p["accuracy"] >= target), key=lambda p: p["energy"], default=None)
    return GAResult(
        front,
        best,
        time.perf_counter() - start,
        problem.evaluations - evals_before,
        len(history),
        reached[0][0] if reached else None,
        reached[0][1] if reached else None,
        history,
        trace,
    )
