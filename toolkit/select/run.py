"""``toolkit approx``: profile, score, search a ladder of plans, certify one on unseen data, write plan + report."""

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
from toolkit.select.certify import (
    DEFAULT_CONFIDENCE,
    Certificate,
    PairedLoss,
    certify,
    check_confidence,
    paired_loss,
)
from toolkit.select.data import CERTIFY_FRACTION, SelectionData, split_selection_data
from toolkit.select.energy import candidate_energy
from toolkit.select.eval_cache import EvaluationStore
from toolkit.select.ga import require_pymoo, run_ga
from toolkit.select.ladder import GRID_POINTS, Ladder, build_ladder
from toolkit.select.search import Problem
from toolkit.select.sensitivity import omega
from toolkit.select.stats_cache import calibration_statistics

SELECTORS = ("ilp", "ga")


def build_problem(
    model_ir: Any,
    deploy: Any,
    calibration: tuple[np.ndarray, np.ndarray],
    search: tuple[np.ndarray, np.ndarray],
    families: list[str] | None,
    corrections: tuple[str, ...],
    trace_method: str = "hutchinson",
    model_label: str = "",
    seed: int = 0,
    use_cache: bool = True,
) -> tuple[Problem, dict[str, Any]]:
    """Profile and score every (layer, candidate) on ``calibration``; the problem evaluates on ``search``.

    With ``use_cache`` the histograms and gradient statistics come from the content-keyed
    cache when an earlier run computed them (:mod:`toolkit.select.stats_cache`), and plans
    are emulated incrementally, and read from the evaluation cache when an earlier run
    emulated them on the same samples (:mod:`toolkit.select.eval_cache`); without it
    everything is computed afresh (same numbers).
    """
    x_cal, y_cal = calibration
    profiles, sens = calibration_statistics(
        model_ir, deploy, x_cal, y_cal, method=trace_method, seed=seed, use_cache=use_cache
    )
    names = list(profiles)
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
    problem = Problem(
        model_ir,
        profiles,
        candidates,
        energy,
        omegas,
        search[0],
        search[1],
        model_label,
        incremental=use_cache,
        store=EvaluationStore(model_ir, search[0], search[1]) if use_cache else None,
    )
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


