"""Read a (deployable) QKeras model into the layer IR, fixing every tensor's precision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.models.batchnorm import output_quantizer, read_batchnorm
from toolkit.models.deployable import deployable_model, unique_name, with_output_quantizer
from toolkit.models.exactness import float32_inexact_notes
from toolkit.models.graph import keras_graph
from toolkit.models.graph_layers import (
    GRAPH_LAYER_KINDS,
    JOIN_KINDS,
    check_rounding_after_average,
    is_inexact_average,
    read_graph_layer,
    read_join,
)
from toolkit.models.po2 import is_po2_kernel, po2_codes, po2_note
from toolkit.precision import Precision

SUPPORTED = (
    "InputLayer, QActivation(quantized_bits|quantized_relu|relu), QDense, QConv1D, QConv2D, QConv2DBatchnorm, "
    "QDepthwiseConv2D, QSeparableConv2D (kernels alpha=1 or 'auto_po2'), ReLU, Activation(relu|linear), MaxPooling1D/2D, AveragePooling1D/2D, "
    "GlobalMaxPooling1D/2D, GlobalAveragePooling1D/2D, ZeroPadding1D/2D, Reshape, Flatten, Dropout, "
    "BatchNormalization, Add, Subtract, Concatenate, and a softmax as the last operation"
)
# An approximate product may overshoot the exact one; the accumulator keeps one spare bit for it.
ACCUMULATOR_HEADROOM_BITS = 1


@dataclass(frozen=True)
class _Tensor:
    """What the reader knows of a tensor: shape, precision, the IR name that produces it, and the
    BatchNormalization/average whose unrounded value it still is (None once a quantizer or MAC ran)."""

    name: str
    shape: tuple[int, ...]
    precision: Precision
    inexact: str | None = None
    truncated: str | None = None  # the non-power-of-two average whose truncated value this still is


def read_model(model: Any, fold_batchnorm: bool = False) -> tuple[ir.ModelIR, Any]:
    """Return (IR, deployable Keras model). The deployable model is what other backends must consume.

    ``fold_batchnorm`` folds BatchNormalization into the preceding layer's re-quantized
    weights instead of deploying it exactly (see :mod:`toolkit.models.deployable`).
    """
    deploy, notes = deployable_model(model, fold_batchnorm=fold_batchnorm)
    graph = keras_graph(deploy)
    first = _input_quantizer(graph)
    shape = tuple(int(d) for d in deploy.input_shape[1:])
    input_precision = Precision.from_qkeras(
        _activation_quantizer(first), where=f"layer {first.name!r} (QActivation)"
    )
    tensors = {graph.input_name: _Tensor(graph.input_name, shape, input_precision)}
    out: list[ir.Layer] = []
    for layer, inputs in graph.nodes:
        sources = [tensors[name] for name in inputs]
        node = _read_layer(layer, sources, notes)
        if node is None:  # an identity (linear activation): the tensor is its input's
            tensors[layer.name] = sources[0]
            continue
        _check_not_truncated(node, sources, out)
        out.append(node)
        tensors[layer.name] = _Tensor(node.name, node.out_shape, node.out_precision, _inexact(node, sources),
                                      _truncated(node, sources))  # fmt: skip
    final = tensors[graph.output_name]
    if final.name != out[-1].name:
        raise ToolkitError(f"model {model.name!r}: the output does not come from its last layer")
    if final.inexact is not None:  # a BatchNormalization (or average) feeding the logits: a fixed-point type
        rounding = output_quantizer(final.precision)
        name = unique_name(f"{final.inexact}_out", {layer.name for layer in deploy.layers})
        deploy = with_output_quantizer(deploy, rounding.to_qkeras_string(), name)
        out.append(
            ir.Quantize(
                name=name, in_shape=final.shape, out_shape=final.shape, in_precision=final.precision,
                out_precision=rounding.precision, inputs=(final.name,),
            )
        )  # fmt: skip
        notes.append(rounding.note(final.inexact, name))
    notes = [*notes, *float32_inexact_notes(out)]
    return ir.ModelIR(model.name, shape, input_precision, tuple(out), tuple(notes), graph.input_name), deploy


def _input_quantizer(graph: Any) -> Any:
    """The one layer that reads the model's input, which must quantize it."""
    readers = [layer for layer, inputs in graph.nodes if graph.input_name in inputs]
    first = readers[0]
    if len(readers) != 1 or type(first).__name__ != "QActivation":
        names = ", ".join(f"{r.name!r} ({type(r).__name__})" for r in readers)
        raise ToolkitError(
            f"the model input is read by {names}; it must be read by one input quantizer: start the "
            "model with QActivation(quantized_bits(...)) or QActivation(quantized_relu(...)) so the "
            "accelerator is fed integer codes"
        )
    return first


