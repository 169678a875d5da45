"""Fixtures of the RTL tier: plans per zoo model and a cached build + device per (model, plan, fold)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from toolkit.plan import plan_from_json

from .plans import plan_json


@pytest.fixture(scope="session")
def rtl_device(zoo_models) -> Iterator:
    """``get(model, kind, fold, buffer=...)`` -> (design, device, plan); builds are cached on disk and per session."""
    from toolkit.rtlgen import RtlDevice, build, generate

    opened: dict = {}

    def get(
        model: str, kind: str = "exact", fold: int | None = None, activity: bool = False, buffer: str = "line"
    ):
        key = (model, kind, fold, activity, buffer)
        if key not in opened:
            entry = zoo_models[model]
            plan = plan_from_json(plan_json(model, kind), entry["ir"])
            design = generate(entry["ir"], plan, fold, buffer=buffer)
            opened[key] = (design, RtlDevice(design, build(design, activity=activity)), plan)
        return opened[key]

    yield get
    for _, device, _ in opened.values():
        device.close()
