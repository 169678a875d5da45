"""Small QKeras models, one per supported layer type, with inputs that force saturation.

Weights are drawn over (and beyond) the quantizers' ranges and inputs reach several
times the input quantizer's range, so rounding ties and both saturation rails occur.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _randomize(model, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        new = []
        for w in weights:
            if layer.__class__.__name__ == "BatchNormalization":
                new.append(rng.uniform(0.5, 1.5, w.shape).astype(np.float32))
            else:
                new.append(rng.uniform(-1.5, 1.5, w.shape).astype(np.float32))
        layer.set_weights(new)


def dense_relu():
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers, models

    return models.Sequential(
        [
            layers.Input((12,)),
            QActivation("quantized_bits(6,2,alpha=1)", name="in_q"),
            QDense(
                9,
                kernel_quantizer="quantized_bits(5,0,alpha=1)",
                bias_quantizer="quantized_bits(8,3,alpha=1)",
                activation="quantized_relu(3,1)",
                name="fc1",
            ),
            QDense(
                5,
                kernel_quantizer="quantized_bits(3,0,alpha=1)",
                bias_quantizer="quantized_bits(6,2,alpha=1)",
                name="fc2",
            ),
        ]
    )


def dense_signed_symmetric():
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers, models

    return models.Sequential(
        [
            layers.Input((10,)),
            QActivation("quantized_relu(8,1)", name="in_q"),
            QDense(7, kernel_quantizer="quantized_bits(8,1,alpha=1)", use_bias=False, name="fc1"),
            QActivation("quantized_bits(4,1,alpha=1,symmetric=1)", name="act1"),
            QDense(
                6,
                kernel_quantizer="quantized_bits(2,0,alpha=1)",
                bias_quantizer="quantized_bits(4,1,alpha=1)",
                name="fc2",
            ),
            layers.ReLU(name="relu"),
            QDense(
                4,
                kernel_quantizer="quantized_bits(4,0,alpha=1)",
                bias_quantizer="quantized_bits(4,1,alpha=1)",
                name="fc3",
            ),
        ]
    )


def conv2d_same_strided():
    from qkeras import QActivation, QConv2D, QDense
    from tensorflow.keras import layers, models

    return models.Sequential(
        [
            layers.Input((7, 6, 2)),
            QActivation("quantized_relu(4,1)", name="in_q"),
            QConv2D(
                4,
                (3, 2),
                strides=2,
                padding="same",
                kernel_quantizer="quantized_bits(4,0,alpha=1)",
                bias_quantizer="quantized_bits(8,3,alpha=1)",
                name="conv1",
            ),
            QActivation("quantized_relu(5,2)", name="act1"),
            QConv2D(
                3,
                2,
                padding="valid",
                kernel_quantizer="quantized_bits(3,0,alpha=1)",
                bias_quantizer="quantized_bits(6,2,alpha=1)",
                name="conv2",
            ),
            layers.Activation("relu", name="relu"),
            layers.Flatten(name="flat"),
            QDense(
                4,
                kernel_quantizer="quantized_bits(4,0,alpha=1)",
                bias_quantizer="quantized_bits(6,2,alpha=1)",
                name="fc",
            ),
        ]
    )


def conv2d_pool_bn():
    from qkeras import QActivation, QConv2D, QDense
    from tensorflow.keras import layers, models

    return models.Sequential(
        [
            layers.Input((8, 8, 1)),
            QActivation("quantized_bits(5,1,alpha=1)", name="in_q"),
            QConv2D(
                6,
                3,
                padding="same",
                kernel_quantizer="quantized_bits(4,0,alpha=1)",
                bias_quantizer="quantized_bits(8,3,alpha=1)",
                name="conv1",
            ),
            layers.BatchNormalization(name="bn1"),
            QActivation("quantized_relu(4,2)", name="act1"),
            layers.MaxPooling2D((2, 2), name="pool"),
            layers.Dropout(0.3, name="drop"),
            layers.Flatten(name="flat"),
            QDense(
                5,
                kernel_quantizer="quantized_bits(4,0,alpha=1)",
                bias_quantizer="quantized_bits(8,3,alpha=1)",
                name="fc",
            ),
            layers.Activation("softmax", name="softmax"),
        ]
    )


def conv1d_pool():
    from qkeras import QActivation, QConv1D, QDense
    from tensorflow.keras import layers, models

    return models.Sequential(
        [
            layers.Input((17, 3)),
            QActivation("quantized_bits(4,1,alpha=1)", name="in_q"),
            QConv1D(
                5,
                4,
                strides=1,
                padding="valid",
                kernel_quantizer="quantized_bits(6,1,alpha=1)",
                bias_quantizer="quantized_bits(8,3,alpha=1)",
                name="conv1",
            ),
            QActivation("quantized_relu(3,2)", name="act1"),
            layers.MaxPooling1D(3, strides=2, name="pool"),
            QConv1D(
                4,
                3,
                strides=2,
                padding="same",
                kernel_quantizer="quantized_bits(4,0,alpha=1)",
                bias_quantizer="quantized_bits(8,3,alpha=1)",
                name="conv2",
            ),
            QActivation("quantized_relu(4,2)", name="act2"),
            layers.Flatten(name="flat"),
            QDense(
                3,
                kernel_quantizer="quantized_bits(4,0,alpha=1)",
                bias_quantizer="quantized_bits(8,3,alpha=1)",
                name="fc",
            ),
        ]
    )


LAYER_MODELS: dict[str, Callable] = {
    "dense_relu": dense_relu,
    "dense_signed_symmetric": dense_signed_symmetric,
    "conv2d_same_strided": conv2d_same_strided,
    "conv2d_pool_bn": conv2d_pool_bn,
    "conv1d_pool": conv1d_pool,
}


def build(name: str, seed: int = 0):
    """The named model with random weights, and saturation-forcing inputs."""
    model = LAYER_MODELS[name]()
    _randomize(model, seed)
    rng = np.random.default_rng(seed + 100)
    shape = model.input_shape[1:]
    x = rng.uniform(-8, 8, (96,) + shape).astype(np.float32)
    # Exact quantization ties (k + 0.5 LSB) for the rounding mode, and the two rails.
    x[:8] = rng.integers(-40, 40, (8,) + shape).astype(np.float32) / 8 + 1 / 16
    x[8] = 1e3
    x[9] = -1e3
    return model, x
