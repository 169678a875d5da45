"""Where the user's own QKeras model cannot be matched exactly: float32 accumulation.

QKeras (TensorFlow) computes a QDense/QConv in float32. Its sums are exact only while
every partial sum is a whole number of the accumulator's LSB below 2^24 of them (a
float32 mantissa); beyond that TensorFlow rounds, in an order no integer emulator can
reproduce. The toolkit's emulator and hardware keep every bit, so on such a layer they
can differ from QKeras predict. :func:`float32_inexact_notes` finds those layers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

from toolkit.models import ir

FLOAT32_MANTISSA_BITS = 24


def accumulator_lsbs(layer: ir.MacLayer) -> int:
    """Largest |partial sum| of ``layer`` in units of its accumulator LSB (products plus bias)."""
    a, shift = layer.in_precision, layer.out_precision.frac - layer.product_precision.frac
    weights = layer.weights
    w_max = max(abs(int(weights.min(initial=0))), abs(int(weights.max(initial=0))))
    a_max = max(abs(a.min_code), abs(a.max_code))
    bias = max((abs(int(b)) for b in layer.bias.reshape(-1)), default=0)
    return layer.fan_in * a_max * w_max * (1 << shift) + bias


def float32_inexact_notes(layers: Sequence[ir.Layer], warn: bool = True) -> list[str]:
    """One note per MAC layer whose sums can exceed float32's 24-bit mantissa; ``warn`` also warns."""
    notes = []
    for layer in layers:
        if not isinstance(layer, ir.MacLayer):
            continue
        lsbs = accumulator_lsbs(layer)
        if lsbs < 1 << FLOAT32_MANTISSA_BITS:
            continue
        note = (
            f"layer {layer.name!r}: its sums reach {lsbs} LSBs of the accumulator (2^{math.log2(lsbs):.2f}), "
            f"beyond float32's {FLOAT32_MANTISSA_BITS}-bit mantissa: QKeras computes this layer in float32 and "
            "may round these sums, so its predict can differ from the toolkit's exact emulator and hardware "
            "(fewer weight/activation bits or a smaller fan-in keep QKeras exact)"
        )
        notes.append(note)
        if warn:
            warnings.warn(note, stacklevel=3)
    return notes
