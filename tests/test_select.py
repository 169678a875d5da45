"""FAMES selection pieces: error moments, the ILP, sensitivity statistics, and the search."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator
from toolkit.multipliers import get_design
from toolkit.select import ilp
from toolkit.select.candidates import residual_moments
from toolkit.select.profile import profile_model

DESIGNS = ["trunc4_u4s4", "drum2_u4s4", "perfw2_u4s4", "mitchell_u4s4"]


def _real_operands(entry, n=200):
    emulator = Emulator(entry["ir"])
    rows = emulator.mac_operands(emulator.quantize_input(entry["data"].x_train[:n]), "conv2")
    return rows, entry["ir"].layer("conv2").weight_matrix()


@pytest.mark.parametrize("design_name", DESIGNS)
def test_raw_moments_equal_monte_carlo_over_real_operands(zoo_models, design_name):
    """Histogram moments == the moments over every pairing of real activations with real weights."""
    rows, w = _real_operands(zoo_models["digits-cnn"])
    design = get_design(design_name)
    a = rows.ravel()[:: max(1, rows.size // 4000)]
    a_idx, w_idx = a - design.a_codes[0], w.ravel() - design.w_codes[0]
    e = design.error_table()[a_idx[:, None], w_idx[None, :]].astype(np.float64)
    p_a = np.bincount(a_idx, minlength=len(design.a_codes)) / a.size
    p_w = np.bincount(w_idx, minlength=len(design.w_codes)) / w_idx.size
    np.testing.assert_allclose([e.mean(), e.var()], residual_moments(design, p_a, p_w, "none"), rtol=1e-9)


@pytest.mark.parametrize("design_name", DESIGNS)
@pytest.mark.parametrize("correction", ["bias", "cv"])
def test_corrected_moments_predict_the_sum_residual(zoo_models, design_name, correction):
    """Monte Carlo over the layer's real filters with activations drawn from real operands: the
    residual of the corrected sum has mean ~0 and variance ~K var."""
    from toolkit.emulator.control_variate import fit_correction

    rows, w = _real_operands(zoo_models["digits-cnn"])
    design = get_design(design_name)
    p_a = np.bincount(rows.ravel() - design.a_codes[0], minlength=len(design.a_codes)) / rows.size
    p_w = np.bincount(w.ravel() - design.w_codes[0], minlength=len(design.w_codes)) / w.size
    _, var = residual_moments(design, p_a, p_w, correction)
    corr = fit_correction(design, w, correction, p_a, frac_bits=20)  # fine constants: test the model
    rng = np.random.default_rng(0)
    a = rng.choice(rows.ravel(), size=(4000, w.shape[0]))  # iid activations from the real pool
    err = design.error_table()[(a - design.a_codes[0])[:, :, None], (w - design.w_codes[0])[None]].sum(axis=1)
    residual = err - (a.sum(1)[:, None] * corr.c[None, :] + corr.d[None, :]) / 2.0**20
    k = w.shape[0]
    assert abs(residual.mean()) < 0.05 * np.sqrt(k * var) + 0.5
    assert residual.var() == pytest.approx(k * var, rel=0.15)


def test_cv_never_leaves_more_than_bias_only():
    for name in DESIGNS:
        design = get_design(name)
        p_a = np.r_[0.6, np.full(15, 0.4 / 15)]  # mostly zeros, as after a ReLU
        p_w = np.full(16, 1 / 16)
        m0, v0 = residual_moments(design, p_a, p_w, "none")
        _, vb = residual_moments(design, p_a, p_w, "bias")
        _, vc = residual_moments(design, p_a, p_w, "cv")
        assert vc <= vb <= v0 + 1e-12


@pytest.mark.parametrize("seed", range(6))
def test_ilp_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    energy = [rng.uniform(1, 10, rng.integers(2, 6)) for _ in range(4)]
    omega = [np.r_[0.0, rng.uniform(0, 1, len(e) - 1)] for e in energy]
    for e in energy:
        e[0] = 20.0  # the exact candidate: no perturbation, most energy
    for budget in (0.0, 0.3, 1.0, 2.5, 10.0):
        got, want = ilp.solve(energy, omega, budget), ilp.brute_force(energy, omega, budget)
        total = lambda ch: sum(e[i] for e, i in zip(energy, ch, strict=True))  # noqa: E731
        assert got is not None and want is not None
        assert abs(total(got) - total(want)) < 1e-9
        assert sum(o[i] for o, i in zip(omega, got, strict=True)) <= budget + 1e-9


def test_ilp_reports_infeasible():
    assert ilp.solve([np.array([1.0, 2.0])], [np.array([1.0, 2.0])], 0.5) is None


def test_profile_histograms(zoo_models):
    entry = zoo_models["digits-mlp"]
    profiles = profile_model(entry["ir"], entry["data"].x_train[:100])
    fc1 = profiles["fc1"]
    assert fc1.p_a.shape == (16,) and np.isclose(fc1.p_a.sum(), 1) and np.isclose(fc1.p_w.sum(), 1)
    assert fc1.fan_in == 64 and fc1.n_out == 32 and fc1.macs == 64 * 32 and fc1.approximable


def test_gradient_statistics_methods_agree_in_order(zoo_models):
    from toolkit.select.sensitivity import gradient_statistics

    entry = zoo_models["digits-cnn"]
    names = [layer.name for layer in entry["ir"].mac_layers()]
    x, y = entry["data"].x_train[:128], entry["data"].y_train[:128]
    hutch = gradient_statistics(entry["deploy"], names, x, y, method="hutchinson", probes=16)
    fisher = gradient_statistics(entry["deploy"], names, x, y, method="fisher")
    assert all(hutch[n].hessian_trace > 0 and fisher[n].hessian_trace > 0 for n in names)
    rank = lambda s: sorted(names, key=lambda n: s[n].hessian_trace)  # noqa: E731
    assert rank(hutch) == rank(fisher)
    assert hutch[names[0]].grad_sum == pytest.approx(fisher[names[0]].grad_sum)
