"""Symmetric kernels (``quantized_bits(..., symmetric=1)``, codes -7..7 at 4 bits) through the selection.

Their weights occupy 4 bits although the lowest code never occurs: the histograms must line up
with the 4-bit multiplier tables (this used to crash ``toolkit approx`` with a broadcast error).
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def symmetric_model():
    import tensorflow as tf
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers, models

    tf.keras.utils.set_random_seed(0)
    inputs = layers.Input((16,))
    x = QActivation("quantized_relu(4,0)")(inputs)
    x = QDense(12, kernel_quantizer="quantized_bits(4,0,alpha=1,symmetric=1)", bias_quantizer="quantized_bits(8,3,alpha=1)")(x)  # fmt: skip
    x = QActivation("quantized_relu(4,2)")(x)
    outputs = QDense(3, kernel_quantizer="quantized_bits(4,0,alpha=1)", bias_quantizer="quantized_bits(8,3,alpha=1)")(x)  # fmt: skip
    return models.Model(inputs, outputs)


def test_symmetric_kernels_get_4_bit_candidates(symmetric_model) -> None:
    from toolkit.models.reader import read_model
    from toolkit.select.candidates import layer_candidates, residual_moments
    from toolkit.select.profile import profile_model

    model_ir, _ = read_model(symmetric_model)
    x = np.random.default_rng(1).uniform(0, 1, (128, 16)).astype(np.float32)
    profiles = profile_model(model_ir, x)
    first = profiles[model_ir.mac_layers()[0].name]
    assert first.w_codes[0] == -8 and len(first.w_codes) == 16 and first.p_w[0] == 0.0
    assert first.p_w.sum() == pytest.approx(1.0)
    candidates = layer_candidates(first, None, ("none", "cv"))
    approximate = [c for c in candidates if not c.is_exact]
    assert approximate and all(c.design.w_bits == 4 for c in approximate)
    for c in approximate:
        mean, var = residual_moments(c.design, first.p_a, first.p_w, c.correction)
        assert np.isfinite(mean) and np.isfinite(var) and var >= 0


def test_selection_runs_on_a_symmetric_kernel_model(symmetric_model, tmp_path) -> None:
    import toolkit

    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (400, 16)).astype(np.float32)
    y = np.argmax(symmetric_model.predict(x, verbose=0), axis=1)  # the model's own classes: learnable
    selection = toolkit.select(symmetric_model, (x, y), budget=50.0, out=tmp_path)
    assert (tmp_path / "plan.json").exists()
    assert selection.plan_hash
