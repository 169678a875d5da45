"""``toolkit multipliers``: the approximate multiplier catalogue with error metrics and cost."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command()
@click.option(
    "--bits", default="4x4", show_default=True, help="Operand widths AxW (activation x weight), 2..8."
)
@click.option("--family", default=None, help="Only this family (e.g. trunc, perfw, drum, mitchell, bxpd).")
@click.option(
    "--signed-activations",
    is_flag=True,
    help="Signed activations (quantized_bits inputs) instead of unsigned.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@click.option(
    "--plot",
    "plot_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write the error-vs-LUT Pareto plot and one error heat map per design into this folder.",
)
def multipliers(
    bits: str, family: str | None, signed_activations: bool, as_json: bool, plot_dir: str | None
) -> None:
    """List approximate multiplier designs with their error and hardware cost.

    Errors are over uniformly distributed operand codes (the selection stage re-weights
    them with real operand histograms). Cost comes from the committed yosys table
    (7-series LUTs without DSPs) and a relative energy proxy, exact = 1.0.

    \b
    Examples:
      toolkit multipliers
      toolkit multipliers --bits 8x4 --family trunc
      toolkit multipliers --bits 2x2 --json
      toolkit multipliers --bits 4x4 --plot plots/
    """
    from toolkit.report.multipliers import catalogue_rows, parse_bits, plot_catalogue

    a_bits, w_bits = parse_bits(bits)
    rows = catalogue_rows(a_bits, w_bits, a_signed=signed_activations, family=family)
    if plot_dir:
        written = plot_catalogue(rows, Path(plot_dir))
        click.echo(f"wrote {len(written)} plots to {plot_dir}", err=True)
    if as_json:
        click.echo(json.dumps(rows))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"approximate multipliers {a_bits}x{w_bits} ({'s' if signed_activations else 'u'} x s)"
    )
    table.add_column("design", no_wrap=True)
    for col in ("bias", "std", "MAE", "WCE", "MRE %", "P(err)", "LUTs", "CARRY4", "energy"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in rows:
        table.add_row(
            r["design"],
            f"{r['mean']:.2f}",
            f"{r['var'] ** 0.5:.2f}",
            f"{r['mae']:.2f}",
            f"{r['wce']:.0f}",
            f"{100 * r['mre']:.2f}",
            f"{r['ep']:.3f}",
            f"{r['luts']:.0f}",
            f"{r['carry4']:.0f}",
            f"{r['energy_proxy']:.3f}",
        )
    console = Console()
    console.width = max(console.width, 112)
    console.print(table)
