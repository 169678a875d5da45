"""Build a QKeras model from a :class:`NetSpec` at given widths, carry weights back, prune channels.

Width rules (one width ``b_l`` per MAC layer ``l``):

* the kernel of ``l`` is ``quantized_bits(b_l, i_w, alpha=1)`` and the ReLU after ``l`` is
  ``quantized_relu(b_l, i_a)``, so the MACs of layer ``l+1`` multiply ``b_{l+1}``-bit
  weights by ``b_l``-bit activations;
* the bias is ``quantized_bits(max(8, b_l), i_b, alpha=1)``: one add per output, kept
  at 8 bits or more so it does not limit accuracy, and short enough that the exact
  accumulator does not grow past what the products need;
* the input quantizer has its own width (by default the first layer's, see ``train``).

Integer bits come from the recipe (the start configuration) through
:func:`~toolkit.density.rules.integer_bits`: kept while they fit, fraction bits traded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from toolkit.density.rules import integer_bits
from toolkit.density.spec import NetSpec, Node, Unit
from toolkit.errors import ToolkitError

BIAS_MIN_BITS = 8


def weight_quantizer(node: Node, bits: int) -> str:
    return f"quantized_bits({bits},{integer_bits(node.integer, bits, True)},alpha=1)"


def bias_quantizer(node: Node, bits: int) -> str:
    width = max(BIAS_MIN_BITS, bits)
    return f"quantized_bits({width},{integer_bits(node.bias_integer, width, True)},alpha=1)"


def activation_quantizer(node: Node, bits: int) -> str:
    return f"quantized_relu({bits},{integer_bits(node.integer, bits, False)})"


def input_quantizer(node: Node, bits: int) -> str:
    if node.signed:
        return f"quantized_bits({bits},{integer_bits(node.integer, bits, True)},alpha=1)"
    return f"quantized_relu({bits},{integer_bits(node.integer, bits, False)})"


def node_widths(spec: NetSpec, bits: Mapping[str, int]) -> dict[int, int]:
    """Node index -> width, for MAC layers and their own activations (fixed quantizers keep theirs)."""
    out: dict[int, int] = {}
    for unit in spec.units():
        out[unit.mac] = bits[unit.name]
        if unit.act is not None:
            out[unit.act] = bits[unit.name]
    return out


def build_model(spec: NetSpec, bits: Mapping[str, int], input_bits: int) -> Any:
    """A fresh QKeras model at these widths with the recipe's float weights set: a Sequential for a
    chain, a functional model (each layer reading the recipes it names) for a graph."""
    import tensorflow as tf

    missing = [u.name for u in spec.units() if u.name not in bits]
    if missing:
        raise ToolkitError(f"no width given for layer(s) {', '.join(missing)}")
    widths = node_widths(spec, bits)
    layers = [_layer(node, widths.get(index), input_bits) for index, node in enumerate(spec.nodes)]
    # Not "input": hls4ml reserves that layer name.
    inp = tf.keras.layers.Input(spec.input_shape, name="model_input")
    if spec.is_graph:
        tensors: dict[str, Any] = {}
        for node, layer in zip(spec.nodes, layers, strict=True):
            args = [tensors[name] for name in node.inputs] or [inp]
            tensors[node.name] = layer(args if len(args) > 1 else args[0])
        model = tf.keras.Model(inp, tensors[spec.nodes[-1].name], name=spec.name)
    else:
        model = tf.keras.Sequential(name=spec.name)
        model.add(inp)
        for layer in layers:
            model.add(layer)
    for node in spec.nodes:
        if node.weights is not None:
            model.get_layer(node.name).set_weights(node.weights)
    return model


def _layer(node: Node, width: int | None, input_bits: int) -> Any:
    """One recipe as a Keras layer: quantizers at ``width`` for MAC layers and their activations."""
    import tensorflow as tf
    from qkeras import QActivation, QConv1D, QConv2D, QDense, QDepthwiseConv2D

    classes = {"QDense": QDense, "QConv1D": QConv1D, "QConv2D": QConv2D, "QDepthwiseConv2D": QDepthwiseConv2D,
               "QActivation": QActivation}  # fmt: skip
    config = dict(node.config)
    if node.role == "input":
        config["activation"] = input_quantizer(node, input_bits)
    elif node.role == "act":
        config["activation"] = activation_quantizer(node, width)
    elif node.role == "mac":
        kernel = "depthwise_quantizer" if node.cls == "QDepthwiseConv2D" else "kernel_quantizer"
        config[kernel] = weight_quantizer(node, width)
        config["bias_quantizer"] = bias_quantizer(node, width)
    cls = classes.get(node.cls) or getattr(tf.keras.layers, node.cls)
    return cls(**config) if node.role in ("input", "act", "mac", "fixed") else cls.from_config(config)


def capture_weights(spec: NetSpec, model: Any) -> None:
    """Copy the trained float weights of ``model`` back into ``spec`` (before a rebuild)."""
    for node in spec.nodes:
        if node.weights is not None:
            node.weights = [np.asarray(w) for w in model.get_layer(node.name).get_weights()]


def prune_unit(spec: NetSpec, unit: Unit, keep: Sequence[int]) -> None:
    """Keep only output channels ``keep`` of ``unit`` (and the matching inputs of the next MAC layer)."""
    units = spec.units()
    if spec.is_graph:
        raise ToolkitError(
            f"model {spec.name!r} is a graph: pruning removes channels along a chain, and a join ties the "
            "channels of its inputs together; train without pruning"
        )
    if unit.name == units[-1].name:
        raise ToolkitError(f"layer {unit.name!r} produces the logits; its outputs cannot be pruned")
    keep = np.asarray(sorted(keep), dtype=np.int64)
    mac = spec.nodes[unit.mac]
    c_old = int(mac.weights[0].shape[-1])
    if keep.size == 0 or keep.min() < 0 or keep.max() >= c_old:
        raise ToolkitError(
            f"layer {unit.name!r}: channels to keep {keep.tolist()} must be within 0..{c_old - 1}"
        )
    mac.weights = [w[..., keep] for w in mac.weights]
    mac.config["units" if "units" in mac.config else "filters"] = int(keep.size)
    flattened = False
    for node in spec.nodes[unit.mac + 1 :]:
        if node.role == "bn":
            node.weights = [w[keep] for w in node.weights]
        elif node.cls == "Flatten":
            flattened = True
        elif node.role == "mac":
            kernel = node.weights[0]
            if flattened and kernel.ndim == 2:
                positions = kernel.shape[0] // c_old
                rows = (np.arange(positions)[:, None] * c_old + keep[None, :]).reshape(-1)
                kernel = kernel[rows]
            else:
                kernel = np.take(kernel, keep, axis=-2)
            node.weights = [kernel, *node.weights[1:]]
            return
