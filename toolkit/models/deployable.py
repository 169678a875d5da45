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

from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.models.graph import KerasGraph, keras_graph

MAC_TYPES = ("QDense", "QConv1D", "QConv2D", "QDepthwiseConv2D")
FOLDED_BN_TYPES = ("QConv2DBatchnorm",)
SEPARABLE_TYPES = ("QSeparableConv1D", "QSeparableConv2D")
_SOFTMAX_NOTE = "dropped the trailing softmax of {name!r} (argmax-invariant): the accelerator returns logits"


def sequential_layers(model: Any) -> list[Any]:
    """The model's layers in order, checking they form a single chain (for stages that need one)."""
    graph = keras_graph(model)
    previous = graph.input_name
    for layer, inputs in graph.nodes:
        if inputs != (previous,):
            raise ToolkitError(
                f"layer {layer.name!r} does not take the output of {previous!r}: this stage needs a sequential "
                "chain (one input, one output, no branches)"
            )
        previous = layer.name
    return graph.layers


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


@dataclass
class _Spec:
    """One layer of the deployable model: class name, config, weights, and the layers it reads."""

    kind: str
    config: dict
    weights: list[np.ndarray] | None
    inputs: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.config["name"]


def deployable_model(model: Any, fold_batchnorm: bool = False) -> tuple[Any, list[str]]:
    """Return (deployable Keras model, notes on what was changed)."""
    graph = keras_graph(model)
    taken = {layer.name for layer in model.layers}
    notes: list[str] = []
    specs: list[_Spec] = []
    alias = {graph.input_name: graph.input_name}  # a layer's name -> the spec that now produces its tensor
    readers: dict[str, int] = {}
    for _, inputs in graph.nodes:
        for name in inputs:
            readers[name] = readers.get(name, 0) + 1
    final = final_computing_layer(graph)
    for layer, inputs in graph.nodes:
        kind = type(layer).__name__
        config = layer.get_config()
        src = tuple(alias[name] for name in inputs)
        alias[layer.name] = layer.name
        if kind == "Dropout":
            notes.append(f"removed Dropout {layer.name!r} (identity at inference)")
            alias[layer.name] = src[0]
            continue
        if is_softmax(layer):
            if layer.name != final:
                raise ToolkitError(
                    f"layer {layer.name!r} ({kind}) computes a softmax inside the model; a softmax is only "
                    "supported as the model's last operation, where it is dropped (argmax-invariant)"
                )
            notes.append(_SOFTMAX_NOTE.format(name=layer.name))
            alias[layer.name] = src[0]
            continue
        if kind == "QBatchNormalization":
            raise ToolkitError(
                f"layer {layer.name!r} (QBatchNormalization) is not supported: use BatchNormalization "
                "(deployed exactly as a fixed-point scale and shift) or QConv2DBatchnorm"
            )
        if kind == "BatchNormalization":
            _check_bn_axis(layer)
            if fold_batchnorm:
                producer = next((spec for spec in specs if spec.name == src[0]), None)
                if producer is None or producer.kind not in MAC_TYPES or readers.get(inputs[0], 0) != 1:
                    what = producer.kind if producer else "the input"
                    raise ToolkitError(
                        f"BatchNormalization {layer.name!r} follows {what}; --fold-batchnorm can only fold it "
                        f"into a preceding {', '.join(MAC_TYPES)} that nothing else reads (deploy it unfolded instead)"
                    )
                producer.kind, producer.config, producer.weights = _fold(
                    (producer.kind, producer.config, producer.weights), layer
                )
                alias[layer.name] = producer.name
                notes.append(
                    f"folded BatchNormalization {layer.name!r} into {producer.name!r} and re-quantized "
                    "its weights (--fold-batchnorm): results differ from the original model"
                )
                continue
            notes.append(
                f"BatchNormalization {layer.name!r} deployed as a per-channel fixed-point scale and shift "
                "(exact; rounded once by the next quantizer)"
            )
            specs.append(_Spec(kind, config, layer.get_weights(), src))
            continue
        if kind in SEPARABLE_TYPES:
            depthwise, pointwise = _split_separable(layer, src, taken)
            specs.append(depthwise)
            notes.append(f"{kind} {layer.name!r} deployed as its depthwise and pointwise parts "
                         f"({depthwise.name!r}, {pointwise.name!r}), each with its own plan entry")  # fmt: skip
            kind, config, weights, src = (
                pointwise.kind,
                pointwise.config,
                pointwise.weights,
                (depthwise.name,),
            )
        elif kind in FOLDED_BN_TYPES:
            kind, config, weights = _from_folded_layer(layer)
            notes.append(
                f"{type(layer).__name__} {layer.name!r} deployed as {kind} with the folded weights QKeras "
                "quantizes at inference (bit-exact)"
            )
        else:
            weights = layer.get_weights() if kind in MAC_TYPES else None
        if kind in MAC_TYPES:
            activation = activation_name(layer.activation)
            if activation == "softmax" and layer.name == final:
                specs.append(_Spec(kind, dict(config, activation="linear"), weights, src))
                notes.append(_SOFTMAX_NOTE.format(name=layer.name))
                alias[layer.name] = config["name"]
                continue
            if activation != "linear":
                _check_activation(layer, activation)
                specs.append(_Spec(kind, dict(config, activation="linear"), weights, src))
                act_name = unique_name(f"{layer.name}_act", taken)
                specs.append(_Spec("QActivation", {"name": act_name, "activation": activation}, None,
                                   (config["name"],)))  # fmt: skip
                notes.append(f"split activation {activation!r} out of {layer.name!r} into {act_name!r}")
                alias[layer.name] = act_name
                continue
        specs.append(_Spec(kind, config, weights, src))
        alias[layer.name] = config["name"]
    if not notes:
        return model, notes
    return _rebuild(model, graph, specs, alias[graph.output_name], taken), notes


