"""An Add of three and of four tensors in RTL: ``tk_add`` with N = 3 and 4, fed by forks with three
consumers, equals the emulator (and so the user's QKeras model) bit for bit on every sample, with
approximate products and control-variate corrections upstream, free-running, under random
backpressure and with a long-stalled consumer."""

from __future__ import annotations

import numpy as np
import pytest

from tests.graph_models import build_graph
from toolkit.emulator.engine import Emulator
from toolkit.models import ir
from toolkit.models.reader import read_model
from toolkit.plan import plan_from_json
from toolkit.rtlgen import RtlDevice, generate
from toolkit.rtlgen import build as build_rtl

from .test_rtl_graphs import approx_plan


@pytest.mark.verilator
def test_adds_of_three_and_four_tensors_equal_the_emulator() -> None:
    model, x = build_graph("wide_adds", n=240)
    model_ir, _ = read_model(model)
    adds = [layer for layer in model_ir.layers if isinstance(layer, ir.Add)]
    assert [len(add.inputs) for add in adds] == [3, 4]
    assert len({p.describe() for p in adds[0].input_precisions}) == 3  # three precisions, aligned
    emulator = Emulator(model_ir)
    np.testing.assert_array_equal(emulator.predict(x), model.predict(x, verbose=0).astype(np.float64))
    plan = plan_from_json(approx_plan(model_ir), model_ir)
    emulator = Emulator(model_ir, plan.kernels())
    codes = emulator.quantize_input(x)
    expected = emulator.predict_codes(codes)
    assert not np.array_equal(expected, Emulator(model_ir).predict_codes(codes))  # the plan matters
    trace = emulator.trace(codes)
    after = [
        q for q in model_ir.layers if isinstance(q, ir.Quantize) and q.inputs[0] in {a.name for a in adds}
    ]
    assert all((trace[q.name] == q.out_precision.max_code).any() for q in after), "sums must saturate"
    assert all((trace[q.name] == q.out_precision.min_code).any() for q in after)
    design = generate(model_ir, plan, fold=2)
    assert sorted(len(f.outputs) for f in design.forks) == [2, 3, 3]
    assert sorted(s.params["N"] for s in design.stages if s.kind == "add") == [3, 4]
    with RtlDevice(design, build_rtl(design, activity=False)) as device:
        result = device.predict_codes(codes)
        np.testing.assert_array_equal(result.codes, expected)
        assert result.violations == 0
        for seed, (stall_in, stall_out) in enumerate([(0.4, 0.5), (0.1, 0.8), (0.9, 0.95)]):
            n = 240 if stall_out < 0.9 else 40
            stalled = device.predict_codes(codes[:n], stall_in=stall_in, stall_out=stall_out, seed=seed)
            np.testing.assert_array_equal(stalled.codes, expected[:n])
            assert stalled.violations == 0
