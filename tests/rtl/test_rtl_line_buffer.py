"""Line buffers (hls/rtl/tk_line_buffer.v) in the conv and max-pool engines: a fraction of
the whole-frame storage, the same outputs, no slower, and an earlier first result."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.rtlgen import generate
from toolkit.rtlgen.generate import line_depth


def test_line_depth_is_a_window_plus_a_row_of_slack() -> None:
    assert line_depth((8, 8, 1), (3, 3)) == 32  # 2 rows + 3 samples + 1 row = 27 codes
    assert line_depth((8, 8, 8), (2, 2)) == 256  # (8 + 2 + 8) x 8 = 144
    assert line_depth((40, 1), (1, 5)) == 16  # 1-D: two spans of 5 samples
    assert line_depth((4, 4, 8), (3, 3)) == 0  # not smaller than the 128-code frame: keep the frame


def test_zoo_cnns_buffer_less_than_whole_frames(zoo_models) -> None:
    for name in ("digits-cnn", "mnist1d-cnn"):
        design = generate(zoo_models[name]["ir"])
        lined = [s for s in design.stages if s.params.get("LINE_DEPTH")]
        assert {s.kind for s in lined} == {"mac", "pool"}
        for s in lined:
            assert s.params["LINE_DEPTH"] < s.n_in  # the frame design holds 2 x n_in codes
    with pytest.raises(ToolkitError, match="buffer 'rows': expected one of line, frame"):
        generate(zoo_models["digits-cnn"]["ir"], buffer="rows")


@pytest.mark.verilator
def test_line_and_frame_buffers_agree_and_line_starts_sooner(zoo_models, rtl_device) -> None:
    entry = zoo_models["mnist1d-cnn"]
    codes = None
    results = {}
    for buffer in ("line", "frame"):
        design, device, plan = rtl_device("mnist1d-cnn", "approx", 5, buffer=buffer)
        emulator = Emulator(entry["ir"], plan.kernels())
        codes = emulator.quantize_input(entry["data"].x_test[:64]) if codes is None else codes
        result = device.predict_codes(codes, stall_in=0.3, stall_out=0.3, seed=5)
        np.testing.assert_array_equal(result.codes, emulator.predict_codes(codes))
        results[buffer] = device.predict_codes(codes)  # cycles: Verilator's counts
    assert results["line"].latency < results["frame"].latency
    assert results["line"].interval <= results["frame"].interval
