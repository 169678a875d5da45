"""``toolkit sweep``: build and measure every point of a CONFIG (models x boards x budgets x ...) on Ray."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Sweep folder  [default: sweeps/<CONFIG name>]")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="List the points and which steps each reuses; build nothing.")
@click.option("--serial", is_flag=True, help="Run the points one after another in this process (no Ray).")
@click.option("--address", default=None,
              help="Join this Ray cluster (HOST:PORT of its head, or auto)  [default: a local Ray, one worker per core]")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the result (or the dry run) as JSON.")
def sweep(
    config: str, out_dir: str | None, dry_run: bool, serial: bool, address: str | None, as_json: bool
) -> None:
    """Run every point of CONFIG as an ordinary build folder, then measure it; collect the fronts.

    CONFIG (.toml or .yaml) lists the axes (models, boards, budgets, families, corrections,
    quantize, backends, accelerators, io_types, strategies, fold, seeds), fixed build options
    ([options]) and what each point does ([run]: to, measure, limit); see toolkit/sweep/config.py.
    Each point is a build folder SWEEP/points/ID made by the same pipeline as `toolkit build`,
    steps with equal content keys shared between points (one quantize for every budget of a
    model), then `toolkit measure --target sim` (or board). Points run as Ray tasks (Ray core:
    pip install 'axdnn-toolkit[sweep]'); a failed point is recorded with its error and the others
    go on; a rerun reuses every finished point.

    \b
    Results: SWEEP/sweep.json (one row per point), sweep.csv, sweep.html (Pareto fronts of
    accuracy loss vs energy and vs LUTs, per-axis effects, links to each point's report).

    \b
    Examples:
      toolkit sweep sweep.toml --dry-run
      toolkit sweep sweep.toml --out sweeps/digits
      toolkit sweep sweep.toml --serial
      toolkit sweep sweep.toml --address 10.0.0.5:6379
    """
    from rich.console import Console

    console = Console(stderr=True)
    out = Path(out_dir) if out_dir else Path("sweeps") / Path(config).stem
    if dry_run:
        from toolkit.sweep.dry_run import plan_sweep

        plan = plan_sweep(config, out)
        if as_json:
            click.echo(json.dumps(plan, indent=2))
            return
        _print_plan(plan)
        return
    from toolkit.sweep.run import run_sweep

    result = run_sweep(config, out, serial=serial, address=address, log=console.print)
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))


def _print_plan(plan: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(plan['points'])} points ({plan['runs']} step runs, {plan['reused']} reused)")
    table.add_column("point")
    for name in plan["steps"]:
        table.add_column(name)
    table.add_column("measure")
    for p in plan["points"]:
        table.add_row(
            p["id"], *(p["steps"][s] for s in plan["steps"]), "done" if p["finished"] else plan["measure"]
        )
    Console().print(table)
