"""Realistic-size benchmark models, trained here on procedural data and cached.

* ``cifar-cnn``: 32x32x3 input, three QConv2D layers of 16/16/24 channels with max-pooling,
  QDense 10 (the CIFAR-sized CNN of the scale issue), on ``shapes32``;
* ``dense-100k``: a QDense model of ~110 k parameters (40 -> 256 -> 256 -> 128 -> 10) on mnist1d;
* ``deep-mlp10``: ten QDense MAC layers on mnist1d, for selection runs with many layers.

``shapes32`` is a procedural 10-class image set (oriented colour gratings with random
phase, shift and noise), generated deterministically and saved as an ordinary user
``.npz`` (``x_train, y_train, x_test, y_test``), so every toolkit command takes it as
``--data PATH``. Models use Keras default layer names, as users' models do.

    python benchmarks/scale_models.py            # train (or reuse) all three and print their paths
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from toolkit.cache import cache_dir, content_hash, write_atomic_npz  # noqa: E402

W4 = "quantized_bits(4,0,alpha=1)"
B8 = "quantized_bits(8,3,alpha=1)"
A4 = "quantized_relu(4,2)"
SHAPES32_TRAIN, SHAPES32_TEST = 6000, 1000


def shapes32_path() -> Path:
    """The procedural 32x32x3 dataset as a user ``.npz``, generated on first use."""
    path = cache_dir("bench-scale") / f"shapes32-v2-{SHAPES32_TRAIN}-{SHAPES32_TEST}.npz"
    if not path.exists():
        x, y = _shapes32(SHAPES32_TRAIN + SHAPES32_TEST, seed=7)
        n = SHAPES32_TRAIN
        write_atomic_npz(path, x_train=x[:n], y_train=y[:n], x_test=x[n:], y_test=y[n:])
    return path


def _shapes32(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class k: a grating at angle k*18 degrees, frequency 2 or 3 cycles, tinted by k."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    grid = np.arange(32, dtype=np.float32) / 32.0
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    angle = np.deg2rad(y * 18.0 + rng.normal(0, 9, n))
    freq = np.where(y % 2 == 0, 2.0, 3.0) * 2 * np.pi
    phase = rng.uniform(0, 2 * np.pi, n)
    proj = np.cos(angle)[:, None, None] * xx + np.sin(angle)[:, None, None] * yy
    wave = np.sin(freq[:, None, None] * proj + phase[:, None, None])
    tint = np.stack([np.cos(y * 0.6), np.sin(y * 0.6), np.cos(y * 1.3)], axis=1) * 0.1 + 0.9
    image = 0.5 + 0.4 * wave[..., None] * tint[:, None, None, :]
    image += rng.normal(0, 0.9, image.shape)
    return np.clip(image, 0, 1).astype(np.float32), y.astype(np.int64)


def _cifar_cnn():
    from qkeras import QActivation, QConv2D, QDense
    from tensorflow.keras import layers, models

    inputs = layers.Input((32, 32, 3))
    x = QActivation("quantized_relu(4,0)")(inputs)
    for filters in (16, 16, 24):
        x = QConv2D(filters, 3, padding="same", kernel_quantizer=W4, bias_quantizer=B8)(x)
        x = QActivation(A4)(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    outputs = QDense(10, kernel_quantizer=W4, bias_quantizer=B8)(x)
    return models.Model(inputs, outputs)


def _dense_100k():
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers, models

    inputs = layers.Input((40, 1))
    x = QActivation("quantized_bits(6,2,alpha=1)")(inputs)
    x = layers.Flatten()(x)
    for units in (256, 256, 128):
        x = QDense(units, kernel_quantizer=W4, bias_quantizer=B8)(x)
        x = QActivation(A4)(x)
    outputs = QDense(10, kernel_quantizer=W4, bias_quantizer=B8)(x)
    return models.Model(inputs, outputs)


def _deep_mlp10():
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers, models

    inputs = layers.Input((40, 1))
    x = QActivation("quantized_bits(6,2,alpha=1)")(inputs)
    x = layers.Flatten()(x)
    for _ in range(9):
        x = QDense(48, kernel_quantizer=W4, bias_quantizer=B8)(x)
        x = QActivation(A4)(x)
    outputs = QDense(10, kernel_quantizer=W4, bias_quantizer=B8)(x)
    return models.Model(inputs, outputs)


# name -> (builder, dataset spec (a zoo dataset name or "shapes32"), epochs)
SCALE_MODELS = {
    "cifar-cnn": (_cifar_cnn, "shapes32", 8),
    "dense-100k": (_dense_100k, "mnist1d", 30),
    "deep-mlp10": (_deep_mlp10, "mnist1d", 40),
}


def dataset_spec(name: str) -> str:
    """What ``--data`` / ``load_dataset`` takes for model ``name``."""
    spec = SCALE_MODELS[name][1]
    return os.fspath(shapes32_path()) if spec == "shapes32" else spec


def trained_model_path(name: str) -> Path:
    """The trained ``.h5`` of benchmark model ``name`` (trained once, deterministically, cached)."""
    import tensorflow as tf

    from toolkit.cache import atomic_path
    from toolkit.models.datasets import load_dataset
    from toolkit.models.zoo import VALIDATION_FRACTION

    builder, _, epochs = SCALE_MODELS[name]
    tf.keras.utils.set_random_seed(5)
    tf.keras.backend.reset_uids()  # default layer names (in the key) as in a fresh process, whatever ran before
    model = builder()
    key = content_hash(model.to_json(), epochs, VALIDATION_FRACTION, Path(dataset_spec(name)).name)
    path = cache_dir("bench-scale") / f"{name}-{key}.h5"
    if path.exists():
        return path
    fit, _ = load_dataset(dataset_spec(name)).validation_split(VALIDATION_FRACTION)
    model.compile(
        tf.keras.optimizers.Adam(3e-3),
        tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(fit.x_train, fit.y_train, epochs=epochs, batch_size=64, verbose=0)
    with atomic_path(path) as tmp:
        model.save(os.fspath(tmp), include_optimizer=False, save_format="h5")
    return path


def main() -> None:
    from toolkit.models.datasets import load_dataset
    from toolkit.models.loading import load_keras_file

    for name in SCALE_MODELS:
        path = trained_model_path(name)
        model = load_keras_file(path)
        data = load_dataset(dataset_spec(name))
        logits = model.predict(data.x_test, verbose=0)
        accuracy = float(np.mean(np.argmax(logits, axis=1) == data.y_test))
        print(f"{name:12s} {model.count_params():7d} params  test accuracy {accuracy:.3f}  {path}")


if __name__ == "__main__":
    main()
