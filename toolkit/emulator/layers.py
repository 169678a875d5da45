"""Integer semantics of each IR layer on a batch of codes (batch axis first).

These functions are the arithmetic contract the hls4ml C-sim, the RTL and the board
must reproduce bit for bit.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from toolkit.emulator.products import ProductKernel
from toolkit.models import ir


def quantize(codes: np.ndarray, layer: ir.Quantize) -> np.ndarray:
    if layer.relu:
        codes = np.maximum(codes, 0)
    return layer.out_precision.requantize(codes, layer.in_precision)


def relu(codes: np.ndarray, layer: ir.ReLU) -> np.ndarray:
    return np.maximum(codes, 0)


def flatten(codes: np.ndarray, layer: ir.Flatten) -> np.ndarray:
    return codes.reshape(codes.shape[0], -1)


def maxpool(codes: np.ndarray, layer: ir.MaxPool) -> np.ndarray:
    axes = tuple(range(1, 1 + len(layer.pool)))
    windows = sliding_window_view(codes, layer.pool, axis=axes)
    index = (slice(None),) + tuple(slice(None, None, s) for s in layer.strides)
    windows = windows[index]
    out = windows.max(axis=tuple(range(-len(layer.pool), 0)))
    return out[(slice(None),) + tuple(slice(0, n) for n in layer.out_shape[:-1])]


def scale(codes: np.ndarray, layer: ir.Scale) -> np.ndarray:
    """Per-channel ``x * scale + shift`` in the exact output type (no rounding)."""
    return codes * layer.scale + layer.shift


def im2col(codes: np.ndarray, layer: ir.Conv) -> np.ndarray:
    """Patches of a channels-last batch as rows (kernel positions, then channels), zero padded.

    Padded positions hold code 0 and still pass through the multiplier, as in
    hardware: an approximate design may return a non-zero product for 0.
    """
    pads = ((0, 0),) + layer.pad_amounts() + ((0, 0),)
    padded = np.pad(codes, pads)
    rank = len(layer.kernel)
    axes = tuple(range(1, 1 + rank))
    windows = sliding_window_view(padded, layer.kernel, axis=axes)  # (N, *pos, C, *kernel)
    index = (slice(None),) + tuple(slice(None, None, s) for s in layer.strides)
    windows = windows[index]
    windows = windows[(slice(None),) + tuple(slice(0, n) for n in layer.out_shape[:-1])]
    # (N, *pos, C, *kernel) -> (N, *pos, *kernel, C)
    order = list(range(1 + rank)) + list(range(2 + rank, 2 + 2 * rank)) + [1 + rank]
    windows = windows.transpose(order)
    return windows.reshape(-1, layer.fan_in)


def mac(codes: np.ndarray, layer: ir.MacLayer, product: ProductKernel) -> np.ndarray:
    """Dense or Conv: sum of products (through the multiplier hook) plus bias, exact."""
    n = codes.shape[0]
    rows = codes if isinstance(layer, ir.Dense) else im2col(codes, layer)
    sums = product.matmul(rows, layer.weight_matrix())
    shift = layer.out_precision.frac - layer.product_precision.frac
    acc = (sums << shift) + layer.bias
    return acc.reshape((n,) + layer.out_shape)


def run_layer(codes: np.ndarray, layer: ir.Layer, product: ProductKernel) -> np.ndarray:
    """Dispatch one layer."""
    if isinstance(layer, ir.MacLayer):
        return mac(codes, layer, product)
    if isinstance(layer, ir.Quantize):
        return quantize(codes, layer)
    if isinstance(layer, ir.ReLU):
        return relu(codes, layer)
    if isinstance(layer, ir.MaxPool):
        return maxpool(codes, layer)
    if isinstance(layer, ir.Flatten):
        return flatten(codes, layer)
    if isinstance(layer, ir.Scale):
        return scale(codes, layer)
    raise TypeError(f"no emulation for IR layer {layer.kind}")
