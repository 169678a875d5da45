"""MAC bit-operations: ``sum_l MACs_l * bw_l * ba_l``, the method's hardware cost estimate.

``bw_l`` is the weight width and ``ba_l`` the input activation width of MAC layer
``l``, both read from the IR (what the accelerator really multiplies). The uniform
baselines use the MAC counts of the *start* network (unpruned), so pruning shows up
as a reduction too, as in the paper's comparison against the 16-bit unpruned model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def layer_bitops(model_ir: Any) -> list[dict]:
    """Per MAC layer: name, MACs, weight bits, activation bits, bit-operations."""
    rows = []
    for layer in model_ir.mac_layers():
        bw, ba = layer.weight_precision.width, layer.in_precision.width
        rows.append(
            {"name": layer.name, "macs": layer.macs, "bw": bw, "ba": ba, "bitops": layer.macs * bw * ba}
        )
    return rows


def uniform_bitops(macs: Mapping[str, int], bits: int) -> int:
    """Bit-operations of the same layers with every operand at ``bits`` bits."""
    return sum(int(m) * bits * bits for m in macs.values())


def cost_summary(model_ir: Any, start_macs: Mapping[str, int]) -> dict:
    """The result's bit-operations against uniform 16- and 8-bit versions of the start network."""
    rows = layer_bitops(model_ir)
    total = sum(r["bitops"] for r in rows)
    u16, u8 = uniform_bitops(start_macs, 16), uniform_bitops(start_macs, 8)
    return {
        "bitops": total,
        "macs": sum(r["macs"] for r in rows),
        "macs_start": sum(int(m) for m in start_macs.values()),
        "bitops_uniform16": u16,
        "bitops_uniform8": u8,
        "reduction_vs_uniform16": u16 / total if total else None,
        "reduction_vs_uniform8": u8 / total if total else None,
        "layers": rows,
    }
