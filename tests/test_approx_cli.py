"""``toolkit approx`` end to end: a certified (or exact) plan that reproduces what selection.json reports."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from toolkit.cli.main import cli
from toolkit.errors import ToolkitError

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("approx_cli")]  # one selection run


@pytest.fixture(scope="module")
def selection(tmp_path_factory, zoo_models):
    out = tmp_path_factory.mktemp("approx")
    result = CliRunner().invoke(
        cli, ["approx", "--model", "zoo:digits-mlp", "--budget", "1.0", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def test_the_plan_is_certified_or_exact_and_reports_its_samples(selection):
    out, summary = selection
    full = json.loads((out / "selection.json").read_text())
    cert, n = summary["certificate"], summary["samples"]
    assert cert["plan"]["bound"] <= 1.0 or cert["status"] == "exact-fallback"
    assert cert["n"] == n["certify"] and summary["search"]["n"] == n["search"] and n["calibration"] > 512
    walked = cert["rungs"]
    assert all(r["certified"] == (r["loss"]["bound"] <= 1.0) for r in walked[1:])
    assert all(r["certified"] for r in walked[: cert["accepted_rung"] + 1])
    assert [r["saving"] for r in full["ladder"]] == sorted(r["saving"] for r in full["ladder"])
    assert summary["test"]["loss"]["losses"] >= 0 and 0 <= summary["energy"]["reduction"] < 1
    for name in ("plan.json", "selection.json", "sensitivity.png", "chosen.png", "pareto.png"):
        assert (out / name).stat().st_size > 0


def test_plan_emulates_to_the_reported_test_accuracy(selection):
    out, summary = selection
    result = CliRunner().invoke(
        cli, ["emulate", "--model", "zoo:digits-mlp", "--plan", str(out / "plan.json"), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accuracy"] == summary["test"]["plan"]


@pytest.mark.parametrize("budget", ["-1", "nan", "inf"])
def test_cli_refuses_a_negative_or_nan_budget(budget, tmp_path):
    result = CliRunner().invoke(cli, ["approx", "--budget", budget, "--out", str(tmp_path / "sel")])
    assert result.exit_code == 2
    assert f"--budget {budget}" in result.output and "a finite number of points >= 0" in result.output
    assert not (tmp_path / "sel").exists()


def test_negative_budget_and_bad_confidence_are_refused(tmp_path, zoo_models):
    from toolkit.select.run import approx_model

    with pytest.raises(ToolkitError, match=r"--budget -50: expected an accuracy loss in points >= 0"):
        approx_model("zoo:digits-mlp", None, tmp_path, budget=-50.0, verbose=False)
    with pytest.raises(ToolkitError, match=r"confidence 1.5: expected a level strictly between 0 and 1"):
        approx_model("zoo:digits-mlp", None, tmp_path, confidence=1.5, verbose=False)


def test_wide_layers_stay_exact_and_are_reported(tmp_path):
    import tensorflow as tf
    from qkeras import QActivation, QDense

    from toolkit.models.datasets import load_dataset
    from toolkit.select.run import approx_model

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.layers.Input((8, 8, 1)),
            QActivation("quantized_relu(4,0)", name="in_q"),
            tf.keras.layers.Flatten(),
            QDense(
                16,
                kernel_quantizer="quantized_bits(10,0,alpha=1)",
                bias_quantizer="quantized_bits(12,4,alpha=1)",
                name="wide",
            ),
            QActivation("quantized_relu(4,2)", name="act"),
            QDense(
                10,
                kernel_quantizer="quantized_bits(4,0,alpha=1)",
                bias_quantizer="quantized_bits(8,3,alpha=1)",
                name="out",
            ),
        ]
    )
    data = load_dataset("digits")
    model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(data.x_train, data.y_train, epochs=3, verbose=0)
    path = tmp_path / "wide.h5"
    model.save(path)
    summary = approx_model(
        str(path), "digits", tmp_path / "sel", budget=2.0, families=["trunc", "perfw"], verbose=False
    )
    assert summary["layers"]["wide"] == "exact (wide)"
    assert "wider than 8 bits" in summary["scores"]["wide"]["note"]
    plan = json.loads((tmp_path / "sel" / "plan.json").read_text())
    assert [layer["name"] for layer in plan["layers"]] == ["out"]
    assert np.isfinite(summary["energy"]["reduction"])
