"""Fixtures of the multiplier tests: tool paths."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def ap_include() -> str:
    """hls4ml's ap_types folder, found through the installed package."""
    from toolkit.doctor import ap_types_dir

    path = ap_types_dir()
    if path is None:  # CI requires the cxx tier (TOOLKIT_REQUIRE_TIERS), so this never skips there
        pytest.skip("hls4ml's ap_types not found (pip install hls4ml)")
    return str(path)


@pytest.fixture(scope="session")
def gxx() -> str:
    exe = shutil.which("g++")
    if exe is None:
        pytest.skip("g++ is not on PATH")
    return exe
