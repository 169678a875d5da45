"""Control-variate correction: closed form, integer application, and its effect on real activations."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.emulator.approx import ApproxProduct
from toolkit.emulator.control_variate import CorrectedProduct, Correction, fit_correction, line_fit
from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.multipliers import get_design


@pytest.mark.parametrize("name, m", [("perfw1_u4s4", 1), ("perfw2_u4s4", 2), ("perfw2_u8s8", 2)])
def test_weight_perforation_fit_is_the_closed_form(name, m):
    design = get_design(name)
    alpha, beta = line_fit(design)
    w = design.w_codes
    np.testing.assert_allclose(alpha, -np.sign(w) * (np.abs(w) % (1 << m)), atol=1e-9)
    np.testing.assert_allclose(beta, 0, atol=1e-9)


def test_correction_is_integer_add_and_shift():
    corr = Correction("cv", 4, np.array([3, -5]), np.array([8, -40]), "test")
    sums = np.array([[100, 100]])
    v = np.array([7])
    # (7*3 + 8 + 8) >> 4 = 37 >> 4 = 2 ; (7*-5 - 40 + 8) >> 4 = -67 >> 4 = -5
    np.testing.assert_array_equal(corr.apply(sums, v), [[98, 105]])


def _layer_rows(entry, layer_name, x):
    emulator = Emulator(entry["ir"])
    return emulator.mac_operands(emulator.quantize_input(x), layer_name)


CASES = [("digits-cnn", "conv1"), ("digits-cnn", "conv2"), ("mnist1d-cnn", "conv2"), ("digits-mlp", "fc1")]


def _mse_by_mode(zoo_models, model, layer, family):
    entry = zoo_models[model]
    design = get_design(f"{family}_{_tag(entry['ir'].layer(layer))}")
    w = entry["ir"].layer(layer).weight_matrix()
    # Constants from the training split's activation histogram; errors measured on the test split.
    calibration = _layer_rows(entry, layer, entry["data"].x_train[:500])
    p_a = (
        np.bincount(calibration.ravel() - design.a_codes[0], minlength=len(design.a_codes)) / calibration.size
    )
    rows = _layer_rows(entry, layer, entry["data"].x_test)
    raw = ApproxProduct(design).matmul(rows, w) - rows @ w
    bias = fit_correction(design, w, "bias", p_a)
    cv = fit_correction(design, w, "cv", p_a)
    e_bias = CorrectedProduct(ApproxProduct(design), bias).matmul(rows, w) - rows @ w
    e_cv = CorrectedProduct(ApproxProduct(design), cv).matmul(rows, w) - rows @ w
    return {
        k: float(np.mean(e.astype(float) ** 2)) for k, e in (("none", raw), ("bias", e_bias), ("cv", e_cv))
    }


@pytest.mark.parametrize("model, layer", CASES)
@pytest.mark.parametrize("family", ["perfw2", "trunc4", "drum2"])
def test_corrections_reduce_error_on_real_activations(zoo_models, model, layer, family):
    """Fitted on the training split, measured on the test split: bias-only helps, CV never hurts."""
    mse = _mse_by_mode(zoo_models, model, layer, family)
    assert mse["bias"] < 0.95 * mse["none"], mse
    assert mse["cv"] <= 1.01 * mse["bias"], mse


@pytest.mark.parametrize("family", ["perfw2", "trunc4", "drum2"])
def test_cv_beats_bias_only_where_the_activation_sum_varies(zoo_models, family):
    """On the input layer (raw pixels, V varies widely) the run-time term carries real information."""
    mse = _mse_by_mode(zoo_models, "digits-cnn", "conv1", family)
    assert mse["cv"] < 0.75 * mse["bias"], mse


def _tag(layer):
    from toolkit.plan import operand_tag

    return operand_tag(layer)


def test_correction_json_round_trip_and_errors():
    corr = fit_correction(get_design("trunc2_u4s4"), np.array([[1, -3], [7, 0]]), "cv")
    again = Correction.from_json(corr.to_json(), 2, "here")
    np.testing.assert_array_equal(again.c, corr.c)
    np.testing.assert_array_equal(again.d, corr.d)
    with pytest.raises(ToolkitError, match="the layer has 3 outputs"):
        Correction.from_json(corr.to_json(), 3, "here")
    with pytest.raises(ToolkitError, match="expected cv or bias"):
        fit_correction(get_design("trunc2_u4s4"), np.zeros((2, 2), np.int64), "magic")
