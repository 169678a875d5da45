"""The NSGA-II baseline (toolkit.select.ga, pymoo): a non-dominated front, deterministic per seed,
no worse than a known optimum on a toy problem, evaluated with the selection's own emulator,
and a clear error (no fallback) where pymoo is absent."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest

from toolkit.errors import ToolkitError
from toolkit.select import ilp
from toolkit.select.ga import (
    run_ga,
)  # imports pymoo lazily: without the extra, the runs say how to install it


class AdditiveProblem:
    """A toy with a known optimum: accuracy = 0.9 minus a per-layer, per-candidate penalty.

    The lowest energy within a loss budget is then the ILP's optimum with the penalties as
    scores, found by brute force. Candidate 0 of each layer is the exact one.
    """

    def __init__(self, seed: int, layers: int = 5, options: int = 4) -> None:
        rng = np.random.default_rng(seed)
        self.energy = [np.r_[10.0, rng.uniform(1, 9, options - 1)] for _ in range(layers)]
        self.penalty = [np.r_[0.0, rng.uniform(0, 0.04, options - 1)] for _ in range(layers)]
        self.candidates = [
            [SimpleNamespace(label=f"l{k}c{i}", is_exact=i == 0) for i in range(options)]
            for k in range(layers)
        ]
        self.evaluations = 0

    def exact_choice(self) -> list[int]:
        return [0] * len(self.energy)

    def total_energy(self, choice: list[int]) -> float:
        return float(sum(e[i] for e, i in zip(self.energy, choice, strict=True)))

    def accuracy(self, choice: list[int]) -> float:
        self.evaluations += 1
        return 0.9 - float(sum(p[i] for p, i in zip(self.penalty, choice, strict=True)))


def _assert_non_dominated(front: list[dict]) -> None:
    assert front
    for p in front:
        for q in front:
            if q is not p:
                assert not (
                    q["energy"] <= p["energy"]
                    and q["accuracy"] >= p["accuracy"]
                    and (q["energy"], q["accuracy"]) != (p["energy"], p["accuracy"])
                ), (p, q)


@pytest.mark.parametrize("seed", [0, 1])
def test_front_holds_a_plan_no_worse_than_the_known_optimum(seed):
    problem = AdditiveProblem(seed)
    budget_pp = 4.0
    optimum = ilp.brute_force(problem.energy, problem.penalty, budget_pp / 100)
    ga = run_ga(problem, budget_pp, population=24, generations=30, seed=seed, reference=(
        problem.total_energy(optimum), problem.accuracy(optimum)))  # fmt: skip
    _assert_non_dominated(ga.front)
    best = ga.best_within_budget
    assert best is not None and best["energy"] <= problem.total_energy(optimum) + 1e-9
    assert best["accuracy"] >= 0.9 - budget_pp / 100 - 1e-12
    assert ga.reached_reference_after is not None and ga.reached_reference_after <= ga.seconds
    assert len(ga.history) == ga.generations == 30
    assert [h["evaluations"] for h in ga.history] == sorted(h["evaluations"] for h in ga.history)


def test_same_seed_same_run_other_seed_other_run():
    runs = [run_ga(AdditiveProblem(0), 4.0, population=12, generations=8, seed=s) for s in (3, 3, 4)]
    genomes = [[p["genome"] for p in r.front] for r in runs]
    assert genomes[0] == genomes[1]
    assert [(e, a) for _, _, e, a in runs[0].trace] == [(e, a) for _, _, e, a in runs[1].trace]
    assert [(e, a) for _, _, e, a in runs[0].trace] != [(e, a) for _, _, e, a in runs[2].trace]


def test_stops_at_the_reference_and_caps_generations():
    problem = AdditiveProblem(0)
    exact = problem.exact_choice()
    # the exact plan is in the first population: the reference (its own point) is met at once
    ga = run_ga(problem, None, population=8, generations=30, seed=0, stop_at_reference=True,
                reference=(problem.total_energy(exact), problem.accuracy(exact)))  # fmt: skip
    assert ga.generations == 1 and ga.reached_reference_after is not None and ga.best_within_budget is None
    assert run_ga(AdditiveProblem(0), None, population=8, generations=3, seed=0).generations == 3


def test_bad_population_is_refused():
    with pytest.raises(ToolkitError, match=r"GA population 1 / generations 5: expected >= 2 and >= 1"):
        run_ga(AdditiveProblem(0), None, population=1, generations=5)


def test_without_pymoo_the_ga_says_how_to_install_it(monkeypatch):
    from toolkit.select.run import search_ladder

    monkeypatch.setitem(sys.modules, "pymoo", None)  # import pymoo -> ImportError
    with pytest.raises(
        ToolkitError, match=r"pymoo's NSGA-II, which is not installed: pip install 'axdnn-toolkit\[ga\]'"
    ):
        run_ga(AdditiveProblem(0))
    # refused before any profiling or scoring: the model and the sets are never read
    with pytest.raises(ToolkitError, match=r"pip install 'axdnn-toolkit\[ga\]'"):
        search_ladder(None, None, None, selector="ga")


@pytest.fixture(scope="module")
def tiny_problem(zoo_models):
    """digits-mlp with two families and no correction, searched on 150 validation samples."""
    from toolkit.select.candidates import layer_candidates
    from toolkit.select.energy import candidate_energy
    from toolkit.select.profile import profile_model
    from toolkit.select.search import Problem

    entry = zoo_models["digits-mlp"]
    data = entry["data"]
    profiles = profile_model(entry["ir"], data.x_train[:128])
    candidates = [layer_candidates(p, ["trunc", "drum"], ("none",)) for p in profiles.values()]
    energy = [
        np.array([candidate_energy(c, p) for c in o])
        for o, p in zip(candidates, profiles.values(), strict=True)
    ]
    omega = [np.zeros(len(o)) for o in candidates]  # the GA does not read scores
    return Problem(
        entry["ir"], profiles, candidates, energy, omega, data.x_test[:150], data.y_test[:150], "digits-mlp"
    )


def test_front_on_a_real_model_is_non_dominated_deterministic_and_emulated(tiny_problem):
    from toolkit.emulator.engine import Emulator

    problem = tiny_problem
    runs = [
        run_ga(problem.with_samples(problem.x_val, problem.y_val), 1.0, population=8, generations=4, seed=0)
        for _ in range(2)
    ]
    assert [p["genome"] for p in runs[0].front] == [p["genome"] for p in runs[1].front]
    _assert_non_dominated(runs[0].front)
    exact_energy = problem.total_energy(problem.exact_choice())
    for point in runs[0].front:
        plan = problem.plan(point["genome"])
        emulator = Emulator(problem.model_ir, plan.kernels())
        predicted = emulator.classify(problem.x_val)
        assert point["accuracy"] == float(np.mean(predicted == problem.y_val))
        assert point["energy"] == problem.total_energy(point["genome"]) <= exact_energy
    assert runs[0].evaluations == runs[1].evaluations > 0
