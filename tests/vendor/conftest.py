"""Fixtures of the vendor-flow tests: a stand-in hls4ml project and the pynq-z2 stream."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

STANDIN = Path(__file__).with_name("standin_tool.py")

STREAM = {
    "data_bits": 64,
    "in": {"code_bits": 4, "signed": False, "codes": 64, "beats": 8},
    "out": {"code_bits": 14, "signed": True, "codes": 10, "beats": 3},
}


def stream_for(data_bits: int) -> dict:
    """STREAM at another TDATA width (beats recomputed)."""
    out = {"data_bits": data_bits}
    for side in ("in", "out"):
        fmt = dict(STREAM[side])
        lanes = data_bits // (8 * -(-fmt["code_bits"] // 8))
        fmt["beats"] = -(-fmt["codes"] // lanes)
        out[side] = fmt
    return out


@pytest.fixture
def fake_hls_project(tmp_path: Path) -> Path:
    """The files of an io_parallel hls4ml project that the vendor flow copies (no hls4ml needed)."""
    project = tmp_path / "hls"
    fw = project / "firmware"
    (fw / "weights").mkdir(parents=True)
    (fw / "toolkit_accel.h").write_text(
        "void toolkit_accel(input_t image[8*8*1], result_t layer7_out[10]);\n"
    )
    (fw / "toolkit_accel.cpp").write_text('#include "toolkit_accel.h"\n')
    (fw / "defines.h").write_text("// types\n")
    (fw / "weights" / "w4.h").write_text("// weights\n")
    (fw / "toolkit_accel-1234.so").write_bytes(b"\0")  # the C-sim library: not copied
    return project


@pytest.fixture
def tools(tmp_path, monkeypatch) -> Path:
    """bin/vitis_hls and bin/vivado stand-ins (standin_tool.py) first on PATH; returns the file their calls go to."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("vitis_hls", "vivado"):
        exe = bin_dir / name
        exe.write_text(f"#!{sys.executable}\n" + STANDIN.read_text().replace("__file__", repr(str(STANDIN))))
        exe.chmod(0o755)
    calls = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ.get('PATH', '')}")
    monkeypatch.setenv("STANDIN_CALLS", str(calls))
    return calls
