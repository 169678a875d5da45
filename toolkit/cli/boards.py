"""``toolkit boards``: the target boards, one data file each under ``boards/``."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print every board's full facts as JSON.")
def boards(as_json: bool) -> None:
    """List the boards `toolkit build --board` targets.

    Each board is one TOML file under boards/ (part, board part, Zynq family and its
    PS block, HP port, address base, fabric clock, DMA width, resources, PYNQ version,
    power sensing). Copy one and edit it to add a board.

    \b
    Examples:
      toolkit boards
      toolkit boards --json
    """
    from rich.console import Console
    from rich.table import Table

    from toolkit.boards import list_boards, load_board

    found = [load_board(name) for name in list_boards()]
    if as_json:
        click.echo(json.dumps([b.to_json() for b in found], indent=2))
        return
    table = Table(title="boards")
    for column in ("board", "part", "family", "clock", "DMA", "LUT", "PYNQ", "power sensing"):
        table.add_column(column)
    for b in found:
        sensing = f"PMBus ({', '.join(b.pl_rails)})" if b.sensing == "pmbus" else "external meter"
        table.add_row(
            b.name, b.part, b.family, f"{b.clock_mhz:g} MHz", f"{b.dma_data_bits} bit", str(b.lut),
            b.pynq_version, sensing,
        )  # fmt: skip
    Console(width=140).print(table)
