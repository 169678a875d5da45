"""The generated RTL as the block design's accelerator: Tcl for every board, and the exported files
Verilated as they are (same files, same hash as the simulated design, bit-exact with the emulator)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.rtl.plans import plan_json
from tests.vendor.test_vendor_tcl import calls_of, props, run_tcl
from toolkit.boards import list_boards, load_board
from toolkit.errors import ToolkitError
from toolkit.hlsgen.vendor import generate_vendor_project
from toolkit.pipeline.package import stream_formats
from toolkit.rtlgen.export import check_rtl_folder
from toolkit.rtlgen.generate import generate

pytestmark = pytest.mark.skipif(shutil.which("tclsh") is None, reason="tclsh not on PATH")


@pytest.fixture(scope="module")
def digits():
    """digits-cnn (zoo, cached) with an approximate plan: (model IR, plan, test set)."""
    from toolkit.models.datasets import load_dataset
    from toolkit.models.reader import read_model
    from toolkit.models.zoo import load_zoo_model
    from toolkit.plan import plan_from_json

    model_ir, _ = read_model(load_zoo_model("digits-cnn", verbose=False))
    return model_ir, plan_from_json(plan_json("digits-cnn", "approx"), model_ir), load_dataset("digits")


@pytest.mark.parametrize("name", list_boards())
def test_rtl_accelerator_block_design_for_every_board(name, digits, tmp_path):
    model_ir, plan, _ = digits
    board = load_board(name)
    design = generate(model_ir, plan, axis_bits=board.dma_data_bits)
    project = generate_vendor_project(None, tmp_path / "vendor", board, stream_formats(model_ir, board.dma_data_bits),
                                      accelerator="rtl", rtl_design=design)  # fmt: skip
    files = {p.name for p in project.path.iterdir()}
    assert {
        "settings.tcl",
        "block_design.tcl",
        "ps.tcl",
        "accel.tcl",
        "run.sh",
        "vendor.json",
        "rtl",
    } <= files
    assert "hls.tcl" not in files and "hls" not in files  # no HLS for the RTL accelerator
    meta = json.loads((project.path / "vendor.json").read_text())
    assert meta["accelerator"] == "rtl" and meta["rtl"]["design_hash"] == design.key()
    assert check_rtl_folder(project.path / "rtl", design)["design_hash"] == design.key()

    bd = run_tcl(tmp_path, project.vivado_script)
    create = calls_of(bd, "create_project")[0]
    assert create[create.index("-part") + 1] == board.part
    assert ["board_part", board.board_part, "<current_project>"] in calls_of(bd, "set_property")
    assert not [c for c in calls_of(bd, "set_property") if c[0] == "ip_repo_paths"]  # no HLS IP repository
    added = [Path(f).name for c in calls_of(bd, "add_files") for f in c[-1].split()]
    expected = ["tk_accel.v"] + [p.name for p in design.sources()] + sorted(design.roms())
    assert sorted(added) == sorted(expected)
    assert all(
        Path(f).parent == project.path / "rtl" for c in calls_of(bd, "add_files") for f in c[-1].split()
    )
    mem = [c for c in calls_of(bd, "set_property") if c[0] == "file_type"]
    assert mem and mem[0][1] == "Memory Initialization Files"
    assert calls_of(bd, "create_bd_design").index(["toolkit"]) == 0
    cells = {c[-1]: c for c in calls_of(bd, "create_bd_cell")}
    assert cells["toolkit_accel_0"] == ["-type", "module", "-reference", "tk_accel", "toolkit_accel_0"]
    assert cells["axi_dma_0"][cells["axi_dma_0"].index("-vlnv") + 1] == "xilinx.com:ip:axi_dma:5.5"
    dma = props(bd, "axi_dma_0")
    assert dma["CONFIG.c_include_sg"] == "0"
    for key in ("c_m_axi_mm2s_data_width", "c_m_axis_mm2s_tdata_width", "c_m_axi_s2mm_data_width",
                "c_s_axis_s2mm_tdata_width"):  # fmt: skip
        assert dma[f"CONFIG.{key}"] == str(board.dma_data_bits)  # widths from the board file
    intf = calls_of(bd, "connect_bd_intf_net")
    assert ["axi_dma_0/M_AXIS_MM2S", "toolkit_accel_0/s_axis"] in intf
    assert ["toolkit_accel_0/m_axis", "axi_dma_0/S_AXIS_S2MM"] in intf
    assert ["mem_ic/M00_AXI", f"ps/{board.hp_port}"] in intf
    nets = calls_of(bd, "connect_bd_net")
    assert [f"ps/{board.clock_pin}", "toolkit_accel_0/ap_clk"] in nets
    assert ["rst/peripheral_aresetn", "toolkit_accel_0/ap_rst_n"] in nets
    assert (project.path / "output" / "toolkit.bit").is_file()
    # the top's ports carry the interfaces the module reference needs, at the board's TDATA width
    top = (project.path / "rtl" / "tk_accel.v").read_text()
    assert (
        '"xilinx.com:interface:axis:1.0 s_axis TDATA" *) input  wire [' + str(board.dma_data_bits - 1) in top
    )
    assert "ASSOCIATED_BUSIF s_axis:m_axis, ASSOCIATED_RESET ap_rst_n" in top
    assert "/" not in "".join(
        line.split('_FILE("')[1].split('"')[0] for line in top.splitlines() if '_FILE("l' in line
    )
    run = project.run_script.read_text()
    assert "vivado -mode batch" in run and "@" not in run and '[ "rtl" = "hls4ml" ]' in run


def test_rtl_folder_drift_and_bad_arguments_are_refused(digits, tmp_path):
    model_ir, plan, _ = digits
    board = load_board("pynq-z2")
    design = generate(model_ir, plan, axis_bits=64)
    stream = stream_formats(model_ir, 64)
    project = generate_vendor_project(
        None, tmp_path / "v", board, stream, accelerator="rtl", rtl_design=design
    )
    rom = next(iter(sorted(design.roms())))
    (project.path / "rtl" / rom).write_text("00\n")
    with pytest.raises(ToolkitError, match=f"ROM file .*{rom}' differs"):
        check_rtl_folder(project.path / "rtl", design)
    with pytest.raises(ToolkitError, match="not the simulated"):
        check_rtl_folder(project.path / "rtl", generate(model_ir, None, axis_bits=64))
    with pytest.raises(ToolkitError, match="accelerator 'verilog': expected one of hls4ml, rtl"):
        generate_vendor_project(None, tmp_path / "w", board, stream, accelerator="verilog")
    with pytest.raises(ToolkitError, match="128-bit beats.*pynq-z2's DMA is 64 bits"):
        generate_vendor_project(None, tmp_path / "w", board, stream, accelerator="rtl",
                                rtl_design=generate(model_ir, plan, axis_bits=128))  # fmt: skip


@pytest.mark.verilator
def test_exported_rtl_folder_is_the_simulated_design(digits, tmp_path):
    """Verilate the vendor project's rtl/ files themselves: same hash as the simulated build, bit-exact."""
    from toolkit.emulator.engine import Emulator
    from toolkit.rtlgen.export import open_rtl_folder
    from toolkit.rtlgen.verilator import find_verilator

    try:
        find_verilator()
    except ToolkitError as exc:
        pytest.skip(str(exc))
    model_ir, plan, data = digits
    board = load_board("zcu104")  # 128-bit TDATA: the VlWide path of the harness
    design = generate(model_ir, plan, axis_bits=board.dma_data_bits)
    project = generate_vendor_project(None, tmp_path / "vendor", board, stream_formats(model_ir, 128),
                                      accelerator="rtl", rtl_design=design)  # fmt: skip
    emulator = Emulator(model_ir, plan.kernels())
    x = np.concatenate([data.x_test[:60], np.full((4,) + data.x_test.shape[1:], 1e3)])  # + saturating inputs
    codes = emulator.quantize_input(x)
    with open_rtl_folder(project.path / "rtl", design) as device:
        got = device.predict_codes(codes).codes
    np.testing.assert_array_equal(got, emulator.predict_codes(codes))
    meta = json.loads((project.path / "vendor.json").read_text())
    assert meta["rtl"]["design_hash"] == design.key()
    for src in design.sources():  # the leaf files are the very files the simulation reads
        assert meta["rtl"]["files"][src.name] == __import__("toolkit_overlay.files").files.sha256_file(src)
