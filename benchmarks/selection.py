"""FAMES selection on the zoo models at their activation-density mixed precision.

For each model (trained by ``toolkit quantize`` with its defaults, cached under
``$TOOLKIT_CACHE/bench-ad``), at a 1-point accuracy budget on the validation split:

* multiplier energy reduction vs the exact mixed-precision model (modelled), with the
  candidate set plain / +control variate / +Ax-BxP / +both, and test accuracy;
* ILP (score + bisection) wall time vs NSGA-II's (``toolkit.select.ga``, pymoo) time to reach
  equal or better energy within the same accuracy budget (same candidates, same emulator;
  ``benchmarks/ga_vs_ilp.py`` does this on the realistic-size models);
* Spearman rank correlation between the score Omega and the measured validation
  accuracy drop of every single-layer substitution.

Prints tables and writes ``benchmarks/results/selection.json``.

    python benchmarks/selection.py [--models digits-mlp digits-cnn mnist1d-cnn] [--uniform4]
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from toolkit.cache import cache_dir  # noqa: E402
from toolkit.models.datasets import load_dataset  # noqa: E402
from toolkit.models.loading import load_model  # noqa: E402
from toolkit.models.reader import read_model  # noqa: E402
from toolkit.models.zoo import ZOO  # noqa: E402
from toolkit.multipliers import FAMILIES  # noqa: E402
from toolkit.select.ga import run_ga  # noqa: E402
from toolkit.select.run import build_problem, held_out_sets  # noqa: E402
from toolkit.select.search import bisect, refine  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "selection.json"
AXBXP = {"bxps", "bxpd"}
BUDGET = 1.0


# AD from 8 bits with two updates: every layer stays within the library's 2..8 bits (from 16 bits,
# the first updates leave layers wider than 8, which selection must keep exact), and "until settled"
# collapses every layer to 2 bits (benchmarks/density.py).
AD_START_BITS, AD_UPDATES = 8, 2


def ad_model(name: str) -> str:
    """Path of the AD mixed-precision version of a zoo model (trained once, cached)."""
    from toolkit.density.rules import UpdateRule
    from toolkit.density.run import quantize
    from toolkit.density.train import DensityConfig

    out = cache_dir("bench-ad", f"{name}-s{AD_START_BITS}-u{AD_UPDATES}")
    if not (out / "model.h5").exists():
        config = DensityConfig(rule=UpdateRule(start_bits=AD_START_BITS), max_updates=AD_UPDATES)
        quantize(f"zoo:{name}", None, out, config=config, verbose=False)
    return str(out / "model.h5")


def single_layer_correlation(problem) -> float:
    """Spearman rho between Omega and the measured accuracy drop of one-layer substitutions."""
    exact = problem.exact_choice()
    base = problem.accuracy(exact)
    omegas, drops = [], []
    for layer, options in enumerate(problem.candidates):
        for index, cand in enumerate(options):
            if cand.is_exact:
                continue
            choice = list(exact)
            choice[layer] = index
            omegas.append(problem.omega[layer][index])
            drops.append(base - problem.accuracy(choice))
    return float(spearmanr(omegas, drops).statistic) if len(omegas) > 2 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(ZOO))
    parser.add_argument(
        "--uniform4", action="store_true", help="use the 4-bit zoo models instead of AD models"
    )
    parser.add_argument("--ga-generations", type=int, default=40)
    args = parser.parse_args()
    rows = []
    for name in args.models:
        spec = f"zoo:{name}" if args.uniform4 else ad_model(name)
        data = load_dataset(ZOO[name].dataset)
        model_ir, deploy = read_model(load_model(spec, verbose=False))
        precisions = {
            layer.name: f"{layer.in_precision.width}x{layer.weight_precision.width}"
            for layer in model_ir.mac_layers()
        }
        row: dict = {"model": name, "precision": "uniform-4" if args.uniform4 else "AD", "layers": precisions}
        plain = [f for f in FAMILIES if f not in AXBXP]
        configs = {
            "plain": (plain, False),
            "+cv": (plain, True),
            "+axbxp": (None, False),
            "+cv+axbxp": (None, True),
        }
        problem = None
        for label, (families, cv) in configs.items():
            start = time.perf_counter()
            cal, held = held_out_sets(data)  # this benchmark measures the uncertified search (ILP vs GA)
            problem, _ = build_problem(
                model_ir, deploy, cal, held, families, ("none",) + (("cv",) if cv else ()), model_label=name
            )
            result = bisect(problem, BUDGET)
            bisected = 1 - result.energy / result.baseline_energy
            result = refine(problem, result, BUDGET)
            seconds = time.perf_counter() - start
            plan = problem.plan(result.choice)
            from toolkit.emulator.engine import Emulator

            emu = Emulator(model_ir, plan.kernels())
            test_acc = float(np.mean(emu.classify(data.x_test) == data.y_test))
            base_test = float(np.mean(Emulator(model_ir).classify(data.x_test) == data.y_test))
            row[label] = {
                "energy_reduction": 1 - result.energy / result.baseline_energy,
                "energy_reduction_bisection_only": bisected,
                "val_exact": result.baseline_accuracy,
                "val_plan": result.accuracy,
                "test_exact": base_test,
                "test_plan": test_acc,
                "ilp_seconds": seconds,
                "choice": [problem.candidates[i][c].label for i, c in enumerate(result.choice)],
            }
            print(
                f"{name:<12} {label:<10} energy -{100 * row[label]['energy_reduction']:5.1f}% "
                f"(bisection alone -{100 * bisected:4.1f}%)  val {100 * result.baseline_accuracy:.2f}->{100 * result.accuracy:.2f}  "
                f"test {100 * base_test:.2f}->{100 * test_acc:.2f}  ILP {seconds:.1f}s  {row[label]['choice']}",
                flush=True,
            )
        # ILP vs NSGA-II on the full candidate set (last problem), same emulator and budget; the GA
        # gets a fresh copy of the problem (its own emulation memo, not the ILP's evaluations).
        ilp_seconds = row["+cv+axbxp"]["ilp_seconds"]
        ilp_energy = (1 - row["+cv+axbxp"]["energy_reduction"]) * problem.total_energy(problem.exact_choice())
        target = row["+cv+axbxp"]["val_exact"] - BUDGET / 100.0 - 1e-12
        ga = run_ga(
            problem.with_samples(problem.x_val, problem.y_val),
            BUDGET,
            generations=args.ga_generations,
            reference=(ilp_energy * (1 + 1e-9), target),
        )
        row["ga"] = {
            "seconds": ga.seconds,
            "evaluations": ga.evaluations,
            "generations": ga.generations,
            "reached_ilp_after": ga.reached_reference_after,
            "best_energy_reduction": None
            if ga.best_within_budget is None
            else 1 - ga.best_within_budget["energy"] / problem.total_energy(problem.exact_choice()),
        }
        reached = ga.reached_reference_after
        ratio = (
            f"{reached / ilp_seconds:.1f}x" if reached else f">{ga.seconds / ilp_seconds:.1f}x (not reached)"
        )
        print(
            f"{name:<12} GA {ga.seconds:.1f}s/{ga.evaluations} evals; reached ILP energy after "
            f"{reached if reached is None else round(reached, 1)}s -> GA/ILP time {ratio}",
            flush=True,
        )
        row["spearman_omega_vs_drop"] = single_layer_correlation(problem)
        print(
            f"{name:<12} Spearman(Omega, single-layer accuracy drop) = {row['spearman_omega_vs_drop']:.2f}",
            flush=True,
        )
        rows.append(row)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"budget_points": BUDGET, "rows": rows}, indent=2, default=str) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
