"""Kernels with per-channel power-of-two scales (QKeras ``quantized_bits(..., alpha="auto_po2")``),
read exactly onto one fixed-point grid per layer.

What QKeras 0.9.0 computes (``quantized_bits.__call__`` with a string alpha): the quantizer
is made symmetric, ``x`` is divided by ``2**integer``, and per output channel (every axis
but the kernel's last is reduced, so a depthwise kernel gets one scale per depth-multiplier
index) a scale ``s_c = 2**round(log2(max|x| * 2 / levels))`` is refined five times by least
squares (``_get_scale``: ``s_c = 2**round(log2(sum(x z) / sum(z z)))``) on the codes
``z = sign(x) * min(floor(|x| / s_c + 0.5), levels / 2)``, ``levels = 2 * (2**(bits-1) - 1)``.
The weight every ``predict`` multiplies is ``2**integer * s_c * z``: a signed integer code
times a power of two that differs per channel, computed from the float weights each call.

Every such value is a dyadic rational, so the layer's weights share one grid: the finest
fraction any of them needs. On it each weight is the integer code ``z * 2**(e_c - e_min)``,
wider than ``bits`` by the spread of the channel exponents. The reader applies the layer's
own quantizer to its float kernel (as ``predict`` does), finds that grid, checks every value
is a code of it exactly, and refuses grids wider than :data:`MAX_GRID_BITS`. Every backend
then multiplies these codes: no per-channel shift exists anywhere downstream.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.precision import Precision, reject_stochastic

#: widest weight code a power-of-two-scaled kernel may need on its common grid; the exact
#: product units of the RTL and hls4ml take any width, the approximate multiplier library
#: 2..8 bits (wider layers stay exact in selection, see toolkit.select.profile)
MAX_GRID_BITS = 16


def is_po2_kernel(quantizer: Any) -> bool:
    """True for a ``quantized_bits`` whose alpha is ``'auto_po2'`` (written, or QKeras' kernel default)."""
    return type(quantizer).__name__ == "quantized_bits" and getattr(quantizer, "alpha", None) == "auto_po2"


def po2_codes(quantizer: Any, values: np.ndarray, where: str) -> tuple[Precision, np.ndarray]:
    """(grid precision, integer codes) of ``quantizer(values)``, the weights QKeras' predict multiplies."""
    reject_stochastic(quantizer, where)
    quantized = np.asarray(quantizer(np.asarray(values, np.float32)), dtype=np.float64)
    if not np.isfinite(quantized).all():
        raise ToolkitError(f"{where}: QKeras' auto_po2 quantizer returned non-finite weights")
    nonzero = quantized[quantized != 0]
    frac = int(_fraction_bits(nonzero).max()) if nonzero.size else 0
    scaled = np.ldexp(quantized, frac)
    codes = np.rint(scaled)
    if not np.array_equal(codes, scaled):  # cannot happen for dyadic values; guards the arithmetic above
        raise ToolkitError(f"{where}: auto_po2 weights are not codes of one grid with {frac} fraction bits")
    codes = codes.astype(np.int64)
    width = max(2, int(np.abs(codes).max(initial=0)).bit_length() + 1)
    if width > MAX_GRID_BITS:
        exponents = _channel_exponents(quantized)
        raise ToolkitError(
            f"{where}: {quantizer} scales each output channel by its own power of two (finest weight steps "
            f"from 2^{min(exponents)} to 2^{max(exponents)}); on one common grid its weights need {width}-bit "
            f"codes, more than the "
            f"{MAX_GRID_BITS} the toolkit multiplies; use alpha=1, or constrain the weights so the channels' "
            "ranges are closer"
        )
    return Precision(width, width - frac, True, rounding="RND_CONV", saturation="SAT"), codes


def po2_note(layer: str, quantizer: Any, precision: Precision) -> str:
    """The line the IR's notes carry for a layer whose kernel was read onto one grid."""
    return (
        f"layer {layer!r} kernel: {quantizer} has a power-of-two scale per output channel; its weights are "
        f"read exactly onto one grid, {precision.describe()} ({precision.width}-bit codes)"
    )


def _fraction_bits(values: np.ndarray) -> np.ndarray:
    """Per nonzero float64 value, the fewest fraction bits that make it an integer."""
    mantissa, exponent = np.frexp(np.abs(values))  # |v| = m * 2^e, m in [0.5, 1)
    ints = np.ldexp(mantissa, 53).astype(np.int64)  # exact: m has at most 53 significant bits
    trailing = np.log2((ints & -ints).astype(np.float64)).astype(np.int64)  # of a power of two: exact
    return 53 - trailing - exponent


def _channel_exponents(quantized: np.ndarray) -> list[int]:
    """log2 of each channel's smallest nonzero magnitude step, for the error message."""
    out = []
    for channel in np.moveaxis(quantized, -1, 0):
        nonzero = channel[channel != 0]
        if nonzero.size:
            out.append(int(-_fraction_bits(nonzero).max()))
    return out or [0]
