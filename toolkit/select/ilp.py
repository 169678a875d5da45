"""The multiple-choice knapsack of FAMES as an integer program (scipy.optimize.milp / HiGHS).

min  sum_{l,m} x_{l,m} E_{l,m}
s.t. sum_m x_{l,m} = 1            for every layer l
     sum_{l,m} x_{l,m} Omega_{l,m} <= budget
     x binary
"""

from __future__ import annotations

import itertools

import numpy as np

from toolkit.errors import ToolkitError


def solve(energy: list[np.ndarray], omega: list[np.ndarray], budget: float) -> list[int] | None:
    """Index of the chosen candidate per layer, or None if no choice meets the budget."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    sizes = [len(e) for e in energy]
    if any(len(e) != len(o) for e, o in zip(energy, omega, strict=True)) or 0 in sizes:
        raise ToolkitError("every layer needs at least one candidate, with one energy and one score each")
    c = np.concatenate(energy).astype(np.float64)
    total = len(c)
    rows = np.zeros((len(sizes), total))
    start = 0
    for layer, size in enumerate(sizes):
        rows[layer, start : start + size] = 1.0
        start += size
    constraints = [
        LinearConstraint(rows, lb=1.0, ub=1.0),
        LinearConstraint(np.concatenate(omega)[None, :], lb=-np.inf, ub=budget),
    ]
    scale = max(float(np.abs(c).max()), 1.0)  # keep the objective well conditioned
    result = milp(c / scale, constraints=constraints, integrality=np.ones(total), bounds=Bounds(0, 1))
    if result.status != 0 or result.x is None:
        return None
    x = np.rint(result.x).astype(int)
    choice, start = [], 0
    for size in sizes:
        choice.append(int(np.argmax(x[start : start + size])))
        start += size
    return choice


def brute_force(energy: list[np.ndarray], omega: list[np.ndarray], budget: float) -> list[int] | None:
    """Exhaustive reference for small instances (tests)."""
    best, best_energy = None, np.inf
    for choice in itertools.product(*(range(len(e)) for e in energy)):
        total_omega = sum(o[i] for o, i in zip(omega, choice, strict=True))
        total_energy = sum(e[i] for e, i in zip(energy, choice, strict=True))
        if total_omega <= budget and total_energy < best_energy - 1e-12:
            best, best_energy = list(choice), total_energy
    return best
