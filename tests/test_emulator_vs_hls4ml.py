"""The emulator against hls4ml C-simulation (Vivado backend, io_parallel), with IR-derived types.

Each hls4ml compile takes ~10 s of g++; these tests are marked slow but run in CI.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import ZOO_NAMES
from tests.layer_models import LAYER_MODELS, build
from toolkit.emulator.engine import Emulator
from toolkit.hlsgen.csim import HlsCSim
from toolkit.models.reader import read_model

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ZOO_NAMES)
def test_zoo_model_csim_matches_emulator(zoo_models, name, tmp_path):
    entry = zoo_models[name]
    emulator = Emulator(entry["ir"])
    x = np.concatenate([entry["data"].x_test, entry["data"].x_test[:32] * 6.0 - 1.0])  # + saturating inputs
    codes = emulator.quantize_input(x)
    csim = HlsCSim(entry["ir"], entry["deploy"], tmp_path / "hls")
    np.testing.assert_array_equal(csim.predict_codes(codes), emulator.predict_codes(codes))


@pytest.mark.parametrize("name", sorted(LAYER_MODELS))
def test_layer_model_csim_matches_emulator(name, tmp_path):
    model, x = build(name)
    model_ir, deploy = read_model(model)
    emulator = Emulator(model_ir)
    codes = emulator.quantize_input(x)
    csim = HlsCSim(model_ir, deploy, tmp_path / "hls")
    np.testing.assert_array_equal(csim.predict_codes(codes), emulator.predict_codes(codes))


def test_unknown_backend_is_a_clear_error(zoo_models, tmp_path):
    from toolkit.errors import ToolkitError

    entry = zoo_models["digits-mlp"]
    with pytest.raises(ToolkitError, match="backend 'Quartus2' is unknown: expected one of Vivado, Vitis"):
        HlsCSim(entry["ir"], entry["deploy"], tmp_path, backend="Quartus2")
