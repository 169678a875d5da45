"""`toolkit build` on a user's functional model whose layers carry Keras default names (issue 12).

The hls step used to fail with ``The name "input_1" is used 2 times in the model`` as
soon as the plan put a control-variate correction on a layer of such a model: the
correction graph cloned the InputLayer of a functional model as if it were a layer.
Here a functional CNN with default names (``input_1``, ``q_activation``, ``q_conv2d``,
``q_dense_1``, ...) goes through the hls step's C-sim check (io_parallel from an .h5,
io_stream from a .keras file) and the rtl step's Verilator check, with corrections on
a padded conv and a dense layer.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from toolkit.cli.main import cli

pytestmark = [pytest.mark.verilator, pytest.mark.slow]


def _functional_model():
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QDense

    tf.keras.backend.clear_session()  # Keras' default names restart at input_1, q_dense, ...
    q = {"kernel_quantizer": "quantized_bits(4,0,alpha=1)", "bias_quantizer": "quantized_bits(8,3,alpha=1)"}
    inputs = tf.keras.Input((6, 6, 1))
    x = QActivation("quantized_bits(5,2,alpha=1)")(inputs)
    x = QConv2D(3, 3, padding="same", **q)(x)
    x = QActivation("quantized_relu(4,2)")(x)
    x = tf.keras.layers.Flatten()(x)
    x = QDense(8, **q)(x)
    x = QActivation("quantized_relu(4,2)")(x)
    outputs = QDense(4, **q)(x)
    model = tf.keras.Model(inputs, outputs)
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights(
                [rng.uniform(-1.5, 1.5, w.shape).astype(np.float32) for w in layer.get_weights()]
            )
    return model


def _invoke(*args: str) -> dict:
    result = CliRunner().invoke(cli, ["build", "--board", "pynq-z2", "--quantize", "keep", "--json", *args])
    assert result.exit_code == 0, result.output
    return {r["step"]: r for r in json.loads(result.stdout)["steps"]}


def test_functional_model_with_default_names_and_cv_builds(tmp_path: Path) -> None:
    model = _functional_model()
    names = [layer.name for layer in model.layers]
    assert names[:3] == ["input_1", "q_activation", "q_conv2d"] and "q_dense_1" in names, names
    model.save(tmp_path / "my.h5", save_format="h5")
    model.save(tmp_path / "my.keras")
    rng = np.random.default_rng(1)
    x = rng.uniform(-6, 6, (72, 6, 6, 1)).astype(np.float32)  # beyond the input range: both rails
    np.savez(tmp_path / "my.npz", x_train=x[:40], y_train=rng.integers(0, 4, 40), x_test=x[40:],
             y_test=rng.integers(0, 4, 32))  # fmt: skip
    plan = {"format": "toolkit-plan", "version": 1, "layers": [
        {"name": "q_conv2d", "multiplier": "trunc2", "correction": "cv"},
        {"name": "q_dense", "multiplier": "drum2", "correction": "cv"},
        {"name": "q_dense_1", "multiplier": "perfw1", "correction": "bias"},
    ]}  # fmt: skip
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    common = ["--data", str(tmp_path / "my.npz"), "--plan", str(tmp_path / "plan.json"), "--to", "rtl"]

    for model_file, io_type in (("my.h5", "io_parallel"), ("my.keras", "io_stream")):
        out = tmp_path / f"build-{io_type}"
        steps = _invoke(
            "--model", str(tmp_path / model_file), "--io-type", io_type, "--out", str(out), *common
        )
        hls = steps["hls"]["result"]
        assert steps["hls"]["status"] == "passed" and hls["io_type"] == io_type
        assert hls["equal_samples"] == hls["n_samples"] == 32
        assert hls["corrected_layers"] == ["q_conv2d", "q_dense", "q_dense_1"]
        assert steps["rtl"]["status"] == "passed", steps["rtl"]
        assert steps["rtl"]["result"]["bit_exact_samples"] == steps["rtl"]["result"]["n"] == 32
