"""QKeras models with BatchNormalization, built the way users build them (functional API, Keras'
default layer names), with BN statistics far from identity and inputs that reach the rails.

Every model here is deployed exactly (a per-channel fixed-point scale and shift); the
reference is the user's own model, not a rewrite of it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Q6 = "quantized_bits(6,0,alpha=1)"


def _far_from_identity(model, seed: int) -> None:
    """BN statistics as training leaves them on unnormalized data: means, variances and gammas far from 0/1."""
    from tensorflow.keras import layers

    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            c = int(layer.moving_mean.shape[0])
            gamma = rng.uniform(0.3, 3.0, c) * rng.choice([-1.0, 1.0], c, p=[0.2, 0.8])
            beta = rng.uniform(-1.0, 1.0, c)
            mean = rng.uniform(-2.0, 2.0, c)
            var = rng.uniform(0.05, 4.0, c)
            layer.set_weights([w.astype(np.float32) for w in (gamma, beta, mean, var)])


def dense_bn():
    """Jet-tagging-style MLP (hls4ml tutorial pattern): QDense -> BN -> quantized_relu, softmax at the end."""
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers, models

    inp = layers.Input((16,))
    h = QActivation("quantized_bits(8,3,alpha=1)")(inp)
    for width in (32, 16):
        h = QDense(width, kernel_quantizer=Q6, bias_quantizer=Q6)(h)
        h = layers.BatchNormalization()(h)
        h = QActivation("quantized_relu(6,2)")(h)
    h = QDense(5, kernel_quantizer=Q6, bias_quantizer=Q6)(h)
    return models.Model(inp, layers.Activation("softmax")(h))


def conv2d_bn():
    """QConv2D -> BN -> quantizer twice, then a QDense whose BN feeds the logits (24-bit output type)."""
    from qkeras import QActivation, QConv2D, QDense
    from tensorflow.keras import layers, models

    inp = layers.Input((8, 8, 1))
    h = QActivation("quantized_bits(6,2,alpha=1)")(inp)
    h = QConv2D(6, 3, padding="same", kernel_quantizer=Q6, bias_quantizer=Q6)(h)
    h = layers.BatchNormalization()(h)
    h = QActivation("quantized_relu(5,2)")(h)
    h = layers.MaxPooling2D(2)(h)
    h = QConv2D(8, 3, kernel_quantizer="quantized_bits(4,0,alpha=1)", use_bias=False)(h)
    h = layers.BatchNormalization()(h)
    h = QActivation("quantized_bits(6,2,alpha=1)")(h)
    h = layers.Flatten()(h)
    h = QDense(4, kernel_quantizer=Q6, bias_quantizer=Q6)(h)
    return models.Model(inp, layers.BatchNormalization()(h))


def conv1d_bn():
    """QConv1D -> BN -> quantized_relu -> Flatten -> QDense (no softmax)."""
    from qkeras import QActivation, QConv1D, QDense
    from tensorflow.keras import layers, models

    inp = layers.Input((20, 2))
    h = QActivation("quantized_bits(6,2,alpha=1)")(inp)
    h = QConv1D(5, 3, strides=2, kernel_quantizer=Q6, bias_quantizer=Q6)(h)
    h = layers.BatchNormalization()(h)
    h = QActivation("quantized_relu(4,1)")(h)
    h = layers.Flatten()(h)
    return models.Model(inp, QDense(3, kernel_quantizer=Q6, bias_quantizer=Q6)(h))


def qconv2d_batchnorm():
    """QKeras' folding-aware layer: its own quantizers act on the folded weights (bit-exact by reading them)."""
    from qkeras import QActivation, QConv2DBatchnorm, QDense
    from tensorflow.keras import layers, models

    inp = layers.Input((8, 8, 1))
    h = QActivation("quantized_bits(6,2,alpha=1)")(inp)
    h = QConv2DBatchnorm(
        4,
        3,
        kernel_quantizer=Q6,
        bias_quantizer="quantized_bits(10,4,alpha=1)",
        activation="quantized_relu(5,2)",
    )(h)
    h = layers.Flatten()(h)
    return models.Model(inp, QDense(3, kernel_quantizer=Q6, bias_quantizer=Q6)(h))


BN_MODELS: dict[str, Callable] = {
    "dense_bn": dense_bn,
    "conv2d_bn": conv2d_bn,
    "conv1d_bn": conv1d_bn,
    "qconv2d_batchnorm": qconv2d_batchnorm,
}


def build_bn(name: str, n: int = 600, seed: int = 0) -> tuple[object, np.ndarray]:
    """(model, inputs): BN statistics far from identity; inputs up to several times the input range."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    model = BN_MODELS[name]()
    if name == "qconv2d_batchnorm":
        _set_folding_layer_statistics(model, seed)
    _far_from_identity(model, seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(0.0, 3.0, (n, *model.input_shape[1:])).astype(np.float32)
    return model, x


def _set_folding_layer_statistics(model, seed: int) -> None:
    rng = np.random.default_rng(seed + 2)
    for layer in model.layers:
        if type(layer).__name__ == "QConv2DBatchnorm":
            bn = layer.batchnorm
            c = int(bn.moving_mean.shape[0])
            bn.gamma.assign(rng.uniform(0.5, 2.0, c).astype(np.float32))
            bn.beta.assign(rng.uniform(-1.0, 1.0, c).astype(np.float32))
            bn.moving_mean.assign(rng.uniform(-1.0, 1.0, c).astype(np.float32))
            bn.moving_variance.assign(rng.uniform(0.2, 3.0, c).astype(np.float32))
