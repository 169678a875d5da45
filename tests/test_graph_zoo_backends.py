"""The graph zoo models (a 1-D ResNet, a DS-CNN) through every backend on their full test sets:
hls4ml C-sim and the generated RTL equal the emulator on every sample, exact and with an
approximate plan that corrects a residual conv and a depthwise layer with control variates."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator
from toolkit.plan import plan_from_json

PLANS = {
    "mnist1d-resnet": [("stem", "trunc2", "none"), ("block1_conv1", "trunc2", "cv"),
                       ("block2_conv2", "perfa1", "bias"), ("fc", "drum2", "none")],
    "digits-dscnn": [("stem", "trunc2", "cv"), ("dw1", "trunc2", "cv"), ("pw1", "mitchell", "none"),
                     ("dw2", "perfa1", "bias"), ("fc", "trunc3", "none")],
}  # fmt: skip
IO_TYPES = {"mnist1d-resnet": "io_stream", "digits-dscnn": "io_parallel"}


def _model(name: str):
    from toolkit.models.datasets import load_dataset
    from toolkit.models.reader import read_model
    from toolkit.models.zoo import load_zoo_model, zoo_entry

    model_ir, deploy = read_model(load_zoo_model(name, verbose=False))
    plan = plan_from_json(
        {"format": "toolkit-plan", "version": 1,
         "layers": [{"name": n, "multiplier": m, "correction": c} for n, m, c in PLANS[name]]},
        model_ir,
    )  # fmt: skip
    data = load_dataset(zoo_entry(name).dataset)
    x = np.concatenate([data.x_test, data.x_test[:32] * 6.0 - 1.0])  # + inputs on the rails
    return model_ir, deploy, plan, Emulator(model_ir).quantize_input(x)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PLANS))
def test_graph_zoo_csim_equals_emulator(name, tmp_path):
    from toolkit.hlsgen.csim import HlsCSim

    model_ir, deploy, plan, codes = _model(name)
    expected = Emulator(model_ir, plan.kernels()).predict_codes(codes)
    assert not np.array_equal(expected, Emulator(model_ir).predict_codes(codes))  # the plan changes things
    csim = HlsCSim(model_ir, deploy, tmp_path / "hls", backend="Vitis", io_type=IO_TYPES[name], plan=plan)
    np.testing.assert_array_equal(csim.predict_codes(codes), expected)


@pytest.mark.verilator
@pytest.mark.parametrize("name", sorted(PLANS))
@pytest.mark.parametrize("kind", ["exact", "plan"])
def test_graph_zoo_rtl_equals_emulator(name, kind):
    from toolkit.rtlgen import RtlDevice, build, generate

    model_ir, _, plan, codes = _model(name)
    plan = plan if kind == "plan" else None
    design = generate(model_ir, plan, 4)
    with RtlDevice(design, build(design)) as device:
        result = device.predict_codes(codes)
    np.testing.assert_array_equal(
        result.codes, Emulator(model_ir, plan.kernels() if plan else None).predict_codes(codes)
    )
    assert result.violations == 0
