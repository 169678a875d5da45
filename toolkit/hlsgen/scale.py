"""BatchNormalization in hls4ml as the IR's exact :class:`~toolkit.models.ir.Scale`, not hls4ml's own.

hls4ml computes a BatchNormalization's scale and bias itself, in floating point, from
gamma/beta/mean/variance (``gamma / sqrt(var + eps)``, ``beta - scale * mean``), and would
fuse a BN into a preceding Dense/Conv whose output type is unspecified (``bn_fuse.py``).
Neither computes what the emulator computes. Here:

* :func:`scale_types` gives the layer's types from the IR (``scale_t`` = the scale's
  precision, ``bias_t`` = ``result_t`` = the exact output type), so the product
  ``x * s`` (hls4ml's ``nnet::product::mult``, an exact ``ap_fixed`` product) and the sum
  are exact and the next quantizer rounds once. Every MAC layer's result type is set, so
  hls4ml's fusion never matches.
* :func:`set_exact_scales` replaces hls4ml's float scale/bias arrays, after conversion,
  by the IR's codes as float64 values. hls4ml prints each weight with as many decimals as
  its type has fraction bits (exact for a dyadic value), and the C++ side reads them
  through ``double`` (the header's literals, or ``operator>>`` from the ``.txt`` files in
  C-sim): exact for codes of up to 53 bits, which the reader guarantees.

A Scale that follows a corrected MAC layer reads the corrected accumulator
(:mod:`toolkit.hlsgen.correction_graph`), whose type is wider than the layer's own; its
result type is widened to hold every value, as the emulator's int64 arithmetic does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.precision import Precision

_EXACT_PRODUCT = "using product = nnet::product::mult<x_T, y_T>;"


@dataclass(frozen=True)
class ScaleTypes:
    """hls4ml types of one Scale layer: its input (as hls4ml delivers it), scale, and exact result."""

    layer: str
    input: Precision
    scale: Precision
    result: Precision  # also the bias (shift) type: the shift codes are in its units

    def config(self) -> dict[str, Precision]:
        """Precision keys as :func:`toolkit.hlsgen.config.hls_config` sets them."""
        return {"scale": self.scale, "bias": self.result, "result": self.result}


def scale_types(model_ir: ir.ModelIR, corrected: dict[str, Any]) -> dict[str, ScaleTypes]:
    """Types of every Scale layer, by name; ``corrected``: the correction types by MAC layer name."""
    out: dict[str, ScaleTypes] = {}
    previous: ir.Layer | None = None
    for layer in model_ir.layers:
        if isinstance(layer, ir.Scale):
            source = corrected.get(previous.name) if previous is not None else None
            out[layer.name] = _types(layer, source.out if source is not None else layer.in_precision)
        previous = layer
    return out


def set_exact_scales(
    hls_model: Any, model_ir: ir.ModelIR, types: dict[str, ScaleTypes], names: dict[str, str]
) -> None:
    """Give every BatchNormalization node of ``hls_model`` the IR Scale's exact scale and shift.

    ``names`` maps IR (Keras) layer names to hls4ml's (:func:`toolkit.hlsgen.correction_graph.hls_names`).

    Raises ToolkitError if hls4ml removed or fused a BN that is not an identity, or would
    compute its product with anything but the exact ``nnet::product::mult``.
    """
    for layer in model_ir.layers:
        if not isinstance(layer, ir.Scale):
            continue
        node = hls_model.graph.get(names[layer.name])
        if node is None:
            if _is_identity(layer):
                continue  # hls4ml's remove_nop_batch_normalization: nothing to compute
            raise ToolkitError(
                f"hls4ml removed or fused BatchNormalization {layer.name!r}; the toolkit deploys it as an exact "
                "scale and shift, so every layer before it needs an explicit result type"
            )
        if node.class_name != "BatchNormalization":
            raise ToolkitError(
                f"layer {layer.name!r} is a Scale in the IR but hls4ml made it a {node.class_name}; "
                "expected a BatchNormalization"
            )
        scale, shift = layer.to_float()
        for key, values in (("scale", scale), ("bias", shift)):
            size = node.weights[key].data.size
            if size != values.size:
                raise ToolkitError(
                    f"BatchNormalization {layer.name!r}: hls4ml expects {size} {key} values, the IR has "
                    f"{values.size} (one per channel of the last axis)"
                )
            _replace_data(node.weights[key], values)
        _check_types(node, types[layer.name])


def _types(layer: ir.Scale, source: Precision) -> ScaleTypes:
    if source == layer.in_precision:
        result = layer.out_precision
    else:
        if source.frac != layer.in_precision.frac:
            raise ToolkitError(
                f"Scale {layer.name!r}: its input arrives with {source.frac} fraction bits, the IR expects "
                f"{layer.in_precision.frac}"
            )
        ends = [int(s) * code + int(b) for s, b in zip(layer.scale, layer.shift, strict=True)
                for code in (source.min_code, source.max_code)]  # fmt: skip
        result = Precision.for_range(
            min(*ends, layer.out_precision.min_code),
            max(*ends, layer.out_precision.max_code),
            layer.out_precision.frac,
        )
    return ScaleTypes(layer.name, source, layer.scale_precision, result)


def _replace_data(var: Any, values: np.ndarray) -> None:
    """Swap a converted weight variable's values, keeping its type (and so its print format)."""
    data = np.asarray(values, dtype=np.float64).reshape(var.data.shape)
    var.data = var.data_unquantized = data
    var.min, var.max = np.min(data), np.max(data)
    var.nonzeros = int(np.count_nonzero(data))
    var.nzeros = var.data_length - var.nonzeros


def _is_identity(layer: ir.Scale) -> bool:
    scale, shift = layer.to_float()
    return bool(np.all(scale == 1.0) and np.all(shift == 0.0))


def _check_types(node: Any, types: ScaleTypes) -> None:
    """The node's scale/bias/result types and product are the exact ones (a config slip would round)."""
    expected = {key: precision.hls_type() for key, precision in types.config().items()}
    got = {
        "scale": node.weights["scale"].type.precision.definition_cpp(),
        "bias": node.weights["bias"].type.precision.definition_cpp(),
        "result": node.get_output_variable().type.precision.definition_cpp(),
    }
    if _canonical(got) != _canonical(expected):
        raise ToolkitError(
            f"BatchNormalization {node.name!r}: hls4ml types {got} differ from the exact ones {expected}"
        )
    config = node.get_attr("config_cpp") or ""
    if _EXACT_PRODUCT not in config:
        raise ToolkitError(
            f"BatchNormalization {node.name!r}: its product is not the exact nnet::product::mult "
            f"(config: {config.strip()!r}); an approximate or special product must never apply to a scale"
        )


def _canonical(types: dict[str, str]) -> dict[str, str]:
    return {k: v.replace(" ", "") for k, v in types.items()}
