"""The HLS AXI-Stream top (hls/vendor/toolkit_axis_top.cpp) in g++ C-simulation against the emulator.

Beats are packed by the RTL's AxisFormat, so this is the same host format the Verilator
RTL and the board's DMA use. Each case converts one zoo model with hls4ml (~10 s) and
compiles it with the top (~15 s), hence ``slow``.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.hlsgen.axis_top import AxisTopCSim, axis_formats, config_header
from toolkit.hlsgen.csim import HlsCSim
from toolkit.pipeline.package import stream_formats


def _inputs(entry: dict) -> np.ndarray:
    x = entry["data"].x_test
    # 300 test images + 60 scaled/shifted ones that drive the input quantizer and the sums into saturation
    return np.concatenate([x[:300], x[:30] * 6.0 - 1.0, -x[30:60] * 4.0])


@pytest.fixture(scope="module")
def axis_sim(zoo_models, tmp_path_factory):
    """``get(model, io_type, data_bits)`` -> AxisTopCSim of that hls4ml project, built once per module."""
    built: dict = {}

    def get(name: str, io_type: str, data_bits: int) -> AxisTopCSim:
        key = (name, io_type, data_bits)
        if key not in built:
            entry = zoo_models[name]
            tmp = tmp_path_factory.mktemp(f"{name}-{io_type}")
            HlsCSim(entry["ir"], entry["deploy"], tmp / "hls", io_type=io_type).hls_model.write()
            built[key] = AxisTopCSim(tmp / "hls", stream_formats(entry["ir"], data_bits), tmp / "csim")
            built[key].build()
        return built[key]

    return get


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "io_type", "data_bits"),
    [("digits-mlp", "io_parallel", 64), ("digits-cnn", "io_stream", 128)],
)
def test_axis_top_csim_matches_emulator(zoo_models, axis_sim, name, io_type, data_bits):
    entry = zoo_models[name]
    emulator = Emulator(entry["ir"])
    codes = emulator.quantize_input(_inputs(entry))
    sim = axis_sim(name, io_type, data_bits)
    assert sim.io_type == io_type
    np.testing.assert_array_equal(sim.predict_codes(codes), emulator.predict_codes(codes))
    # TLAST only at the end of the batch (as a DMA sends it): mirrored on the last output beat only
    n = 7
    last = np.zeros(n * sim.axis_in.beats, np.uint8)
    last[-1] = 1
    words, out_last = sim.run_beats(sim.axis_in.pack(codes[:n]), last, n)
    assert out_last.tolist() == [0] * (n * sim.axis_out.beats - 1) + [1]
    np.testing.assert_array_equal(sim.axis_out.unpack(words, n), emulator.predict_codes(codes[:n]))
    # the Vivado HLS flavour (1-bit TUSER/TID/TDEST) compiles too
    cmd = sim.compile_command(sim.build_dir / "src", "-DTK_AXIS_SIDEBAND=1")
    top = str(sim.build_dir / "src" / "toolkit_axis_top.cpp")
    done = subprocess.run([*cmd[: cmd.index("-o") - 3], top, "-fsyntax-only"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
@pytest.mark.verilator
def test_axis_top_and_rtl_agree_word_for_word(zoo_models, axis_sim):
    """The same DMA buffer into the HLS top (C-sim) and the Verilated RTL: identical output words and TLAST.

    The input lanes carry junk above each 4-bit code and TLAST is set on random samples' last
    beats, so both must ignore the extension bits and mirror TLAST per sample alike.
    """
    from toolkit.rtlgen import RtlDevice, build, generate

    entry = zoo_models["digits-mlp"]
    sim = axis_sim("digits-mlp", "io_parallel", 64)
    design = generate(entry["ir"], None, axis_bits=64)
    rng = np.random.default_rng(6)
    codes = Emulator(entry["ir"]).quantize_input(_inputs(entry)[:120])
    n, beats_in = len(codes), sim.axis_in.beats
    words = sim.axis_in.pack(codes) | (
        rng.integers(0, 2**63, n * beats_in, dtype=np.uint64) & np.uint64(0xF0F0F0F0F0F0F0F0)
    )
    last = np.zeros(n * beats_in, np.uint8)
    last[beats_in - 1 :: beats_in] = rng.integers(0, 2, n)
    hls_words, hls_last = sim.run_beats(words, last, n)
    with RtlDevice(design, build(design, activity=False)) as device:
        rtl = device.stream(words, last, n * sim.axis_out.beats)
    np.testing.assert_array_equal(hls_words, rtl.out_beats)
    np.testing.assert_array_equal(hls_last, rtl.out_last)


def test_config_header_names_every_stream_number():
    stream = {"data_bits": 64, "in": {"code_bits": 4, "signed": False, "codes": 64},
              "out": {"code_bits": 14, "signed": True, "codes": 10}}  # fmt: skip
    text = config_header(*axis_formats(stream), "io_parallel")
    for line in ("#define TK_IO_STREAM 0", "#define TK_IN_LANES 8", "#define TK_IN_BEATS 8",
                 "#define TK_OUT_LANE_BITS 16", "#define TK_OUT_LANES 4", "#define TK_OUT_BEATS 3",
                 "#define TK_OUT_SIGNED true", "#define TK_IN_SIGNED false"):  # fmt: skip
        assert line in text


def test_bad_stream_and_io_type_are_clear_errors():
    with pytest.raises(ToolkitError, match="expected .*data_bits"):
        axis_formats({"in": {}})
    with pytest.raises(ToolkitError, match="lacks 'codes'"):
        axis_formats({"in": {"code_bits": 4, "signed": False}, "out": {}})
    with pytest.raises(ToolkitError, match="says 9 beats"):
        axis_formats({"data_bits": 64, "in": {"code_bits": 4, "signed": False, "codes": 64, "beats": 9},
                      "out": {"code_bits": 4, "signed": False, "codes": 1}})  # fmt: skip
    fmt = axis_formats({"in": {"code_bits": 4, "signed": False, "codes": 1},
                        "out": {"code_bits": 4, "signed": False, "codes": 1}})  # fmt: skip
    with pytest.raises(ToolkitError, match="io_type 'io_fancy' is unknown"):
        config_header(*fmt, "io_fancy")
