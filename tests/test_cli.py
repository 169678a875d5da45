"""The CLI: the main job, --json, --help, and one-line errors with a non-zero exit for bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from toolkit.cli.main import cli


def _run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_emulate_default_json_matches_library(zoo_models):
    from toolkit.emulator.engine import Emulator

    result = _run("emulate", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    entry = zoo_models["digits-cnn"]
    expected = float(np.mean(Emulator(entry["ir"]).classify(entry["data"].x_test) == entry["data"].y_test))
    assert report["model"] == "zoo:digits-cnn" and report["n"] == 450
    assert report["accuracy"] == expected and report["accuracy"] > 0.9


def test_emulate_limit_and_table(zoo_models):
    result = _run("emulate", "--model", "zoo:digits-mlp", "--limit", "50")
    assert result.exit_code == 0
    assert "accuracy" in result.stdout and "/50)" in result.stdout


def test_help_teaches():
    result = _run("emulate", "--help")
    assert "Examples:" in result.stdout and "--limit" in result.stdout
    assert "zoo:NAME" in _run("--help").stdout


def test_zoo_lists_models(zoo_models):
    result = _run("zoo")
    assert result.exit_code == 0
    for name in ("zoo:digits-mlp", "zoo:digits-cnn", "zoo:mnist1d-cnn"):
        assert name in result.stdout


def _error(result):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_missing_model_file(tmp_path):
    line = _error(_run("emulate", "--model", str(tmp_path / "none.h5"), "--data", "digits"))
    assert "not found" in line


def test_not_a_keras_model(tmp_path):
    bogus = tmp_path / "bogus.h5"
    bogus.write_bytes(b"definitely not hdf5")
    assert "is not a loadable Keras model" in _error(
        _run("emulate", "--model", str(bogus), "--data", "digits")
    )
    text = tmp_path / "model.txt"
    text.write_text("x")
    assert "expected .h5 or .keras" in _error(_run("emulate", "--model", str(text), "--data", "digits"))


def test_unknown_zoo_name():
    assert "expected one of digits-mlp, digits-cnn, mnist1d-cnn" in _error(
        _run("emulate", "--model", "zoo:resnet")
    )
    assert "is unknown" in _error(_run("zoo", "--train", "resnet"))


def test_unsupported_layer_from_cli(tmp_path):
    from qkeras import QActivation
    from tensorflow.keras import layers, models

    model = models.Sequential(
        [
            layers.Input((6,)),
            QActivation("quantized_relu(4,0)", name="q"),
            layers.LayerNormalization(name="ln"),
        ]
    )
    path = tmp_path / "m.h5"
    model.save(path)
    line = _error(_run("emulate", "--model", str(path), "--data", "digits"))
    assert "layer 'ln' (LayerNormalization) is not supported" in line


@pytest.mark.parametrize(
    "arrays, fragment",
    [
        ({"x_train": np.zeros((4, 8, 8, 1))}, "lacks y_train, x_test, y_test"),
        (
            {
                "x_train": np.zeros((4, 8, 8, 1)),
                "y_train": np.zeros(4),
                "x_test": np.zeros((3, 8, 8, 1)),
                "y_test": np.zeros(2),
            },
            "x_test has 3 samples but y_test has 2",
        ),
    ],
)
def test_bad_npz_from_cli(tmp_path, arrays, fragment):
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    assert fragment in _error(_run("emulate", "--data", str(path)))


def test_shape_and_label_mismatch(tmp_path, zoo_models):
    path = tmp_path / "d.npz"
    np.savez(path, x_train=np.zeros((4, 9)), y_train=np.zeros(4), x_test=np.zeros((2, 9)), y_test=np.zeros(2))
    assert "input samples have shape (9,)" in _error(_run("emulate", "--data", str(path)))
    np.savez(
        path,
        x_train=np.zeros((4, 8, 8, 1)),
        y_train=np.arange(4) * 5,
        x_test=np.zeros((2, 8, 8, 1)),
        y_test=np.zeros(2),
    )
    assert "has 16 classes" in _error(_run("emulate", "--data", str(path)))
