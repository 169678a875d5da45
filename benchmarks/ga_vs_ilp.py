"""ILP selection vs pymoo's NSGA-II on the realistic-size models (same candidates, same emulator).

For each model of ``benchmarks/scale_models.py`` (default: the CIFAR-sized CNN and the
ten-MAC-layer MLP), at a 1-point accuracy budget on the validation split:

* **ILP**: profile + score every candidate, bisection on the score budget, greedy refinement
  (what ``benchmarks/selection.py`` times); its plan has energy ``E`` and validation accuracy ``A``.
* **NSGA-II** (``toolkit.select.ga``), per seed, on a fresh copy of the same problem (same
  candidates and energies, its own emulation memo): the time until it first evaluates a plan
  with energy <= ``E`` at validation accuracy >= ``A``, plus its setup (profiling and candidate
  energies, which the GA needs too); when it does not get there within the generation / time
  cap, its lowest energy at accuracy >= ``A`` by then. The time to a plan within the budget
  (accuracy >= exact - 1 point, energy <= ``E``) is reported as well.

Prints a table and writes ``benchmarks/results/ga_vs_ilp.json`` (a run replaces the rows of its\nmodels and keeps the others). Wall times are machine-load
dependent; the GA/ILP ratio is measured side by side in one process.

    python benchmarks/ga_vs_ilp.py [--models cifar-cnn deep-mlp10] [--seeds 0 1 2]
        [--population 32] [--generations 60] [--max-seconds 900] [--no-stop]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from scale_models import dataset_spec, trained_model_path  # noqa: E402

from toolkit.models.datasets import load_dataset  # noqa: E402
from toolkit.models.loading import load_model  # noqa: E402
from toolkit.models.reader import read_model  # noqa: E402
from toolkit.select.candidates import layer_candidates  # noqa: E402
from toolkit.select.energy import candidate_energy  # noqa: E402
from toolkit.select.ga import run_ga  # noqa: E402
from toolkit.select.profile import profile_model  # noqa: E402
from toolkit.select.run import build_problem, held_out_sets  # noqa: E402
from toolkit.select.search import bisect, refine  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "ga_vs_ilp.json"
BUDGET = 1.0
CORRECTIONS = ("none", "cv")  # every family, with and without the control variate (the CLI default)


def first_time(
    trace: list[tuple[float, int, float, float]], energy: float, accuracy: float
) -> tuple[float, int] | None:
    """(seconds, emulator runs) into the GA run when it first evaluated a plan with <= energy at >= accuracy."""
    return next(((t, n) for t, n, e, a in trace if e <= energy and a >= accuracy), None)


def ga_setup_seconds(model_ir, x_cal: np.ndarray) -> float:
    """What the GA needs of the pipeline before its search: profiles, candidates, their energies."""
    start = time.perf_counter()
    for prof in profile_model(model_ir, x_cal).values():
        for cand in layer_candidates(prof, None, CORRECTIONS):
            candidate_energy(cand, prof)
    return time.perf_counter() - start


def compare(name: str, seeds: list[int], population: int, generations: int, max_seconds: float, stop: bool):
    data = load_dataset(dataset_spec(name))
    model_ir, deploy = read_model(load_model(os.fspath(trained_model_path(name)), verbose=False))
    cal, held = held_out_sets(data)
    start = time.perf_counter()
    problem, _ = build_problem(model_ir, deploy, cal, held, None, CORRECTIONS, model_label=name)
    result = refine(problem, bisect(problem, BUDGET), BUDGET)
    ilp_seconds = time.perf_counter() - start
    e_ilp, a_ilp = result.energy, result.accuracy
    e0, a0 = result.baseline_energy, result.baseline_accuracy
    row = {
        "model": name,
        "mac_layers": len(problem.candidates),
        "candidates_per_layer": [len(c) for c in problem.candidates],
        "search_samples": len(problem.y_val),
        "exact": {"energy": e0, "val_accuracy": a0},
        "ilp": {
            "seconds": ilp_seconds,
            "evaluations": problem.evaluations,
            "energy": e_ilp,
            "saving": 1 - e_ilp / e0,
            "val_accuracy": a_ilp,
            "choice": [problem.candidates[i][c].label for i, c in enumerate(result.choice)],
        },
        "ga_setup_seconds": ga_setup_seconds(model_ir, cal[0]),
        "ga": [],
    }
    print(
        f"{name}: {row['mac_layers']} MAC layers, {row['candidates_per_layer']} candidates; ILP {ilp_seconds:.1f}s "
        f"({problem.evaluations} emulations) saving {100 * row['ilp']['saving']:.1f}% at val "
        f"{100 * a_ilp:.2f}% (exact {100 * a0:.2f}%); GA setup {row['ga_setup_seconds']:.1f}s",
        flush=True,
    )
    for seed in seeds:
        fresh = problem.with_samples(problem.x_val, problem.y_val)  # same candidates, empty memo
        ga = run_ga(
            fresh,
            BUDGET,
            population=population,
            generations=generations,
            seed=seed,
            reference=(e_ilp * (1 + 1e-9), a_ilp - 1e-12),
            stop_at_reference=stop,
            max_seconds=max_seconds,
        )
        at_ilp_acc = [e for _, _, e, a in ga.trace if a >= a_ilp - 1e-12]
        reached = ga.reached_reference_after
        within = first_time(ga.trace, e_ilp * (1 + 1e-9), a0 - BUDGET / 100 - 1e-12)
        setup = row["ga_setup_seconds"]
        entry = {
            "seed": seed,
            "seconds": ga.seconds,
            "generations": ga.generations,
            "evaluations": ga.evaluations,
            "reached_ilp_after": reached,
            "reached_ilp_after_evaluations": ga.reached_reference_evaluations,
            "evaluation_ratio_to_ilp": None
            if reached is None
            else ga.reached_reference_evaluations / row["ilp"]["evaluations"],
            "ratio_to_ilp": None if reached is None else (setup + reached) / ilp_seconds,
            "lower_bound_ratio": (setup + ga.seconds) / ilp_seconds,
            "within_budget_at_ilp_energy_after": within,
            "best_saving_at_ilp_accuracy": 1 - min(at_ilp_acc) / e0,
            "front": [{k: v for k, v in p.items() if k != "genome"} for p in ga.front],
        }
        row["ga"].append(entry)
        when = (
            f"reached the ILP plan after {reached:.1f}s / {ga.reached_reference_evaluations} emulations -> "
            f"GA/ILP {entry['ratio_to_ilp']:.1f}x in time, {entry['evaluation_ratio_to_ilp']:.1f}x in emulations"
            if reached is not None
            else f"not reached in {ga.seconds:.0f}s (> {entry['lower_bound_ratio']:.1f}x)"
        )
        print(
            f"{name}: NSGA-II seed {seed}: {ga.generations} generations, {ga.evaluations} emulations, {when}; "
            f"best saving at the ILP's accuracy {100 * entry['best_saving_at_ilp_accuracy']:.1f}%; "
            "within budget at the ILP's energy "
            + ("never" if within is None else f"after {within[0]:.1f}s / {within[1]} emulations"),
            flush=True,
        )
    return row


def print_table(rows: list[dict]) -> None:
    """One line per (model, seed); ">" marks a lower bound (the GA stopped at its cap first)."""
    head = (
        f"{'model':<11} {'seed':>4} {'ILP s':>6} {'ILP em.':>7} {'ILP saving':>10} {'GA reach s':>10} "
        f"{'GA em.':>6} {'GA/ILP time':>11} {'GA/ILP em.':>10} {'gens':>4} {'GA saving @ILP acc':>18}"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        ilp = row["ilp"]
        for ga in row["ga"]:
            if ga["reached_ilp_after"] is None:
                reach, runs = f">{ga['seconds']:.0f}", f">{ga['evaluations']}"
                ratio, em_ratio = (
                    f">{ga['lower_bound_ratio']:.1f}x",
                    f">{ga['evaluations'] / ilp['evaluations']:.1f}x",
                )
            else:
                reach, runs = f"{ga['reached_ilp_after']:.1f}", str(ga["reached_ilp_after_evaluations"])
                ratio, em_ratio = f"{ga['ratio_to_ilp']:.1f}x", f"{ga['evaluation_ratio_to_ilp']:.1f}x"
            print(
                f"{row['model']:<11} {ga['seed']:>4} {ilp['seconds']:>6.1f} {ilp['evaluations']:>7} "
                f"{100 * ilp['saving']:>9.1f}% {reach:>10} {runs:>6} {ratio:>11} {em_ratio:>10} "
                f"{ga['generations']:>4} {100 * ga['best_saving_at_ilp_accuracy']:>17.1f}%"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["cifar-cnn", "deep-mlp10"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--population", type=int, default=32)
    parser.add_argument("--generations", type=int, default=60)
    parser.add_argument("--max-seconds", type=float, default=900.0, help="wall-time cap of each GA run")
    parser.add_argument(
        "--no-stop", action="store_true", help="run each GA to its cap instead of stopping at the ILP's plan"
    )
    args = parser.parse_args()
    config = {k: v for k, v in vars(args).items() if k != "models"}
    rows = []
    for name in args.models:
        load = os.getloadavg()[0]
        row = compare(name, args.seeds, args.population, args.generations, args.max_seconds, not args.no_stop)
        rows.append(row | {"config": config, "load_average_1min": [load, os.getloadavg()[0]]})
    print_table(rows)
    # the models are expensive: a run replaces its models' rows and keeps the others
    kept = json.loads(RESULTS.read_text())["rows"] if RESULTS.exists() else []
    merged = [r for r in kept if r["model"] not in args.models] + rows
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"budget_points": BUDGET, "rows": merged}, indent=2, default=str) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
