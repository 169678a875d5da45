"""From scores to a plan that meets the accuracy budget: ILP + bisection on the score budget.

The ILP's constraint is on the *predicted* perturbation Omega; the user's budget is on
*measured* accuracy. Bisection (geometric, on the Omega budget) runs one emulated
validation evaluation per step and keeps the lowest-energy plan whose measured loss
stays within the user's budget.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.cache import content_hash
from toolkit.emulator.control_variate import fit_correction
from toolkit.emulator.engine import Emulator
from toolkit.emulator.incremental import IncrementalEmulator, batch_size_for
from toolkit.emulator.products import ProductKernel
from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.plan import LayerPlan, Plan
from toolkit.select import ilp
from toolkit.select.candidates import Candidate
from toolkit.select.eval_cache import EvaluationStore, layer_key
from toolkit.select.profile import LayerProfile


@dataclass
class Problem:
    """Everything a search evaluates against: candidates, their energy and score, and samples.

    ``x_val, y_val`` are the samples plans are evaluated on: the search set for a search,
    the certification set for :meth:`with_samples` copies. With ``incremental`` (the default)
    plans are emulated by one :class:`~toolkit.emulator.incremental.IncrementalEmulator` per
    sample set, which re-runs only the layers a plan changes relative to plans emulated
    before; without it every plan is a full :class:`Emulator` walk (same result, bit for bit).
    With a ``store`` (:class:`~toolkit.select.eval_cache.EvaluationStore`, on the sample set
    ``x_val, y_val``) a plan an earlier run emulated is read instead (``reused`` counts those).
    """

    model_ir: ir.ModelIR
    profiles: dict[str, LayerProfile]
    candidates: list[list[Candidate]]
    energy: list[np.ndarray]
    omega: list[np.ndarray]
    x_val: np.ndarray
    y_val: np.ndarray
    model_label: str = ""
    evaluations: int = 0
    incremental: bool = True
    store: EvaluationStore | None = None
    reused: int = 0
    _codes: np.ndarray | None = field(default=None, repr=False)
    _cache: dict[tuple[int, ...], np.ndarray] = field(default_factory=dict, repr=False)
    _layer_plans: dict[tuple[int, int], LayerPlan | None] = field(default_factory=dict, repr=False)
    _layer_keys: dict[tuple[int, int], str] = field(default_factory=dict, repr=False)
    _model_hash: str = field(default="", repr=False)
    _emulator: IncrementalEmulator | None = field(default=None, repr=False)

    def layer_plan(self, layer: int, index: int) -> LayerPlan | None:
        """Candidate ``index`` of MAC layer ``layer`` as a layer plan (None: a layer kept exact), memoized.

        A correction is fitted with the calibration histograms; the fit is deterministic, so
        the memo changes nothing but the time.
        """
        key = (layer, index)
        if key not in self._layer_plans:
            cand = self.candidates[layer][index]
            if cand.design is None:
                self._layer_plans[key] = None
            else:
                correction = None
                if cand.correction != "none":
                    weights = self.model_ir.layer(cand.layer).weight_matrix()
                    p_a = self.profiles[cand.layer].p_a
                    correction = fit_correction(cand.design, weights, cand.correction, p_a)
                self._layer_plans[key] = LayerPlan(cand.layer, cand.design, correction)
        return self._layer_plans[key]

    def plan(self, choice: list[int]) -> Plan:
        """The plan of a choice; corrections fitted with the calibration histograms."""
        self._check(choice)
        layers = {}
        for k, index in enumerate(choice):
            lp = self.layer_plan(k, index)
            if lp is not None:
                layers[lp.name] = lp
        return Plan(self.model_ir.model_hash(), layers, self.model_label)

    def _check(self, choice: list[int]) -> None:
        if len(choice) != len(self.candidates):
            raise ToolkitError(
                f"a choice of {len(choice)} candidates for a model of {len(self.candidates)} MAC layers: "
                "expected one candidate index per MAC layer"
            )

    def plan_key(self, choice: list[int]) -> str:
        """A content key of a choice's arithmetic (model, and every approximated layer's table and correction)."""
        self._check(choice)
        parts = []
        for k, index in enumerate(choice):
            lp = self.layer_plan(k, index)
            if lp is None:
                continue
            if (k, index) not in self._layer_keys:
                correction = lp.correction.to_json() if lp.correction else "none"
                self._layer_keys[(k, index)] = layer_key(lp.design, correction)
            parts.append((lp.name, self._layer_keys[(k, index)]))
        self._model_hash = self._model_hash or self.model_ir.model_hash()
        return content_hash(self._model_hash, parts)

    def correct(self, choice: list[int]) -> np.ndarray:
        """Per-sample correctness of a choice on this problem's samples, emulated (memoized, see ``store``)."""
        key = tuple(choice)
        if key not in self._cache:
            stored = None if self.store is None else self.store.get(self.plan_key(choice))
            if stored is not None:
                self._cache[key] = stored
                self.reused += 1
            else:
                self._cache[key] = self.predict_codes(choice).argmax(axis=-1) == self.y_val
                self.evaluations += 1
                if self.store is not None:
                    self.store.put(self.plan_key(choice), self._cache[key])
        return self._cache[key]

    def predict_codes(self, choice: list[int]) -> np.ndarray:
        """Output codes of a choice on this problem's samples (incremental or a full walk, see class doc)."""
        if self._codes is None:
            self._codes = Emulator(self.model_ir).quantize_input(self.x_val)
        if not self.incremental:
            batch = batch_size_for(self.model_ir)
            return Emulator(self.model_ir, self.plan(choice).kernels(), batch).predict_codes(self._codes)
        if self._emulator is None:
            self._emulator = IncrementalEmulator(self.model_ir, self._codes)
        self._check(choice)
        layers = {k: self.candidates[k][i].layer for k, i in enumerate(choice)}
        keys = {layers[k]: i for k, i in enumerate(choice) if self.layer_plan(k, i) is not None}
        index = {name: k for k, name in layers.items()}

        def kernel(name: str) -> ProductKernel:
            lp = self.layer_plan(index[name], choice[index[name]])
            assert lp is not None
            return lp.kernel()

        return self._emulator.predict_codes(keys, kernel)

    def accuracy(self, choice: list[int]) -> float:
        """Emulated accuracy of a choice on this problem's samples (memoized)."""
        return float(np.mean(self.correct(choice)))

    def with_samples(self, x: np.ndarray, y: np.ndarray) -> Problem:
        """The same candidates evaluated on other samples (e.g. the certification set), own caches."""
        store = None if self.store is None else EvaluationStore(self.model_ir, x, y)
        return Problem(
            self.model_ir, self.profiles, self.candidates, self.energy, self.omega, x, y, self.model_label,
            incremental=self.incremental, store=store, _layer_plans=self._layer_plans,
            _layer_keys=self._layer_keys,
        )  # fmt: skip

    def head(self, n: int) -> Problem:
        """The same candidates on the first ``n`` samples; what this problem already evaluated is cut, not emulated.

        A sample's correctness does not depend on the others (the emulator computes every
        sample alone), so the first ``n`` entries of a memoized vector are the subset's own.
        """
        sub = self.with_samples(self.x_val[:n], self.y_val[:n])
        sub._cache.update({key: correct[:n] for key, correct in self._cache.items()})
        return sub

    def total_energy(self, choice: list[int]) -> float:
        return float(sum(e[i] for e, i in zip(self.energy, choice, strict=True)))

    def exact_choice(self) -> list[int]:
        return [next(i for i, c in enumerate(options) if c.is_exact) for options in self.candidates]


