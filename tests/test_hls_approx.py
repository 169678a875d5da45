"""Approximate products in hls4ml C-simulation == the emulator, bit for bit, for every family.

Every family of the registry (its first catalogue design at the layer's widths) runs on
digits-cnn (Conv2D + Dense) with the Vivado backend, io_parallel, Latency; mixed plans
cover io_stream, the Resource strategy, the Vitis backend and Conv1D with signed inputs.
"""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator
from toolkit.hlsgen.csim import HlsCSim
from toolkit.multipliers import FAMILIES, list_designs
from toolkit.plan import operand_tag, plan_from_json

pytestmark = pytest.mark.slow
# Valid designs for families the catalogue leaves out at narrow widths (Ax-BxP needs N >= 2 blocks).
FALLBACK = {"bxps": "bxps2l1", "bxpd": "bxpd2l1"}


def _plan(model_ir, families):
    layers = []
    for i, layer in enumerate(model_ir.mac_layers()):
        family = families[i % len(families)]
        a, w = layer.in_precision, layer.weight_precision
        designs = list_designs(
            a_bits=a.width, w_bits=w.width, a_signed=a.signed, w_signed=w.signed, family=family
        )
        name = designs[0].name if designs else f"{FALLBACK[family]}_{operand_tag(layer)}"
        layers.append({"name": layer.name, "multiplier": name})
    return plan_from_json({"format": "toolkit-plan", "version": 1, "layers": layers}, model_ir)


def _check(entry, plan, tmp_path, **kwargs):
    x = np.concatenate([entry["data"].x_test, entry["data"].x_test[:32] * 6.0 - 1.0])  # + saturating inputs
    codes = Emulator(entry["ir"]).quantize_input(x)
    expected = Emulator(entry["ir"], plan.kernels()).predict_codes(codes)
    csim = HlsCSim(entry["ir"], entry["deploy"], tmp_path / "hls", plan=plan, **kwargs)
    np.testing.assert_array_equal(csim.predict_codes(codes), expected)
    return expected


FAMILY_GROUPS = [list(FAMILIES)[i : i + 3] for i in range(0, len(FAMILIES), 3)]


@pytest.mark.parametrize("families", FAMILY_GROUPS, ids=["+".join(g) for g in FAMILY_GROUPS])
def test_every_family_in_csim(zoo_models, families, tmp_path):
    entry = zoo_models["digits-cnn"]
    _check(entry, _plan(entry["ir"], families), tmp_path)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"io_type": "io_stream"},
        {"strategy": "Resource"},
        {"backend": "Vitis"},
    ],
    ids=["io_stream", "resource", "vitis"],
)
def test_mixed_plan_other_configurations(zoo_models, kwargs, tmp_path):
    entry = zoo_models["digits-cnn"]
    plan = _plan(entry["ir"], ["trunc", "drum", "bxpd"])
    expected = _check(entry, plan, tmp_path, **kwargs)
    exact = Emulator(entry["ir"]).predict_codes(Emulator(entry["ir"]).quantize_input(entry["data"].x_test))
    assert (expected[: len(exact)] != exact).any(), "the plan must actually change the outputs"


def test_conv1d_with_signed_inputs(zoo_models, tmp_path):
    entry = zoo_models["mnist1d-cnn"]
    plan = _plan(entry["ir"], ["trunc", "mitchell", "perfw", "bam"])
    assert operand_tag(entry["ir"].mac_layers()[0]).startswith("s")
    _check(entry, plan, tmp_path)
