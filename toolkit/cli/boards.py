"""``toolkit boards``: the target boards, one data file each (``toolkit/resources/boards/``)."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print every board's full facts as JSON.")
def boards(as_json: bool) -> None:
    """List the boards `toolkit build --board` targets.

    Each board is one TOML file in the toolkit's boards folder (part, board part, Zynq family and its
    PS block, HP port, address base, fabric clock, DMA width, resources, PYNQ version,
    power sensing). Copy one and edit it to add a board.

    \b
    Examples:
      toolkit boards
      toolkit boards --json
    """
    from rich.console import Console
    from rich.table import Table

    from toolkit.boards import BOARDS_DIR, list_boards, load_board
    from toolkit.errors import ToolkitError

    found = [load_board(name) for name in list_boards()]
    if not found:
        raise ToolkitError(
            f"no board files (*.toml) in '{BOARDS_DIR}': the toolkit's installation is incomplete"
        )
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
