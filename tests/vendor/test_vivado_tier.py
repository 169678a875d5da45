"""The real vendor flow (tier ``vivado``): hls4ml project -> Vitis HLS IP -> Vivado bitstream.

Skipped unless vitis_hls/vivado_hls and vivado are on PATH; takes tens of minutes there.
"""

from __future__ import annotations

import json

import pytest

from toolkit.boards import load_board
from toolkit.hlsgen.csim import HlsCSim
from toolkit.hlsgen.vendor import generate_vendor_project, synth_step
from toolkit.pipeline.package import stream_formats

pytestmark = pytest.mark.vivado


def test_digits_mlp_builds_a_bitstream_for_pynq_z2(zoo_models, tmp_path):
    entry = zoo_models["digits-mlp"]
    board = load_board("pynq-z2")
    HlsCSim(entry["ir"], entry["deploy"], tmp_path / "hls").hls_model.write()
    project = generate_vendor_project(
        tmp_path / "hls", tmp_path / "vendor", board, stream_formats(entry["ir"], board.dma_data_bits)
    )
    result = synth_step(
        project, tmp_path / "synth.json", model_hash=entry["ir"].model_hash(), plan_hash="exact",
        bitstreams=tmp_path / "bitstreams", log=print,
    )  # fmt: skip
    if result["status"] == "not_run":
        pytest.skip(result["message"])
    assert result["status"] == "passed" and result["timing"]["met"]
    manifest = json.loads(
        (tmp_path / "bitstreams" / "pynq-z2").glob("*/manifest.json").__next__().read_text()
    )
    assert manifest["part"] == board.part and manifest["tools"]["vivado"]
    assert result["hls"]["top"] == "toolkit_axis_top"
    assert 0 < result["utilization"]["lut"]["used"] < board.lut
