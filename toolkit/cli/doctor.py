"""``toolkit doctor``: versions of the Python stack and the tools, and which tiers and build steps run here."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option(
    "--require",
    metavar="TIERS",
    default="",
    help="Comma-separated tiers that must be present (e.g. verilator,yosys,cxx): exit 2 naming "
    "each missing one. CI runs this before the test suite.",
)
def doctor(as_json: bool, require: str) -> None:
    """Show what this machine can run.

    Versions of Python, TensorFlow, QKeras, hls4ml and of the external tools (Verilator,
    yosys, g++ with hls4ml's ap_types, tclsh, Vitis/Vivado), the test tiers they enable,
    and which `toolkit build` steps run in full here.

    \b
    Examples:
      toolkit doctor
      toolkit doctor --json
      toolkit doctor --require verilator,yosys,cxx
    """
    from rich.console import Console
    from rich.table import Table

    from toolkit.doctor import PROBES, STEP_NEEDS, check_required, probe, python_versions

    versions = python_versions()
    probes = {tier: probe(tier) for tier in PROBES}
    steps = {
        name: [t for t in needs if not probes[t].found] for name, needs in STEP_NEEDS.items()
    }  # step -> missing tiers
    if as_json:
        out = {
            "versions": versions,
            "tiers": {t: {"found": p.found, "detail": p.detail, "needs": p.needs} for t, p in probes.items()},
            "steps": {name: {"runs": not missing, "missing": missing} for name, missing in steps.items()},
        }
        click.echo(json.dumps(out, indent=2))
    else:
        console = Console(width=140)
        table = Table(title="versions")
        table.add_column("package")
        table.add_column("version")
        for name, version in versions.items():
            table.add_row(name, version or "[red]not installed[/red]")
        console.print(table)
        table = Table(title="tiers")
        for column in ("tier", "here", "tool", "what it runs"):
            table.add_column(column)
        for tier, p in probes.items():
            table.add_row(tier, "yes" if p.found else "[red]no[/red]", p.detail, p.needs)
        console.print(table)
        table = Table(title="build steps")
        table.add_column("step")
        table.add_column("here")
        for name, missing in steps.items():
            state = "runs" if not missing else f"[yellow]not in full[/yellow] (no {', '.join(missing)})"
            table.add_row(name, state)
        console.print(table)
    wanted = [t.strip() for t in require.split(",") if t.strip()]
    if wanted:
        check_required(wanted)  # ToolkitError -> `error: ...`, exit 2
        click.echo(f"required tiers present: {', '.join(wanted)}", err=True)