def _inexact(node: ir.Layer, sources: list[_Tensor]) -> str | None:
    """Whose unrounded value ``node``'s output still is (see :class:`_Tensor`)."""
    if isinstance(node, ir.Quantize | ir.MacLayer):
        return None
    if isinstance(node, ir.Scale) or (is_inexact_average(node)):
        return node.name
    return next((s.inexact for s in sources if s.inexact is not None), None)


def _truncated(node: ir.Layer, sources: list[_Tensor]) -> str | None:
    if isinstance(node, ir.Quantize):
        return None
    if is_inexact_average(node):
        return node.name
    return next((s.truncated for s in sources if s.truncated is not None), None)


_NO_ARITHMETIC = (ir.Quantize, ir.ReLU, ir.MaxPool, ir.Flatten, ir.Reshape, ir.Pad, ir.Concatenate)


def _check_not_truncated(node: ir.Layer, sources: list[_Tensor], before: list[ir.Layer]) -> None:
    """A truncated average is exact only up to the next quantizer's rounding: nothing may compute on it first."""
    source = next((s.truncated for s in sources if s.truncated is not None), None)
    if source is not None and isinstance(node, ir.Quantize):
        check_rounding_after_average(next(b for b in before if b.name == source), node)
    if isinstance(node, _NO_ARITHMETIC) or (isinstance(node, ir.GlobalPool) and node.op == "max"):
        return
    if source is not None:
        raise ToolkitError(
            f"layer {node.name!r} ({node.kind}) computes on the average of {source!r}, whose window is not a "
            f"power of two; add QActivation(quantized_bits(...)) after {source!r} so it is rounded first"
        )


def _read_layer(layer: Any, sources: list[_Tensor], notes: list[str]) -> ir.Layer | None:
    kind = type(layer).__name__
    out_shape = tuple(int(d) for d in layer.output_shape[1:])
    shape, precision = sources[0].shape, sources[0].precision
    common = {"name": layer.name, "in_shape": shape, "in_precision": precision,
              "inputs": tuple(s.name for s in sources)}  # fmt: skip
    if kind in JOIN_KINDS:
        return read_join(layer, [(s.shape, s.precision) for s in sources], common, out_shape)
    if kind in GRAPH_LAYER_KINDS:
        return read_graph_layer(layer, common, out_shape)
    if kind == "QActivation":
        quantizer = _activation_quantizer(layer)
        if quantizer == "linear":
            return None
        if quantizer == "relu":
            return ir.ReLU(out_shape=out_shape, out_precision=precision, **common)
        out_precision = Precision.from_qkeras(quantizer, where=f"layer {layer.name!r} (QActivation)")
        return ir.Quantize(
            out_shape=out_shape, out_precision=out_precision, relu=not out_precision.signed, **common
        )
    if kind in ("ReLU", "Activation"):
        act = layer.get_config().get("activation", "relu")
        if kind == "ReLU":
            cfg = layer.get_config()
            if cfg.get("max_value") is not None or cfg.get("negative_slope", 0) or cfg.get("threshold", 0):
                raise ToolkitError(
                    f"layer {layer.name!r}: ReLU with max_value/negative_slope/threshold is not supported"
                )
        elif act == "linear":
            return None
        elif act != "relu":
            raise _unsupported(layer, f"activation {act!r}")
        return ir.ReLU(out_shape=out_shape, out_precision=precision, **common)
    if kind in ("MaxPooling1D", "MaxPooling2D"):
        cfg = layer.get_config()
        if cfg["padding"] != "valid":
            raise ToolkitError(
                f"layer {layer.name!r}: MaxPooling with padding={cfg['padding']!r}; expected 'valid'"
            )
        return ir.MaxPool(
            out_shape=out_shape,
            out_precision=precision,
            pool=_tuple(cfg["pool_size"]),
            strides=_tuple(cfg["strides"] or cfg["pool_size"]),
            **common,
        )
    if kind == "Flatten":
        return ir.Flatten(out_shape=out_shape, out_precision=precision, **common)
    if kind == "BatchNormalization":
        return read_batchnorm(layer, common, out_shape, notes)
    if kind in ("QDense", "QConv1D", "QConv2D", "QDepthwiseConv2D"):
        _check_quantized_input(layer, sources[0])
        return _read_mac(layer, kind, common, out_shape, precision, notes)
    raise _unsupported(layer)


