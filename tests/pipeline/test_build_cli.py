"""`toolkit build` on real steps: bad input is a clear error, and an interrupted build resumes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from toolkit.cli.main import cli
from toolkit.pipeline import steps

# A QKeras zoo model kept as it is: no training, so these tests stay fast.
FAST = ["--model", "zoo:digits-mlp", "--quantize", "keep"]


def _build(tmp_path: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["build", "--out", str(tmp_path / "b"), *FAST, *args])


def test_unknown_board_lists_the_known_ones(tmp_path: Path) -> None:
    result = _build(tmp_path, "--board", "zedboard")
    assert result.exit_code == 2
    assert "board 'zedboard' is unknown: expected one of kv260, pynq-z2, ultra96v2, zcu104" in result.output
    assert not (tmp_path / "b").exists()


def test_a_plan_for_another_model_is_refused(tmp_path: Path, zoo_models) -> None:
    plan = tmp_path / "other.json"
    plan.write_text(json.dumps({"format": "toolkit-plan", "version": 1, "model_hash": "0123456789abcdef",
                                "layers": []}))  # fmt: skip
    result = _build(tmp_path, "--plan", str(plan), "--to", "approx")
    assert result.exit_code == 2, result.output
    assert "was made for model hash 0123456789abcdef but this model's hash is" in result.output
    record = json.loads((tmp_path / "b" / "steps" / "01-approx.json").read_text())
    assert record["status"] == "failed" and not (tmp_path / "b" / "plan.json").exists()


def test_an_interrupted_build_resumes_without_redoing_done_steps(
    tmp_path: Path, zoo_models, monkeypatch
) -> None:
    real_approx = steps.approx

    def interrupted(ctx):  # noqa: ANN001, ANN202 - a step
        (ctx.stage / "plan.json").write_text("{half")
        raise KeyboardInterrupt

    monkeypatch.setattr(steps, "approx", interrupted)
    from toolkit.pipeline import build as build_module

    monkeypatch.setattr(build_module, "STEPS", tuple(
        s if s.name != "approx" else type(s)(s.name, interrupted, s.artifacts, s.depends, s.summary)
        for s in build_module.STEPS
    ))  # fmt: skip
    result = _build(tmp_path, "--to", "approx", "--budget", "2")
    assert result.exit_code != 0
    folder = tmp_path / "b"
    assert json.loads((folder / "steps" / "00-quantize.json").read_text())["status"] == "passed"
    assert json.loads((folder / "steps" / "01-approx.json").read_text())["status"] == "interrupted"
    assert not (folder / "plan.json").exists() and not list(folder.glob(".stage-*"))
    monkeypatch.setattr(build_module, "STEPS", tuple(
        s if s.name != "approx" else type(s)(s.name, real_approx, s.artifacts, s.depends, s.summary)
        for s in build_module.STEPS
    ))  # fmt: skip
    result = _build(tmp_path, "--to", "approx", "--budget", "2", "--json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)["steps"]
    assert [(r["step"], r["status"], r.get("reused", False)) for r in records] == [
        ("quantize", "passed", True),
        ("approx", "passed", False),
    ]
    plan = json.loads((folder / "plan.json").read_text())
    assert plan["model_hash"] == records[0]["result"]["model_hash"]


def test_build_reports_agreement_with_the_users_model(tmp_path: Path) -> None:
    """Exact BN deployment equals the user's model; the explicit fold shows its cost in the summary."""
    import numpy as np

    from tests.bn_models import build_bn
    from toolkit.models.loading import load_keras_file
    from toolkit.models.reader import read_model

    model, x = build_bn("dense_bn", n=300)
    model.save(tmp_path / "user.keras")
    y = np.random.default_rng(0).integers(0, 5, len(x))
    np.savez(tmp_path / "d.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    common = [
        "build",
        "--model",
        str(tmp_path / "user.keras"),
        "--data",
        str(tmp_path / "d.npz"),
        "--to",
        "quantize",
    ]
    exact = CliRunner().invoke(cli, [*common, "--out", str(tmp_path / "exact")], catch_exceptions=False)
    assert exact.exit_code == 0, exact.output
    record = json.loads((tmp_path / "exact" / "steps" / "00-quantize.json").read_text())["result"]
    assert record["agreement"]["outputs_fraction"] == 1.0 and record["agreement"]["n"] == 300
    assert "same class on 100.00%" in exact.output  # the summary row (rich wraps the rest of it)
    folded = CliRunner().invoke(
        cli, [*common, "--out", str(tmp_path / "fold"), "--fold-batchnorm", "--json"], catch_exceptions=False
    )
    assert folded.exit_code == 0, folded.output
    result = json.loads(folded.stdout)["steps"][0]["result"]
    assert result["agreement"]["outputs_fraction"] < 1.0 and result["agreement"]["unexplained"] > 0
    # later steps deploy the folded rewrite; the user's model is kept beside it
    assert (tmp_path / "fold" / "quantize" / steps.ORIGINAL_MODEL).exists()
    deployed, _ = read_model(load_keras_file(tmp_path / "fold" / "model.h5"))
    assert deployed.model_hash() == result["model_hash"] != record["model_hash"]
