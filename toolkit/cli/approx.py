"""``toolkit approx``: choose an approximate multiplier per layer (FAMES), checked in the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import click

from toolkit.cli.options import check_budget, data_option, model_option


@click.command()
@model_option
@data_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Output folder.")
@click.option(
    "--budget",
    type=float,
    default=1.0,
    show_default=True,
    callback=check_budget,
    help="Allowed accuracy loss in percentage points vs the exact model: a plan is accepted only when the "
    "upper --confidence bound of its loss on the certification set is within it.",
)
@click.option(
    "--confidence",
    type=click.FloatRange(0.5, 1.0, min_open=False, max_open=True),
    default=0.9,
    show_default=True,
    help="Confidence level of the one-sided upper bound that certifies the plan's loss.",
)
@click.option(
    "--calibration",
    "calibration",
    type=click.Path(dir_okay=False),
    default=None,
    help="An .npz with samples 'x' (labels 'y' optional) for histograms, scores and the search, instead of "
    "the training split minus the held-out part (which is then not used at all).",
)
@click.option(
    "--certify-fraction",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=1.0,
    show_default=True,
    help="Fraction of the held-out split kept for certification; the rest joins the search "
    "(1: the search uses the calibration set alone).",
)
@click.option(
    "--split-seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the held-out split's division into search and certification parts.",
)
@click.option(
    "--families",
    default=None,
    help="Comma-separated multiplier families to consider (e.g. trunc,perfw,drum); default all.",
)
@click.option("--no-cv", is_flag=True, help="Do not offer the control-variate correction as a candidate.")
@click.option(
    "--fold-mean", is_flag=True, help="Fold each design's mean error into the bias (bias-only correction)."
)
@click.option(
    "--method",
    "selector",
    type=click.Choice(["ilp", "ga"]),
    default="ilp",
    show_default=True,
    help="ilp: FAMES integer program + bisection; ga: NSGA-II baseline (pymoo: pip install 'axdnn-toolkit[ga]').",
)
@click.option(
    "--trace",
    "trace_method",
    type=click.Choice(["hutchinson", "fisher"]),
    default="hutchinson",
    show_default=True,
    help="Hessian trace estimator for the second-order score.",
)
@click.option(
    "--refine",
    "refine_steps",
    type=click.IntRange(0, 20),
    default=3,
    show_default=True,
    help="Greedy refinement of every ILP plan: try this many cheaper candidates per layer, kept when no "
    "worse on the search set (0: the ILP path only).",
)
@click.option(
    "--no-cache",
    "no_cache",
    is_flag=True,
    help="Recompute the calibration histograms and gradient statistics and emulate every plan in full (normally "
    "both are read from the cache when an earlier run on the same model and data computed them: the plans "
    "of the budget-free ladder are the same at every budget).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def approx(
    model_spec: str,
    data_spec: str | None,
    out_dir: str,
    budget: float,
    confidence: float,
    calibration: str | None,
    certify_fraction: float,
    split_seed: int,
    families: str | None,
    no_cv: bool,
    fold_mean: bool,
    selector: str,
    trace_method: str,
    refine_steps: int,
    no_cache: bool,
    seed: int,
    as_json: bool,
) -> None:
    """Pick one approximate multiplier per MAC layer under an accuracy budget.

    Scores every (layer, design) pair by a Taylor expansion of the loss (gradients and
    Hessian trace of the layer output, error moments under the layer's real operand
    histograms), solves the minimum-energy integer program along a grid of score
    budgets and refines each plan greedily on the search set: a ladder of plans of
    increasing saving. The ladder is then walked on a certification set the search
    never saw; a plan is accepted only while the upper --confidence bound of its
    accuracy loss vs the exact model stays within --budget. When nothing certifies,
    the exact plan is written and the message says how many samples would be needed.
    Writes plan.json, selection.json and plots into --out.

    \b
    Examples:
      toolkit approx --out build/approx
      toolkit approx --model zoo:mnist1d-cnn --budget 0.5 --families trunc,perfw,drum --out sel/
      toolkit approx --method ga --out sel-ga/
      toolkit approx --model my.h5 --data my.npz --calibration unlabelled.npz --confidence 0.95 --out sel/
      toolkit emulate --model zoo:digits-cnn --plan build/approx/plan.json
    """
    from toolkit.api import select

    fams = [f.strip() for f in families.split(",")] if families else None
    summary = select(
        model_spec,
        data_spec,
        out=Path(out_dir),
        budget=budget,
        families=fams,
        cv=not no_cv,
        fold_mean=fold_mean,
        method=selector,
        trace=trace_method,
        seed=seed,
        verbose=not as_json,
        refine=refine_steps,
        confidence=confidence,
        calibration=calibration,
        split_seed=split_seed,
        certify_fraction=certify_fraction,
        use_cache=not no_cache,
    ).to_json()
    if as_json:
        click.echo(json.dumps({k: v for k, v in summary.items() if k not in ("scores", "ladder", "ga")}))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"approx {summary['model']} (budget {budget:g} points, {selector})")
    for col in ("layer", "chosen", "fan-in", "MACs"):
        table.add_column(col)
    for name, label in summary["layers"].items():
        s = summary["scores"][name]
        table.add_row(
            name, label + (f"  ({s['note']})" if s["note"] else ""), str(s["fan_in"]), f"{s['macs']:,}"
        )
    Console().print(table)
    n, c, t, e = summary["samples"], summary["certificate"], summary["test"], summary["energy"]
    click.echo(
        f"samples: calibration {n['calibration']} ({n['calibration_source']}), search {n['search']}, "
        f"certification {n['certify']}, test {n['test']}"
    )
    click.echo(c["message"])
    click.echo(
        f"test accuracy {100 * t['exact']:.2f}% -> {100 * t['plan']:.2f}% (loss {t['loss']['point']:.2f} points, "
        f"certified bound {c['plan']['bound']:.2f})"
    )
    click.echo(
        f"multiplier energy (modelled) -{100 * e['reduction']:.1f}%   "
        f"{summary['evaluations']} emulated evaluations, {summary['seconds']['total']:.1f} s"
    )
    click.echo(f"wrote {out_dir}/plan.json, selection.json, sensitivity.png, chosen.png, pareto.png")
