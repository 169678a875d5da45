"""Reading the layers graphs bring (joins, padding, reshapes, average and global pooling) into the IR.

Fixed-point rules, each checked against QKeras in the tests:

* A join (Add, Subtract, Concatenate) is exact: every input is shifted to the finest
  input's fraction bits and the output type holds the whole range, as Keras' float32
  sum of fixed-point values is exact while it fits 24 bits.
* An average divides the exact window sum by the window size. With a power-of-two
  window that is a shift, exact. Otherwise the quotient is truncated (toward zero, as
  ``ap_fixed`` division does) at ``G = f_in + g`` fraction bits. The exact mean lies on a
  grid of ``2^-f_in / N`` and the next quantizer's rounding ties on one of ``2^-(f_out+1)``,
  so a mean that is not a tie is at least ``2^-M / N`` from every tie (``M = max(f_in,
  f_out + 1)``); truncating by less than that never moves it across one, nor onto one.
  ``g = bit_length(N) + AVERAGE_SPARE_BITS`` covers quantizers up to that many bits finer
  than the average's input, and the reader checks the quantizer that follows (which
  must follow: nothing may compute on the truncated value first).
"""

from __future__ import annotations

import math
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.precision import Precision

JOIN_KINDS = ("Add", "Subtract", "Concatenate")
_POOL_AVG = ("AveragePooling1D", "AveragePooling2D", "QAveragePooling2D")
_GLOBAL = ("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
           "QGlobalAveragePooling2D")  # fmt: skip
GRAPH_LAYER_KINDS = ("ZeroPadding1D", "ZeroPadding2D", "Reshape", *_POOL_AVG, *_GLOBAL)


def read_join(
    layer: Any, inputs: list[tuple[tuple[int, ...], Precision]], common: dict, out_shape: tuple[int, ...]
) -> ir.Join:
    """Add / Subtract / Concatenate of ``inputs`` ((shape, precision) each), exact."""
    kind = type(layer).__name__
    shapes = [shape for shape, _ in inputs]
    precisions = tuple(precision for _, precision in inputs)
    if kind == "Concatenate":
        axis = layer.get_config().get("axis", -1)
        if axis not in (-1, len(out_shape)):
            raise ToolkitError(
                f"layer {layer.name!r}: Concatenate on axis {axis}; only the channel (last) axis is supported"
            )
        if len({shape[:-1] for shape in shapes}) != 1:
            raise ToolkitError(f"layer {layer.name!r}: Concatenate of tensors with shapes {shapes}; "
                               "all but the channel axis must agree")  # fmt: skip
        return ir.Concatenate(out_shape=out_shape, out_precision=join_precision(precisions, None),
                              input_shapes=tuple(shapes), input_precisions=precisions, **common)  # fmt: skip
    if len(set(shapes)) != 1:
        raise ToolkitError(
            f"layer {layer.name!r}: {kind} of tensors with shapes {', '.join(map(str, shapes))}; an elementwise "
            "join needs equal shapes (Keras broadcasting is not supported)"
        )
    signs = (1, -1) if kind == "Subtract" else (1,) * len(inputs)
    return ir.Add(out_shape=out_shape, out_precision=join_precision(precisions, signs), input_shapes=tuple(shapes),
                  input_precisions=precisions, signs=signs, **common)  # fmt: skip


def join_precision(
    precisions: tuple[Precision, ...], signs: tuple[int, ...] | None, frac: int | None = None
) -> Precision:
    """Exact type of a join of ``precisions``: a signed sum (``signs``) or a concatenation (``None``),
    at ``frac`` fraction bits (default: the finest input's). Also types a partial join of the first few."""
    frac = max(p.frac for p in precisions) if frac is None else frac
    if signs is None:
        lo = min(p.min_code << (frac - p.frac) for p in precisions)
        hi = max(p.max_code << (frac - p.frac) for p in precisions)
        return _exact(lo, hi, frac)
    lo = hi = 0
    for p, sign in zip(precisions, signs, strict=False):
        ends = sorted(sign * (code << (frac - p.frac)) for code in (p.min_code, p.max_code))
        lo, hi = lo + ends[0], hi + ends[1]
    return _exact(lo, hi, frac)


