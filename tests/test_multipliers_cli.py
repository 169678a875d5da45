"""``toolkit multipliers``: the catalogue table, JSON rows, plots, and errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from toolkit.cli.main import cli
from toolkit.multipliers import get_design
from toolkit.multipliers.metrics import error_metrics
from toolkit.report.multipliers import pareto_front


def _run(*args):
    return CliRunner().invoke(cli, list(args))


def test_json_rows_carry_metrics_and_cost():
    result = _run("multipliers", "--bits", "4x4", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["design"]: r for r in json.loads(result.stdout)}
    assert rows["exact_u4s4"]["energy_proxy"] == 1.0 and rows["exact_u4s4"]["mae"] == 0
    trunc = rows["trunc2_u4s4"]
    assert trunc["mae"] == error_metrics(get_design("trunc2_u4s4"))["mae"] > 0
    assert trunc["luts"] > 0


def test_family_filter_and_table():
    result = _run("multipliers", "--bits", "8x4", "--family", "trunc")
    assert result.exit_code == 0, result.output
    assert "trunc2_u8s4" in result.stdout and "drum" not in result.stdout


def test_plots_are_written(tmp_path):
    result = _run("multipliers", "--bits", "2x2", "--plot", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pareto_2x2.png").stat().st_size > 0
    assert any(p.name.startswith("error_trunc") for p in tmp_path.iterdir())


def test_bad_widths_and_family():
    for args, fragment in (
        (["--bits", "9x4"], "widths 2..8"),
        (["--bits", "1"], "widths 2..8"),
        (["--family", "wallace"], "unknown multiplier family 'wallace'"),
    ):
        result = _run("multipliers", *args)
        assert result.exit_code == 2 and fragment in result.stderr, result.output


def test_pareto_front_is_non_dominated():
    import numpy as np

    pts = np.array([[10, 0.5], [20, 0.1], [15, 0.6], [5, 0.9], [20, 0.05], [30, 0.05]])
    assert list(pareto_front(pts)) == [3, 0, 4]
