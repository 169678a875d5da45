"""The rtl step simulates the Verilog HLS wrote for the hls4ml accelerator, where HLS is installed.

A stand-in ``vitis_hls`` (standin_tool.py, sourcing hls.tcl under the recording Tcl harness) writes
hand-written Verilog in HLS's output layout (``toolkit_hls/solution1/syn/verilog/``: the top
``toolkit_axis_top`` with HLS's AXI-Stream ports, a ROM module and its ``.dat``) computing the
tiny model's layer exactly; the step Verilates it behind the wrapper with the same harness and
device as the generated RTL, and the records say ``hls (Vitis HLS Verilog)``. The same files with
a wrong ROM give the mismatch (exit status 3); without HLS the record says that the numbers come
from the generated RTL of the same plan.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from toolkit.boards import load_board
from toolkit.errors import EXIT_MISMATCH, HardwareMismatch, ToolkitError
from toolkit.rtlgen import hls_verilog
from toolkit.rtlgen.build_dir import HLS_RUN_DIR, RTL_SIM_DIR, SAME_PLAN_RTL, describe_design

DATA = Path(__file__).resolve().parents[1] / "data" / "hls_verilog"
W1 = np.array(
    [1, -1, 2, -2]
)  # the good ROM (tests/data/hls_verilog/good/*.dat); the wrong one (wrong_w1_rom.dat) has w1[1] = +1
pytestmark = pytest.mark.skipif(shutil.which("tclsh") is None, reason="tclsh not on PATH")


def wrong_verilog(tmp_path: Path) -> Path:
    """The good HLS output with one wrong ROM word: the same logic, other weights."""
    folder = tmp_path / "wrong-verilog"
    shutil.copytree(DATA / "good", folder)
    shutil.copy(DATA / "wrong_w1_rom.dat", folder / "toolkit_axis_top_w1_rom.dat")
    return folder


def tiny_model():
    """Input 4 codes u4.0 (quantized_relu(4,0)), QDense(2) without bias: y = x_codes @ W_codes, s9.2 codes.

    Layers are named so that the generated design (and its cached Verilator build) does not depend
    on how many Keras models the session made before."""
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers, models

    model = models.Sequential([
        layers.Input((4,)),
        QActivation("quantized_relu(4,0)", name="in_q"),
        QDense(2, kernel_quantizer="quantized_bits(4,0,alpha=1)", use_bias=False, name="fc"),
    ])  # fmt: skip
    model.layers[-1].set_weights([(np.stack([np.ones(4), W1], axis=1) / 8).astype("float32")])
    return model


def make_build(root: Path) -> Path:
    """A build folder as the earlier steps leave it: model.h5, build.json, data.npz, an hls/ project."""
    from toolkit.models.reader import read_model

    build = root / "build"
    (build / "hls" / "firmware" / "weights").mkdir(parents=True)
    model = tiny_model()
    model.save(str(build / "model.h5"), include_optimizer=False, save_format="h5")
    model_ir, _ = read_model(model)
    rng = np.random.default_rng(3)
    x = rng.uniform(-0.3, 1.3, (24, 4)).astype("float32")  # past both rails of the input quantizer
    np.savez(
        build / "data.npz", x_train=x, y_train=np.zeros(24, int), x_test=x, y_test=rng.integers(0, 2, 24)
    )
    (build / "build.json").write_text(
        json.dumps({"board": "pynq-z2", "data": "data.npz", "accelerator": "hls4ml"})
    )
    (build / "hls" / "firmware" / "toolkit_accel.h").write_text(
        "void toolkit_accel(input_t x[4], result_t y[2]);\n"
    )
    (build / "hls" / "firmware" / "toolkit_accel.cpp").write_text('#include "toolkit_accel.h"\n')
    assert model_ir.output_precision.describe() == "s9.2"
    return build


def rtl_step(build: Path, stage: Path):
    """The pipeline's rtl step on ``build`` (artifacts written to ``stage``, then moved in as the engine does)."""
    from toolkit.pipeline import steps
    from toolkit.pipeline.engine import BuildConfig, BuildContext

    stage.mkdir()
    ctx = BuildContext(build, BuildConfig(accelerator="hls4ml", data=str(build / "data.npz")),
                       load_board("pynq-z2"), stage, lambda m: None)  # fmt: skip
    result = steps.rtl(ctx)
    for name in ("sim.json", RTL_SIM_DIR):
        shutil.move(stage / name, build / name)
    return result


