"""``--baseline`` is checked: same board, same model hash, an exact plan, the same kind of energy;
and the saving's label is the kind of both energies (never a modelled figure called measured)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from toolkit.errors import ToolkitError
from toolkit.measure.energy import saving
from toolkit.measure.run import check_baseline, energy_section

MANIFEST = SimpleNamespace(raw={"model_hash": "m0", "plan_hash": "p1", "plan_exact": False})
MEASURED = {"joules": 2e-6, "stderr_j": 1e-7, "label": "measured"}


def baseline(tmp_path, **changes):
    doc = {"format": "toolkit-measure", "board": "pynq-z2", "plan": {"model_hash": "m0", "exact": True},
           "energy": {"plan": {"joules": 2.5e-6, "stderr_j": 1e-7, "label": "measured"}}}  # fmt: skip
    for key, value in changes.items():
        target, _, field = key.partition("__")
        if field:
            doc[target][field] = value
        else:
            doc[target] = value
    path = tmp_path / "base.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_matching_baseline_gives_a_measured_saving(tmp_path) -> None:
    base = check_baseline(baseline(tmp_path), "pynq-z2", MANIFEST)
    out = energy_section({"power": {"energy": MEASURED}}, None, base, "base.json")
    s = out["saving"]
    assert s["label"] == "measured" and s["value"] == pytest.approx(0.2)
    assert s["stderr"] == pytest.approx(0.8 * ((0.1 / 2) ** 2 + (0.1 / 2.5) ** 2) ** 0.5)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"board": "zcu104"}, "measured on 'zcu104', this build is for 'pynq-z2'"),
        ({"plan__model_hash": "other"}, "measured model 'other', this build's is 'm0'"),
        ({"plan__exact": False}, "plan is not exact"),
        ({"plan": {}}, "measured model None"),
        ({"format": "toolkit-plan"}, "is not a measure.json written by `toolkit measure` nor a results.json"),
        ({"energy": {"plan": None}}, "has no energy per inference"),
    ],
)
def test_bad_baselines_are_refused(tmp_path, changes, message) -> None:
    with pytest.raises(ToolkitError, match=message):
        check_baseline(baseline(tmp_path, **changes), "pynq-z2", MANIFEST)


def test_baseline_of_another_kind_is_refused(tmp_path) -> None:
    base = check_baseline(baseline(tmp_path), "pynq-z2", MANIFEST)
    modelled = {"joules": 2e-6, "stderr_j": None, "label": "modelled"}
    with pytest.raises(ToolkitError, match="holds a measured energy, this run's is modelled"):
        energy_section({"power": {"energy": modelled}}, None, base, "base.json")
    with pytest.raises(
        ToolkitError, match="a modelled plan energy cannot be compared with a measured baseline"
    ):
        saving(modelled, MEASURED)
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ToolkitError, match="is not JSON"):
        check_baseline(tmp_path / "bad.json", "pynq-z2", MANIFEST)


def test_paired_modelled_saving_of_an_exact_plan_is_zero() -> None:
    batches = [1.0e-9, 1.2e-9, 0.9e-9, 1.1e-9]
    same = {"joules": 1.05e-9, "stderr_j": 0.05e-9, "label": "modelled", "per_chunk_j": batches}
    s = saving(same, dict(same))
    assert s["value"] == 0.0 and s["stderr"] == 0.0 and s["label"] == "modelled"
    half = dict(same, joules=0.525e-9, per_chunk_j=[b / 2 for b in batches])
    assert saving(half, same)["value"] == pytest.approx(0.5) and saving(half, same)[
        "stderr"
    ] == pytest.approx(0)
