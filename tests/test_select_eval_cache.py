"""Plan evaluations kept on disk: a warm selection reads back exactly what a fresh one emulates.

The evaluation store must return, for every plan, the very correctness vector an emulation
gives; a warm run must emulate nothing and build the same ladder; keys must separate plans
whose arithmetic differs (another design, other correction constants) and sample sets whose
samples or labels differ.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from toolkit.select.data import split_selection_data
from toolkit.select.eval_cache import EvaluationStore
from toolkit.select.run import build_problem, certify_ladder, search_ladder, uniform_points

N = 120  # samples: a real (small) search in a few seconds


@pytest.fixture
def own_cache(zoo_models, tmp_path, monkeypatch):
    """A fresh cache root (after the zoo models are loaded from the shared one)."""
    monkeypatch.setenv("TOOLKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _sets(entry):
    sets = split_selection_data(entry["data"], split_seed=0)
    return dataclasses.replace(
        sets,
        x_calibration=sets.x_calibration[:N],
        y_calibration=sets.y_calibration[:N],
        x_search=sets.x_search[:N],
        y_search=sets.y_search[:N],
    )


def test_a_warm_selection_emulates_nothing_and_reads_back_what_was_emulated(zoo_models, own_cache):
    entry = zoo_models["digits-cnn"]
    sets = _sets(entry)
    runs = []
    for _ in range(2):
        problem, _, ladder, _ = search_ladder(entry["ir"], entry["deploy"], sets, refine_steps=1)
        cert = certify_ladder(problem, ladder, sets, 4.0, 0.9)
        runs.append((problem, ladder, cert.to_json(), uniform_points(problem, samples=40)))
    (cold, cold_ladder, cold_cert, cold_uniform), (warm, warm_ladder, warm_cert, warm_uniform) = runs
    assert cold.evaluations > 5 and cold.reused == 0
    assert warm.evaluations == 0 and warm.reused == cold.evaluations
    assert warm_ladder.choices == cold_ladder.choices and warm_ladder.search_bound == cold_ladder.search_bound
    assert warm_cert == cold_cert and warm_uniform == cold_uniform
    assert all(p["n"] == 40 for p in cold_uniform)
    # what the warm run read is what an emulation gives, plan by plan
    fresh, _ = build_problem(
        entry["ir"], entry["deploy"], (sets.x_calibration, sets.y_calibration), (sets.x_search, sets.y_search),
        None, ("none", "cv"), use_cache=False,
    )  # fmt: skip
    assert fresh.store is None
    for choice, stored in warm._cache.items():
        np.testing.assert_array_equal(stored, fresh.correct(list(choice)))
    assert fresh.evaluations == len(warm._cache) > 5
    # the first samples of what a problem evaluated are the subset's own evaluations
    head, alone = fresh.head(40), fresh.with_samples(sets.x_search[:40], sets.y_search[:40])
    for choice in list(warm._cache)[:4]:
        np.testing.assert_array_equal(head.correct(list(choice)), alone.correct(list(choice)))
    assert head.evaluations == 0 and alone.evaluations == 4


def test_keys_separate_plans_corrections_and_sample_sets(zoo_models, own_cache):
    entry = zoo_models["digits-cnn"]
    sets = _sets(entry)
    x, y = sets.x_search, sets.y_search
    problem, _ = build_problem(entry["ir"], entry["deploy"], (x, y), (x, y), None, ("none", "cv"))
    exact = problem.exact_choice()
    keys = set()
    for layer, options in enumerate(problem.candidates):
        for index in range(len(options)):
            choice = list(exact)
            choice[layer] = index
            keys.add(problem.plan_key(choice))
    assert len(keys) == sum(len(o) for o in problem.candidates) - len(problem.candidates) + 1
    # the same labels with corrections fitted under other histograms: other constants, other keys
    cv = next(i for i, c in enumerate(problem.candidates[0]) if c.correction == "cv")
    choice = list(exact)
    choice[0] = cv
    other, _ = build_problem(entry["ir"], entry["deploy"], (x[:30], y[:30]), (x, y), None, ("none", "cv"))
    assert other.candidates[0][cv].label == problem.candidates[0][cv].label
    assert other.plan_key(choice) != problem.plan_key(choice)
    assert other.plan_key(exact) == problem.plan_key(exact)
    # a sample set is keyed by its samples and labels
    paths = {
        EvaluationStore(entry["ir"], x, y).path,
        EvaluationStore(entry["ir"], x[:-1], y[:-1]).path,
        EvaluationStore(entry["ir"], x, (y + 1) % 10).path,
    }
    assert len(paths) == 3
    # and by the source of the code that computes the arithmetic
    from toolkit.select import eval_cache

    fingerprint = eval_cache.arithmetic_fingerprint()
    assert len(fingerprint) == 16
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(eval_cache, "arithmetic_fingerprint", lambda: "other code")
        assert EvaluationStore(entry["ir"], x, y).path not in paths
    store = EvaluationStore(entry["ir"], x, y)
    row = np.arange(len(y)) % 3 == 0
    store.put("k", row)
    np.testing.assert_array_equal(EvaluationStore(entry["ir"], x, y).get("k"), row)
    assert EvaluationStore(entry["ir"], x, y).get("other") is None
