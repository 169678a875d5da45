"""Certified selection on the zoo models: disjoint data, budget monotonicity, the exact-plan fallback."""

from __future__ import annotations

import json

import numpy as np
import pytest

from toolkit.select.data import split_selection_data
from toolkit.select.run import approx_model, certify_ladder, search_ladder

pytestmark = pytest.mark.slow
BUDGETS = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0]


def _rows(x: np.ndarray) -> set[bytes]:
    return {row.tobytes() for row in x.reshape(len(x), -1)}


def test_search_and_certification_sets_are_disjoint_and_counted(zoo_models):
    data = zoo_models["digits-cnn"]["data"]
    sets = split_selection_data(data, certify_fraction=0.75, split_seed=1)
    counts = sets.counts()
    held = round(0.2 * len(data.x_train))
    assert counts["certify"] == round(0.75 * held) and counts["calibration"] == len(data.x_train) - held
    assert counts["search"] == counts["calibration"] + held - counts["certify"]
    assert not _rows(sets.x_certify) & _rows(sets.x_search)
    assert not _rows(sets.x_certify) & _rows(split_selection_data(data, split_seed=1).x_calibration)
    other = split_selection_data(data, certify_fraction=0.75, split_seed=2)
    assert _rows(other.x_certify) != _rows(sets.x_certify)
    default = split_selection_data(
        data
    ).counts()  # the default: search on calibration, certify on all held out
    assert (
        default["certify"] == held
        and default["search"] == default["calibration"]
        and not default["certify_fresh"]
    )


def test_mnist1d_certifies_on_fresh_generator_samples_too(zoo_models):
    data = zoo_models["mnist1d-cnn"]["data"]
    sets = split_selection_data(data)
    held = round(0.2 * len(data.x_train))
    assert sets.counts()["certify"] == held + 4000 and sets.counts()["certify_fresh"] == 4000
    seen = _rows(data.x_train) | _rows(data.x_test)
    assert not _rows(sets.x_certify[held:]) & seen
    assert abs(float(sets.x_certify[held:].std()) - 1.0) < 0.05  # normalized like the shipped split


@pytest.mark.parametrize("name", ["digits-mlp", "digits-cnn", "mnist1d-cnn"])
def test_certified_saving_is_monotonic_in_the_budget(zoo_models, name):
    entry = zoo_models[name]
    sets = split_selection_data(entry["data"], split_seed=0)
    problem, _, ladder, _ = search_ladder(entry["ir"], entry["deploy"], sets, model_label=name)
    assert ladder.savings == sorted(ladder.savings) and ladder.savings[0] == 0.0
    savings = []
    for budget in BUDGETS:
        cert = certify_ladder(problem, ladder, sets, budget, 0.9)
        accepted = cert.rungs[cert.accepted]
        assert accepted["loss"]["bound"] <= budget or cert.accepted == 0
        savings.append(ladder.savings[cert.accepted])
    assert savings == sorted(savings), dict(zip(BUDGETS, savings, strict=True))
    assert savings[0] == 0.0 and savings[-1] > 0.0  # nothing certifies at 0; something at 8 points


def test_too_small_a_certification_set_writes_the_exact_plan(tmp_path, zoo_models):
    summary = approx_model("zoo:digits-mlp", None, tmp_path, budget=0.5, certify_fraction=0.3, verbose=False)
    cert = summary["certificate"]
    assert cert["status"] == "exact-fallback" and summary["energy"]["reduction"] == 0.0
    assert "too small to certify any saving at a budget of 0.5 points" in cert["message"]
    assert "certification samples would be needed" in cert["message"]
    assert {
        layer["multiplier"].split("_")[0]
        for layer in json.loads((tmp_path / "plan.json").read_text())["layers"]
    } == {"exact"}
    assert summary["samples"]["certify"] == cert["n"] == round(0.3 * round(0.2 * 1347))
