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
    """Node index -> width, for MAC layers and the activations that follow them."""
    out: dict[int, int] = {}
    for unit in spec.units():
        out[unit.mac] = bits[unit.name]
        if unit.act is not None:
            out[unit.act] = bits[unit.name]
    return out


def build_model(spec: NetSpec, bits: Mapping[str, int], input_bits: int) -> Any:
    """A fresh QKeras Sequential at these widths with the recipe's float weights set."""
    import tensorflow as tf
    from qkeras import QActivation, QConv1D, QConv2D, QDense

    classes = {"QDense": QDense, "QConv1D": QConv1D, "QConv2D": QConv2D, "QActivation": QActivation}
    missing = [u.name for u in spec.units() if u.name not in bits]
    if missing:
        raise ToolkitError(f"no width given for layer(s) {', '.join(missing)}")
    widths = node_widths(spec, bits)
    model = tf.keras.Sequential(name=spec.name)
    # Not "input": hls4ml reserves that layer name.
    model.add(tf.keras.layers.Input(spec.input_shape, name="model_input"))
    for index, node in enumerate(spec.nodes):
        config = dict(node.config)
        if node.role == "input":
            config["activation"] = input_quantizer(node, input_bits)
        elif node.role == "act":
            config["activation"] = activation_quantizer(node, widths[index])
        elif node.role == "mac":
            config["kernel_quantizer"] = weight_quantizer(node, widths[index])
            config["bias_quantizer"] = bias_quantizer(node, widths[index])
        cls = classes.get(node.cls) or getattr(tf.keras.layers, node.cls)
        model.add(cls(**config) if node.role in ("input", "act", "mac") else cls.from_config(config))
    for node, layer in zip(spec.nodes, model.layers, strict=True):
        if node.weights is not None:
            layer.set_weights(node.weights)
    return model


def capture_weights(spec: NetSpec, model: Any) -> None:
    """Copy the trained float weights of ``model`` back into ``spec`` (before a rebuild)."""
    for node, layer in zip(spec.nodes, model.layers, strict=True):
        if node.weights is not None:
            node.weights = [np.asarray(w) for w in layer.get_weights()]


def prune_unit(spec: NetSpec, unit: Unit, keep: Sequence[int]) -> None:
    """Keep only output channels ``keep`` of ``unit`` (and the matching inputs of the next MAC layer)."""
    units = spec.units()
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