def _read_mac(
    layer: Any, kind: str, common: dict, out_shape: tuple[int, ...], precision: Precision, notes: list[str]
) -> ir.MacLayer:
    cfg = layer.get_config()
    where = f"layer {layer.name!r}"
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise ToolkitError(f"{where}: data_format={cfg['data_format']!r}; expected 'channels_last'")
    if any(d != 1 for d in _tuple(cfg.get("dilation_rate", 1))):
        raise ToolkitError(f"{where}: dilation_rate={cfg['dilation_rate']!r}; expected 1")
    if kind == "QDense" and len(common["in_shape"]) != 1:
        raise ToolkitError(f"{where}: QDense on a {len(common['in_shape'])}-D input; add a Flatten before it")
    kernel_q, bias_q = layer.get_quantizers()[:2]
    if kernel_q is None:
        raise ToolkitError(
            f"{where}: QDense/QConv without kernel_quantizer; set e.g. quantized_bits(4,0,alpha=1)"
        )
    weights = layer.get_weights()
    if is_po2_kernel(kernel_q):
        w_precision, w_codes = po2_codes(kernel_q, weights[0], f"{where} kernel")
        notes.append(po2_note(layer.name, kernel_q, w_precision))
    else:
        written = getattr(layer, "kernel_quantizer", None)
        w_precision = Precision.from_qkeras(kernel_q, f"{where} kernel", written)
        w_codes = _codes(kernel_q, weights[0], w_precision, f"{where} kernel")
    product = precision.times(w_precision)
    if cfg.get("use_bias", True):
        if bias_q is None:
            raise ToolkitError(
                f"{where}: has a bias but no bias_quantizer; set e.g. quantized_bits(8,3,alpha=1)"
            )
        b_precision = Precision.from_qkeras(bias_q, f"{where} bias", getattr(layer, "bias_quantizer", None))
        b_codes = _codes(bias_q, weights[1], b_precision, f"{where} bias")
    else:
        b_precision = Precision(2, 2 - product.frac, True)
        b_codes = np.zeros(w_codes.shape[-1], np.int64)
    frac = max(product.frac, b_precision.frac)
    depthwise = kind == "QDepthwiseConv2D"
    fan_in = int(np.prod(w_codes.shape[:-2] if depthwise else w_codes.shape[:-1]))
    a_lo, a_hi = precision.min_code, precision.max_code
    w_lo, w_hi = int(w_codes.min(initial=0)), int(w_codes.max(initial=0))
    extremes = [a * w for a in (a_lo, a_hi) for w in (w_lo, w_hi)]
    grow = fan_in << (frac - product.frac + ACCUMULATOR_HEADROOM_BITS)
    bias_aligned = b_codes << (frac - b_precision.frac)
    lo = min(extremes) * grow + int(bias_aligned.min(initial=0))
    hi = max(extremes) * grow + int(bias_aligned.max(initial=0))
    acc = Precision.for_range(lo, hi, frac)
    kernel = tuple(w_codes.shape[:-2]) if kind != "QDense" else ()
    strides = _tuple(cfg.get("strides", 1)) if kernel else ()
    if kernel and len(strides) == 1 and len(kernel) == 2:
        strides = strides * 2
    cls = ir.Dense if kind == "QDense" else ir.DepthwiseConv if depthwise else ir.Conv
    extra = {"multiplier": int(w_codes.shape[-1])} if depthwise else {}
    if depthwise and cfg.get("use_bias", True):
        bias_aligned = bias_aligned.reshape(-1)
    return cls(
        **extra,
        out_shape=out_shape,
        out_precision=acc,
        weights=w_codes,
        weight_precision=w_precision,
        bias=bias_aligned,
        bias_precision=b_precision,
        kernel=kernel,
        strides=strides,
        padding=cfg.get("padding", "valid"),
        product_precision=product,
        **common,
    )


def _check_quantized_input(layer: Any, source: _Tensor) -> None:
    """A MAC layer after a BatchNormalization (or a non-power-of-two average) needs a quantizer in
    between: QKeras would multiply its unrounded float value."""
    if source.inexact is not None:
        raise ToolkitError(
            f"layer {layer.name!r} takes the unquantized output of {source.inexact!r}; add "
            f"QActivation(quantized_bits(...)) or QActivation(quantized_relu(...)) after {source.inexact!r} "
            "so its input is fixed point"
        )


def _codes(quantizer: Any, values: np.ndarray, precision: Precision, where: str) -> np.ndarray:
    """Integer codes of weights, as the QKeras quantizer itself rounds them."""
    quantized = np.asarray(quantizer(values.astype(np.float32)), dtype=np.float64)
    scaled = quantized * (2.0**precision.frac)
    codes = np.rint(scaled)
    if not np.array_equal(codes, scaled):
        raise ToolkitError(
            f"{where}: quantized values are not multiples of 2^-{precision.frac}; expected fixed point"
        )
    return codes.astype(np.int64)


def _activation_quantizer(layer: Any) -> Any:
    """The quantizer object of a QActivation (or 'relu' for a float relu)."""
    act = layer.quantizer if hasattr(layer, "quantizer") else layer.activation
    name = getattr(act, "__name__", None)
    if name in ("relu", "linear"):
        return name
    return act


def _tuple(value: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in value) if isinstance(value, (list, tuple)) else (int(value),)


def _unsupported(layer: Any, what: str | None = None) -> ToolkitError:
    detail = what or type(layer).__name__
    return ToolkitError(f"layer {layer.name!r} ({detail}) is not supported; supported layers: {SUPPORTED}")
