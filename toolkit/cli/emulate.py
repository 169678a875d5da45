"""``toolkit emulate``: bit-accurate integer inference of a model on a dataset."""

from __future__ import annotations

import json

import click

from toolkit.cli.options import data_option, fold_batchnorm_option, model_option
from toolkit.emulator.approx import METHODS
from toolkit.models.agreement import agreement_from_json


@click.command()
@model_option
@data_option
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="plan.json: a multiplier (and correction) per MAC layer; unlisted layers stay exact.",
)
@click.option(
    "--method",
    type=click.Choice(list(METHODS)),
    default="auto",
    show_default=True,
    help="How approximate products are emulated (all bit-exact; gather is the reference).",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Use only the first N test samples.")
@fold_batchnorm_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def emulate(
    model_spec: str,
    data_spec: str | None,
    plan_path: str | None,
    method: str,
    limit: int | None,
    fold_batchnorm: bool,
    as_json: bool,
) -> None:
    """Run the integer emulator on the test split and report accuracy.

    The emulator computes exactly what the accelerator computes (integer codes,
    exact accumulation, round-half-even requantization with saturation), so its
    accuracy is the hardware's accuracy, not the float model's. It also reports how
    often the exact arithmetic equals your own QKeras model (outputs and classes, on
    the same samples): 100 % but for float near-ties, unless --fold-batchnorm.

    \b
    Examples:
      toolkit emulate
      toolkit emulate --model zoo:mnist1d-cnn --limit 200 --json
      toolkit emulate --model my_model.h5 --data my_data.npz
      toolkit emulate --plan plan.json          # approximate multipliers from a plan
    """
    from toolkit.api import emulate as run

    result = run(
        model_spec,
        data_spec,
        limit=limit,
        verbose=not as_json,
        plan=plan_path,
        method=method,
        fold_batchnorm=fold_batchnorm,
    ).to_json()
    if as_json:
        click.echo(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"emulate {result['model']} on {result['data']}", show_header=False)
    table.add_row("accuracy", f"{100 * result['accuracy']:.2f} %  ({result['correct']}/{result['n']})")
    table.add_row("vs original model", agreement_from_json(result["agreement"]).describe())
    table.add_row("MAC layers", str(result["mac_layers"]))
    table.add_row("MACs / inference", f"{result['macs_per_inference']:,}")
    table.add_row("model hash", result["model_hash"])
    table.add_row("wall time", f"{result['seconds']:.3f} s")
    for layer, kernel in result["multipliers"].items():
        table.add_row(f"layer {layer}", kernel)
    for note in result["notes"]:
        table.add_row("note", note)
    Console().print(table)
