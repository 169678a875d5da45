"""Small graph-shaped QKeras models, one per layer kind graphs bring, built with the functional API
and Keras' default names, with inputs that reach both rails of the input quantizer.

Each is compared with the user's own ``predict`` (exactly) and, in the hardware tiers, with
the hls4ml C-sim and the RTL.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Q4 = "quantized_bits(4,0,alpha=1)"
Q6 = "quantized_bits(6,2,alpha=1)"


def _conv(filters: int, kernel=3, **kw):
    from qkeras import QConv2D

    return QConv2D(filters, kernel, kernel_quantizer=Q4, bias_quantizer=Q6, **kw)


def residual_add():
    """ResNet-style block: conv -> relu-quantize -> conv, plus the identity skip, then Add."""
    from qkeras import QActivation
    from tensorflow.keras import layers, models

    inp = layers.Input((8, 8, 3))
    x = QActivation("quantized_bits(5,1,alpha=1)")(inp)
    h = QActivation("quantized_relu(4,1)")(_conv(3, padding="same")(x))
    h = _conv(3, padding="same")(h)
    s = layers.Add()([x, h])
    s = QActivation("quantized_relu(5,2)")(s)
    s = layers.Flatten()(s)
    return models.Model(inp, _dense(4)(s))


def _dense(n: int):
    from qkeras import QDense

    return QDense(n, kernel_quantizer=Q4, bias_quantizer=Q6)


def subtract_concat():
    """Subtract of two branches with different precisions, concatenated with a third on channels."""
    from qkeras import QActivation
    from tensorflow.keras import layers, models

    inp = layers.Input((6, 6, 2))
    x = QActivation("quantized_bits(6,2,alpha=1)")(inp)
    a = QActivation("quantized_relu(3,1)")(_conv(2, padding="same")(x))
    b = QActivation("quantized_bits(5,2,alpha=1)")(_conv(2, padding="same")(x))
    d = layers.Subtract()([a, b])
    c = layers.Concatenate()([d, x, a])
    c = QActivation("quantized_bits(6,3,alpha=1)")(c)
    return models.Model(inp, _dense(3)(layers.Flatten()(c)))


def depthwise_separable():
    """DS-CNN style: depthwise (same padding, stride 2, multiplier 2) and a separable convolution."""
    from qkeras import QActivation, QDepthwiseConv2D, QSeparableConv2D
    from tensorflow.keras import layers, models

    inp = layers.Input((9, 9, 3))
    x = QActivation("quantized_bits(5,1,alpha=1)")(inp)
    h = QDepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, depthwise_quantizer=Q4,
                         bias_quantizer=Q6)(x)  # fmt: skip
    h = QActivation("quantized_relu(4,2)")(h)
    h = QSeparableConv2D(4, 3, depthwise_quantizer=Q4, pointwise_quantizer=Q4, bias_quantizer=Q6)(h)
    h = QActivation("quantized_relu(4,2)")(h)
    return models.Model(inp, _dense(3)(layers.Flatten()(h)))


def pooling_padding():
    """ZeroPadding2D, a 2x2 (power-of-two) and a 3x3 average, global average and max pooling, Reshape."""
    from qkeras import QActivation
    from tensorflow.keras import layers, models

    inp = layers.Input((10, 10, 2))
    x = QActivation("quantized_bits(5,2,alpha=1)")(inp)
    x = layers.ZeroPadding2D(((1, 2), (0, 1)))(x)
    a = layers.AveragePooling2D(2)(x)  # exact: a shift
    a = QActivation("quantized_bits(6,2,alpha=1)")(a)
    b = layers.AveragePooling2D(3, strides=2)(a)  # 3x3 = 9: truncated with guard bits, then rounded
    b = QActivation("quantized_bits(5,2,alpha=1)")(b)
    g = layers.GlobalAveragePooling2D()(b)
    g = QActivation("quantized_bits(6,2,alpha=1)")(g)
    m = layers.GlobalMaxPooling2D()(b)
    h = layers.Concatenate()([g, m])
    h = layers.Reshape((2, 2, 1))(h)
    return models.Model(inp, _dense(3)(layers.Flatten()(h)))


def conv1d_graph():
    """1-D: ZeroPadding1D, average pooling, a residual Add, global average (window 5) and max pooling."""
    from qkeras import QActivation, QConv1D
    from tensorflow.keras import layers, models

    inp = layers.Input((12, 2))
    x = QActivation("quantized_bits(5,1,alpha=1)")(inp)
    x = layers.ZeroPadding1D((1, 1))(x)
    h = QConv1D(2, 3, padding="same", kernel_quantizer=Q4, bias_quantizer=Q6)(x)
    h = QActivation("quantized_bits(5,1,alpha=1)")(h)
    s = layers.Add()([x, h])
    s = layers.AveragePooling1D(2)(s)
    s = QActivation("quantized_relu(4,2)")(s)
    s = QActivation("quantized_bits(6,2,alpha=1)")(layers.AveragePooling1D(3, strides=1)(s))  # window 3
    s = QActivation("quantized_bits(6,3,alpha=1)")(layers.GlobalAveragePooling1D()(s))  # window 5
    return models.Model(inp, _dense(3)(s))


def wide_adds():
    """Adds of three and four tensors of different precisions; three of them are read by three layers
    (forks with three consumers), one input is two convolutions deep, another the identity."""
    from qkeras import QActivation
    from tensorflow.keras import layers, models

    inp = layers.Input((6, 6, 2))
    x = QActivation("quantized_bits(5,1,alpha=1)")(inp)
    a = QActivation("quantized_relu(4,1)")(_conv(2, padding="same")(x))
    b = QActivation("quantized_bits(6,2,alpha=1)")(_conv(2, padding="same")(a))
    s = QActivation("quantized_bits(5,1,alpha=1)")(
        layers.Add()([x, a, b])
    )  # narrower than the sum: saturates
    t = QActivation("quantized_bits(6,1,alpha=1)")(layers.Add()([s, x, a, b]))
    return models.Model(inp, _dense(3)(layers.Flatten()(t)))


# models for targeted tests only (not parametrized over every backend test)
EXTRA_MODELS: dict[str, Callable] = {"wide_adds": wide_adds}

GRAPH_MODELS: dict[str, Callable] = {
    "residual_add": residual_add,
    "subtract_concat": subtract_concat,
    "depthwise_separable": depthwise_separable,
    "pooling_padding": pooling_padding,
    "conv1d_graph": conv1d_graph,
}


def build_graph(name: str, n: int = 400, seed: int = 0) -> tuple[object, np.ndarray]:
    """(model, inputs): weights over and beyond the quantizers' ranges; inputs up to several times the input range."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    model = (GRAPH_MODELS.get(name) or EXTRA_MODELS[name])()
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            layer.set_weights([rng.uniform(-1.2, 1.2, w.shape).astype(np.float32) for w in weights])
    x = rng.normal(0.0, 2.5, (n, *model.input_shape[1:])).astype(np.float32)
    return model, x
