"""The energy model of the selection, in one place (modelled, relative units).

Unit: one "LUT switch", the switching energy of one 7-series LUT output toggling once.

* One product of ``design``: ``energy_proxy(design) * LUTs(exact multiplier at the same
  widths)``. The proxy (from the committed yosys + netlist-simulation table) is the
  toggle-weighted LUT count relative to exact of the same widths, so multiplying by the
  exact design's LUT count puts designs of different widths on one scale.
* A layer: ``MACs * E_product``.
* Control-variate overhead per inference: at every output position the activation sum
  V (``fan_in`` additions of a ``b_a + ceil(log2 fan_in)``-bit adder, one LUT per bit,
  shared by all filters) and, per output, one ``c * V`` multiply-add with ``c`` of
  ``frac_bits + 4`` bits (an array multiplier of ``p x q`` bits ~ ``p * q / 2`` LUTs).
  Bias-only correction is a constant folded into the bias: no overhead.
* Layers wider than the library (8 bits) stay exact: ``b_a * b_w / 2`` LUTs per product.

These are first-order models (no routing, no glitches, no memory traffic); they rank
candidates. Measured power comes from the RTL and the board.
"""

from __future__ import annotations

import math
from typing import Any

from toolkit.emulator.control_variate import DEFAULT_FRAC_BITS
from toolkit.select.candidates import Candidate
from toolkit.select.profile import LayerProfile

CV_CONSTANT_EXTRA_BITS = 4


def product_energy(design: Any) -> float:
    """Energy of one product of ``design`` in LUT switches."""
    from toolkit.multipliers import make_design
    from toolkit.multipliers.cost import design_cost

    exact = make_design("exact", design.a_bits, design.w_bits, design.a_signed, design.w_signed)
    return float(design_cost(design)["energy_proxy"]) * float(design_cost(exact)["luts"])


def cv_overhead(profile: LayerProfile) -> float:
    """Energy per inference of the control-variate hardware of one layer."""
    a_bits = int(math.log2(len(profile.a_codes)))
    v_bits = a_bits + math.ceil(math.log2(max(profile.fan_in, 2)))
    positions = profile.outputs_per_sample // profile.n_out
    accumulate = positions * profile.fan_in * v_bits
    multiply_add = profile.outputs_per_sample * (
        (DEFAULT_FRAC_BITS + CV_CONSTANT_EXTRA_BITS) * v_bits / 2 + v_bits
    )
    return float(accumulate + multiply_add)


def candidate_energy(candidate: Candidate, profile: LayerProfile) -> float:
    """Energy per inference of a layer computed with ``candidate``."""
    if candidate.design is None:
        a_bits = math.log2(len(profile.a_codes))
        w_bits = math.log2(len(profile.w_codes))
        return profile.macs * a_bits * w_bits / 2
    energy = profile.macs * product_energy(candidate.design)
    if candidate.correction == "cv":
        energy += cv_overhead(profile)
    return energy
