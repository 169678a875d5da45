"""`toolkit doctor` and `toolkit --version`: versions, tiers and runnable steps, as the toolkit finds its tools."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

from click.testing import CliRunner

from toolkit import __version__
from toolkit.cli.main import cli


def doctor(*args: str) -> tuple[int, dict | None, str]:
    result = CliRunner().invoke(cli, ["doctor", "--json", *args])
    try:
        return result.exit_code, json.loads(result.stdout), result.output
    except json.JSONDecodeError:
        return result.exit_code, None, result.output


def test_version_is_the_one_version_string() -> None:
    import toolkit_overlay

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"toolkit, version {__version__}"
    assert toolkit_overlay.__version__ == __version__


def test_doctor_reports_versions_tiers_and_steps() -> None:
    code, out, text = doctor()
    assert code == 0, text
    assert out["versions"]["python"] == platform.python_version()
    assert out["versions"]["toolkit"] == __version__
    for name in ("tensorflow", "qkeras", "hls4ml"):
        assert out["versions"][name], name  # installed with the toolkit
    assert set(out["tiers"]) == {"verilator", "yosys", "cxx", "tcl", "vivado", "board"}
    assert list(out["steps"]) == ["quantize", "approx", "hls", "rtl", "synth", "package"]
    assert out["steps"]["quantize"] == {"runs": True, "missing": []}
    assert out["steps"]["rtl"]["runs"] == (
        out["tiers"]["verilator"]["found"] and out["tiers"]["yosys"]["found"]
    )


def test_vendor_tools_on_path_enable_the_synth_step(tmp_path: Path, monkeypatch) -> None:
    for name, banner in (("vivado", "Vivado v2023.2 (64-bit)"), ("vitis_hls", "Vitis HLS v2023.2 (64-bit)")):
        (tmp_path / name).write_text(f"#!/bin/sh\necho '{banner}'\n")
        (tmp_path / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    code, out, text = doctor("--require", "vivado")
    assert code == 0, text
    assert (
        "Vivado v2023.2" in out["tiers"]["vivado"]["detail"]
        and "Vitis HLS v2023.2" in out["tiers"]["vivado"]["detail"]
    )
    assert out["steps"]["synth"] == {"runs": True, "missing": []}


def test_require_names_each_missing_tier_and_exits_2(monkeypatch) -> None:
    monkeypatch.delenv("TOOLKIT_BOARD", raising=False)
    result = CliRunner().invoke(cli, ["doctor", "--require", "board"])
    assert result.exit_code == 2
    assert (
        "required test tier(s) board cannot run here (board: no PYNQ board: set TOOLKIT_BOARD"
        in result.output
    )
    result = CliRunner().invoke(cli, ["doctor", "--require", "fpga"])
    assert (
        result.exit_code == 2
        and "unknown tier 'fpga': expected one of verilator, yosys, cxx" in result.output
    )
