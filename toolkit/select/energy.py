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
  ``frac_bits + 4`` bits (:func:`multiply_add_energy`). The generated RTL computes it in
  ``tk_mac_post.v`` with one exact signed multiplier per layer, so its energy is that of an
  exact ``p x q`` multiplier priced like the products: the cost table's exact s8 x s8 cell
  toggles per partial-product bit (its netlist simulation) times ``p * q``, in the layer's
  unit (its exact product's LUTs per toggle), plus a ``q``-bit add. (yosys maps the RTL's
  correction to 2.5-2.8 LUTs per partial-product bit, as the table's exact s8 x s8: 293 LUTs
  at 12 x 9 bits; the earlier ``p * q / 2`` LUTs was a fifth of that. The RTL attribution,
  benchmarks/energy_attribution.py, puts the correction at 9-26 % of the exact layer's
  product energy where this gives 16-27 % and ``p * q / 2`` gave 7-12 %.)
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


def multiply_add_energy(c_bits: int, v_bits: int, profile: LayerProfile) -> float:
    """Energy of one ``c * V`` multiply-add in ``profile``'s layer, in the unit of its products."""
    from toolkit.multipliers import make_design
    from toolkit.multipliers.cost import cost_table

    table = cost_table()
    wide = table[make_design("exact", 8, 8, True, True).name]
    toggles = wide["toggles"] / 64 * c_bits * v_bits  # cell toggles per operation
    a, w = profile.a_codes, profile.w_codes
    exact = table[
        make_design("exact", int(math.log2(len(a))), int(math.log2(len(w))), a[0] < 0, w[0] < 0).name
    ]
    return toggles * exact["luts"] / exact["toggles"] + v_bits


def cv_overhead(profile: LayerProfile) -> float:
    """Energy per inference of the control-variate hardware of one layer."""
    a_bits = int(math.log2(len(profile.a_codes)))
    v_bits = a_bits + math.ceil(math.log2(max(profile.fan_in, 2)))
    positions = profile.outputs_per_sample // profile.n_out
    accumulate = positions * profile.fan_in * v_bits
    c_bits = DEFAULT_FRAC_BITS + CV_CONSTANT_EXTRA_BITS
    multiply_add = profile.outputs_per_sample * multiply_add_energy(c_bits, v_bits, profile)
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
