"""Integer semantics of each IR layer on a batch of codes (batch axis first).

These functions are the arithmetic contract the hls4ml C-sim, the RTL and the board
must reproduce bit for bit.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from toolkit.emulator.products import ExactProduct, ProductKernel
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
    return patch_rows(np.pad(codes, pads), layer)


def patch_rows(padded: np.ndarray, layer: ir.Conv) -> np.ndarray:
    """Patches of an already padded channels-last batch as rows, in its own dtype (any last-axis
    width: the fast path passes channels times factor rank there)."""
    rank = len(layer.kernel)
    axes = tuple(range(1, 1 + rank))
    windows = sliding_window_view(padded, layer.kernel, axis=axes)  # (N, *pos, C, *kernel)
    index = (slice(None),) + tuple(slice(None, None, s) for s in layer.strides)
    windows = windows[index]
    windows = windows[(slice(None),) + tuple(slice(0, n) for n in layer.out_shape[:-1])]
    # (N, *pos, C, *kernel) -> (N, *pos, *kernel, C)
    order = list(range(1 + rank)) + list(range(2 + rank, 2 + 2 * rank)) + [1 + rank]
    windows = windows.transpose(order)
    return windows.reshape(-1, int(np.prod(layer.kernel)) * padded.shape[-1])


def mac(codes: np.ndarray, layer: ir.MacLayer, product: ProductKernel) -> np.ndarray:
    """Dense, Conv or DepthwiseConv: sum of products plus bias, exact, as int64 codes.

    The stacked float32 path of :mod:`toolkit.emulator.fast` when it applies (the exact product
    and factored approximate designs), else :func:`mac_reference`; the two are equal bit for bit.
    """
    from toolkit.emulator import fast

    out = fast.mac(codes, layer, product)
    return (
        mac_reference(np.asarray(codes, np.int64), layer, product)
        if out is None
        else out.astype(np.int64, copy=False)
    )


def mac_reference(codes: np.ndarray, layer: ir.MacLayer, product: ProductKernel) -> np.ndarray:
    """The reference MAC: int64 im2col rows through the product kernel's ``matmul`` hook."""
    n = codes.shape[0]
    rows = codes if isinstance(layer, ir.Dense) else im2col(codes, layer)
    if isinstance(layer, ir.DepthwiseConv):
        sums = _depthwise_sums(rows, layer, product)
    else:
        sums = product.matmul(rows, layer.weight_matrix())
    shift = layer.out_precision.frac - layer.product_precision.frac
    acc = (sums << shift) + layer.bias
    return acc.reshape((n,) + layer.out_shape)


def _depthwise_sums(rows: np.ndarray, layer: ir.DepthwiseConv, product: ProductKernel) -> np.ndarray:
    """Per input channel c, its kernel-window column block times its own filters (outputs c*M .. c*M+M-1)."""
    k, channels, mult = layer.fan_in, layer.weights.shape[-2], layer.multiplier
    windows = rows.reshape(len(rows), k, channels)
    weights = layer.weights.reshape(k, channels, mult)
    if isinstance(product, ExactProduct):  # K is tiny: a broadcast multiply-sum beats C small GEMMs
        exact = np.einsum("nkc,kcm->ncm", windows, weights, optimize=False)
        return exact.reshape(len(rows), channels * mult)
    if hasattr(product, "depthwise_matmul"):  # the kernel does all channels at once
        return product.depthwise_matmul(windows, weights)
    sums = np.empty((len(rows), channels * mult), dtype=np.int64)
    for c in range(channels):
        columns = slice(c * mult, (c + 1) * mult)
        sums[:, columns] = columns_of(product, columns).matmul(
            np.ascontiguousarray(windows[:, :, c]), weights[:, c, :]
        )
    return sums


def columns_of(product: ProductKernel, columns: slice) -> ProductKernel:
    """``product`` restricted to some output columns (a correction holds constants per column)."""
    from toolkit.emulator.control_variate import CorrectedProduct

    if isinstance(product, CorrectedProduct):
        return CorrectedProduct(product.inner, product.correction.select(columns))
    return product


def add(inputs: list[np.ndarray], layer: ir.Add) -> np.ndarray:
    """Exact signed sum, each input shifted to the output's fraction bits."""
    out = np.zeros_like(inputs[0])
    for codes, precision, sign in zip(inputs, layer.input_precisions, layer.signs, strict=True):
        out = out + sign * (codes << (layer.out_precision.frac - precision.frac))
    return out


def concatenate(inputs: list[np.ndarray], layer: ir.Concatenate) -> np.ndarray:
    aligned = [
        codes << (layer.out_precision.frac - precision.frac)
        for codes, precision in zip(inputs, layer.input_precisions, strict=True)
    ]
    return np.concatenate(aligned, axis=-1)


def pad(codes: np.ndarray, layer: ir.Pad) -> np.ndarray:
    return np.pad(codes, ((0, 0), *layer.pads, (0, 0)))


def reshape(codes: np.ndarray, layer: ir.Reshape) -> np.ndarray:
    return codes.reshape((codes.shape[0],) + layer.out_shape)


def truncated_mean(sums: np.ndarray, count: int, guard_bits: int) -> np.ndarray:
    """``sums * 2^guard / count`` truncated toward zero (as ap_fixed's division does)."""
    scaled = sums << guard_bits
    quotient = np.abs(scaled) // count
    return np.where(scaled < 0, -quotient, quotient)


def global_pool(codes: np.ndarray, layer: ir.GlobalPool) -> np.ndarray:
    axes = tuple(range(1, codes.ndim - 1))
    if layer.op == "max":
        return codes.max(axis=axes)
    count = int(np.prod(codes.shape[1:-1]))
    return truncated_mean(codes.sum(axis=axes), count, layer.out_precision.frac - layer.in_precision.frac)


def avgpool(codes: np.ndarray, layer: ir.AvgPool) -> np.ndarray:
    axes = tuple(range(1, 1 + len(layer.pool)))
    windows = sliding_window_view(codes, layer.pool, axis=axes)
    index = (slice(None),) + tuple(slice(None, None, s) for s in layer.strides)
    windows = windows[index][(slice(None),) + tuple(slice(0, n) for n in layer.out_shape[:-1])]
    sums = windows.sum(axis=tuple(range(-len(layer.pool), 0)))
    guard = layer.out_precision.frac - layer.in_precision.frac
    return truncated_mean(sums, int(np.prod(layer.pool)), guard)


_SINGLE = {
    ir.Quantize: quantize,
    ir.ReLU: relu,
    ir.MaxPool: maxpool,
    ir.Flatten: flatten,
    ir.Scale: scale,
    ir.Pad: pad,
    ir.Reshape: reshape,
    ir.GlobalPool: global_pool,
    ir.AvgPool: avgpool,
}


def run_layer(codes: np.ndarray | list[np.ndarray], layer: ir.Layer, product: ProductKernel) -> np.ndarray:
    """Dispatch one layer (a join layer takes the list of its inputs' codes)."""
    if isinstance(layer, ir.Add):
        return add(codes, layer)  # type: ignore[arg-type]
    if isinstance(layer, ir.Concatenate):
        return concatenate(codes, layer)  # type: ignore[arg-type]
    if isinstance(layer, ir.MacLayer):
        return mac(codes, layer, product)  # type: ignore[arg-type]
    function = _SINGLE.get(type(layer))
    if function is not None:
        return function(codes, layer)
    raise TypeError(f"no emulation for IR layer {layer.kind}")
