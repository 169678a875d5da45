"""plan.json: resolution against a model, emulation through it, and the errors for plans that do not fit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from toolkit.cli.main import cli
from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.plan import load_plan, plan_from_json

HAND_WRITTEN = {
    "format": "toolkit-plan",
    "version": 1,
    "layers": [
        {"name": "conv1", "multiplier": "trunc2"},
        {"name": "conv2", "multiplier": "perfw1", "correction": "cv"},
        {"name": "fc", "multiplier": "drum2_u4s4", "correction": "bias"},
    ],
}


def _write(tmp_path, obj, name="plan.json"):
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return str(path)


def test_emulate_with_plan_fast_equals_reference(zoo_models, tmp_path):
    path = _write(tmp_path, HAND_WRITTEN)
    runs = {}
    for method in ("auto", "gather"):
        result = CliRunner().invoke(cli, ["emulate", "--plan", path, "--method", method, "--json"])
        assert result.exit_code == 0, result.output
        runs[method] = json.loads(result.stdout)
    assert runs["auto"]["accuracy"] == runs["gather"]["accuracy"]
    assert runs["auto"]["multipliers"] == {
        "conv1": "trunc2_u4s4",
        "conv2": "perfw1_u4s4+cv",
        "fc": "drum2_u4s4+bias",
    }
    # The plan's accuracy is what the library computes for it, and differs from exact.
    entry = zoo_models["digits-cnn"]
    plan = load_plan(path, entry["ir"])
    predicted = Emulator(entry["ir"], plan.kernels()).classify(entry["data"].x_test)
    assert runs["auto"]["accuracy"] == float(np.mean(predicted == entry["data"].y_test))


def test_resolved_plan_round_trips_exactly(zoo_models, tmp_path):
    entry = zoo_models["digits-cnn"]
    plan = plan_from_json(HAND_WRITTEN, entry["ir"])
    saved = tmp_path / "resolved.json"
    plan.save(saved, entry["ir"])
    obj = json.loads(saved.read_text())
    assert obj["model_hash"] == entry["ir"].model_hash()
    assert obj["layers"][1]["correction"]["mode"] == "cv" and len(obj["layers"][1]["correction"]["c"]) == 16
    again = load_plan(saved, entry["ir"])
    codes = Emulator(entry["ir"]).quantize_input(entry["data"].x_test[:100])
    np.testing.assert_array_equal(
        Emulator(entry["ir"], again.kernels()).predict_codes(codes),
        Emulator(entry["ir"], plan.kernels()).predict_codes(codes),
    )


@pytest.mark.parametrize(
    "layers, message",
    [
        (
            [{"name": "conv9", "multiplier": "trunc2"}],
            "names layer 'conv9', which is not a MAC layer .* conv1, conv2, fc",
        ),
        ([{"name": "conv1", "multiplier": "wallace3"}], "unknown multiplier family"),
        ([{"name": "conv1", "multiplier": "trunc2_u9s4"}], "9"),
        (
            [{"name": "conv1", "multiplier": "trunc2_u8s4"}],
            "multiplies u4.0 activations by s4.1 weights .* another operand tag",
        ),
        (
            [{"name": "conv1", "activation": "u8.0", "multiplier": "trunc2"}],
            "activation precision u4.0 but the plan says u8.0",
        ),
        ([{"name": "conv1", "multiplier": "trunc2"}, {"name": "conv1"}], "lists layer 'conv1' twice"),
        ([{"name": "conv1", "multiplier": "trunc2", "correction": "magic"}], "expected none, cv, bias"),
    ],
)
def test_plans_that_do_not_fit_the_model(zoo_models, layers, message):
    obj = dict(HAND_WRITTEN, layers=layers)
    with pytest.raises(ToolkitError, match=message):
        plan_from_json(obj, zoo_models["digits-cnn"]["ir"])


def test_plan_for_another_model_is_refused(zoo_models, tmp_path):
    path = _write(tmp_path, dict(HAND_WRITTEN, model_hash=zoo_models["digits-mlp"]["ir"].model_hash()))
    result = CliRunner().invoke(cli, ["emulate", "--plan", path])
    assert result.exit_code == 2
    assert "was made for model hash" in result.stderr and "Traceback" not in result.output


def test_bad_plan_files(zoo_models, tmp_path):
    model_ir = zoo_models["digits-cnn"]["ir"]
    with pytest.raises(ToolkitError, match="not found"):
        load_plan(tmp_path / "none.json", model_ir)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ToolkitError, match="not valid JSON"):
        load_plan(bad, model_ir)
    with pytest.raises(ToolkitError, match="not a toolkit plan"):
        plan_from_json({"layers": []}, model_ir)
