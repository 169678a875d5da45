"""Generated vendor projects: the right part, board part and PS per board, and Tcl that really runs.

Each generated script is sourced by tclsh under tcl_harness.tcl, which records every vendor
command (an ``unknown`` handler) while the scripts' own Tcl runs for real, so syntax errors,
bad proc calls and wrong variable names fail here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.vendor.conftest import STREAM, stream_for
from toolkit.boards import list_boards, load_board
from toolkit.errors import ToolkitError
from toolkit.hlsgen.vendor import generate_vendor_project

HARNESS = Path(__file__).with_name("tcl_harness.tcl")
PS = {"zynq-7000": "processing_system7", "zynq-us+": "zynq_ultra_ps_e"}
pytestmark = pytest.mark.skipif(shutil.which("tclsh") is None, reason="tclsh not on PATH")


def run_tcl(work: Path, *scripts: Path) -> list[list[str]]:
    """Source ``scripts`` under the harness (cwd ``work``); the recorded vendor calls."""
    record = work / "calls.jsonl"
    done = subprocess.run(
        ["tclsh", str(HARNESS), str(record), str(work / "harness"), *map(str, scripts)],
        cwd=work, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in record.read_text().splitlines()]


def calls_of(calls: list[list[str]], name: str) -> list[list[str]]:
    return [c[1:] for c in calls if c[0] == name]


def props(calls: list[list[str]], cell: str) -> dict[str, str]:
    """Every CONFIG.* value set on a block-design cell (set_property -dict [list k v ...] cell)."""
    out: dict[str, str] = {}
    for args in calls_of(calls, "set_property"):
        if args[0] == "-dict" and args[-1] == cell:
            words = args[1].split()
            out.update(zip(words[::2], words[1::2], strict=True))
    return out


@pytest.mark.parametrize("name", list_boards())
def test_board_project_names_part_board_part_and_ps(name, fake_hls_project, tmp_path):
    board = load_board(name)
    stream = stream_for(board.dma_data_bits)
    project = generate_vendor_project(
        fake_hls_project, tmp_path / "vendor", board, stream, hls_tool="vitis_hls"
    )
    assert {p.name for p in project.path.iterdir()} >= {"settings.tcl", "hls.tcl", "block_design.tcl", "ps.tcl",
                                                        "run.sh", "vendor.json", "hls"}  # fmt: skip
    assert (project.path / "hls" / "firmware" / "weights" / "w4.h").is_file()
    assert not list((project.path / "hls" / "firmware").glob("*.so"))

    hls = run_tcl(tmp_path, project.hls_script)
    assert calls_of(hls, "set_part") == [[board.part]]
    assert calls_of(hls, "set_top") == [["toolkit_axis_top"]]
    added = [Path(c[0]) for c in calls_of(hls, "add_files")]
    assert all("SIDEBAND" not in c[-1] for c in calls_of(hls, "add_files"))
    assert added == [
        project.path / "hls/firmware/toolkit_accel.cpp",
        project.path / "hls/toolkit_axis_top.cpp",
    ]
    assert calls_of(hls, "open_solution") == [["-reset", "solution1", "-flow_target", "vivado"]]
    period = f"{1000 / board.clock_mhz:.3f}"
    assert calls_of(hls, "create_clock") == [["-period", period, "-name", "default"]]
    assert calls_of(hls, "csynth_design") == [[]]
    export = calls_of(hls, "export_design")[0]
    assert export[:2] == ["-format", "ip_catalog"] and export[export.index("-vendor") + 1] == "toolkit"
    assert [c[0] for c in hls][-1] == "exit"

    project.ip_dir.mkdir(parents=True)  # what hls.tcl exports (the block design refuses to start without it)
    bd = run_tcl(tmp_path, project.vivado_script)
    assert ["ip_repo_paths", str(project.ip_dir), "<current_project>"] in calls_of(bd, "set_property")
    create = calls_of(bd, "create_project")[0]
    assert create[create.index("-part") + 1] == board.part
    assert ["board_part", board.board_part, "<current_project>"] in calls_of(bd, "set_property")
    assert calls_of(bd, "get_board_parts") == [["-quiet", board.board_part]]  # checked installed first
    cells = {c[-1]: c[c.index("-vlnv") + 1] for c in calls_of(bd, "create_bd_cell")}
    assert cells["ps"] == f"xilinx.com:ip:{PS[board.family]}:5.5"  # the newest version in the catalog
    assert cells["axi_dma_0"] == "xilinx.com:ip:axi_dma:5.5"
    assert cells["toolkit_accel_0"] == "toolkit:hls:toolkit_axis_top:1.0"
    dma = props(bd, "axi_dma_0")
    assert dma["CONFIG.c_include_sg"] == "0"
    for key in ("c_m_axi_mm2s_data_width", "c_m_axis_mm2s_tdata_width", "c_m_axi_s2mm_data_width",
                "c_s_axis_s2mm_tdata_width"):  # fmt: skip
        assert dma[f"CONFIG.{key}"] == str(board.dma_data_bits)
    ps = props(bd, "ps")
    if board.family == "zynq-7000":
        assert ps["CONFIG.PCW_USE_S_AXI_HP0"] == "1" and ps["CONFIG.PCW_S_AXI_HP0_DATA_WIDTH"] == "64"
        master, clocks = "ps/M_AXI_GP0", ["ps/M_AXI_GP0_ACLK", "ps/S_AXI_HP0_ACLK"]
    else:
        assert ps["CONFIG.PSU__USE__S_AXI_GP2"] == "1" and ps["CONFIG.PSU__SAXIGP2__DATA_WIDTH"] == "128"
        master, clocks = "ps/M_AXI_HPM0_FPD", ["ps/maxihpm0_fpd_aclk", "ps/saxihp0_fpd_aclk"]
    intf = calls_of(bd, "connect_bd_intf_net")
    assert [master, "ctrl_ic/S00_AXI"] in intf and ["mem_ic/M00_AXI", f"ps/{board.hp_port}"] in intf
    assert ["axi_dma_0/M_AXIS_MM2S", "toolkit_accel_0/s_axis"] in intf
    assert ["toolkit_accel_0/m_axis", "axi_dma_0/S_AXIS_S2MM"] in intf
    nets = calls_of(bd, "connect_bd_net")
    for pin in clocks + ["toolkit_accel_0/ap_clk", "axi_dma_0/m_axi_s2mm_aclk"]:
        assert [f"ps/{board.clock_pin}", pin] in nets
    address = calls_of(bd, "assign_bd_address")[0]
    assert address[address.index("-offset") + 1] == f"0x{board.address_base:08X}"
    assert address[-2] == "axi_dma_0/S_AXI_LITE/Reg"
    assert calls_of(bd, "make_wrapper") == [["-files", "toolkit.bd", "-top", "-import"]]
    assert ["impl_1", "-to_step", "write_bitstream", "-jobs", "4"] in calls_of(bd, "launch_runs")
    reports = {c[0]: Path(c[-1]).name for c in bd if c[0].startswith("report_")}
    assert reports == {"report_utilization": "utilization.rpt", "report_timing_summary": "timing_summary.rpt",
                       "report_power": "power.rpt"}  # fmt: skip
    assert (project.path / "output" / "toolkit.bit").is_file() and (
        project.path / "output" / "toolkit.hwh"
    ).is_file()

    run = project.run_script.read_text()
    assert "vitis_hls -f hls.tcl" in run and "vivado -mode batch" in run and "-source block_design.tcl" in run
    assert "@" not in run


def test_vivado_hls_flavour_and_rewrite(fake_hls_project, tmp_path):
    board = load_board("pynq-z2")
    out = tmp_path / "vendor"
    (out / "stale").mkdir(parents=True)
    project = generate_vendor_project(fake_hls_project, out, board, STREAM, hls_tool="vivado_hls", jobs=2)
    assert not (out / "stale").exists()  # the folder is replaced as a whole
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp folders left
    hls = run_tcl(tmp_path, project.hls_script)
    assert calls_of(hls, "open_solution") == [["-reset", "solution1"]]
    assert calls_of(hls, "config_array_partition") == [["-maximum_size", "4096"]]
    assert all(c[-1].endswith("-DTK_AXIS_SIDEBAND=1") for c in calls_of(hls, "add_files"))
    assert "vivado_hls -f hls.tcl" in project.run_script.read_text()
    meta = json.loads((out / "vendor.json").read_text())
    assert meta["part"] == "xc7z020clg400-1" and meta["io_type"] == "io_parallel"
    assert meta["stream"]["out"] == {**STREAM["out"], "data_bits": 64}


def test_tcl_syntax_error_fails_the_harness(fake_hls_project, tmp_path):
    """The harness is a real Tcl check: a missing brace in a template is caught."""
    project = generate_vendor_project(fake_hls_project, tmp_path / "vendor", load_board("kv260"),
                                      stream_for(128), hls_tool="vitis_hls")  # fmt: skip
    ps = project.path / "ps.tcl"
    ps.write_text(ps.read_text().replace("if {![regexp", "if {[regexp", 1).rstrip().rstrip("}"))
    done = subprocess.run(["tclsh", str(HARNESS), str(tmp_path / "r"), str(tmp_path / "w"),
                           str(project.vivado_script)], capture_output=True, text=True)  # fmt: skip
    assert done.returncode != 0 and "missing close-brace" in done.stderr


def test_missing_board_files_stop_vivado_with_a_clear_error(fake_hls_project, tmp_path):
    project = generate_vendor_project(fake_hls_project, tmp_path / "vendor", load_board("ultra96v2"),
                                      stream_for(128), hls_tool="vitis_hls")  # fmt: skip
    project.ip_dir.mkdir(parents=True)
    done = subprocess.run(["tclsh", str(HARNESS), str(tmp_path / "r"), str(tmp_path / "w"),
                           str(project.vivado_script)], capture_output=True, text=True,
                          env={**os.environ, "TK_HARNESS_NO_BOARDS": "1"})  # fmt: skip
    assert done.returncode != 0
    assert "board part avnet.com:ultra96v2:part0:1.2 (ultra96v2) is not installed" in done.stderr
    assert "create_bd_design" not in (tmp_path / "r").read_text()


def test_generation_errors_name_the_bad_value(fake_hls_project, tmp_path):
    board = load_board("pynq-z2")
    with pytest.raises(ToolkitError, match="HLS tool 'quartus' is unknown: expected one of vitis_hls"):
        generate_vendor_project(fake_hls_project, tmp_path / "v", board, STREAM, hls_tool="quartus")
    with pytest.raises(ToolkitError, match="128 bits is wider than pynq-z2's 64-bit DMA"):
        generate_vendor_project(
            fake_hls_project, tmp_path / "v", board, stream_for(128), hls_tool="vitis_hls"
        )
    with pytest.raises(ToolkitError, match="holds no hls4ml project"):
        generate_vendor_project(tmp_path / "nothing", tmp_path / "v", board, STREAM)
    assert not (tmp_path / "v").exists()
