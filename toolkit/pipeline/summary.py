"""The table ``toolkit build`` ends with: one row per step, its status, time and headline."""

from __future__ import annotations

from typing import Any

_STYLE = {"passed": "green", "not_run": "yellow", "failed": "red", "interrupted": "red"}


def summary_table(result: dict[str, Any]) -> Any:
    """A rich Table of the step records in ``result`` (as returned by ``pipeline.build.build``)."""
    from rich.table import Table

    table = Table(title=f"build {result['dir']} ({result['config']['board']})")
    for column in ("step", "status", "seconds", "result"):
        table.add_column(column)
    for record in result["steps"]:
        status = record["status"] + (" (reused)" if record.get("reused") or record.get("reused_from") else "")
        style = _STYLE.get(record["status"], "")
        text = record.get("summary") or record.get("message", "")
        table.add_row(record["step"], f"[{style}]{status}[/]", f"{record['seconds']:.1f}", text)
    return table
