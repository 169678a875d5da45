"""The emulator against QKeras predict: exact on every zoo model and every supported layer type."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import ZOO_NAMES
from tests.layer_models import LAYER_MODELS, build
from toolkit.emulator.engine import Emulator
from toolkit.models.reader import read_model


@pytest.mark.parametrize("name", ZOO_NAMES)
def test_zoo_model_matches_qkeras_exactly(zoo_models, name):
    entry = zoo_models[name]
    x = entry["data"].x_test
    expected = entry["model"].predict(x, verbose=0).astype(np.float64)
    np.testing.assert_array_equal(Emulator(entry["ir"]).predict(x), expected)


@pytest.mark.parametrize("name", ZOO_NAMES)
def test_zoo_model_matches_qkeras_under_saturation(zoo_models, name):
    entry = zoo_models[name]
    x = entry["data"].x_test[:64] * 6.0 - 1.0  # far outside the input quantizer's range
    expected = entry["model"].predict(x, verbose=0).astype(np.float64)
    emulator = Emulator(entry["ir"])
    codes = emulator.quantize_input(x)
    precision = entry["ir"].input_precision
    assert (codes == precision.max_code).any(), "inputs must reach the upper rail"
    np.testing.assert_array_equal(emulator.predict(x), expected)


@pytest.mark.parametrize("name", sorted(LAYER_MODELS))
def test_layer_model_matches_qkeras_exactly(name):
    model, x = build(name)
    model_ir, deploy = read_model(model)
    expected = deploy.predict(x, verbose=0).astype(np.float64)
    np.testing.assert_array_equal(Emulator(model_ir).predict(x), expected)


@pytest.mark.parametrize("name", sorted(LAYER_MODELS))
def test_layer_models_saturate_inside(name):
    """The per-layer models really exercise both rails of some internal quantizer."""
    model, x = build(name)
    model_ir, _ = read_model(model)
    trace = Emulator(model_ir).trace(Emulator(model_ir).quantize_input(x))
    hits = [
        layer.name
        for layer in model_ir.layers
        if layer.kind == "Quantize" and (trace[layer.name] == layer.out_precision.max_code).any()
    ]
    assert hits, f"no quantizer of {name} reaches its upper rail"


def test_batchnorm_fold_stays_close_to_original():
    """Folding moves quantization points, but the folded model must still compute the same function."""
    model, x = build("conv2d_pool_bn")
    _, deploy = read_model(model, fold_batchnorm=True)
    x = x[10:] / 8  # in range: compare the functions, not the rails
    original = model.predict(x, verbose=0).argmax(1)
    folded = deploy.predict(x, verbose=0).argmax(1)
    assert np.mean(original == folded) > 0.8


def test_batched_and_unbatched_agree(zoo_models):
    entry = zoo_models["digits-cnn"]
    codes = Emulator(entry["ir"]).quantize_input(entry["data"].x_test)
    whole = Emulator(entry["ir"], batch_size=10_000).predict_codes(codes)
    pieces = Emulator(entry["ir"], batch_size=7).predict_codes(codes)
    np.testing.assert_array_equal(whole, pieces)
