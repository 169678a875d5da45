"""Per-layer operand statistics on a calibration set: what the multipliers will actually see."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.emulator.engine import Emulator
from toolkit.emulator.incremental import IncrementalEmulator
from toolkit.emulator.layers import im2col
from toolkit.emulator.products import EXACT
from toolkit.models import ir
from toolkit.precision import Precision

MAX_CANDIDATE_BITS = 8  # the multiplier library covers 2..8-bit operands
_CHUNK = 256  # samples per im2col block while counting operands


@dataclass(frozen=True, eq=False)
class LayerProfile:
    """Operand histograms (probabilities over every code of the layer's precisions) and sizes."""

    name: str
    a_codes: np.ndarray
    p_a: np.ndarray
    w_codes: np.ndarray
    p_w: np.ndarray
    fan_in: int
    n_out: int
    macs: int
    outputs_per_sample: int
    product_scale: float
    approximable: bool

    @property
    def reason(self) -> str:
        return "" if self.approximable else f"operands wider than {MAX_CANDIDATE_BITS} bits: kept exact"


def operand_counts(model_ir: ir.ModelIR, x_calibration: np.ndarray) -> dict[str, np.ndarray]:
    """How often every activation code enters each MAC layer's multipliers on ``x_calibration``.

    One exact walk keeps every MAC layer's input (:class:`IncrementalEmulator`); the
    multiplier operands (im2col rows for a conv, padding zeros included) are counted from
    them in chunks, so no layer is run twice and no full im2col matrix is built.
    """
    codes = Emulator(model_ir).quantize_input(x_calibration)
    walk = IncrementalEmulator(model_ir, codes, max_bytes=1 << 62)  # keep every MAC input
    walk.predict_codes({}, lambda name: EXACT)
    out: dict[str, np.ndarray] = {}
    for layer in model_ir.mac_layers():
        inputs = walk.stored_input(layer.name)
        assert inputs is not None  # nothing is evicted under this byte limit
        a_codes = _full_range(layer.in_precision)
        counts = np.zeros(len(a_codes), np.int64)
        for start in range(0, len(inputs), _CHUNK):
            part = inputs[start : start + _CHUNK].astype(np.int64)
            rows = part.reshape(len(part), -1) if isinstance(layer, ir.Dense) else im2col(part, layer)
            counts += np.bincount(rows.ravel() - a_codes[0], minlength=len(a_codes))
        out[layer.name] = counts
    return out


def profile_model(
    model_ir: ir.ModelIR, x_calibration: np.ndarray, counts: dict[str, np.ndarray] | None = None
) -> dict[str, LayerProfile]:
    """Histograms of every MAC layer's activation and weight codes on ``x_calibration``.

    ``counts`` (from :func:`operand_counts`, e.g. read from a cache) skips the emulation.
    """
    if counts is None:
        counts = operand_counts(model_ir, x_calibration)
    out: dict[str, LayerProfile] = {}
    for layer in model_ir.mac_layers():
        a_prec, w_prec = layer.in_precision, layer.weight_precision
        a_codes, w_codes = _full_range(a_prec), _full_range(w_prec)
        p_a = counts[layer.name] / counts[layer.name].sum()
        w = layer.weight_matrix()
        p_w = np.bincount(w.ravel() - w_codes[0], minlength=len(w_codes)) / w.size
        out[layer.name] = LayerProfile(
            name=layer.name,
            a_codes=a_codes,
            p_a=p_a,
            w_codes=w_codes,
            p_w=p_w,
            fan_in=layer.fan_in,
            n_out=layer.n_out,
            macs=layer.macs,
            outputs_per_sample=int(np.prod(layer.out_shape)),
            product_scale=layer.product_precision.scale,
            approximable=max(a_prec.width, w_prec.width) <= MAX_CANDIDATE_BITS,
        )
    return out


def _full_range(precision: Precision) -> np.ndarray:
    """Every code of the type's two's-complement width, ascending, as the multiplier tables index them.

    A symmetric type (``SAT_SYM``, e.g. ``quantized_bits(..., symmetric=1)``) never produces its
    lowest code, but its operands still occupy ``width`` bits: the histogram keeps that code at
    probability 0, so histograms and design tables line up and the width is ``log2(len(codes))``.
    """
    lowest = -(1 << (precision.width - 1)) if precision.signed else 0
    return np.arange(lowest, precision.max_code + 1, dtype=np.int64)