@dataclass
class SearchResult:
    choice: list[int]
    accuracy: float
    energy: float
    baseline_accuracy: float
    baseline_energy: float
    steps: list[dict[str, Any]]
    seconds: float


def bisect(problem: Problem, loss_budget_pp: float, steps: int = 14, progress: Any = None) -> SearchResult:
    """Lowest-energy ILP plan whose validation accuracy loss is at most ``loss_budget_pp`` points."""
    start = time.perf_counter()
    exact = problem.exact_choice()
    base_acc, base_energy = problem.accuracy(exact), problem.total_energy(exact)
    target = base_acc - loss_budget_pp / 100.0 - 1e-12
    trail: list[dict[str, Any]] = []
    feasible: list[tuple[float, list[int], float]] = []

    def trial(budget: float) -> bool:
        choice = ilp.solve(problem.energy, problem.omega, budget)
        if choice is None:
            trail.append({"omega_budget": budget, "feasible_ilp": False})
            return False
        acc = problem.accuracy(choice)
        ok = acc >= target
        energy = problem.total_energy(choice)
        trail.append(
            {
                "omega_budget": budget,
                "energy": energy,
                "accuracy": acc,
                "meets_budget": ok,
                "choice": [problem.candidates[i][c].label for i, c in enumerate(choice)],
            }
        )
        if ok:
            feasible.append((energy, choice, acc))
        if progress is not None:
            progress()
        return ok

    if base_acc >= target:
        feasible.append((base_energy, exact, base_acc))
    positive = np.concatenate([o[o > 0] for o in problem.omega])
    hi = float(np.sum([o.max() for o in problem.omega])) * 1.0001 + 1e-30
    if positive.size and not trial(hi):
        lo = float(positive.min()) * 0.5
        if trial(lo):
            for _ in range(max(0, steps - 2)):
                mid = float(np.sqrt(lo * hi))
                if trial(mid):
                    lo = mid
                else:
                    hi = mid
    if not feasible:
        best = max((t["accuracy"] for t in trail if "accuracy" in t), default=base_acc)
        best = max(best, base_acc)
        raise ToolkitError(
            f"no plan meets an accuracy loss of {loss_budget_pp:g} points: the exact model reaches "
            f"{100 * base_acc:.2f}% on the validation split and the best plan tried reaches {100 * best:.2f}%; "
            f"allow a loss of at least {100 * (base_acc - best):.2f} points"
        )
    energy, choice, acc = min(feasible, key=lambda t: t[0])
    return SearchResult(choice, acc, energy, base_acc, base_energy, trail, time.perf_counter() - start)