def with_output_quantizer(deploy: Any, quantizer: str, name: str) -> Any:
    """``deploy`` with a QActivation(``quantizer``) appended (the type a float output is delivered in)."""
    graph = keras_graph(deploy)
    specs = [_Spec(type(layer).__name__, layer.get_config(), layer.get_weights(), inputs)
             for layer, inputs in graph.nodes]  # fmt: skip
    specs.append(_Spec("QActivation", {"name": name, "activation": quantizer}, None, (graph.output_name,)))
    return _rebuild(deploy, graph, specs, name, {layer.name for layer in deploy.layers})


def _rebuild(model: Any, graph: KerasGraph, specs: list[_Spec], output: str, taken: set[str]) -> Any:
    """The specs as a Keras model: Sequential when they form a chain (as before graphs), else functional."""
    import tensorflow as tf
    from qkeras.utils import _add_supported_quantized_objects

    objects: dict[str, Any] = {}
    _add_supported_quantized_objects(objects)
    input_name = unique_name(f"{model.name}_input", taken)
    previous, chain = graph.input_name, True
    for spec in specs:
        chain, previous = chain and spec.inputs == (previous,), spec.name
    made = [(spec, (objects.get(spec.kind) or getattr(tf.keras.layers, spec.kind)).from_config(spec.config))
            for spec in specs]  # fmt: skip
    if chain and output == previous:
        rebuilt = tf.keras.Sequential([tf.keras.layers.Input(model.input_shape[1:], name=input_name)]
                                      + [layer for _, layer in made], name=f"{model.name}_deploy")  # fmt: skip
    else:
        inp = tf.keras.layers.Input(model.input_shape[1:], name=input_name)
        tensors = {graph.input_name: inp}
        for spec, layer in made:
            args = [tensors[name] for name in spec.inputs]
            tensors[spec.name] = layer(args if len(args) > 1 else args[0])
        rebuilt = tf.keras.Model(inp, tensors[output], name=f"{model.name}_deploy")
    for spec, layer in made:  # built by now: weights can be set
        if spec.weights:
            layer.set_weights(spec.weights)
        elif layer.weights:
            raise ToolkitError(
                f"layer {layer.name!r} has weights the toolkit does not know how to carry over"
            )
    return rebuilt


def final_computing_layer(graph: KerasGraph) -> str:
    """The output layer, or the layer a trailing chain of Dropouts reads (a softmax may sit before them)."""
    producers = {layer.name: (layer, inputs) for layer, inputs in graph.nodes}
    name = graph.output_name
    while type(producers[name][0]).__name__ == "Dropout" and producers[name][1][0] in producers:
        name = producers[name][1][0]
    return name


def _split_separable(layer: Any, src: tuple[str, ...], taken: set[str]) -> tuple[_Spec, _Spec]:
    """QSeparableConv2D -> QDepthwiseConv2D (no bias) + 1x1 QConv2D: QKeras multiplies the depthwise
    sums unquantized, so the pointwise part reads them exactly, as here."""
    config = layer.get_config()
    if type(layer).__name__ != "QSeparableConv2D":
        raise ToolkitError(
            f"layer {layer.name!r} ({type(layer).__name__}) is not supported: QKeras 0.9 has no depthwise 1-D "
            "layer to deploy its depthwise part; use QSeparableConv2D or a QConv1D"
        )
    depthwise, pointwise = (
        unique_name(f"{layer.name}_depthwise", taken),
        unique_name(f"{layer.name}_pointwise", taken),
    )
    weights = layer.get_weights()
    common = {k: config[k] for k in ("strides", "padding", "data_format", "dilation_rate") if k in config}
    dw = {"name": depthwise, "kernel_size": config["kernel_size"], "depth_multiplier": config["depth_multiplier"],
          "depthwise_quantizer": config["depthwise_quantizer"], "use_bias": False, "activation": "linear", **common}  # fmt: skip
    pw = {"name": pointwise, "filters": config["filters"], "kernel_size": 1, "kernel_quantizer": config["pointwise_quantizer"],
          "bias_quantizer": config.get("bias_quantizer"), "use_bias": config.get("use_bias", True),
          "activation": config.get("activation", "linear")}  # fmt: skip
    pw_weights = weights[1:]
    return _Spec("QDepthwiseConv2D", dw, weights[:1], src), _Spec("QConv2D", pw, pw_weights, (depthwise,))


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
