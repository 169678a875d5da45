"""The sweep CONFIG: points, and every bad input refused before any point starts (no Ray, no builds)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.sweep.conftest import write_config
from toolkit.cli.main import cli
from toolkit.errors import ToolkitError
from toolkit.sweep.config import load_sweep

GOOD = """
[axes]
models = ["zoo:digits-mlp", "zoo:digits-cnn"]
budgets = [0.5, 2]
families = ["trunc", "perfw,trunc", "all"]
quantize = ["density", 4]
corrections = [true, false]
[options]
board = "zcu104"
[run]
to = "approx"
measure = "none"
"""


def test_every_combination_is_a_point_with_its_build_options(tmp_path: Path) -> None:
    sweep = load_sweep(write_config(tmp_path / "s.toml", GOOD))
    assert len(sweep.points) == 2 * 2 * 3 * 2 * 2
    assert len({p.id for p in sweep.points}) == len(sweep.points)
    p = next(p for p in sweep.points if p.axes["quantize"] == 4 and p.axes["families"] == "perfw,trunc")
    assert (p.config.quantize, p.config.bits, p.config.families) == ("density", 4, "perfw,trunc")
    assert p.config.board == "zcu104" and p.config.data == "digits"
    assert {p.config.families for p in sweep.points} == {"trunc", "perfw,trunc", None}


def test_yaml_gives_the_same_points(tmp_path: Path) -> None:
    yaml = "axes:\n  models: [zoo:digits-mlp]\n  budgets: [1, 2]\nrun:\n  to: approx\n  measure: none\n"
    toml = '[axes]\nmodels = ["zoo:digits-mlp"]\nbudgets = [1, 2]\n[run]\nto = "approx"\nmeasure = "none"\n'
    a = load_sweep(write_config(tmp_path / "s.yaml", yaml))
    b = load_sweep(write_config(tmp_path / "s.toml", toml))
    assert [p.id for p in a.points] == [p.id for p in b.points]


@pytest.mark.parametrize(
    "text, message",
    [
        ('[axes]\nmodel = ["zoo:digits-mlp"]', "unknown axis 'model'; expected one of models, boards"),
        ('[axes]\nboards = ["pynq-z3"]', "axis 'boards' value 'pynq-z3': unknown board; expected one of"),
        ('[axes]\nmodels = ["zoo:digits-mpl"]', "zoo model 'digits-mpl' is unknown: expected one of"),
        (
            '[axes]\nmodels = ["nowhere.h5"]',
            "expected zoo:NAME (see `toolkit zoo`) or an existing .h5/.keras",
        ),
        ("[axes]\nbudgets = []", "axis 'budgets' in"),
        ('[axes]\nfamilies = ["trunk"]', "unknown 'trunk'; expected comma-separated names from"),
        ("[axes]\nbudgets = [1, -1]", "axis 'budgets' value -1: expected a finite number of points >= 0"),
        ("[axes]\nquantize = [1]", "fixed bits must be 2..16"),
        ("[axes]\nbudgets = 1", "expected a list of values"),
        ("[axes]\nbudgets = [1, 1]", "repeats a value"),
        ("[axis]\nbudgets = [1]", "unknown section(s) 'axis'"),
        ("[axes]\nbudgets = [1]\n[options]\nbudget = 2", "'budget' in '.*' is also an axis"),
        ('[axes]\nbudgets = [1]\n[options]\nbord = "x"', "'bord' in '.*' is not a build option"),
        ('[axes]\nbudgets = [1]\n[run]\nto = "approx"', "measure='sim' needs the overlay package"),
        ("[axes]\nbudgets = [1]\n[run]\nwhen = 1", "\\[run\\] 'when' in '.*' is unknown"),
        ("budgets = [1]", "unknown section"),
        ("[axes]", "has no \\[axes\\]"),
    ],
)
def test_bad_config_is_refused_naming_the_value(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ToolkitError, match=message if "\\" in message or ".*" in message else None) as err:
        load_sweep(write_config(tmp_path / "s.toml", text))
    if "\\" not in message and ".*" not in message:
        assert message in str(err.value)
    assert not (tmp_path / "points").exists()


def test_cli_refuses_bad_input_before_any_point_starts(tmp_path: Path) -> None:
    config = write_config(tmp_path / "s.toml", '[axes]\nmodels = ["zoo:digits-mlp"]\nfold = []\n')
    result = CliRunner().invoke(cli, ["sweep", str(config), "--out", str(tmp_path / "out"), "--serial"])
    assert result.exit_code == 2
    assert "axis 'fold'" in result.output and "is empty: expected at least one value" in result.output
    assert not (tmp_path / "out").exists()


def test_an_unreachable_address_is_refused_before_any_point(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = write_config(
        tmp_path / "s.toml", '[axes]\nbudgets = [1]\n[run]\nto = "approx"\nmeasure = "none"\n'
    )
    result = CliRunner().invoke(cli, ["sweep", str(config), "--out", str(tmp_path / "out"),
                                      "--address", f"127.0.0.1:{port}"])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert f"--address 127.0.0.1:{port}: no Ray head answers there" in result.output
    assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(
        cli, ["sweep", str(config), "--out", str(tmp_path / "out"), "--address", "head"]
    )
    assert "expected HOST:PORT of a Ray head" in result.output


def test_without_ray_the_sweep_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    config = write_config(
        tmp_path / "s.toml", '[axes]\nbudgets = [1]\n[run]\nto = "approx"\nmeasure = "none"\n'
    )
    result = CliRunner().invoke(cli, ["sweep", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert (
        "Ray is not installed: pip install 'axdnn-toolkit[sweep]'" in result.output
        and "--serial" in result.output
    )


def test_dry_run_lists_the_points_and_the_shared_steps(tmp_path: Path) -> None:
    from toolkit.sweep.dry_run import plan_sweep

    text = '[axes]\nmodels = ["zoo:digits-mlp", "zoo:digits-cnn"]\nbudgets = [1, 2]\nboards = ["pynq-z2", "zcu104"]\n'
    plan = plan_sweep(write_config(tmp_path / "s.toml", text), tmp_path / "out")
    assert len(plan["points"]) == 8 and plan["steps"][-1] == "package"
    quantize = [p["steps"]["quantize"] for p in plan["points"]]
    assert quantize.count("runs") == 2  # one per model; the other six share it
    approx = [p["steps"]["approx"] for p in plan["points"]]
    assert approx.count("runs") == 4  # per model and budget; both boards share it
    assert [p["steps"]["rtl"] for p in plan["points"]].count("runs") == 8
    assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(
        cli, ["sweep", str(tmp_path / "s.toml"), "--out", str(tmp_path / "out"), "--dry-run"]
    )
    assert result.exit_code == 0 and "8 points" in result.output


def test_the_build_options_behind_the_axes_refuse_bad_values(tmp_path: Path) -> None:
    """--families / --bits of `toolkit build` (what the families and quantize axes set) name the bad value."""
    out = tmp_path / "build"
    result = CliRunner().invoke(
        cli, ["build", "--model", "zoo:digits-mlp", "--families", "trunk,drum", "--out", str(out)]
    )
    assert result.exit_code == 2 and "unknown 'trunk'; expected comma-separated names from" in result.output
    assert not (out / "steps").exists()
    result = CliRunner().invoke(cli, ["build", "--bits", "1", "--out", str(out)])
    assert result.exit_code == 2 and "--bits" in result.output
