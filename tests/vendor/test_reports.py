"""Report parsers on checked-in samples in the tools' formats (tests/data/vendor_reports/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ToolkitError
from toolkit.hlsgen.reports import (
    parse_csynth_xml,
    parse_power,
    parse_timing_summary,
    parse_utilization,
    tool_release,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "vendor_reports"


def test_utilization_zynq7000_with_prohibited_column():
    util = parse_utilization(DATA / "utilization_pynq-z2.rpt")
    assert util["lut"] == {"used": 12873, "available": 53200, "util_pct": 24.2}
    assert util["ff"] == {"used": 9641, "available": 106400, "util_pct": 9.06}
    assert util["bram36"] == {"used": 4.5, "available": 140, "util_pct": 3.21}  # half tiles are RAMB18s
    assert util["dsp"] == {"used": 37, "available": 220, "util_pct": 16.82}
    assert util["device"] == "xc7z020clg400-1" and util["release"] == "2023.1"


def test_utilization_ultrascale_clb_rows_without_prohibited_column():
    util = parse_utilization(DATA / "utilization_zcu104.rpt")
    assert util["lut"]["used"] == 15702 and util["lut"]["available"] == 230400
    assert util["ff"]["used"] == 12118 and util["bram36"]["used"] == 6 and util["dsp"]["available"] == 1728
    assert util["release"] == "2020.2"


def test_timing_summary_met_and_violated():
    met = parse_timing_summary(DATA / "timing_summary_met.rpt")
    assert met["wns_ns"] == 1.207 and met["tns_ns"] == 0.0 and met["whs_ns"] == 0.021
    assert met["tns_failing_endpoints"] == 0 and met["met"] is True
    bad = parse_timing_summary(DATA / "timing_summary_violated.rpt")
    assert bad["wns_ns"] == -0.384 and bad["tns_ns"] == -12.913 and bad["tns_failing_endpoints"] == 71
    assert bad["met"] is False


def test_power_summary_and_components():
    power = parse_power(DATA / "power_pynq-z2.rpt")
    assert (power["total_w"], power["dynamic_w"], power["static_w"]) == (1.493, 1.352, 0.141)
    assert power["junction_c"] == 42.2 and power["confidence"] == "Low"
    assert power["components"]["PS7"] == 1.258 and "LUT as Logic" not in power["components"]  # top rows only
    assert power["total_w"] - power["components"]["PS7"] == pytest.approx(0.235)  # what the PL costs


def test_csynth_xml():
    hls = parse_csynth_xml(DATA / "csynth.xml")
    assert hls["top"] == "toolkit_axis_top" and hls["release"] == "2023.1"
    assert hls["target_clock_ns"] == 10.0 and hls["estimated_clock_ns"] == 7.284
    assert (hls["latency_best_cycles"], hls["latency_worst_cycles"]) == (23, 23)
    assert (hls["interval_min_cycles"], hls["interval_max_cycles"]) == (24, 24)
    assert hls["resources"] == {"bram_18k": 0, "dsp": 37, "ff": 8127, "lut": 11904, "uram": 0}
    assert hls["available"]["lut"] == 53200


def test_tool_banners():
    assert tool_release((DATA / "vivado_version.txt").read_text()) == "2023.1"
    assert tool_release((DATA / "vitis_hls_version.txt").read_text()) == "2023.1"
    assert (
        tool_release("Vivado(TM) HLS - High-Level Synthesis from C, C++ and SystemC v2019.2 (64-bit)")
        == "2019.2"
    )
    assert tool_release("no banner") is None


def test_undefined_latency_is_none(tmp_path):
    text = (DATA / "csynth.xml").read_text().replace("<Worst-caseLatency>23<", "<Worst-caseLatency>undef<")
    (tmp_path / "csynth.xml").write_text(text)
    assert parse_csynth_xml(tmp_path / "csynth.xml")["latency_worst_cycles"] is None


def test_reports_missing_what_is_parsed_are_clear_errors(tmp_path):
    with pytest.raises(ToolkitError, match="does not exist"):
        parse_power(tmp_path / "nope.rpt")
    cut = tmp_path / "util.rpt"
    cut.write_text((DATA / "utilization_pynq-z2.rpt").read_text().split("4. DSP\n------")[0])
    with pytest.raises(ToolkitError, match="lacks the rows DSPs"):
        parse_utilization(cut)
    empty = tmp_path / "empty.rpt"
    empty.write_text("nothing\n")
    with pytest.raises(ToolkitError, match="no 'Design Timing Summary'"):
        parse_timing_summary(empty)
    with pytest.raises(ToolkitError, match="lacks 'Total On-Chip Power"):
        parse_power(empty)
    with pytest.raises(ToolkitError, match="not valid XML"):
        parse_csynth_xml(empty)
    na = tmp_path / "na.rpt"
    na.write_text(
        (DATA / "timing_summary_met.rpt")
        .read_text()
        .replace("      1.207        0.000", "         NA           NA", 1)
    )
    with pytest.raises(ToolkitError, match="WNS is 'NA'"):
        parse_timing_summary(na)
