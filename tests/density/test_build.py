"""Rebuilding at new widths carries weights; pruning dead channels leaves outputs unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.density.build import build_model, capture_weights, prune_unit
from toolkit.density.spec import spec_from_keras, spec_from_zoo
from toolkit.emulator.engine import Emulator
from toolkit.models.reader import read_model
from toolkit.precision import Precision


def _bits(spec, b):
    return {u.name: b for u in spec.units()}


def test_rebuild_carries_weights_and_sets_quantizers(small_digits):
    spec = spec_from_zoo("digits-cnn", seed=1)
    wide = build_model(spec, _bits(spec, 16), 16)
    capture_weights(spec, wide)
    narrow = build_model(spec, {"conv1": 3, "conv2": 5, "fc": 5}, 3)
    for a, b in zip(wide.layers, narrow.layers, strict=True):
        for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
            np.testing.assert_array_equal(wa, wb)
    model_ir, _ = read_model(narrow)
    got = {layer.name: (layer.weight_precision, layer.in_precision) for layer in model_ir.mac_layers()}
    # kernels keep integer bits 0 (range [-1, 1)); activations keep 2 (range [0, 4)); input keeps 0
    assert got["conv1"] == (Precision(3, 1, True), Precision(3, 0, False))
    assert got["conv2"] == (Precision(5, 1, True), Precision(3, 2, False))
    assert got["fc"] == (Precision(5, 1, True), Precision(5, 2, False))


def _kill_channels(model, layer_name, channels):
    kernel, bias = model.get_layer(layer_name).get_weights()
    kernel[..., channels] = 0.0
    bias[channels] = -1.0  # relu(-1) = 0 on every input
    model.get_layer(layer_name).set_weights([kernel, bias])


@pytest.mark.parametrize(
    ("zoo", "layer", "dead"),
    [("digits-cnn", "conv1", [0, 5]), ("digits-cnn", "conv2", [1, 2, 15]), ("digits-mlp", "fc1", [3, 4, 31])],
)
def test_pruning_dead_channels_keeps_outputs_exactly(small_digits, zoo, layer, dead):
    spec = spec_from_zoo(zoo, seed=2)
    bits = _bits(spec, 6)
    model = build_model(spec, bits, 6)
    _kill_channels(model, layer, dead)
    capture_weights(spec, model)
    x = small_digits.x_test
    before = model.predict(x, verbose=0)
    unit = next(u for u in spec.units() if u.name == layer)
    channels = spec.channels()[layer]
    prune_unit(spec, unit, [c for c in range(channels) if c not in dead])
    pruned = build_model(spec, bits, 6)
    assert pruned.get_layer(layer).get_weights()[0].shape[-1] == channels - len(dead)
    after = pruned.predict(x, verbose=0)
    np.testing.assert_array_equal(after, before)
    model_ir, deploy = read_model(pruned)
    np.testing.assert_array_equal(
        Emulator(model_ir).predict(x), deploy.predict(x, verbose=0).astype(np.float64)
    )


def test_logit_layer_cannot_be_pruned():
    from toolkit.errors import ToolkitError

    spec = spec_from_zoo("digits-mlp", seed=1)
    with pytest.raises(ToolkitError, match="produces the logits"):
        prune_unit(spec, spec.units()[-1], [0, 1])


def test_float_keras_model_is_converted(small_digits):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.layers.Input((8, 8, 1)),
            tf.keras.layers.Conv2D(4, 3, activation="relu"),
            tf.keras.layers.MaxPooling2D(2),
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(12),
            tf.keras.layers.ReLU(),
            tf.keras.layers.Dense(10, activation="softmax"),
        ]
    )
    spec = spec_from_keras(model, small_digits.x_train)
    assert [n.role for n in spec.nodes] == ["input", "mac", "act", "pass", "pass", "mac", "act", "mac"]
    assert spec.nodes[0].signed is False and spec.nodes[0].integer == 0  # digits lie in [0, 1]
    built = build_model(spec, _bits(spec, 8), 8)
    for node in spec.nodes:
        if node.weights is not None:
            for a, b in zip(node.weights, built.get_layer(node.name).get_weights(), strict=True):
                np.testing.assert_array_equal(a, b)
    model_ir, deploy = read_model(built)
    x = small_digits.x_test[:50]
    np.testing.assert_array_equal(
        Emulator(model_ir).predict(x), deploy.predict(x, verbose=0).astype(np.float64)
    )
    # the converted model computes nearly what the float one did (8 bits, ranges from data)
    agree = np.mean(built.predict(x, verbose=0).argmax(1) == model.predict(x, verbose=0).argmax(1))
    assert agree > 0.8


def test_qkeras_model_keeps_weights_and_integer_bits():
    from toolkit.models.zoo import ZOO

    model = ZOO["digits-cnn"].build()  # a QKeras model; its weights and quantizer ranges carry over
    spec = spec_from_keras(model, None)
    assert [(n.role, n.integer) for n in spec.nodes if n.role in ("input", "act", "mac")] == [
        ("input", 0),
        ("mac", 0),
        ("act", 2),
        ("mac", 0),
        ("act", 2),
        ("mac", 0),
    ]
    np.testing.assert_array_equal(spec.nodes[1].weights[0], model.get_layer("conv1").get_weights()[0])
    assert spec.nodes[1].bias_integer == 3
