"""BatchNormalization at inference as an exact per-channel fixed-point scale and shift.

Keras computes ``x * inv + (beta - mean * inv)`` in float32 (``inv = gamma *
rsqrt(var + eps)``; the fused kernel orders it ``(x - mean) * inv + beta``), and the next
QKeras quantizer rounds that float. Here ``inv`` is taken as the float32 value Keras
uses and held *exactly* as a fixed-point code (a float32 has 24 significant bits, so
one fraction width covers every channel), the shift is held to the product's fraction
bits, and the sum is exact (:class:`toolkit.models.ir.Scale`). The next quantizer then
rounds the exact value, so the deployed model equals the user's QKeras model except
where Keras' float32 value lies within float rounding of a rounding boundary (a
near-tie, counted by :mod:`toolkit.models.agreement`).

The exact value is wide (the accumulator's width plus the scale's), so widths are capped
to keep every code within 53 bits (float64 and the hls4ml C-sim's ctypes boundary hold it
exactly): a scale that would need more is rounded and the reader says so in its notes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.precision import Precision

MAX_EXACT_BITS = 53  # widest code held exactly by float64 (hls4ml C-sim I/O, float reports)
FLOAT32_SIGNIFICAND_BITS = 24
OUTPUT_BITS = (
    16  # a BatchNormalization that feeds the logits is delivered in a 16-bit type (see output_quantizer)
)


def batchnorm_float_parameters(layer: Any) -> tuple[np.ndarray, np.ndarray]:
    """(inv, shift) per channel as float64: ``inv`` is Keras' float32 value, ``shift`` its exact offset."""
    import tensorflow as tf

    inv = tf.math.rsqrt(layer.moving_variance + layer.epsilon)
    if layer.scale:
        inv = inv * layer.gamma
    inv = np.asarray(inv.numpy(), dtype=np.float64)
    beta = np.asarray(layer.beta.numpy(), np.float64) if layer.center else np.zeros_like(inv)
    mean = np.asarray(layer.moving_mean.numpy(), np.float64)
    return inv, beta - mean * inv  # mean * inv of two float32 values is exact in float64


def read_batchnorm(layer: Any, common: dict, out_shape: tuple[int, ...], notes: list[str]) -> ir.Scale:
    """The IR Scale for a Keras BatchNormalization (``common``: name, in_shape, in_precision).

    A scale that had to be rounded to fit the width cap is reported in ``notes``.
    """
    where = f"BatchNormalization {layer.name!r}"
    source: Precision = common["in_precision"]
    inv, shift = batchnorm_float_parameters(layer)
    if not (np.all(np.isfinite(inv)) and np.all(np.isfinite(shift))):
        raise ToolkitError(
            f"{where}: its moving statistics give a non-finite scale or shift (moving_variance < 0?)"
        )
    needed = _exact_fraction_bits(inv)
    int_bits = _integer_bits(inv)
    budget = MAX_EXACT_BITS - source.width - 1  # the scale's width the cap leaves
    frac = min(needed, budget - int_bits)
    if budget - int_bits < 0:
        raise ToolkitError(
            f"{where}: its input is {source.width} bits wide, too wide for an exact scale within "
            f"{MAX_EXACT_BITS} bits; quantize the layer before it to fewer bits"
        )
    scale_codes = np.rint(np.ldexp(inv, frac)).astype(np.int64)
    scale_precision = Precision.for_range(int(scale_codes.min()), int(scale_codes.max()), frac)
    out_frac = source.frac + frac
    shift_codes = np.rint(np.ldexp(shift, out_frac))
    if np.abs(shift_codes).max(initial=0) >= 2.0**MAX_EXACT_BITS:
        raise ToolkitError(f"{where}: its shift does not fit {MAX_EXACT_BITS} bits at 2^-{out_frac}")
    shift_codes = shift_codes.astype(np.int64)
    ends = np.stack([scale_codes * source.min_code, scale_codes * source.max_code]) + shift_codes
    out_precision = Precision.for_range(int(ends.min()), int(ends.max()), out_frac)
    if out_precision.width > MAX_EXACT_BITS:
        raise ToolkitError(
            f"{where}: the exact output needs {out_precision.width} bits (> {MAX_EXACT_BITS}); quantize the "
            "layer before it to fewer bits"
        )
    if frac < needed:
        notes.append(
            f"{where}: scale rounded to {frac} fraction bits (float32's exact value needs {needed}): outputs "
            "may differ from the original model beyond near-ties"
        )
    return ir.Scale(
        out_shape=out_shape,
        out_precision=out_precision,
        scale=scale_codes,
        scale_precision=scale_precision,
        shift=shift_codes,
        **common,
    )


@dataclass(frozen=True)
class OutputQuantizer:
    """The fixed-point type a BatchNormalization that feeds the logits is delivered in."""

    precision: Precision

    def to_qkeras_string(self) -> str:
        p = self.precision
        return f"quantized_bits({p.width},{p.integer - 1},keep_negative=True,alpha=1)"

    def note(self, bn: str, name: str) -> str:
        p = self.precision
        return (
            f"BatchNormalization {bn!r} feeds the output: its float value is delivered as the nearest "
            f"{p.width}-bit fixed-point value with {p.frac} fraction bits (QActivation {name!r} appended)"
        )


def output_quantizer(exact: Precision) -> OutputQuantizer:
    """Round-half-even, saturating, 16-bit signed type holding the whole range of the ``exact`` type.

    Not wider: Keras computes the float output to ~2^-24 of its magnitude, so a type whose LSB came
    near that would turn many outputs into near-ties; 16 bits keeps them rare (~2^-8 at full scale).
    """
    integer = exact.integer if exact.signed else exact.integer + 1
    return OutputQuantizer(Precision(OUTPUT_BITS, integer, True, "RND_CONV", "SAT"))


def _exact_fraction_bits(values: np.ndarray) -> int:
    """Fraction bits that hold every (float32-derived) value exactly."""
    nonzero = np.abs(values[values != 0])
    if not nonzero.size:
        return 0
    exponents = np.floor(np.log2(nonzero)).astype(int)
    return int(max(FLOAT32_SIGNIFICAND_BITS - 1 - exponents.min(), 0))


def _integer_bits(values: np.ndarray) -> int:
    """Integer bits (sign included) of the largest magnitude."""
    top = float(np.abs(values).max(initial=0.0))
    return (math.floor(math.log2(top)) + 2) if top > 0 else 1