def read_graph_layer(layer: Any, common: dict, out_shape: tuple[int, ...]) -> ir.Layer:
    """ZeroPadding, Reshape, average pooling and global pooling."""
    kind = type(layer).__name__
    cfg = layer.get_config()
    precision: Precision = common["in_precision"]
    where = f"layer {layer.name!r} ({kind})"
    if cfg.get("data_format", "channels_last") not in ("channels_last", None):
        raise ToolkitError(f"{where}: data_format={cfg['data_format']!r}; expected 'channels_last'")
    if kind.startswith("ZeroPadding"):
        return ir.Pad(
            out_shape=out_shape, out_precision=precision, pads=_pads(cfg["padding"], kind), **common
        )
    if kind == "Reshape":
        return ir.Reshape(out_shape=out_shape, out_precision=precision, **common)
    if kind.startswith("Q") and cfg.get("average_quantizer") is not None:
        raise ToolkitError(
            f"{where}: average_quantizer={cfg['average_quantizer']!r} multiplies by a quantized 1/window, which "
            "the toolkit does not implement; drop average_quantizer (the exact mean is deployed) and quantize after"
        )
    if kind in _GLOBAL:
        if cfg.get("keepdims"):
            raise ToolkitError(f"{where}: keepdims=True is not supported; add a Reshape after it")
        if "Max" in kind:
            return ir.GlobalPool(out_shape=out_shape, out_precision=precision, op="max", **common)
        window = math.prod(common["in_shape"][:-1])
        return ir.GlobalPool(
            out_shape=out_shape, out_precision=_mean_type(precision, window), op="avg", **common
        )
    if cfg["padding"] != "valid":
        raise ToolkitError(
            f"{where}: padding={cfg['padding']!r}; expected 'valid' (Keras leaves padded cells out of the "
            "average, which the toolkit does not implement)"
        )
    pool = _tuple(cfg["pool_size"])
    strides = _tuple(cfg["strides"] or cfg["pool_size"])
    return ir.AvgPool(out_shape=out_shape, out_precision=_mean_type(precision, math.prod(pool)), pool=pool,
                      strides=strides, **common)  # fmt: skip


AVERAGE_SPARE_BITS = 8  # how much finer than an average's input the quantizer after it may be


def guard_bits(window: int) -> int:
    """Fraction bits an average adds: exact for a power-of-two window, else see the module docstring."""
    return window.bit_length() - 1 if window & (window - 1) == 0 else window.bit_length() + AVERAGE_SPARE_BITS


def average_window(node: ir.Layer) -> int:
    return math.prod(node.pool) if isinstance(node, ir.AvgPool) else math.prod(node.in_shape[:-1])


def check_rounding_after_average(average: ir.Layer, quantizer: ir.Quantize) -> None:
    """The truncated average must be fine enough for the quantizer that rounds it (module docstring)."""
    window = average_window(average)
    finest = max(average.in_precision.frac, quantizer.out_precision.frac + 1)
    if average.out_precision.frac < finest + (window - 1).bit_length():
        raise ToolkitError(
            f"layer {quantizer.name!r} rounds the average of {average.name!r} to {quantizer.out_precision.frac} "
            f"fraction bits, more than {AVERAGE_SPARE_BITS} finer than that average's input "
            f"({average.in_precision.frac}); quantize with fewer fraction bits"
        )


def is_inexact_average(node: ir.Layer) -> bool:
    """An average whose window is not a power of two (its value is truncated, so a quantizer must follow)."""
    if not (isinstance(node, ir.AvgPool) or (isinstance(node, ir.GlobalPool) and node.op == "avg")):
        return False
    window = average_window(node)
    return window & (window - 1) != 0


def _mean_type(precision: Precision, window: int) -> Precision:
    g = guard_bits(window)
    frac = precision.frac + g
    return _exact(precision.min_code << g, precision.max_code << g, frac, signed=precision.signed)


def _exact(lo: int, hi: int, frac: int, signed: bool | None = None) -> Precision:
    p = Precision.for_range(lo, hi, frac)
    if signed and not p.signed:
        p = Precision(p.width + 1, p.integer + 1, True, "TRN", "WRAP")
    return p


def _pads(padding: Any, kind: str) -> tuple[tuple[int, int], ...]:
    rank = 1 if kind.endswith("1D") else 2
    if isinstance(padding, int):
        return ((padding, padding),) * rank
    items = list(padding)
    if rank == 1:
        return ((int(items[0]), int(items[1])),) if len(items) == 2 and isinstance(items[0], int) else (
            (int(items[0][0]), int(items[0][1])),)  # fmt: skip
    return tuple((int(p), int(p)) if isinstance(p, int) else (int(p[0]), int(p[1])) for p in items)


def _tuple(value: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in value) if isinstance(value, (list, tuple)) else (int(value),)
