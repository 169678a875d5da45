"""``toolkit approx``: profile, score, select, check in the emulator, write plan + selection report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.cache import write_atomic_json
from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.models.datasets import load_dataset
from toolkit.models.loading import default_dataset_for, load_model
from toolkit.models.reader import read_model
from toolkit.models.zoo import VALIDATION_FRACTION
from toolkit.progress import progress
from toolkit.select.candidates import layer_candidates
from toolkit.select.energy import candidate_energy
from toolkit.select.ga import run_ga
from toolkit.select.profile import profile_model
from toolkit.select.search import Problem, bisect, refine
from toolkit.select.sensitivity import gradient_statistics, omega

SELECTORS = ("ilp", "ga")


def build_problem(
    model_ir: Any,
    deploy: Any,
    data: Any,
    families: list[str] | None,
    corrections: tuple[str, ...],
    trace_method: str = "hutchinson",
    calibration: int = 512,
    model_label: str = "",
    seed: int = 0,
) -> tuple[Problem, dict[str, Any]]:
    """Split the data, profile, score every (layer, candidate); return the problem and the scores."""
    fit, val = data.validation_split(VALIDATION_FRACTION)
    x_cal, y_cal = fit.x_train[:calibration], fit.y_train[:calibration]
    profiles = profile_model(model_ir, x_cal)
    names = list(profiles)
    sens = gradient_statistics(deploy, names, x_cal, y_cal, method=trace_method, seed=seed)
    candidates, energy, omegas = [], [], []
    with progress() as bar:
        task = bar.add_task("score candidates", total=len(names), status="")
        for name in names:
            prof = profiles[name]
            options = layer_candidates(prof, families, corrections)
            candidates.append(options)
            energy.append(np.array([candidate_energy(c, prof) for c in options]))
            omegas.append(
                np.array([omega(sens[name], prof.fan_in, prof.product_scale, c.mean, c.var) for c in options])
            )
            bar.update(task, advance=1, status=f"{name}: {len(options)} candidates")
    problem = Problem(model_ir, profiles, candidates, energy, omegas, val.x_train, val.y_train, model_label)
    scores = {
        name: {
            "grad_sum": sens[name].grad_sum,
            "hessian_trace": sens[name].hessian_trace,
            "fan_in": profiles[name].fan_in,
            "macs": profiles[name].macs,
            "approximable": profiles[name].approximable,
            "note": profiles[name].reason,
            "candidates": [
                {
                    "candidate": c.label,
                    "mean_error": c.mean,
                    "var_error": c.var,
                    "omega": float(o),
                    "energy": float(e),
                }
                for c, o, e in zip(options, om, en, strict=True)
            ],
        }
        for name, options, om, en in zip(names, candidates, omegas, energy, strict=True)
    }
    return problem, scores


def uniform_points(problem: Problem) -> list[dict[str, Any]]:
    """Every design family-and-parameter applied to all approximable layers (no correction)."""
    by_prefix: dict[str, list[int]] = {}
    for options in problem.candidates:
        for i, c in enumerate(options):
            if c.design is not None and c.correction == "none":
                by_prefix.setdefault(c.design.name.split("_")[0], []).append(i)
    points = []
    for prefix in sorted(by_prefix):
        choice = []
        for options in problem.candidates:
            match = [
                i
                for i, c in enumerate(options)
                if c.correction == "none" and c.design is not None and c.design.name.split("_")[0] == prefix
            ]
            choice.append(match[0] if match else next(i for i, c in enumerate(options) if c.is_exact))
        points.append(
            {"design": prefix, "energy": problem.total_energy(choice), "accuracy": problem.accuracy(choice)}
        )
    return points


def approx_model(
    model_spec: str,
    data_spec: str | None,
    out_dir: Path,
    budget: float = 1.0,
    families: list[str] | None = None,
    use_cv: bool = True,
    fold_mean: bool = False,
    selector: str = "ilp",
    trace_method: str = "hutchinson",
    seed: int = 0,
    verbose: bool = True,
    refine_steps: int = 3,
) -> dict[str, Any]:
    """The whole selection; writes ``plan.json``, ``selection.json`` and plots into ``out_dir``."""
    if selector not in SELECTORS:
        raise ToolkitError(
            f"selection method {selector!r} is unknown: expected one of {', '.join(SELECTORS)}"
        )
    start = time.perf_counter()
    data_spec = data_spec or default_dataset_for(model_spec)
    if data_spec is None:
        raise ToolkitError(f"--data is required for model {model_spec!r} (digits, mnist1d or an .npz path)")
    data = load_dataset(data_spec)
    model_ir, deploy = read_model(load_model(model_spec, verbose=verbose))
    corrections = ("bias" if fold_mean else "none",) + (("cv",) if use_cv else ())
    problem, scores = build_problem(
        model_ir, deploy, data, families, corrections, trace_method, model_label=model_spec, seed=seed
    )
    t_score = time.perf_counter() - start
    steps_total = 14 if selector == "ilp" else 25
    with progress() as bar:
        task = bar.add_task(f"select ({selector})", total=steps_total, status="")
        tick = lambda: bar.advance(task)  # noqa: E731
        if selector == "ilp":
            result = bisect(problem, budget, steps=steps_total, progress=tick)
            if refine_steps:
                result = refine(problem, result, budget, tries_per_layer=refine_steps)
            choice, ga = result.choice, None
        else:
            ga = run_ga(problem, budget, generations=steps_total, seed=seed, progress=tick)
            if ga.best_within_budget is None:
                raise ToolkitError(
                    f"the genetic search found no plan within an accuracy loss of {budget:g} points"
                )
            choice = ga.best_within_budget["genome"]
    plan = problem.plan(choice)
    out_dir.mkdir(parents=True, exist_ok=True)
    exact = problem.exact_choice()
    test_codes = Emulator(model_ir).quantize_input(data.x_test)
    acc_test = {}
    for label, ch in (("exact", exact), ("plan", choice)):
        emu = Emulator(model_ir, problem.plan(ch).kernels())
        acc_test[label] = float(np.mean(emu.predict_codes(test_codes).argmax(-1) == data.y_test))
    e_exact, e_plan = problem.total_energy(exact), problem.total_energy(choice)
    summary = {
        "model": model_spec,
        "data": data_spec,
        "model_hash": model_ir.model_hash(),
        "selector": selector,
        "budget_points": budget,
        "families": families or "all",
        "corrections": list(corrections),
        "trace_method": trace_method,
        "validation": {
            "exact": problem.accuracy(exact),
            "plan": problem.accuracy(choice),
            "n": len(problem.y_val),
        },
        "test": {**acc_test, "n": len(data.y_test)},
        "energy": {
            "exact": e_exact,
            "plan": e_plan,
            "reduction": 1 - e_plan / e_exact,
            "unit": "LUT switches per inference (modelled, see toolkit/select/energy.py)",
        },
        "layers": {
            c.layer: c.label
            for options, i in zip(problem.candidates, choice, strict=True)
            for c in [options[i]]
        },
        "scores": scores,
        "bisection": result.steps if selector == "ilp" else None,
        "ga": None
        if ga is None
        else {
            "front": [{k: v for k, v in p.items() if k != "genome"} for p in ga.front],
            "seconds": ga.seconds,
            "evaluations": ga.evaluations,
        },
        "uniform": uniform_points(problem),
        "evaluations": problem.evaluations,
        "seconds": {"score": t_score, "total": time.perf_counter() - start},
    }
    plan.save(out_dir / "plan.json", model_ir)
    write_atomic_json(out_dir / "selection.json", summary)
    from toolkit.report.selection import plot_selection

    summary["plots"] = [str(p) for p in plot_selection(summary, out_dir)]
    return summary
