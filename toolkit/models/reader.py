"""Read a (deployable) QKeras model into the layer IR, fixing every tensor's precision."""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.models.deployable import deployable_model, sequential_layers
from toolkit.models.exactness import float32_inexact_notes
from toolkit.precision import Precision

SUPPORTED = (
    "InputLayer, QActivation(quantized_bits|quantized_relu|relu), QDense, QConv1D, QConv2D, "
    "ReLU, Activation(relu|linear), MaxPooling1D, MaxPooling2D, Flatten, Dropout, "
    "BatchNormalization (after a QDense/QConv)"
)
# An approximate product may overshoot the exact one; the accumulator keeps one spare bit for it.
ACCUMULATOR_HEADROOM_BITS = 1


def read_model(model: Any) -> tuple[ir.ModelIR, Any]:
    """Return (IR, deployable Keras model). The deployable model is what other backends must consume."""
    deploy, notes = deployable_model(model)
    layers = sequential_layers(deploy)
    first = layers[0]
    if type(first).__name__ != "QActivation":
        raise ToolkitError(
            f"the first layer {first.name!r} ({type(first).__name__}) is not an input quantizer: start the "
            "model with QActivation(quantized_bits(...)) or QActivation(quantized_relu(...)) so the "
            "accelerator is fed integer codes"
        )
    shape = tuple(int(d) for d in deploy.input_shape[1:])
    input_precision = Precision.from_qkeras(
        _activation_quantizer(first), where=f"layer {first.name!r} (QActivation)"
    )
    precision = input_precision
    out: list[ir.Layer] = []
    for layer in layers:
        node = _read_layer(layer, shape, precision)
        if node is not None:
            out.append(node)
            shape, precision = node.out_shape, node.out_precision
    notes = [*notes, *float32_inexact_notes(out)]
    return ir.ModelIR(
        model.name, tuple(int(d) for d in deploy.input_shape[1:]), input_precision, tuple(out), tuple(notes)
    ), deploy


def _read_layer(layer: Any, shape: tuple[int, ...], precision: Precision) -> ir.Layer | None:
    kind = type(layer).__name__
    out_shape = tuple(int(d) for d in layer.output_shape[1:])
    common = {"name": layer.name, "in_shape": shape, "in_precision": precision}
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
    if kind in ("QDense", "QConv1D", "QConv2D"):
        return _read_mac(layer, kind, common, out_shape, precision)
    raise _unsupported(layer)


def _read_mac(
    layer: Any, kind: str, common: dict, out_shape: tuple[int, ...], precision: Precision
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
    w_precision = Precision.from_qkeras(kernel_q, f"{where} kernel", getattr(layer, "kernel_quantizer", None))
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
    fan_in = int(np.prod(w_codes.shape[:-1]))
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
    cls = ir.Dense if kind == "QDense" else ir.Conv
    return cls(
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
