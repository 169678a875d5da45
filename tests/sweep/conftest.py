"""Sweep fixtures: a tiny QKeras model file (the second model of the test sweeps) and a CONFIG writer."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small functional QKeras MLP for 8x8 digits (Keras default names), saved as .h5, briefly trained."""
    import tensorflow as tf
    from qkeras import QActivation, QDense

    from toolkit.models.datasets import load_dataset

    tf.keras.utils.set_random_seed(0)
    q = {"kernel_quantizer": "quantized_bits(4,0,alpha=1)", "bias_quantizer": "quantized_bits(8,3,alpha=1)"}
    inputs = tf.keras.Input((8, 8, 1))
    x = QActivation("quantized_relu(4,0)")(inputs)
    x = tf.keras.layers.Flatten()(x)
    seeded = tf.keras.initializers.GlorotUniform  # unseeded, Keras draws a seed with a float randint bound
    x = QDense(12, kernel_initializer=seeded(seed=1), **q)(x)
    x = QActivation("quantized_relu(4,2)")(x)
    outputs = QDense(10, kernel_initializer=seeded(seed=2), **q)(x)
    model = tf.keras.Model(inputs, outputs)
    data = load_dataset("digits")
    model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(data.x_train, data.y_train, epochs=3, batch_size=64, verbose=0)
    path = tmp_path_factory.mktemp("tiny") / "tiny_mlp.h5"
    model.save(str(path), save_format="h5")
    return path


def write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