@pytest.mark.verilator
@pytest.mark.yosys
def test_rtl_step_simulates_the_hls_verilog(tools, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("STANDIN_HLS_VERILOG", str(DATA / "good"))
    build = make_build(tmp_path)
    result = rtl_step(build, tmp_path / "stage")
    label = "hls (Vitis HLS Verilog)"
    assert result["simulated"] == label and result["bit_exact_samples"] == result["n"] == 24
    runs = [json.loads(line) for line in tools.read_text().splitlines()]
    assert [(r["tool"], r["argv"]) for r in runs] == [("vitis_hls", ["-f", "hls.tcl"])]
    folder = hls_verilog.verilog_dir(build / RTL_SIM_DIR / HLS_RUN_DIR)
    assert runs[0]["cwd"] == str(tmp_path / "stage" / RTL_SIM_DIR / HLS_RUN_DIR)

    sim = json.loads((build / "sim.json").read_text())
    assert sim["design"] == describe_design("hls4ml", sim["hls_verilog"]["hash"], sim["hls_verilog"])
    assert sim["design"]["simulated"] == label and sim["design"]["is_deployed_design"] is True
    assert sim["hls_verilog"]["folder"] == str(folder) and sim["design_hash"] == sim["hls_verilog"]["hash"]
    assert set(sim["hls_verilog"]["files"]) == {"toolkit_axis_top.v", "toolkit_axis_top_w1_rom.v",
                                                "toolkit_axis_top_w1_rom.dat"}  # fmt: skip
    # one register stage: a sample leaves 1 cycle after it entered, one per cycle
    assert sim["cycles"]["latency"] == 1 and sim["cycles"]["interval"] == 1.0
    assert sim["cycles"]["interval_floor"] is None and sim["lanes"] is None
    assert sim["area"]["total"]["ff"] > 0 and sim["power"]["per_module_dynamic_w"].keys() == {"hls"}
    design_json = json.loads((build / RTL_SIM_DIR / "design.json").read_text())
    assert design_json["hls_verilog"]["files"] == sim["hls_verilog"]["files"]

    # the stand-in Verilog computes what the emulator computes (saturating inputs included), word for word
    from toolkit.emulator.engine import Emulator
    from toolkit.models.datasets import load_dataset
    from toolkit.pipeline.steps import load_build
    from toolkit.rtlgen.generate import generate

    model_ir, _, _ = load_build(build, with_plan=False)
    codes = Emulator(model_ir).quantize_input(load_dataset(str(build / "data.npz")).x_test)
    assert codes.max() == 15 and codes.min() == 0
    design = generate(model_ir, None, axis_bits=64)
    with hls_verilog.open_hls_device(folder, design, activity=False) as device:
        got = device.predict_codes(codes).codes
    np.testing.assert_array_equal(got, Emulator(model_ir).predict_codes(codes))
    np.testing.assert_array_equal(got, codes @ np.stack([np.ones(4, int), W1], axis=1))

    # `toolkit sim --build` re-simulates the same HLS Verilog; edited files are refused, not simulated
    from click.testing import CliRunner

    from toolkit.cli.main import cli

    done = CliRunner().invoke(cli, ["sim", "--build", str(build), "--no-area", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout.splitlines()[0])["design"]["simulated"] == label
    done = CliRunner().invoke(cli, ["sim", "--build", str(build), "--no-area"])
    assert done.exit_code == 0 and "hls (Vitis HLS Verilog)" in done.output, done.output

    # the package's manifest and `toolkit measure --target sim` (its JSON and HTML) name the design
    from toolkit.measure.energy import exact_plan
    from toolkit.measure.run import measure_build
    from toolkit.pipeline.engine import BuildConfig, BuildContext
    from toolkit.pipeline.package import package

    exact_plan(model_ir).save(build / "plan.json", model_ir)
    (tmp_path / "pkg-stage").mkdir()
    ctx = BuildContext(build, BuildConfig(accelerator="hls4ml", data=str(build / "data.npz")),
                       load_board("pynq-z2"), tmp_path / "pkg-stage", lambda m: None)  # fmt: skip
    package(ctx)
    shutil.move(tmp_path / "pkg-stage" / "package", build / "package")
    accelerator = json.loads((build / "package" / "manifest.json").read_text())["accelerator"]
    assert accelerator["simulated"] == label and accelerator["simulated_is_deployed"] is True
    measured = measure_build(build, target="sim", meter="none", log=lambda m: None)
    assert measured["agreement"]["mismatches"] == 0 and measured["agreement"]["samples"] == 24
    assert measured["design"]["agreement_timing"] == f"simulated: {label} under Verilator"
    assert measured["design"]["energy"] == "modelled: generated RTL (same plan) under Verilator"
    assert "not from the HLS design" in measured["design"]["note"]
    page = Path(measured["report"]).read_text()
    assert f"simulated: {label} under Verilator" in page and "generated RTL (same plan)" in page
    shutil.copy(DATA / "wrong_w1_rom.dat", folder / "toolkit_axis_top_w1_rom.dat")
    done = CliRunner().invoke(cli, ["sim", "--build", str(build), "--no-area"])
    assert done.exit_code == 2 and "toolkit_axis_top_w1_rom.dat differ" in done.output


@pytest.mark.verilator
@pytest.mark.yosys
def test_wrong_hls_verilog_is_a_hardware_mismatch(tools, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("STANDIN_HLS_VERILOG", str(wrong_verilog(tmp_path)))
    with pytest.raises(
        HardwareMismatch, match=r"the hls \(Vitis HLS Verilog\) disagrees with the emulator on \d+ of 24"
    ) as info:
        rtl_step(make_build(tmp_path), tmp_path / "stage")
    assert info.value.exit_status == EXIT_MISMATCH == 3


@pytest.mark.verilator
@pytest.mark.yosys
def test_without_hls_the_record_says_the_generated_rtl(tmp_path, monkeypatch) -> None:
    import os

    from toolkit.hlsgen.vendor import HLS_TOOLS

    keep = [
        p for p in os.environ["PATH"].split(os.pathsep) if not any((Path(p) / t).exists() for t in HLS_TOOLS)
    ]
    monkeypatch.setenv("PATH", os.pathsep.join(keep))  # no HLS tool here, whatever the machine has
    build = make_build(tmp_path)
    result = rtl_step(build, tmp_path / "stage")
    sim = json.loads((build / "sim.json").read_text())
    assert result["simulated"] == sim["design"]["simulated"] == SAME_PLAN_RTL == "generated RTL (same plan)"
    assert sim["design"]["is_deployed_design"] is False and sim["hls_verilog"] is None
    assert (
        "come from the toolkit's generated RTL of the same plan, not from the HLS design"
        in sim["design"]["note"]
    )
    assert result["bit_exact_samples"] == 24 and not (build / RTL_SIM_DIR / HLS_RUN_DIR).exists()


def test_the_hls_port_list_is_checked(tmp_path) -> None:
    ports = hls_verilog.read_ports(DATA / "good")
    assert ports["s_axis_TDATA"] == ("input", 64) and ports["m_axis_TLAST"] == ("output", 1)
    flags = hls_verilog.wrapper_flags(ports, 64, 64)
    assert "-DTK_HLS_IN_KEEP" in flags and "-DTK_HLS_IN_STRB" in flags and "-DTK_HLS_RST_HIGH" not in flags
    with pytest.raises(ToolkitError, match="s_axis_TDATA is 64 bits wide; the stream format .* is 128"):
        hls_verilog.wrapper_flags(ports, 128, 128)
    missing = {k: v for k, v in ports.items() if k != "m_axis_TREADY"}
    with pytest.raises(ToolkitError, match="lacks port.*m_axis_TREADY"):
        hls_verilog.wrapper_flags(missing, 64, 64)
    with pytest.raises(ToolkitError, match="input.*s_axis_TFANCY the simulation cannot drive"):
        hls_verilog.wrapper_flags(ports | {"s_axis_TFANCY": ("input", 1)}, 64, 64)
    high = {k: v for k, v in ports.items() if k != "ap_rst_n"} | {
        "ap_rst": ("input", 1),
        "ap_start": ("input", 1),
    }
    assert {"-DTK_HLS_RST_HIGH", "-DTK_HLS_AP_START"} <= set(hls_verilog.wrapper_flags(high, 64, 64))
    with pytest.raises(ToolkitError, match="holds no toolkit_axis_top.v"):
        hls_verilog.read_ports(tmp_path)


def test_synth_refuses_hls_verilog_other_than_the_simulated(
    tools, fake_hls_project, tmp_path, monkeypatch
) -> None:
    """The synth step's own HLS run must write the Verilog the rtl step simulated; the manifest records its hash."""
    from tests.vendor.conftest import STREAM
    from toolkit.hlsgen.vendor import generate_vendor_project, synth_step

    simulated = hls_verilog.hls_record(DATA / "good", "vitis_hls")
    project = generate_vendor_project(fake_hls_project, tmp_path / "vendor", load_board("pynq-z2"), STREAM,
                                      hls_tool="vitis_hls")  # fmt: skip
    banner = tmp_path / "good-other-banner"  # the same logic under another tool banner: the same design
    shutil.copytree(DATA / "good", banner)
    top = banner / "toolkit_axis_top.v"
    top.write_text("// RTL generated by Vitis HLS, Version: 2024.2, Date: today\n" + top.read_text())
    monkeypatch.setenv("STANDIN_HLS_VERILOG", str(banner))
    result = synth_step(
        project, model_hash="m", plan_hash="p", bitstreams=tmp_path / "bits", hls_verilog=simulated
    )
    manifest = json.loads(Path(result["manifest"]).read_text())
    assert result["status"] == "passed" and manifest["hls_verilog_hash"] == simulated["hash"]
    monkeypatch.setenv("STANDIN_HLS_VERILOG", str(wrong_verilog(tmp_path)))
    with pytest.raises(ToolkitError, match="is not the Verilog the rtl step simulated.*w1_rom.dat differ"):
        synth_step(
            project, model_hash="m", plan_hash="p", bitstreams=tmp_path / "bits2", hls_verilog=simulated
        )
    runs = [json.loads(line)["tool"] for line in tools.read_text().splitlines() if "-version" not in line]
    assert runs == ["vitis_hls", "vivado", "vitis_hls"]  # vivado never ran on the other Verilog
