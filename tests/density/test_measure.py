"""Activation density: equal to a direct count, per layer and per channel, and logged every epoch."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from toolkit.density.build import build_model
from toolkit.density.measure import INPUT, density_callback, measure_density
from toolkit.density.spec import spec_from_keras, spec_from_zoo


def _uniform(spec, bits):
    return build_model(spec, {u.name: bits for u in spec.units()}, bits)


def test_ad_equals_direct_count_on_a_known_batch(small_digits):
    spec = spec_from_zoo("digits-cnn", seed=3)
    model = _uniform(spec, 8)
    x = small_digits.x_train[:50]
    density = measure_density(model, spec, x, batch_size=16)  # batches must not change the count
    for layer, name in (("conv1_relu", "conv1"), ("conv2_relu", "conv2"), ("input_q", INPUT)):
        out = tf.keras.Model(model.inputs, model.get_layer(layer).output)(x, training=False).numpy()
        assert density.layer[name] == np.count_nonzero(out) / out.size
        per_channel = np.count_nonzero(out.reshape(-1, out.shape[-1]), axis=0) / (out.size // out.shape[-1])
        np.testing.assert_allclose(density.channel[name], per_channel, rtol=0, atol=1e-12)
    assert "fc" not in density.layer  # the logit layer has no ReLU


def test_ad_of_a_hand_built_layer():
    """Units x0 - 0.5, x1 - 0.5 and a dead one on binary inputs: AD is a count of ones."""
    model = tf.keras.Sequential(
        [tf.keras.layers.Input((2,)), tf.keras.layers.Dense(3, activation="relu"), tf.keras.layers.Dense(2)]
    )
    model.layers[0].set_weights(
        [np.array([[1, 0, 0], [0, 1, 0]], np.float32), np.array([-0.5, -0.5, -1], np.float32)]
    )
    x = np.array([[1, 0], [1, 1], [0, 0], [0, 1], [1, 1]], np.float32)
    spec = spec_from_keras(model, x)
    built = _uniform(spec, 8)
    built.layers[1].set_weights(model.layers[0].get_weights())
    density = measure_density(built, spec, x)
    ones = int(x.sum())  # 6 positive units out of 15
    assert density.layer[spec.units()[0].name] == ones / 15
    assert density.channel[spec.units()[0].name] == [3 / 5, 3 / 5, 0.0]
    assert density.layer[INPUT] == ones / 10


def test_callback_logs_every_epoch(small_digits):
    spec = spec_from_zoo("digits-mlp", seed=1)
    model = _uniform(spec, 8)
    model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    readings = []
    x = small_digits.x_train[:200]
    callback = density_callback(spec, x, lambda m, epoch, d, logs: readings.append((epoch, d, logs)))
    model.fit(x, small_digits.y_train[:200], epochs=2, verbose=0, callbacks=[callback])
    assert [epoch for epoch, _, _ in readings] == [0, 1]
    assert "loss" in readings[-1][2]
    assert readings[-1][1].layer == measure_density(model, spec, x).layer  # end-of-epoch state
