"""Genetic-algorithm baseline (NSGA-II style, as in the ALWANN line of work).

Same candidates, same emulator: genomes are one candidate index per layer; the two
objectives are energy (minimised) and emulated validation accuracy (maximised).
Non-dominated sorting with crowding distance, binary tournaments, uniform crossover,
per-gene mutation. The run records when it first finds a plan at least as good as a
reference (energy <= E_ref at accuracy >= target), so its wall time can be compared
with the ILP's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.select.search import Problem


@dataclass
class GAResult:
    front: list[dict[str, Any]]  # non-dominated (energy, accuracy, choice) of the final population
    best_within_budget: dict[str, Any] | None
    seconds: float
    evaluations: int
    reached_reference_after: float | None = None  # seconds, if the reference was matched
    history: list[dict[str, float]] = field(default_factory=list)


def _non_dominated_sort(objs: np.ndarray) -> list[list[int]]:
    """Fronts of minimisation objectives ``objs`` (n, 2)."""
    n = len(objs)
    dominated_by = [[] for _ in range(n)]
    counts = np.zeros(n, int)
    for i in range(n):
        for j in range(n):
            if np.all(objs[i] <= objs[j]) and np.any(objs[i] < objs[j]):
                dominated_by[i].append(j)
            elif np.all(objs[j] <= objs[i]) and np.any(objs[j] < objs[i]):
                counts[i] += 1
    fronts, current = [], [i for i in range(n) if counts[i] == 0]
    while current:
        fronts.append(current)
        nxt = []
        for i in current:
            for j in dominated_by[i]:
                counts[j] -= 1
                if counts[j] == 0:
                    nxt.append(j)
        current = nxt
    return fronts


def _crowding(objs: np.ndarray) -> np.ndarray:
    dist = np.zeros(len(objs))
    for k in range(objs.shape[1]):
        order = np.argsort(objs[:, k])
        span = objs[order[-1], k] - objs[order[0], k] or 1.0
        dist[order[0]] = dist[order[-1]] = np.inf
        dist[order[1:-1]] += (objs[order[2:], k] - objs[order[:-2], k]) / span
    return dist


def run_ga(
    problem: Problem,
    loss_budget_pp: float,
    population: int = 24,
    generations: int = 25,
    seed: int = 0,
    reference_energy: float | None = None,
    progress: Any = None,
) -> GAResult:
    """Evolve plans; return the final front and the best plan within the accuracy budget."""
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    sizes = [len(options) for options in problem.candidates]
    exact = problem.exact_choice()
    base_acc = problem.accuracy(exact)
    target = base_acc - loss_budget_pp / 100.0 - 1e-12
    evals_before = problem.evaluations
    pop = [list(exact)] + [[int(rng.integers(s)) for s in sizes] for _ in range(population - 1)]
    reached: float | None = None
    history: list[dict[str, float]] = []

    def objectives(genomes: list[list[int]]) -> np.ndarray:
        nonlocal reached
        out = []
        for g in genomes:
            acc, energy = problem.accuracy(g), problem.total_energy(g)
            if (
                reached is None
                and reference_energy is not None
                and acc >= target
                and energy <= reference_energy
            ):
                reached = time.perf_counter() - start
            out.append((energy, -acc))
        return np.array(out)

    objs = objectives(pop)
    for _gen in range(generations):
        children = []
        while len(children) < population:
            parents = []
            for _ in range(2):
                i, j = rng.integers(len(pop), size=2)
                parents.append(pop[i] if tuple(objs[i]) <= tuple(objs[j]) else pop[j])
            mask = rng.random(len(sizes)) < 0.5
            child = [a if m else b for a, b, m in zip(parents[0], parents[1], mask, strict=True)]
            for gene, size in enumerate(sizes):
                if rng.random() < 1.0 / len(sizes):
                    child[gene] = int(rng.integers(size))
            children.append(child)
        merged = pop + children
        merged_objs = np.vstack([objs, objectives(children)])
        chosen: list[int] = []
        for front in _non_dominated_sort(merged_objs):
            if len(chosen) + len(front) <= population:
                chosen.extend(front)
            else:
                crowd = _crowding(merged_objs[front])
                chosen.extend([front[i] for i in np.argsort(-crowd)[: population - len(chosen)]])
                break
        pop = [merged[i] for i in chosen]
        objs = merged_objs[chosen]
        ok = [(-o[1] >= target, o[0]) for o in objs]
        best = min((e for f, e in ok if f), default=float("nan"))
        history.append({"seconds": time.perf_counter() - start, "best_energy_within_budget": best})
        if progress is not None:
            progress()
    front = _non_dominated_sort(objs)[0]
    points = [
        {
            "energy": float(objs[i][0]),
            "accuracy": float(-objs[i][1]),
            "choice": [problem.candidates[k][c].label for k, c in enumerate(pop[i])],
            "genome": pop[i],
        }
        for i in front
    ]
    within = [p for p in points if p["accuracy"] >= target]
    best_point = min(within, key=lambda p: p["energy"]) if within else None
    return GAResult(
        sorted(points, key=lambda p: p["energy"]),
        best_point,
        time.perf_counter() - start,
        problem.evaluations - evals_before,
        reached,
        history,
    )
