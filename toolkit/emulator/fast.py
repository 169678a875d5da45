"""Fast exact paths of the emulator: MAC layers as one float32 GEMM built straight from the codes.

The reference (:func:`toolkit.emulator.layers.mac_reference`) builds int64 im2col rows and asks
the product kernel for int64 sums. Here, for the exact product and for approximate designs
emulated by their factorisation ``table == F @ G.T`` (:mod:`toolkit.emulator.approx`):

* ``F`` is applied to the *image* codes before patch extraction. ``F`` acts on each code
  alone, so it commutes with im2col, and the image holds ``kernel size`` times fewer codes
  than the patches. Padding is applied to the codes first (code 0 still goes through ``F``,
  as the multiplier sees it).
* the patches are extracted directly as the float32 GEMM operand ``[F_1(a) .. F_r(a)]`` per
  fan-in position (k-major, then rank), so there is no int64 patch matrix and no cast.
* the sums stay in float32 when a bound proves them exact, and bias and output shift are
  applied there too: the accumulator codes are returned as float32 holding exact integers, for
  :func:`quantize` to round and saturate without an int64 pass.

Exactness: every entry of the stacked operands is an integer; a product's r terms sum in
magnitude to at most ``unit`` (``max |F||G|`` summed over r, or ``max|a| max|w|`` for the exact
product), so any partial sum of ``c`` fan-in positions is at most ``c * unit``. Fan-in is cut
into spans with ``c * unit < 2**24`` (float32 integers are exact below that), and spans are added
in int64 when there is more than one. Float32 results of the bias and shift are kept only when
``fan_in * unit * 2**shift + max|bias| < 2**24``. Anything else returns ``None`` and the caller
uses the reference.

Between layers the engine passes *carriers* of exact codes: float32 integers (accumulators),
the narrowest integer type (after a Quantize), int64 elsewhere; :func:`widen` gives int64.
Depthwise layers and max pooling work offset by offset on strided views of the image, and a
conv runs with the per-sample layers it alone feeds a block of samples at a time (:func:`run_chain`).
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from toolkit.emulator.approx import ApproxProduct
from toolkit.emulator.layers import patch_rows
from toolkit.emulator.products import EXACT, FLOAT32_EXACT, MIN_BLOCK, ExactProduct, ProductKernel
from toolkit.models import ir
from toolkit.precision import Precision

ROW_BLOCK_BYTES = 2 << 20  # float32 patch bytes per block of samples: the GEMM operand stays in cache
_NARROW = (np.int8, np.int16, np.int32)


@dataclass(frozen=True)
class Stacked:
    """A MAC layer's product as one stacked float32 GEMM.

    ``table`` maps a code (indexed ``code % len(table)``, negatives from the end) to its r
    features, or is None for the exact product (the feature is the code itself); ``right`` is
    the (fan_in * r, n_out) stacked weight operand; ``span`` fan-in positions per exact block;
    ``bound`` bounds every sum of the layer.
    """

    table: np.ndarray | None
    right: np.ndarray
    rank: int
    span: int
    bound: int

    def features(self, codes: np.ndarray) -> np.ndarray:
        """(..., ) codes -> (..., r) float32 features."""
        if self.table is None:
            return codes.astype(np.float32)[..., None]
        return np.take(self.table, codes, axis=0)


def stacked(codes: np.ndarray, layer: ir.MacLayer, product: ProductKernel) -> Stacked | None:
    """The stacked form of ``product`` on this layer, or None when no float32 form is provably exact.

    ``codes`` are the layer's input codes (padded for a conv): the exact product's bound
    uses their actual range, and an approximate design checks they are in its domain.
    """
    kind = type(product)
    if kind is ApproxProduct:
        product._check_operands(codes, _NO_WEIGHTS)  # the reference's check (weights: in _weight_form)
    elif kind is not ExactProduct:
        return None
    form = _weight_form(layer, product)
    if form is None or form.table is not None:
        return form
    # the exact product: its bound uses the codes' actual range
    max_a, max_w, fan_in = _max_abs(codes), form.bound, layer.fan_in
    if max_a >= FLOAT32_EXACT:
        return None
    unit = max_a * max_w
    return _checked(Stacked(None, form.right, 1, _span(unit, fan_in), fan_in * unit))


_NO_WEIGHTS = np.zeros(0, np.int64)
_WEIGHT_FORMS: dict[tuple[int, int], tuple[ProductKernel, np.ndarray, Stacked | None]] = {}


def _weight_form(layer: ir.MacLayer, product: ProductKernel) -> Stacked | None:
    """The weight side of :func:`stacked`, computed once per (kernel, weights array).

    For the exact product ``bound`` holds ``max|w|`` (the caller completes the form). Keyed by
    identity, holding both objects so that an id cannot be reused while cached: the IR's weight
    arrays are not modified after reading.
    """
    key = (id(product), id(layer.weights))
    hit = _WEIGHT_FORMS.get(key)
    if hit is not None and hit[0] is product and hit[1] is layer.weights:
        return hit[2]
    w = layer.weight_matrix()
    fan_in = w.shape[0]
    form = None
    if isinstance(product, ApproxProduct):
        product._check_operands(_NO_WEIGHTS, w)
        method, _ = product.plan(fan_in)
        if method == "factored":
            table, g_tab, unit = product.float32_factors()
            if table is not None:
                rank = table.shape[1]
                right = np.take(g_tab, w, axis=0).transpose(0, 2, 1).reshape(fan_in * rank, w.shape[1])
                stacked_form = Stacked(
                    table, np.ascontiguousarray(right), rank, _span(unit, fan_in), fan_in * unit
                )
                form = _checked(stacked_form)
        elif method == "exact" and _max_abs(w) < FLOAT32_EXACT:
            form = Stacked(None, w.astype(np.float32), 1, fan_in, _max_abs(w))
    elif _max_abs(w) < FLOAT32_EXACT:
        form = Stacked(None, w.astype(np.float32), 1, fan_in, _max_abs(w))
    if len(_WEIGHT_FORMS) >= 1024:
        _WEIGHT_FORMS.clear()
    _WEIGHT_FORMS[key] = (product, layer.weights, form)
    return form


def _checked(form: Stacked) -> Stacked | None:
    """Only forms whose blocks are worth a float32 GEMM (else the reference's float64 path wins)."""
    fan_in = form.right.shape[0] // form.rank
    return form if form.span >= min(fan_in, MIN_BLOCK) else None


def _span(unit: int, fan_in: int) -> int:
    return fan_in if unit == 0 else min(fan_in, (FLOAT32_EXACT - 1) // unit)


def _max_abs(x: np.ndarray) -> int:
    return max(-int(x.min()), int(x.max())) if x.size else 0


def mac(codes: np.ndarray, layer: ir.MacLayer, product: ProductKernel) -> np.ndarray | None:
    """Accumulator codes of a Dense or Conv layer (float32 exact integers, or int64), or None.

    None: kernels without a provably exact float32 form (see :func:`depthwise` for depthwise layers).
    """
    if isinstance(layer, ir.DepthwiseConv):
        return depthwise(codes, layer, product)
    n = codes.shape[0]
    if isinstance(layer, ir.Dense):
        rows = codes.reshape(n, -1)
        form = stacked(rows, layer, product)
        if form is None:
            return None
        sums = _gemm(form.features(rows).reshape(n, -1), form)
    else:
        padded = np.pad(codes, ((0, 0),) + layer.pad_amounts() + ((0, 0),))
        form = stacked(padded, layer, product)
        if form is None:
            return None
        sums = _conv_sums(padded, layer, form)
    out = _bias_shift(sums, layer, form.bound)
    return out.reshape((n,) + layer.out_shape)


def _conv_sums(padded: np.ndarray, layer: ir.Conv, form: Stacked) -> np.ndarray:
    """Patches of the features, a block of samples at a time, times the stacked weights."""
    n = padded.shape[0]
    positions = int(np.prod(layer.out_shape[:-1]))
    row_bytes = positions * form.right.shape[0] * 4
    step = max(1, ROW_BLOCK_BYTES // max(1, row_bytes))
    feats = form.features(padded)  # (N, *spatial, C, r)
    feats = feats.reshape(feats.shape[:-2] + (-1,))  # channels and rank share the last axis
    out = None
    for start in range(0, n, step):
        rows = patch_rows(feats[start : start + step], layer)  # (rows, K * r), k-major
        sums = _gemm(rows, form)
        if out is None:
            out = np.empty((n * positions, sums.shape[1]), dtype=sums.dtype)
        out[start * positions : start * positions + len(sums)] = sums
    return out


def _gemm(left: np.ndarray, form: Stacked) -> np.ndarray:
    """``left @ right`` exactly: float32 when one span covers the fan-in, else int64 sum of spans."""
    width = form.span * form.rank
    total = form.right.shape[0]
    if width >= total:
        return left @ form.right
    out = np.zeros((len(left), form.right.shape[1]), dtype=np.int64)
    for s in range(0, total, width):
        out += (left[:, s : s + width] @ form.right[s : s + width]).astype(np.int64)
    return out


def _bias_shift(sums: np.ndarray, layer: ir.MacLayer, bound: int) -> np.ndarray:
    """``(sums << shift) + bias``: in float32 when its bound stays below 2**24, else int64."""
    shift = layer.out_precision.frac - layer.product_precision.frac
    bias = np.asarray(layer.bias)
    top = (bound << shift) + (_max_abs(bias) if bias.size else 0)
    if sums.dtype == np.float32 and shift >= 0 and top < FLOAT32_EXACT:
        if shift:
            sums *= np.float32(2.0**shift)
        sums += bias.astype(np.float32)
        return sums
    return (sums.astype(np.int64) << shift) + bias


def depthwise(codes: np.ndarray, layer: ir.DepthwiseConv, product: ProductKernel) -> np.ndarray | None:
    """Depthwise accumulator codes in float32, one kernel offset at a time on the padded image, or None.

    A depthwise weight meets one channel only, so there is no GEMM to share: for each kernel offset the
    strided view of the image is multiplied by that offset's (C, M) weights (exact product) or looked
    up in the design's table column of each weight (one gather per product), and accumulated in float32.
    Exact when ``fan_in * max|product| * 2**shift + max|bias| < 2**24`` (else None: the reference runs).
    """
    kind = type(product)
    if kind not in (ApproxProduct, ExactProduct):
        return None
    n = codes.shape[0]
    padded = np.pad(codes, ((0, 0),) + layer.pad_amounts() + ((0, 0),))
    weights = layer.weights  # (*kernel, C, M)
    out_spatial = layer.out_shape[:-1]
    channels, mult = weights.shape[-2:]
    if kind is ApproxProduct:
        product._check_operands(padded, weights)
        table = product.design.table()
        max_product = _max_abs(table)
        # sub[j, c, m, code - a_min] = table column of the j-th kernel offset's weight (c, m)
        sub = np.moveaxis(table[:, weights.reshape(-1, channels, mult) - product.w_min], 0, -1)
        sub = sub.astype(np.float32).ravel()
        n_codes = table.shape[0]
        offsets = (np.arange(layer.fan_in * channels * mult) * n_codes - product.a_min).reshape(
            -1, channels, mult
        )
        offsets = offsets.astype(np.int32 if len(sub) < 2**31 else np.int64)
    else:
        max_product = _max_abs(padded) * _max_abs(weights)
    bound = layer.fan_in * max_product
    shift = layer.out_precision.frac - layer.product_precision.frac
    if shift < 0 or (bound << shift) + _max_abs(np.asarray(layer.bias)) >= FLOAT32_EXACT:
        return None
    out = np.zeros((n, *out_spatial, channels, mult), dtype=np.float32)
    for j, offset in enumerate(np.ndindex(*layer.kernel)):
        index = (slice(None),) + tuple(
            slice(o, o + s * (size - 1) + 1, s)
            for o, s, size in zip(offset, layer.strides, out_spatial, strict=True)
        )
        view = padded[index][..., None]  # (N, *out, C, 1)
        if kind is ApproxProduct:
            out += np.take(sub, view + offsets[j])
        else:
            out += view.astype(np.float32) * weights[offset].astype(np.float32)
    return _bias_shift(out.reshape((n,) + layer.out_shape), layer, bound)


def narrow_dtype(precision: Precision) -> type:
    """The narrowest signed integer type holding every code of ``precision``."""
    for dtype in _NARROW:
        info = np.iinfo(dtype)
        if info.min <= precision.min_code and precision.max_code <= info.max:
            return dtype
    return np.int64


def quantize(values: np.ndarray, layer: ir.Quantize) -> np.ndarray | None:
    """A Quantize of float32 accumulator codes in float32, output in the narrowest integer type.

    Exact: a float32 integer times a power of two is exact, ``rint`` rounds half to even and
    ``floor`` truncates, as :meth:`Precision.requantize` does on integers; saturation is a clip
    of exact values. Integer input with no shift is that clip; other integer input runs the
    reference and is narrowed; None for wrapping types.
    """
    out_p = layer.out_precision
    if out_p.saturation == "WRAP":
        return None
    shift = layer.in_precision.frac - out_p.frac
    low = max(out_p.min_code, 0) if layer.relu else out_p.min_code
    if values.dtype != np.float32:
        if shift == 0:  # the input quantizer, typically: requantize is the saturating clip alone
            return np.clip(values, low, out_p.max_code).astype(narrow_dtype(out_p))
        from toolkit.emulator.layers import quantize as reference

        return reference(values, layer).astype(narrow_dtype(out_p))
    x = values * np.float32(2.0**-shift)
    if shift > 0:
        (np.rint if out_p.rounding == "RND_CONV" else np.floor)(x, out=x)
    # rounding is monotone and keeps 0 at 0, so a ReLU first is a clip at 0 after (min_code <= 0)
    np.clip(x, low, out_p.max_code, out=x)
    return x.astype(narrow_dtype(out_p))


def maxpool(codes: np.ndarray, layer: ir.MaxPool) -> np.ndarray:
    """Max pooling as a running ``np.maximum`` over the pool's offsets (strided views of the input):
    one contiguous pass per offset instead of a reduction over small window axes."""
    out_shape = layer.out_shape[:-1]
    out = None
    for offset in np.ndindex(*layer.pool):
        index = (slice(None),) + tuple(
            slice(o, o + s * (n - 1) + 1, s) for o, s, n in zip(offset, layer.strides, out_shape, strict=True)
        )
        view = codes[index]
        if out is None:
            out = view.copy()
        else:
            np.maximum(out, view, out=out)
    return out


# Layers whose reference function gives exact results on any carrier of exact integer codes
# (narrow integers, float32 integers): they only select, move or zero-pad codes.
_CARRIERS = (ir.ReLU, ir.Flatten, ir.Reshape, ir.Pad)


def run_layer(codes: np.ndarray, layer: ir.Layer, product: ProductKernel) -> np.ndarray:
    """One single-input layer on a carrier of exact codes (any integer dtype, or float32 integers).

    The result is again such a carrier: MAC layers may return float32 accumulator codes,
    a Quantize the narrowest integer type; layers without a fast path get int64 codes
    (:func:`widen`) and run the reference.
    """
    from toolkit.emulator import layers

    if isinstance(layer, ir.MacLayer):
        out = mac(codes, layer, product)
        return layers.mac_reference(widen(codes), layer, product) if out is None else out
    if isinstance(layer, ir.Quantize):
        out = quantize(codes, layer)
        if out is not None:
            return out
    elif isinstance(layer, ir.MaxPool):
        return maxpool(codes, layer)
    elif isinstance(layer, _CARRIERS):
        return layers.run_layer(codes, layer, product)
    return layers.run_layer(widen(codes), layer, product)


OWN_KERNELS = (ExactProduct, ApproxProduct)  # kernels known to be thread-safe and per-sample

# Single-input layers that a conv's output may pass through a block of samples at a time.
PER_SAMPLE = (ir.Quantize, ir.MaxPool, ir.ReLU, ir.Flatten, ir.Reshape, ir.Pad)
CHAIN_BYTES = 8 << 20  # float32 patch bytes of the conv per block of samples in run_chain


def run_chain(codes: np.ndarray, chain: list[ir.Layer], product: ProductKernel) -> np.ndarray:
    """A conv (``chain[0]``, with ``product``) and the per-sample layers after it, a block of samples
    at a time: every layer treats samples independently, so this equals running them one after the
    other on the whole batch, while the conv's output and its quantized and pooled forms stay in cache.

    The blocks run on one thread per core, each with a single-threaded BLAS: numpy releases the GIL
    in its array loops, so the gathers, patch copies and quantizers run in parallel too (a threaded
    BLAS only parallelises the GEMMs, and stalls when the shared machine is loaded). The sums are
    exact integers, so neither the split nor the BLAS thread count can change a result.
    """
    conv = chain[0]
    rank = product.factors.rank if isinstance(product, ApproxProduct) else 1
    per_sample = int(np.prod(conv.out_shape[:-1])) * conv.fan_in * rank * 4
    workers = _workers()
    step = max(1, min(CHAIN_BYTES // max(1, per_sample), -(-len(codes) // workers)))

    def block(start: int) -> np.ndarray:
        value = codes[start : start + step]
        for layer in chain:
            value = run_layer(value, layer, product if layer is conv else EXACT)
        return value

    starts = range(0, len(codes), step)
    if workers == 1 or len(starts) == 1:
        parts = [block(start) for start in starts]
    else:
        with _blas().limit(limits=1, user_api="blas"):
            parts = list(_pool().map(block, starts))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


@functools.cache
def _workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="emulator")


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def widen(codes: np.ndarray) -> np.ndarray:
    """A carrier as int64 codes (exact: a carrier holds integers only)."""
    return codes.astype(np.int64, copy=False)
