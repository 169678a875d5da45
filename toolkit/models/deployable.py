"""Rewrite a QKeras model into the deployable form every backend consumes.

The emulator, hls4ml, the RTL and the board all read *this* model. It computes what
the user's model computes; the rewrites are the ones inference makes anyway:

* BatchNormalization is kept: the reader turns it into a per-channel fixed-point scale
  and shift (:class:`toolkit.models.ir.Scale`) that equals Keras' float arithmetic up to
  float rounding, and the next quantizer rounds once, as in the user's model. Folding it
  into the preceding layer's re-quantized weights changes the results; it is available
  only on request (``fold_batchnorm=True``, ``--fold-batchnorm``), with its cost measured
  by :mod:`toolkit.models.agreement`.
* ``QConv2DBatchnorm`` becomes a ``QConv2D`` with the folded weights QKeras itself
  quantizes at inference (``get_folded_weights`` and the layer's own quantizers), so it
  is bit-exact.
* Dropout is removed (identity at inference).
* An activation inside a QDense/QConv (``activation="quantized_relu(4,2)"``) becomes a
  separate ``QActivation``, so layers map one to one onto hls4ml's and the IR's.
* A softmax at the very end (an ``Activation``/``Softmax`` layer, or a QDense/QConv's own
  activation) is dropped: argmax is unchanged, and the accelerator returns exact logits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.errors import ToolkitError

MAC_TYPES = ("QDense", "QConv1D", "QConv2D")
FOLDED_BN_TYPES = ("QConv2DBatchnorm",)
_SOFTMAX_NOTE = "dropped the trailing softmax of {name!r} (argmax-invariant): the accelerator returns logits"


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


def unique_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3``... : the first that no layer of the model uses yet."""
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def activation_name(act: Any) -> str:
    """A Keras/QKeras activation as text: ``relu``, ``softmax``, ``quantized_relu(3,1)``."""
    return getattr(act, "__name__", None) or str(act)


def is_softmax(layer: Any) -> bool:
    """True for a layer whose whole job is a softmax (Activation/QActivation('softmax'), Softmax)."""
    kind = type(layer).__name__
    if kind == "Softmax":
        return True
    if kind == "Activation":
        return layer.get_config()["activation"] == "softmax"
    if kind == "QActivation":
        return (
            activation_name(layer.quantizer if hasattr(layer, "quantizer") else layer.activation) == "softmax"
        )
    return False


def deployable_model(model: Any, fold_batchnorm: bool = False) -> tuple[Any, list[str]]:
    """Return (deployable Keras model, notes on what was changed)."""

    layers = sequential_layers(model)
    taken = {layer.name for layer in model.layers}
    notes: list[str] = []
    specs: list[tuple[str, dict, list[np.ndarray] | None]] = []  # (class name, config, weights)
    last_index = _last_computing_index(layers)
    for index, layer in enumerate(layers):
        kind = type(layer).__name__
        config = layer.get_config()
        if kind == "Dropout":
            notes.append(f"removed Dropout {layer.name!r} (identity at inference)")
            continue
        if is_softmax(layer):
            if index != last_index:
                raise ToolkitError(
                    f"layer {layer.name!r} ({kind}) computes a softmax inside the model; a softmax is only "
                    "supported as the model's last operation, where it is dropped (argmax-invariant)"
                )
            notes.append(_SOFTMAX_NOTE.format(name=layer.name))
            continue
        if kind == "QBatchNormalization":
            raise ToolkitError(
                f"layer {layer.name!r} (QBatchNormalization) is not supported: use BatchNormalization "
                "(deployed exactly as a fixed-point scale and shift) or QConv2DBatchnorm"
            )
        if kind == "BatchNormalization":
            _check_bn_axis(layer)
            if fold_batchnorm:
                if not specs or specs[-1][0] not in MAC_TYPES:
                    prev = specs[-1][0] if specs else "the input"
                    raise ToolkitError(
                        f"BatchNormalization {layer.name!r} follows {prev}; --fold-batchnorm can only fold it "
                        f"into a preceding {', '.join(MAC_TYPES)} (deploy it unfolded instead)"
                    )
                specs[-1] = _fold(specs[-1], layer)
                notes.append(
                    f"folded BatchNormalization {layer.name!r} into {specs[-1][1]['name']!r} and re-quantized "
                    "its weights (--fold-batchnorm): results differ from the original model"
                )
                continue
            notes.append(
                f"BatchNormalization {layer.name!r} deployed as a per-channel fixed-point scale and shift "
                "(exact; rounded once by the next quantizer)"
            )
            specs.append((kind, config, layer.get_weights()))
            continue
        if kind in FOLDED_BN_TYPES:
            kind, config, weights = _from_folded_layer(layer)
            notes.append(
                f"{type(layer).__name__} {layer.name!r} deployed as {kind} with the folded weights QKeras "
                "quantizes at inference (bit-exact)"
            )
        else:
            weights = layer.get_weights() if kind in MAC_TYPES else None
        if kind in MAC_TYPES:
            activation = activation_name(layer.activation)
            if activation == "softmax" and index == last_index:
                specs.append((kind, dict(config, activation="linear"), weights))
                notes.append(_SOFTMAX_NOTE.format(name=layer.name))
                continue
            if activation != "linear":
                _check_activation(layer, activation)
                specs.append((kind, dict(config, activation="linear"), weights))
                act_name = unique_name(f"{layer.name}_act", taken)
                specs.append(("QActivation", {"name": act_name, "activation": activation}, None))
                notes.append(f"split activation {activation!r} out of {layer.name!r} into {act_name!r}")
                continue
        specs.append((kind, config, weights))
    if not notes:
        return model, notes
    return _rebuild(model, specs, taken), notes


