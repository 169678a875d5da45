"""Shared fixtures and the tool tiers.

Tiers by marker: ``verilator``, ``yosys``, ``vivado`` (vivado or vitis_hls), ``board``
(a PYNQ device). A tier whose tool is absent is skipped with a reason; CI installs
Verilator and yosys so those tiers run there.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# One cache for the whole suite (zoo models train once, deterministically), kept in the
# work tree so reruns reuse it; an explicit TOOLKIT_CACHE wins.
os.environ.setdefault("TOOLKIT_CACHE", str(ROOT / ".cache"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

TOOLS = {
    "verilator": lambda: shutil.which("verilator"),
    "yosys": lambda: shutil.which("yosys"),
    "vivado": lambda: shutil.which("vivado") or shutil.which("vitis_hls"),
    "board": lambda: os.environ.get("TOOLKIT_BOARD"),
}
REASONS = {
    "verilator": "verilator not on PATH (apt-get install verilator)",
    "yosys": "yosys not on PATH (apt-get install yosys)",
    "vivado": "neither vivado nor vitis_hls on PATH",
    "board": "no PYNQ board: set TOOLKIT_BOARD on a machine with one",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    present = {tier: bool(probe()) for tier, probe in TOOLS.items()}
    for item in items:
        for tier, ok in present.items():
            if tier in item.keywords and not ok:
                item.add_marker(pytest.mark.skip(reason=REASONS[tier]))


ZOO_NAMES = ("digits-mlp", "digits-cnn", "mnist1d-cnn")


@pytest.fixture(scope="session")
def zoo_models() -> dict:
    """Every zoo model, trained once (cached), with its IR, deployable model and dataset."""
    from toolkit.models.datasets import load_dataset
    from toolkit.models.reader import read_model
    from toolkit.models.zoo import load_zoo_model, zoo_entry

    out = {}
    for name in ZOO_NAMES:
        model = load_zoo_model(name, verbose=False)
        model_ir, deploy = read_model(model)
        out[name] = {
            "model": model,
            "ir": model_ir,
            "deploy": deploy,
            "data": load_dataset(zoo_entry(name).dataset),
        }
    return out
