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
  ``frac_bits + 4`` bits: an exact signed ``p x q`` multiplier as the cost table's yosys
  flow maps it, i.e. the table's exact s8 x s8 LUTs per partial-product bit (161 / 64)
  times ``p * q``, plus a ``q``-bit add (:func:`correction_luts`). The generated RTL's
  correction (``tk_mac_post.v``, CV=1 less CV=0, same flow) synthesises to 224 / 293 LUTs
  at 9 x 9 / 12 x 9 bits, against 213 / 281 from this formula (tests/test_select_energy.py);
  the earlier ``p * q / 2`` guess was a fifth of that.
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


def correction_luts(c_bits: int, v_bits: int) -> float:
    """LUTs of one ``c * V`` multiply-add: exact signed multiplier LUTs per partial-product bit
    (the cost table's exact s8 x s8, the widest it holds) times ``c_bits * v_bits``, plus the add."""
    from toolkit.multipliers import make_design
    from toolkit.multipliers.cost import design_cost

    per_bit = float(design_cost(make_design("exact", 8, 8, True, True))["luts"]) / 64
    return per_bit * c_bits * v_bits + v_bits


def cv_overhead(profile: LayerProfile) -> float:
    """Energy per inference of the control-variate hardware of one layer."""
    a_bits = int(math.log2(len(profile.a_codes)))
    v_bits = a_bits + math.ceil(math.log2(max(profile.fan_in, 2)))
    positions = profile.outputs_per_sample // profile.n_out
    accumulate = positions * profile.fan_in * v_bits
    multiply_add = profile.outputs_per_sample * correction_luts(
        DEFAULT_FRAC_BITS + CV_CONSTANT_EXTRA_BITS, v_bits
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