def refine(
    problem: Problem, result: SearchResult, loss_budget_pp: float, tries_per_layer: int = 3
) -> SearchResult:
    """Greedy, emulator-checked improvement of a feasible plan.

    Layer by layer (largest possible saving first), try up to ``tries_per_layer``
    cheaper candidates in order of increasing score and keep the first whose measured
    validation accuracy still meets the budget. Only measured improvements are kept,
    so the result is never worse than the bisection's.
    """
    start = time.perf_counter()
    target = result.baseline_accuracy - loss_budget_pp / 100.0 - 1e-12
    choice, acc, energy = list(result.choice), result.accuracy, result.energy
    steps = list(result.steps)
    savings = [problem.energy[i][c] - problem.energy[i].min() for i, c in enumerate(choice)]
    for layer in np.argsort(savings)[::-1]:
        current = problem.energy[layer][choice[layer]]
        cheaper = [i for i in np.argsort(problem.omega[layer]) if problem.energy[layer][i] < current]
        for index in cheaper[:tries_per_layer]:
            trial = list(choice)
            trial[layer] = int(index)
            trial_acc = problem.accuracy(trial)
            steps.append(
                {
                    "refine_layer": problem.candidates[layer][index].layer,
                    "candidate": problem.candidates[layer][index].label,
                    "accuracy": trial_acc,
                    "energy": problem.total_energy(trial),
                    "meets_budget": trial_acc >= target,
                }
            )
            if trial_acc >= target:
                choice, acc, energy = trial, trial_acc, problem.total_energy(trial)
                break
    return SearchResult(
        choice,
        acc,
        energy,
        result.baseline_accuracy,
        result.baseline_energy,
        steps,
        result.seconds + time.perf_counter() - start,
    )
