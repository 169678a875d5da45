"""The selection's energy model of the control-variate hardware against the generated RTL's correction."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.multipliers import get_design
from toolkit.multipliers.cost import cost_table
from toolkit.resources import hls_dir
from toolkit.select.candidates import Candidate
from toolkit.select.energy import candidate_energy, cv_overhead, multiply_add_energy, product_energy
from toolkit.select.profile import LayerProfile


def dense_profile(fan_in: int = 32, n_out: int = 10) -> LayerProfile:
    """A 4-bit Dense layer's sizes (the histograms do not enter the energy)."""
    a, w = np.arange(16), np.arange(-8, 8)
    return LayerProfile(name="fc", a_codes=a, p_a=np.full(16, 1 / 16), w_codes=w, p_w=np.full(16, 1 / 16),
                        fan_in=fan_in, n_out=n_out, macs=fan_in * n_out, outputs_per_sample=n_out,
                        product_scale=1.0, approximable=True)  # fmt: skip


def test_cv_overhead_is_the_activation_sum_and_one_exact_multiply_add_per_output() -> None:
    p = dense_profile()
    v_bits = 4 + 5  # 4-bit activations, 32 of them
    assert cv_overhead(p) == pytest.approx(32 * v_bits + 10 * multiply_add_energy(12, v_bits, p))
    wide, unit = cost_table()["exact_s8s8"], cost_table()["exact_u4s4"]  # toggles -> the layer's unit
    toggles = wide["toggles"] / 64 * 12 * v_bits
    assert multiply_add_energy(12, v_bits, p) == pytest.approx(
        toggles * unit["luts"] / unit["toggles"] + v_bits
    )
    assert 150 < multiply_add_energy(12, v_bits, p) < 200  # p * q / 2 + q = 63 before: a third of this


def test_cv_costs_energy_but_keeps_the_ordering_on_a_small_layer() -> None:
    """exact > approximate + cv > approximate, as the RTL attribution of digits-mlp's fc2 has it
    (benchmarks/results/energy_attribution.json: products + correction, modelled)."""
    p, design = dense_profile(), get_design("bperfw1_u4s4")
    exact, cv, plain = (candidate_energy(Candidate("fc", d, c, 0.0, 0.0), p)
                        for d, c in ((get_design("exact_u4s4"), "none"), (design, "cv"), (design, "none")))  # fmt: skip
    assert exact > cv > plain
    assert plain == pytest.approx(p.macs * product_energy(design))
    assert cv - plain == pytest.approx(cv_overhead(p))


@pytest.mark.yosys
def test_the_rtl_correction_is_an_exact_multiplier_of_the_tables_density(tmp_path) -> None:
    """What the formula prices the correction as: tk_mac_post with CV=1 at 12 x 9 bits, synthesised
    by the cost table's flow, has the LUTs per partial-product bit of the table's exact s8 x s8
    (306 LUTs with yosys 0.23, 13 of them the alignment and bias add that CV=0 has too)."""
    from toolkit.rtlgen.area import cell_counts

    params = {"SUM_BITS": 13, "V_BITS": 9, "B_BITS": 4, "C_BITS": 12, "D_BITS": 2, "X_BITS": 23,
              "OUT_BITS": 14, "CV": 1, "CV_FRAC": 8}  # fmt: skip
    sets = " ".join(f"-set {k} {v}" for k, v in params.items())
    flow = f"chparam {sets} tk_mac_post; synth_xilinx -family xc7 -nodsp -noiopad -top tk_mac_post"
    cells = cell_counts([str(hls_dir("rtl") / "tk_mac_post.v")], flow, tmp_path, "tk_mac_post")
    (module,) = [m for m in cells if m.endswith("tk_mac_post")]
    luts = sum(n for cell, n in cells[module].items() if cell.startswith("LUT"))
    assert cost_table()["exact_s8s8"]["luts"] / 64 * 12 * 9 == pytest.approx(luts, rel=0.15)
