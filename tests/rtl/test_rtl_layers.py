"""Every supported layer type in RTL, with inputs that force rounding ties and both
saturation rails, exact and with approximate products + control variate."""

from __future__ import annotations

import numpy as np
import pytest

from tests.layer_models import LAYER_MODELS, build
from toolkit.emulator.engine import Emulator
from toolkit.models import ir
from toolkit.models.reader import read_model
from toolkit.plan import plan_from_json
from toolkit.rtlgen import RtlDevice, generate
from toolkit.rtlgen import build as build_rtl

pytestmark = pytest.mark.verilator


def _approx_plan(model_ir: ir.ModelIR) -> dict:
    layers = []
    for layer in model_ir.mac_layers():
        a, w = layer.in_precision, layer.weight_precision
        if 2 <= a.width <= 8 and 2 <= w.width <= 8:
            layers.append(
                {"name": layer.name, "multiplier": "trunc2", "correction": "cv" if not layers else "none"}
            )
    return {"format": "toolkit-plan", "version": 1, "layers": layers}


@pytest.mark.parametrize("name", sorted(LAYER_MODELS))
@pytest.mark.parametrize("approx", [False, True], ids=["exact", "trunc2+cv"])
def test_layer_model_saturating_inputs(name: str, approx: bool) -> None:
    model, x = build(name)
    model_ir, _ = read_model(model)
    plan = plan_from_json(_approx_plan(model_ir), model_ir) if approx else None
    if approx and not plan.layers:
        pytest.skip(f"{name}: no MAC layer within the multiplier library's 2..8-bit operands")
    emulator = Emulator(model_ir, plan.kernels() if plan else None)
    codes = emulator.quantize_input(x)
    # the inputs do reach both rails of some requantization
    trace = emulator.trace(codes)
    rails = [
        (trace[layer.name] == layer.out_precision.max_code).any()
        and (trace[layer.name] == layer.out_precision.min_code).any()
        for layer in model_ir.layers
        if isinstance(layer, ir.Quantize)
    ]
    assert any(rails)
    design = generate(model_ir, plan, fold=2)
    with RtlDevice(design, build_rtl(design, activity=False)) as device:
        result = device.predict_codes(codes, stall_in=0.2, stall_out=0.2, seed=len(name))
    np.testing.assert_array_equal(result.codes, emulator.predict_codes(codes))
