"""The synth step with stand-in vitis_hls/vivado on PATH, without any, and with failing ones."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from tests.vendor.conftest import STREAM
from toolkit.boards import load_board
from toolkit.errors import ToolkitError
from toolkit.hlsgen.vendor import generate_vendor_project, synth_step

pytestmark = pytest.mark.skipif(shutil.which("tclsh") is None, reason="tclsh not on PATH")


@pytest.fixture
def project(fake_hls_project, tmp_path):
    return generate_vendor_project(fake_hls_project, tmp_path / "vendor", load_board("pynq-z2"), STREAM,
                                   hls_tool="vitis_hls")  # fmt: skip


def test_synth_runs_tools_parses_reports_and_places_bitstream(tools, project, tmp_path):
    messages: list[str] = []
    record = tmp_path / "synth.json"
    root = tmp_path / "bitstreams"
    result = synth_step(
        project, record, model_hash="m0de1", plan_hash="p1a2", bitstreams=root, log=messages.append
    )
    assert result["status"] == "passed"
    assert json.loads(record.read_text()) == json.loads(json.dumps(result))  # JSON-able, written as returned

    runs = [json.loads(line) for line in tools.read_text().splitlines()]
    work = [(r["tool"], r["argv"], r["cwd"]) for r in runs if r["argv"] != ["-version"]]
    assert work == [
        ("vitis_hls", ["-f", "hls.tcl"], str(project.path)),
        (
            "vivado",
            ["-mode", "batch", "-nojournal", "-nolog", "-source", "block_design.tcl"],
            str(project.path),
        ),
    ]
    assert {r["tool"] for r in runs if r["argv"] == ["-version"]} == {"vitis_hls", "vivado"}
    assert "INFO: [HLS 200-111]" in (project.logs / "hls.log").read_text()
    assert any("[1/2]" in m for m in messages) and any("[2/2]" in m for m in messages)

    dest = root / "pynq-z2" / "m0de1-p1a2"
    assert result["bitstream"] == str(dest / "toolkit.bit") and result["hwh"] == str(dest / "toolkit.hwh")
    manifest = json.loads((dest / "manifest.json").read_text())
    assert {k: manifest[k] for k in ("board", "part", "model_hash", "plan_hash")} == {
        "board": "pynq-z2", "part": "xc7z020clg400-1", "model_hash": "m0de1", "plan_hash": "p1a2"}  # fmt: skip
    assert manifest["tools"] == result["tools"] == {"vitis_hls": "2023.1", "vivado": "2023.1"}
    assert set(manifest["files"]) == {"toolkit.bit", "toolkit.hwh", "reports/utilization.rpt",
                                      "reports/timing_summary.rpt", "reports/power.rpt", "reports/csynth.xml"}  # fmt: skip
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((dest / name).read_bytes()).hexdigest() == digest
    assert manifest["stream"]["in"]["beats"] == 8 and manifest["timing_met"] is True

    assert result["utilization"]["lut"] == {"used": 12873, "available": 53200, "util_pct": 24.2}
    assert result["timing"]["wns_ns"] == 1.207 and result["timing"]["met"] is True
    assert result["power"]["total_w"] == 1.493 and result["power"]["components"]["PS7"] == 1.258
    assert result["hls"]["latency_worst_cycles"] == 23 and result["hls"]["interval_max_cycles"] == 24

    # a rerun replaces the placed folder as a whole
    (dest / "stale.txt").write_text("old")
    synth_step(project, None, model_hash="m0de1", plan_hash="p1a2", bitstreams=root)
    assert not (dest / "stale.txt").exists()
    assert sorted(p.name for p in (root / "pynq-z2").iterdir()) == ["m0de1-p1a2"]


def test_without_tools_the_step_is_not_run_and_says_what_to_do(project, tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    record = tmp_path / "synth.json"
    result = synth_step(project, record, model_hash="m", plan_hash="p", bitstreams=tmp_path / "bits")
    assert result["status"] == "not_run" and result["missing"] == ["vitis_hls", "vivado"]
    assert str(project.path) in result["message"] and "./run.sh" in result["message"]
    assert "toolkit build --from synth" in result["message"]
    assert json.loads(record.read_text())["status"] == "not_run"
    assert not (tmp_path / "bits").exists()


def test_only_hls_present_is_still_not_run(tools, project, tmp_path, monkeypatch):
    (tmp_path / "bin" / "vivado").unlink()
    result = synth_step(project, None, model_hash="m", plan_hash="p", bitstreams=tmp_path / "bits")
    assert result["status"] == "not_run" and result["missing"] == ["vivado"]
    assert not tools.exists()  # nothing was run


@pytest.mark.parametrize(("tool", "log"), [("vitis_hls", "hls.log"), ("vivado", "vivado.log")])
def test_failing_tool_is_an_error_naming_its_log(tools, project, tmp_path, monkeypatch, tool, log):
    monkeypatch.setenv("STANDIN_FAIL", tool)
    with pytest.raises(ToolkitError) as err:
        synth_step(
            project, tmp_path / "synth.json", model_hash="m", plan_hash="p", bitstreams=tmp_path / "bits"
        )
    message = str(err.value)
    assert f"{tool} failed with exit status 1" in message and str(project.logs / log) in message
    assert "ERROR: [Place 30-640]" in message
    assert not (tmp_path / "synth.json").exists() and not (tmp_path / "bits" / "pynq-z2" / "m-p").exists()


def test_timing_violation_is_an_error_naming_the_report(tools, project, tmp_path, monkeypatch):
    monkeypatch.setenv("STANDIN_TIMING", "timing_summary_violated.rpt")
    with pytest.raises(
        ToolkitError, match=r"timing not met on pynq-z2 at 100 MHz \(WNS -0.384 ns.*timing_summary.rpt"
    ):
        synth_step(project, None, model_hash="m", plan_hash="p", bitstreams=tmp_path / "bits")
    assert not (tmp_path / "bits" / "pynq-z2" / "m-p").exists()


def test_bad_hash_is_refused(tools, project, tmp_path):
    with pytest.raises(ToolkitError, match=r"plan_hash '\.\./x' is not a hash"):
        synth_step(project, None, model_hash="m", plan_hash="../x", bitstreams=tmp_path / "bits")


def test_a_bitstream_that_is_not_one_is_refused(tools, project, tmp_path, monkeypatch):
    """Whatever a `vivado` on PATH writes is placed only if it is a bitstream for the board's part."""
    harness = project.path / "block_design.tcl"
    harness.write_text(harness.read_text().replace(
        "write_bitstream -force [file join $output ${tk_bd_name}.bit]",
        "write_bitstream -force [file join $output ${tk_bd_name}.bit]\n"
        "set fh [open [file join $output ${tk_bd_name}.bit] w]; puts $fh garbage; close $fh",
    ))  # fmt: skip
    with pytest.raises(
        ToolkitError, match="vivado's output was refused, nothing was placed: .*not a Xilinx bitstream"
    ):
        synth_step(project, model_hash="m0de1", plan_hash="p1a2", bitstreams=tmp_path / "bitstreams")
    assert not (tmp_path / "bitstreams" / "pynq-z2" / "m0de1-p1a2").exists()