def with_output_quantizer(deploy: Any, quantizer: str, name: str) -> Any:
    """``deploy`` with a QActivation(``quantizer``) appended (the type a float output is delivered in)."""
    from qkeras import QActivation

    specs = [
        (type(layer).__name__, layer.get_config(), layer.get_weights()) for layer in sequential_layers(deploy)
    ]
    rebuilt = _rebuild(deploy, specs, {layer.name for layer in deploy.layers})
    rebuilt.add(QActivation(quantizer, name=name))
    return rebuilt


def _rebuild(model: Any, specs: list[tuple[str, dict, list[np.ndarray] | None]], taken: set[str]) -> Any:
    import tensorflow as tf
    from qkeras.utils import _add_supported_quantized_objects

    objects: dict[str, Any] = {}
    _add_supported_quantized_objects(objects)
    rebuilt = tf.keras.Sequential(name=f"{model.name}_deploy")
    rebuilt.add(tf.keras.layers.Input(model.input_shape[1:], name=unique_name(f"{model.name}_input", taken)))
    for kind, config, _ in specs:
        cls = objects.get(kind) or getattr(tf.keras.layers, kind)
        rebuilt.add(cls.from_config(config))
    for (_, _, weights), new_layer in zip(specs, rebuilt.layers, strict=True):
        if weights:
            new_layer.set_weights(weights)
        elif new_layer.weights:
            raise ToolkitError(
                f"layer {new_layer.name!r} has weights the toolkit does not know how to carry over"
            )
    return rebuilt


def _last_computing_index(layers: list[Any]) -> int:
    """Index of the last layer that is not a Dropout (a trailing softmax may sit before a Dropout)."""
    index = len(layers) - 1
    while index > 0 and type(layers[index]).__name__ == "Dropout":
        index -= 1
    return index


def _check_activation(layer: Any, activation: str) -> None:
    """A QDense/QConv's own activation must be one the toolkit can deploy; name the user's layer if not."""
    from toolkit.precision import Precision

    if activation == "relu":
        return
    try:
        Precision.from_qkeras(activation, where=f"layer {layer.name!r} activation")
    except (ToolkitError, ValueError, KeyError) as exc:
        if isinstance(exc, ToolkitError) and activation.startswith(("quantized_bits", "quantized_relu")):
            raise
        raise ToolkitError(
            f"layer {layer.name!r} ({type(layer).__name__}): activation={activation!r} is not supported; "
            "write activation='quantized_relu(bits,integer)', 'quantized_bits(bits,integer,alpha=1)', 'relu' "
            "or 'linear' ('softmax' only on the last layer)"
        ) from None


def _check_bn_axis(bn: Any) -> None:
    axis = bn.axis[0] if isinstance(bn.axis, (list, tuple)) else bn.axis
    if axis not in (-1, len(bn.input_shape) - 1):
        raise ToolkitError(
            f"BatchNormalization {bn.name!r} normalizes axis {axis}; only channels-last (axis=-1) is supported"
        )


def _from_folded_layer(layer: Any) -> tuple[str, dict, list[np.ndarray]]:
    """A QConv2DBatchnorm as the QConv2D it computes at inference: folded float weights, same quantizers."""
    from qkeras import QConv2D

    config = layer.get_config()
    if config.get("bias_quantizer") is None:
        raise ToolkitError(
            f"layer {layer.name!r} ({type(layer).__name__}) has no bias_quantizer, so QKeras adds its folded "
            "bias in float; give it bias_quantizer='quantized_bits(bits,integer,alpha=1)'"
        )
    keys = set(QConv2D(1, 1).get_config())
    base = {k: v for k, v in config.items() if k in keys}
    base["use_bias"] = True
    kernel, bias = (np.asarray(w, dtype=np.float32) for w in layer.get_folded_weights())
    return "QConv2D", base, [kernel, bias]


def _fold(spec: tuple[str, dict, list[np.ndarray] | None], bn: Any) -> tuple[str, dict, list[np.ndarray]]:
    """Fold a BatchNormalization into a QDense/QConv spec (kernel and bias, per output channel)."""
    kind, config, weights = spec
    assert weights is not None
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
