"""Rewrite a QKeras model into the deployable form every backend consumes.

The emulator, hls4ml, the RTL and the board all read *this* model, never the
training-time one, so they agree by construction:

* BatchNormalization is folded into the preceding QDense/QConv's float kernel and
  bias, which are then quantized by that layer's own quantizers (the usual
  deploy-time fold; it moves quantization points, so the folded model, not the
  original, is the reference).
* Dropout is removed (identity at inference).
* An activation inside a QDense/QConv (``activation="quantized_relu(4,2)"``) becomes a
  separate ``QActivation`` named ``<layer>_act``, so layers map one to one onto
  hls4ml's and the IR's.
* A trailing softmax or linear activation is dropped: argmax is unchanged, and the
  accelerator returns exact logits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.errors import ToolkitError

MAC_TYPES = ("QDense", "QConv1D", "QConv2D")


def sequential_layers(model: Any) -> list[Any]:
    """The model's layers in order, checking they form a single chain."""
    import tensorflow as tf

    layers = [layer for layer in model.layers if not isinstance(layer, tf.keras.layers.InputLayer)]
    if not layers:
        raise ToolkitError(f"model {model.name!r} has no layers")
    if isinstance(model, tf.keras.Sequential):
        return layers
    for prev, layer in zip(layers, layers[1:], strict=False):
        inputs = layer.input if isinstance(layer.input, list) else [layer.input]
        if len(inputs) != 1 or inputs[0] is not prev.output:
            raise ToolkitError(
                f"layer {layer.name!r} does not take the output of {prev.name!r}: only sequential chains "
                "(one input, one output, no branches) are supported"
            )
    return layers


def deployable_model(model: Any) -> tuple[Any, list[str]]:
    """Return (deployable Keras model, notes on what was changed)."""
    import tensorflow as tf

    layers = sequential_layers(model)
    notes: list[str] = []
    specs: list[tuple[str, dict, list[np.ndarray] | None]] = []  # (class name, config, weights)
    for index, layer in enumerate(layers):
        kind = type(layer).__name__
        config = layer.get_config()
        if kind == "Dropout":
            notes.append(f"removed Dropout {layer.name!r} (identity at inference)")
            continue
        if kind == "BatchNormalization":
            if not specs or specs[-1][0] not in MAC_TYPES:
                prev = specs[-1][0] if specs else "the input"
                raise ToolkitError(
                    f"BatchNormalization {layer.name!r} follows {prev}; it can only be folded into a "
                    f"preceding {', '.join(MAC_TYPES)}"
                )
            specs[-1] = _fold(specs[-1], layer)
            notes.append(f"folded BatchNormalization {layer.name!r} into {specs[-1][1]['name']!r}")
            continue
        last = index == len(layers) - 1
        if kind == "Activation" and config["activation"] in ("softmax", "linear") and last:
            notes.append(f"dropped trailing {config['activation']} {layer.name!r} (argmax-invariant)")
            continue
        weights = layer.get_weights() if kind in MAC_TYPES else None
        activation = _activation_spec(layer) if kind in MAC_TYPES else None
        if activation not in (None, "linear"):
            config = dict(config, activation="linear")
            specs.append((kind, config, weights))
            specs.append(("QActivation", {"name": f"{layer.name}_act", "activation": activation}, None))
            notes.append(f"split activation {activation!r} out of {layer.name!r} into {layer.name}_act")
            continue
        specs.append((kind, config, weights))
    if not notes:
        return model, notes

    from qkeras.utils import _add_supported_quantized_objects

    objects: dict[str, Any] = {}
    _add_supported_quantized_objects(objects)
    rebuilt = tf.keras.Sequential(name=f"{model.name}_deploy")
    rebuilt.add(tf.keras.layers.Input(model.input_shape[1:], name=model.layers[0].name + "_in"))
    for kind, config, _ in specs:
        cls = objects.get(kind) or getattr(tf.keras.layers, kind)
        rebuilt.add(cls.from_config(config))
    for (_, _, weights), new_layer in zip(specs, rebuilt.layers, strict=True):
        if weights is not None:
            new_layer.set_weights(weights)
        elif new_layer.weights:
            raise ToolkitError(
                f"layer {new_layer.name!r} has weights the toolkit does not know how to carry over"
            )
    return rebuilt, notes


def _activation_spec(layer: Any) -> str:
    """A QDense/QConv's own activation as a string QActivation accepts (``quantized_relu(3,1)``, ``relu``)."""
    act = layer.activation
    return getattr(act, "__name__", None) or str(act)


def _fold(spec: tuple[str, dict, list[np.ndarray] | None], bn: Any) -> tuple[str, dict, list[np.ndarray]]:
    """Fold a BatchNormalization into a QDense/QConv spec (kernel and bias, per output channel)."""
    kind, config, weights = spec
    assert weights is not None
    axis = bn.axis[0] if isinstance(bn.axis, (list, tuple)) else bn.axis
    if axis not in (-1, len(bn.input_shape) - 1):
        raise ToolkitError(
            f"BatchNormalization {bn.name!r} normalizes axis {axis}; only channels-last is supported"
        )
    gamma = bn.gamma.numpy() if bn.scale else 1.0
    beta = bn.beta.numpy() if bn.center else 0.0
    inv = gamma / np.sqrt(bn.moving_variance.numpy() + bn.epsilon)
    kernel = weights[0] * inv
    bias = weights[1] if config.get("use_bias", True) and len(weights) > 1 else np.zeros(kernel.shape[-1])
    bias = (bias - bn.moving_mean.numpy()) * inv + beta
    if config.get("bias_quantizer") is None:
        raise ToolkitError(
            f"BatchNormalization {bn.name!r} folds into {config['name']!r}, which has no bias_quantizer; "
            "give that layer a bias_quantizer (e.g. quantized_bits(8,3,alpha=1)) for the folded bias"
        )
    config = dict(config, use_bias=True)
    return kind, config, [kernel.astype(np.float32), bias.astype(np.float32)]
