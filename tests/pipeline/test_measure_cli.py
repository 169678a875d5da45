"""`toolkit measure` bad input: clear one-line errors, exit 2, and no measure.json written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.overlay.fake_package import make_package
from toolkit.cli.main import cli


def _folder(tmp_path: Path, board: str = "pynq-z2", package_board: str = "pynq-z2") -> Path:
    folder = tmp_path / "build"
    folder.mkdir()
    (folder / "build.json").write_text(
        json.dumps({"format": "toolkit-build", "board": board, "data": "digits"})
    )
    make_package(folder, board=package_board)
    return folder


def _measure(folder: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["measure", "--build", str(folder), *args])


@pytest.mark.parametrize(
    ("args", "package_board", "message"),
    [
        (["--target", "sim"], "zcu104", "package built for zcu104, this board is pynq-z2"),
        (["--target", "sim", "--meter", "multimeter"], "pynq-z2", "meter 'multimeter'.*pmbus"),
        (["--target", "board"], "pynq-z2", "built where Vivado is not installed"),
        (
            ["--target", "sim", "--meter", "scpi:/dev/ttyUSB0"],
            "pynq-z2",
            "measures a real supply.*--meter model",
        ),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path: Path, args, package_board, message) -> None:
    folder = _folder(tmp_path, package_board=package_board)
    result = _measure(folder, *args)
    assert result.exit_code == 2, result.output
    error = result.output.strip().splitlines()[-1]
    assert error.startswith("error: ") and re.search(message, error), result.output
    assert not (folder / "measure.json").exists() and not (folder / "measure.html").exists()


def test_a_build_without_a_package_says_how_to_make_one(tmp_path: Path) -> None:
    folder = tmp_path / "build"
    folder.mkdir()
    (folder / "build.json").write_text(json.dumps({"board": "pynq-z2", "data": "digits"}))
    result = _measure(folder)
    assert result.exit_code == 2 and "has no overlay package: run `toolkit build --out" in result.output


def test_unknown_target_is_refused_by_the_cli(tmp_path: Path) -> None:
    result = _measure(_folder(tmp_path), "--target", "fpga")
    assert result.exit_code == 2 and "'fpga' is not one of 'auto', 'board', 'sim'" in result.output
