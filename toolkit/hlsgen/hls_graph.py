"""The deploy model as hls4ml converts it: the same arithmetic, in layers hls4ml 1.3 computes exactly.

The deploy model is the graph every backend reads; it is rebuilt for hls4ml with every
layer under its derived hls4ml name (``names``, :func:`toolkit.hlsgen.correction_graph.hls_names`:
``l<k>_<ident>``, which no Keras name can clash with; the hls4ml config, the plan's product
policy and ``trace()`` find layers by it), and around what has no exact one-to-one hls4ml
layer; the layers added here are named from their layer's hls4ml name and get types in
:attr:`HlsGraph.types`.

* **Explicit padding**: a causal conv, or a padded conv with a correction branch, reads a
  ``<name>_pad`` ZeroPadding layer and becomes ``valid`` (:func:`padded_explicitly`).

* **A join of more than two tensors** (hls4ml's merge layers take two): a chain of binary
  joins ``<name>_join2``, ``<name>_join3``, ... ending in ``<name>``. Each partial result is
  typed exactly, at the join's fraction bits, as the whole join is.
* **A depthwise convolution with depth multiplier M > 1**: hls4ml 1.3's depthwise kernels
  compute one filter per channel (io_parallel asserts ``n_filt == n_chan``; io_stream reads
  ``n_chan`` weights per kernel position). The input's channels are repeated M times in
  place (``<name>_rep_in`` Reshape to ``(H*W, C, 1)``, ``<name>_rep`` nearest UpSampling2D
  by ``(1, M)``, ``<name>_rep_out`` Reshape to ``(H, W, C*M)``: data movement only) and a
  multiplier-1 depthwise convolution with the same weights in Keras' order reads it, so
  output ``c*M + m`` multiplies exactly the operands the emulator multiplies (same products,
  same approximate multiplier, same per-column correction).
* **A kernel with per-channel power-of-two scales** (``alpha='auto_po2'``): its quantized
  values on the layer's one grid (:mod:`toolkit.models.po2`), without a kernel quantizer.
* **A corrected MAC layer**: its branch (:mod:`toolkit.hlsgen.correction_graph`).

Without any of these, the deploy model itself is converted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.hlsgen.correction_graph import PAD_SUFFIX, corrected_layers, padded_explicitly, with_correction
from toolkit.models import ir
from toolkit.models.graph import keras_graph
from toolkit.models.graph_layers import join_precision
from toolkit.models.po2 import is_po2_kernel
from toolkit.precision import Precision

if TYPE_CHECKING:  # the plan's type only; no import cycle at run time
    from toolkit.plan import Plan

JOIN_SUFFIX = "_join"
REPEAT_SUFFIXES = ("_rep_in", "_rep", "_rep_out")


@dataclass
class HlsGraph:
    """The Keras model hls4ml converts, and the precisions of the layers added to it (by hls4ml name)."""

    model: Any
    types: dict[str, dict[str, Precision]] = field(default_factory=dict)


def hls_keras_model(
    deploy_model: Any, model_ir: ir.ModelIR, plan: Plan | None, names: dict[str, str]
) -> HlsGraph:
    """``deploy_model`` rebuilt for hls4ml as the module docstring describes."""
    import tensorflow as tf

    corrected = corrected_layers(model_ir, plan)
    graph = keras_graph(deploy_model)
    ir_layers = {layer.name: layer for layer in model_ir.layers}
    out = HlsGraph(None)
    inputs = tf.keras.Input(deploy_model.input_shape[1:], name=names[graph.input_name])
    tensors = {graph.input_name: inputs}
    for layer, sources in graph.nodes:
        args = [tensors[source] for source in sources]
        node = ir_layers.get(layer.name)
        name = names[layer.name]
        config, weights = dict(layer.get_config(), name=name), layer.get_weights()
        if isinstance(node, ir.Join) and len(args) > 2:
            tensors[layer.name] = _binary_joins(name, node, args, out.types)
            continue
        x = args[0] if len(args) == 1 else args
        if isinstance(node, ir.MacLayer) and is_po2_kernel(layer.get_quantizers()[0]):
            config, weights = _grid_kernel(layer, node, config, weights)
        if isinstance(node, ir.DepthwiseConv) and node.multiplier > 1:
            x = _repeat_channels(x, node, name, out.types)
            config = dict(config, depth_multiplier=1)
            weights = [weights[0].reshape(*node.kernel, -1, 1), *weights[1:]]
        types = corrected.get(layer.name)
        if node is not None and padded_explicitly(node, types):
            pad = {1: tf.keras.layers.ZeroPadding1D, 2: tf.keras.layers.ZeroPadding2D}[len(node.kernel)]
            pads = node.pad_amounts()
            x = pad(pads[0] if len(pads) == 1 else pads, name=name + PAD_SUFFIX)(x)
            config = dict(config, padding="valid")
        if types is not None:
            tensors[layer.name] = with_correction(
                type(layer), config, weights, x, types, node, plan.layers[layer.name].correction
            )
            continue
        clone = type(layer).from_config(config)
        tensors[layer.name] = clone(x)
        if weights:
            clone.set_weights(weights)
    out.model = tf.keras.Model(inputs, tensors[graph.output_name], name="toolkit_hls")
    return out


def _grid_kernel(layer: Any, node: ir.MacLayer, config: dict, weights: list) -> tuple[dict, list]:
    """A power-of-two-scaled kernel as hls4ml computes it exactly: its quantized values (the
    codes on the layer's one grid, exact in float32) and no kernel quantizer; the hls4ml config
    gives the weights the grid's type. hls4ml's own handling of ``alpha='auto_po2'`` would
    factor the scales into a separate layer after the sums."""
    prefix = "depthwise" if isinstance(node, ir.DepthwiseConv) else "kernel"
    kernel = node.weight_precision.to_float(node.weights).astype(np.float32).reshape(weights[0].shape)
    # the quantizer's range constraint (QKeras' Clip) goes with it: training only
    unset = {f"{prefix}_quantizer": None, f"{prefix}_constraint": None, f"{prefix}_range": None}
    return dict(config, **unset), [kernel, *weights[1:]]


def _binary_joins(name: str, node: ir.Join, args: list, types: dict) -> Any:
    """``args`` joined two at a time; the last join keeps the layer's (hls4ml) ``name`` and its IR type."""
    import tensorflow as tf

    frac = node.out_precision.frac
    x = args[0]
    for k in range(1, len(args)):
        step = name if k == len(args) - 1 else f"{name}{JOIN_SUFFIX}{k + 1}"
        if isinstance(node, ir.Concatenate):
            x = tf.keras.layers.Concatenate(axis=-1, name=step)([x, args[k]])
        elif node.signs[k] < 0:
            x = tf.keras.layers.Subtract(name=step)([x, args[k]])
        else:
            x = tf.keras.layers.Add(name=step)([x, args[k]])
        if step != name:
            signs = None if isinstance(node, ir.Concatenate) else node.signs[: k + 1]
            types[step] = {"result": join_precision(node.input_precisions[: k + 1], signs, frac)}
    return x


def _repeat_channels(x: Any, node: ir.DepthwiseConv, name: str, types: dict) -> Any:
    """Channel c of ``x`` at positions c*M .. c*M+M-1 (nearest upsampling of a (positions, C, 1) view)."""
    import tensorflow as tf

    *spatial, channels = node.in_shape
    positions, mult = int(np.prod(spatial)), node.multiplier
    steps = [name + suffix for suffix in REPEAT_SUFFIXES]
    x = tf.keras.layers.Reshape((positions, channels, 1), name=steps[0])(x)
    x = tf.keras.layers.UpSampling2D((1, mult), interpolation="nearest", name=steps[1])(x)
    x = tf.keras.layers.Reshape((*spatial, channels * mult), name=steps[2])(x)
    for step in steps:
        types[step] = {"result": node.in_precision}
    return x