def held_out_sets(
    data: Any, calibration: int = 512
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(calibration, search) of the selection before certification existed: 512 training samples for
    the scores, the whole held-out split for the search and its acceptance. Kept for benchmarks that
    compare against it (it accepts on the data it searched on)."""
    fit, val = data.validation_split(VALIDATION_FRACTION)
    return (fit.x_train[:calibration], fit.y_train[:calibration]), (val.x_train, val.y_train)


UNIFORM_SAMPLES = 512  # search samples the report's uniform points are evaluated on


def uniform_points(problem: Problem, samples: int = UNIFORM_SAMPLES) -> list[dict[str, Any]]:
    """Every design family applied to all approximable layers (no correction), for the report's plot.

    They are reference points of a figure, not candidates: each is a full emulator walk that
    shares no layer with any plan of the search (every layer changes), so they are evaluated on
    the first ``samples`` search samples only (``n`` in each point; at 512 samples the standard
    error of an accuracy is at most 2.2 points, small beside the 10-80 point losses they show).
    """
    if (
        len(problem.y_val) > samples
    ):  # the exact plan (and any uniform plan the search met) is not re-emulated
        problem = problem.head(samples)
    by_prefix: dict[str, list[int]] = {}
    for options in problem.candidates:
        for i, c in enumerate(options):
            if c.design is not None and c.correction == "none":
                by_prefix.setdefault(c.design.name.split("_")[0], []).append(i)
    exact = problem.accuracy(problem.exact_choice())
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
            {
                "design": prefix,
                "energy": problem.total_energy(choice),
                "accuracy": problem.accuracy(choice),
                "loss_points": 100 * (exact - problem.accuracy(choice)),  # vs exact on the same samples
                "n": len(problem.y_val),
            }
        )
    return points


def search_ladder(
    model_ir: Any,
    deploy: Any,
    sets: SelectionData,
    families: list[str] | None = None,
    corrections: tuple[str, ...] = ("none", "cv"),
    selector: str = "ilp",
    trace_method: str = "hutchinson",
    refine_steps: int = 3,
    model_label: str = "",
    seed: int = 0,
    use_cache: bool = True,
) -> tuple[Problem, dict[str, Any], Ladder, Any]:
    """Score on the calibration set and build the budget-free ladder on the search set.

    Returns (problem, scores, ladder, GA result or None). Unlabelled calibration samples are
    labelled with the exact model's own predictions (the search then measures disagreement).
    """
    if selector not in SELECTORS:
        raise ToolkitError(
            f"selection method {selector!r} is unknown: expected one of {', '.join(SELECTORS)}"
        )
    if selector == "ga":
        require_pymoo()  # before the profiling and scoring, not after
    y_cal, y_search = sets.y_calibration, sets.y_search
    if y_cal is None:
        exact = Emulator(model_ir)
        y_cal = exact.predict_codes(exact.quantize_input(sets.x_calibration)).argmax(-1)
        y_search = np.concatenate([y_cal, sets.y_held_search])
    problem, scores = build_problem(
        model_ir, deploy, (sets.x_calibration, y_cal), (sets.x_search, y_search), families, corrections,
        trace_method, model_label=model_label, seed=seed, use_cache=use_cache,
    )  # fmt: skip
    ga = None
    with progress() as bar:
        if selector == "ilp":
            task = bar.add_task("search (ILP path)", total=GRID_POINTS, status="")
            ladder = build_ladder(problem, tries=refine_steps, progress=lambda: bar.advance(task))
        else:
            generations = 25
            task = bar.add_task("search (GA)", total=generations, status="")
            ga = run_ga(problem, 0.0, generations=generations, seed=seed, progress=lambda: bar.advance(task))
            ladder = build_ladder(problem, grid=0, tries=0, extra=[p["genome"] for p in ga.front])
    return problem, scores, ladder, ga


def certify_ladder(
    problem: Problem, ladder: Ladder, sets: SelectionData, budget: float, confidence: float
) -> Certificate:
    """Walk the ladder on the certification set (fixed-sequence; see :mod:`toolkit.select.certify`)."""
    cert = problem.with_samples(sets.x_certify, sets.y_certify)
    return certify(ladder.savings, lambda i: cert.correct(ladder.choices[i]), budget, confidence)


def evaluate_test(
    problem: Problem, x: np.ndarray, y: np.ndarray, choice: list[int], confidence: float
) -> PairedLoss:
    """The chosen plan's loss against the exact model on the test split (reported, never used to choose)."""
    test = problem.with_samples(x, y)
    return paired_loss(test.correct(problem.exact_choice()), test.correct(choice), confidence)


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
    confidence: float = DEFAULT_CONFIDENCE,
    calibration: str | Path | None = None,
    split_seed: int = 0,
    certify_fraction: float = CERTIFY_FRACTION,
    log: Any = None,
    use_cache: bool = True,
) -> dict[str, Any]:
    """The whole selection; writes ``plan.json``, ``selection.json`` and plots into ``out_dir``.

    Searches on the calibration + search sets, accepts only what certifies on the
    certification set (an upper ``confidence`` bound of the loss within ``budget``), else
    writes the exact plan and says why.
    """
    check_confidence(confidence)
    if budget < 0:
        raise ToolkitError(f"--budget {budget:g}: expected an accuracy loss in points >= 0")
    start = time.perf_counter()
    data_spec = data_spec or default_dataset_for(model_spec)
    if data_spec is None:
        raise ToolkitError(f"--data is required for model {model_spec!r} (digits, mnist1d or an .npz path)")
    data = load_dataset(data_spec)
    sets = split_selection_data(data, calibration, certify_fraction, split_seed)
    model_ir, deploy = read_model(load_model(model_spec, verbose=verbose))
    corrections = ("bias" if fold_mean else "none",) + (("cv",) if use_cv else ())
    problem, scores, ladder, ga = search_ladder(
        model_ir, deploy, sets, families, corrections, selector, trace_method, refine_steps, model_spec, seed,
        use_cache,
    )  # fmt: skip
    t_search = time.perf_counter() - start
    certificate = certify_ladder(problem, ladder, sets, budget, confidence)
    if log is not None:
        log(certificate.message)
    choice = ladder.choices[certificate.accepted]
    plan = problem.plan(choice)
    out_dir.mkdir(parents=True, exist_ok=True)
    exact = problem.exact_choice()
    test_loss = evaluate_test(problem, data.x_test, data.y_test, choice, confidence)
    e_exact, e_plan = problem.total_energy(exact), problem.total_energy(choice)
    summary = {
        "model": model_spec,
        "data": data_spec,
        "model_hash": model_ir.model_hash(),
        "selector": selector,
        "budget_points": budget,
        "confidence": confidence,
        "families": families or "all",
        "corrections": list(corrections),
        "trace_method": trace_method,
        "samples": sets.counts() | {"test": len(data.y_test)},
        "search": {
            "exact": problem.accuracy(exact),
            "plan": problem.accuracy(choice),
            "n": len(problem.y_val),
        },
        "certificate": certificate.to_json(),
        "test": {
            "exact": test_loss.exact_accuracy,
            "plan": test_loss.plan_accuracy,
            "n": test_loss.n,
            "loss": test_loss.to_json(),
        },
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
        "ladder": ladder.to_json(problem),
        "ga": None
        if ga is None
        else {
            "front": [{k: v for k, v in p.items() if k != "genome"} for p in ga.front],
            "seconds": ga.seconds,
            "evaluations": ga.evaluations,
            "generations": ga.generations,
        },
        "uniform": uniform_points(problem),
        "evaluations": problem.evaluations,
        "reused_evaluations": problem.reused,  # read from the evaluation cache instead of emulated
        "seconds": {"search": t_search, "total": time.perf_counter() - start},
    }
    plan.save(out_dir / "plan.json", model_ir)
    write_atomic_json(out_dir / "selection.json", summary)
    from toolkit.report.selection import plot_selection

    summary["plots"] = [str(p) for p in plot_selection(summary, out_dir)]
    return summary
