"""``toolkit quantize``: outputs, --json, --help, and one-line errors for bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from toolkit.cli.main import cli


def _run(*args):
    return CliRunner().invoke(cli, ["quantize", *args], catch_exceptions=False)


def _error(result):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.slow
def test_quantize_zoo_model_json(tmp_path):
    out = tmp_path / "run"
    args = ["--model", "zoo:digits-mlp", "--out", str(out), "--epochs", "5", "--start-bits", "8"]
    result = _run(*args, "--update-start", "2", "--settle-tol", "1", "--max-updates", "1", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    doc = json.loads((out / "precision.json").read_text())
    assert summary["bits"] == {layer["name"]: layer["bits"] for layer in doc["layers"]}
    assert summary["epochs_run"] == 5 and doc["source"]["data"] == "digits"
    assert len(doc["updates"]) == 1 and doc["config"]["max_updates"] == 1
    assert summary["accuracy"]["emulator_bit_exact"] is True
    assert summary["cost"]["bitops_uniform8"] == (64 * 32 + 32 * 10) * 64
    assert (out / "model.h5").exists() and (out / "precision.png").exists()
    assert doc["config"]["rule"]["start_bits"] == 8 and doc["config"]["rule"]["min_bits"] == 2


@pytest.mark.slow
def test_quantize_table_for_a_float_model_file(tmp_path):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.layers.Input((8, 8, 1)),
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dense(10),
        ],
        name="float_mlp",
    )
    path = tmp_path / "float.h5"
    model.save(path)
    out = tmp_path / "o"
    args = ["--model", str(path), "--data", "digits", "--out", str(out), "--epochs", "5", "--start-bits", "8"]
    result = _run(*args, "--update-start", "2")
    assert result.exit_code == 0, result.output
    assert "vs uniform 16-bit" in result.stdout and "yes (emulator == QKeras predict)" in result.stdout
    doc = json.loads((out / "precision.json").read_text())
    assert [layer["kind"] for layer in doc["layers"]] == ["QDense", "QDense"]
    assert doc["input"]["precision"].startswith("u")  # an unsigned input quantizer was added


def test_help_has_examples():
    result = _run("--help")
    assert result.exit_code == 0
    for text in ("Examples:", "--start-bits", "--min-bits", "--prune", "--max-updates", "zoo:NAME"):
        assert text in result.stdout


def test_min_bits_above_start_bits(tmp_path):
    line = _error(
        _run("--model", "zoo:digits-mlp", "--out", str(tmp_path), "--start-bits", "4", "--min-bits", "6")
    )
    assert "min bits 6 are above the start bits 4" in line


def test_labels_do_not_match_output_width(tmp_path, digits):
    path = tmp_path / "three.npz"
    keep_tr, keep_te = digits.y_train < 3, digits.y_test < 3
    np.savez(
        path,
        x_train=digits.x_train[keep_tr],
        y_train=digits.y_train[keep_tr],
        x_test=digits.x_test[keep_te],
        y_test=digits.y_test[keep_te],
    )
    line = _error(_run("--model", "zoo:digits-cnn", "--data", str(path), "--out", str(tmp_path / "o")))
    assert "3 classes" in line and "10 outputs" in line


def test_model_without_quantizable_layers(tmp_path):
    import tensorflow as tf

    model = tf.keras.Sequential([tf.keras.layers.Input((8, 8, 1)), tf.keras.layers.Flatten()], name="flat")
    path = tmp_path / "flat.h5"
    model.save(path)
    line = _error(_run("--model", str(path), "--data", "digits", "--out", str(tmp_path / "o")))
    assert "no quantizable layer" in line


def test_model_file_needs_data(tmp_path):
    path = tmp_path / "m.h5"
    path.write_bytes(b"")
    line = _error(_run("--model", str(path), "--out", str(tmp_path / "o")))
    assert "--data is needed" in line
