"""Fixtures of the multiplier tests: tool paths."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def ap_include() -> str:
    """hls4ml's ap_types folder, found through the installed package."""
    hls4ml = pytest.importorskip("hls4ml")
    path = os.path.join(os.path.dirname(hls4ml.__file__), "templates", "vivado", "ap_types")
    if not os.path.isdir(path):
        pytest.skip(f"hls4ml ap_types not found at {path}")
    return path


@pytest.fixture(scope="session")
def gxx() -> str:
    exe = shutil.which("g++")
    if exe is None:
        pytest.skip("g++ is not on PATH")
    return exe
