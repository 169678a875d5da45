"""End to end (verilator tier): the default `toolkit build --board pynq-z2 --accelerator rtl`, then
`toolkit measure --target sim`.

The simulated hardware must reproduce the emulator's accuracy with zero mismatches, the
measurement must produce a complete JSON result and HTML report with every figure labelled,
and the vendor project must hold the very RTL that was simulated.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from toolkit.cli.main import cli

pytestmark = [pytest.mark.verilator, pytest.mark.yosys, pytest.mark.slow]


def test_default_build_then_simulated_measurement(tmp_path: Path) -> None:
    out = tmp_path / "digits"
    built = CliRunner().invoke(cli, ["build", "--board", "pynq-z2", "--accelerator", "rtl", "--out", str(out),
                                     "--json"])  # fmt: skip
    assert built.exit_code == 0, built.output
    records = json.loads(built.stdout)["steps"]
    synth = "passed" if shutil.which("vivado") else "not_run"
    assert {r["step"]: r["status"] for r in records} == {
        "quantize": "passed", "approx": "passed", "hls": "passed", "rtl": "passed", "synth": synth,
        "package": "passed",
    }  # fmt: skip
    by_step = {r["step"]: r for r in records}
    assert by_step["hls"]["result"]["equal_samples"] == by_step["hls"]["result"]["n_samples"] > 0
    assert "not on PATH" in by_step["synth"]["result"]["message"] or synth == "passed"
    for artifact in ("model.h5", "plan.json", "hls/firmware", "csim.json", "sim.json", "vendor/run.sh", "vendor/rtl/rtl.json",
                     "package/manifest.json", "package/vectors.npz", "package/toolkit_overlay/__main__.py"):  # fmt: skip
        assert (out / artifact).exists(), artifact

    manifest = json.loads((out / "package" / "manifest.json").read_text())
    rtl = json.loads((out / "vendor" / "rtl" / "rtl.json").read_text())
    sim = json.loads((out / "sim.json").read_text())
    assert manifest["accelerator"]["kind"] == "rtl" and manifest["accelerator"]["simulated_is_deployed"]
    assert rtl["design_hash"] == sim["design_hash"] == manifest["accelerator"]["rtl_design_hash"]

    measured = CliRunner().invoke(cli, ["measure", "--build", str(out), "--target", "sim", "--json"])
    assert measured.exit_code == 0, measured.output
    result = json.loads(measured.stdout)
    assert result["target"] == "sim" and "--target sim" in result["target_reason"]
    assert result["agreement"]["mismatches"] == 0 and result["agreement"]["bit_exact"]

    from toolkit.emulator.engine import Emulator
    from toolkit.models.datasets import load_dataset
    from toolkit.models.loading import load_keras_file
    from toolkit.models.reader import read_model
    from toolkit.plan import load_plan

    model_ir, _ = read_model(load_keras_file(out / "model.h5"))
    data = load_dataset("digits")
    emulated = Emulator(model_ir, load_plan(out / "plan.json", model_ir).kernels()).predict(data.x_test)
    assert result["accuracy"]["hardware"] == pytest.approx(float(np.mean(emulated.argmax(1) == data.y_test)))
    assert result["accuracy"]["samples"] == len(data.y_test)
    energy = result["energy"]
    assert energy["plan"]["joules"] > 0 and energy["exact"]["joules"] > 0
    assert energy["plan"]["label"] == energy["exact"]["label"] == energy["saving"]["label"] == "modelled"
    assert "measured" not in json.dumps(energy)  # nothing modelled is called measured
    assert energy["saving"]["predicted_selection"] is not None
    if manifest["plan_exact"]:  # an exact build saves 0 within its stated error
        assert abs(energy["saving"]["value"]) <= energy["saving"]["stderr"] + 1e-12
    assert result["agreement"]["label"] == "simulated" and result["design"]["note"] is None
    assert result["throughput"]["timing"] == "simulated" and result["power"]["label"] == "modelled"
    saved = json.loads((out / "measure.json").read_text())
    assert saved["agreement"] == result["agreement"]
    page = (out / "measure.html").read_text()
    for section in ("Accuracy and agreement", "Energy per inference", "Power model (modelled, not measured)",
                    "Energy: exact vs plan", "Per-layer sensitivity", "data:image/png;base64,"):  # fmt: skip
        assert section in page, section
    assert "Power trace" not in page and "± 0.000" not in page  # a model is not drawn as samples

    # --limit: the exact model's accuracy is taken on the same samples the hardware ran, so the
    # loss compares like with like (it used to be the full test split's against the subset's)
    limited = CliRunner().invoke(
        cli, ["measure", "--build", str(out), "--target", "sim", "--limit", "50", "--json"]
    )
    assert limited.exit_code == 0, limited.output
    part = json.loads(limited.stdout)["accuracy"]
    exact = Emulator(model_ir).predict(data.x_test[:50]).argmax(1) == data.y_test[:50]
    assert part["samples"] == 50 and part["emulator_exact"] == pytest.approx(float(np.mean(exact)))
    assert part["hardware"] == pytest.approx(float(np.mean(emulated[:50].argmax(1) == data.y_test[:50])))
