"""Short AD training runs on digits: widths change, outputs load back, the emulator is bit-exact."""

from __future__ import annotations

import json

import numpy as np
import pytest

from toolkit.density.report import MODEL_FILE, PLOT_FILE, PRECISION_FILE, write_outputs
from toolkit.density.rules import UpdateRule
from toolkit.density.run import evaluate
from toolkit.density.spec import spec_from_zoo
from toolkit.density.train import DensityConfig, check_data, train_density
from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.models.loading import load_keras_file
from toolkit.models.reader import read_model

from .conftest import fake_dataset

pytestmark = pytest.mark.xdist_group("density_train")  # the module's training run happens once
QUICK = UpdateRule(start_bits=8, update_start=2, min_gap=2, max_wait=2)


@pytest.fixture(scope="module")
def run(small_digits):
    spec = spec_from_zoo("digits-cnn", seed=1)
    result = train_density(spec, small_digits, DensityConfig(rule=QUICK, epochs=6, seed=1), verbose=False)
    return result, evaluate(result, small_digits)


@pytest.mark.slow
def test_short_run_changes_widths(run):
    result, evaluation = run
    assert len(result.records) == 6 and result.updates
    assert any(result.bits[name] < 8 for name in result.bits)
    assert all(2 <= b <= 8 for b in result.bits.values())
    first = result.updates[0]
    assert first["epoch"] == 2 and first["bits_before"] == {"conv1": 8, "conv2": 8, "fc": 8}
    # the logit layer follows the AD of its input (conv2's) by default
    assert result.bits["fc"] == result.bits["conv2"]
    assert result.input_bits == result.bits["conv1"]
    assert evaluation["accuracy"]["emulator_bit_exact"]
    assert evaluation["accuracy"]["test_emulator"] > 0.6


@pytest.mark.slow
def test_outputs_load_back_and_emulate_bit_exactly(run, small_digits, tmp_path):
    result, evaluation = run
    doc = write_outputs(tmp_path, result, evaluation, {"model": "zoo:digits-cnn", "data": "digits-small"})
    assert (tmp_path / PLOT_FILE).stat().st_size > 1000
    on_disk = json.loads((tmp_path / PRECISION_FILE).read_text())
    assert on_disk == json.loads(json.dumps(doc))
    model = load_keras_file(tmp_path / MODEL_FILE)
    model_ir, deploy = read_model(model)
    x = small_digits.x_test
    np.testing.assert_array_equal(
        Emulator(model_ir).predict(x), deploy.predict(x, verbose=0).astype(np.float64)
    )
    assert model_ir.model_hash() == on_disk["model_hash"]
    # per layer: final bits, an AD and a width per epoch, MACs and bit-ops that add up
    for layer, mac in zip(on_disk["layers"], model_ir.mac_layers(), strict=True):
        assert layer["bits"] == result.bits[layer["name"]] == mac.weight_precision.width
        assert len(layer["bits_history"]) == len(layer["ad"]) == on_disk["epochs_run"] == 6
        assert layer["macs"] == mac.macs and layer["bitops"] == mac.macs * layer["bw"] * layer["ba"]
    cost = on_disk["cost"]
    assert cost["bitops"] == sum(layer["bitops"] for layer in on_disk["layers"])
    assert cost["bitops_uniform16"] == 9856 * 256 and cost["reduction_vs_uniform16"] > 1


@pytest.mark.slow
def test_pruning_run_stays_runnable_and_consistent(small_digits):
    spec = spec_from_zoo("digits-cnn", seed=1)
    config = DensityConfig(rule=QUICK, epochs=5, prune=True, seed=1)
    result = train_density(spec, small_digits, config, verbose=False)
    pruned = result.updates[0]["pruned"]
    assert pruned and all(after < before for before, after in pruned.values())
    assert sum(1 for u in result.updates if u["pruned"]) == 1  # prune_rounds=1
    channels = result.spec.channels()
    assert channels["fc"] == 10 and any(channels[n] < result.start_channels[n] for n in ("conv1", "conv2"))
    evaluation = evaluate(result, small_digits)
    assert evaluation["accuracy"]["emulator_bit_exact"]
    assert evaluation["cost"]["macs"] < evaluation["cost"]["macs_start"]
    model_ir, _ = read_model(result.model)
    assert model_ir.layer("conv1").n_out == channels["conv1"]


def test_uniform_training_keeps_the_start_width(small_digits):
    spec = spec_from_zoo("digits-mlp", seed=1)
    config = DensityConfig(rule=UpdateRule(start_bits=4), epochs=2, adapt=False)
    result = train_density(spec, small_digits, config, verbose=False)
    assert result.bits == {"fc1": 4, "fc2": 4} and not result.updates and result.stop_reason == "epoch-limit"


def test_max_updates_caps_the_schedule(small_digits):
    spec = spec_from_zoo("digits-mlp", seed=1)
    config = DensityConfig(rule=QUICK, epochs=6, max_updates=1)
    result = train_density(spec, small_digits, config, verbose=False)
    assert len(result.updates) == 1 and len(result.records) == 6
    assert all(r.bits == result.bits for r in result.records[2:])  # widths fixed after the one update


def test_labels_that_do_not_match_the_output_width():
    spec = spec_from_zoo("digits-cnn", seed=1)
    with pytest.raises(ToolkitError, match=r"has 3 classes \(labels 0..2\) but model .* has 10 outputs"):
        check_data(spec, fake_dataset((8, 8, 1), classes=3))
    with pytest.raises(ToolkitError, match=r"samples of shape \(40, 1\) but model .* expects \(8, 8, 1\)"):
        check_data(spec, fake_dataset((40, 1), classes=10))


def test_model_without_quantizable_layers():
    import tensorflow as tf

    from toolkit.density.spec import spec_from_keras

    model = tf.keras.Sequential([tf.keras.layers.Input((8, 8, 1)), tf.keras.layers.Flatten()], name="flat")
    with pytest.raises(
        ToolkitError, match="model 'flat' has no quantizable layer: expected at least one Dense"
    ):
        spec_from_keras(model, np.zeros((4, 8, 8, 1), np.float32))
