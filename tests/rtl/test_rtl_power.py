"""Area (yosys), modelled power from toggle activity, and `toolkit sim` on a build folder."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from toolkit.cli.main import cli

from .plans import plan_json

pytestmark = [pytest.mark.verilator, pytest.mark.yosys]


def test_sim_build_folder_reports_area_and_modelled_power(zoo_models, tmp_path) -> None:
    entry = zoo_models["digits-cnn"]
    entry["deploy"].save(tmp_path / "model.h5")
    (tmp_path / "build.json").write_text(json.dumps({"board": "pynq-z2", "data": "digits"}))
    (tmp_path / "plan.json").write_text(json.dumps(plan_json("digits-cnn", "approx_cv")))
    result = CliRunner().invoke(
        cli, ["sim", "--build", str(tmp_path), "--limit", "120", "--fold", "4", "--json"]
    )
    assert result.exit_code == 0, result.output
    r = json.loads(result.stdout)
    assert r == json.loads((tmp_path / "sim.json").read_text())
    assert r["n"] == 120 and r["bit_exact_samples"] == 120
    assert r["plan"] == {"conv1": "trunc2_u4s4+cv", "conv2": "mitchell_u4s4+cv", "fc": "drum2_u4s4+bias"}
    c = r["cycles"]
    assert c["basis"].startswith("simulated") and c["interval_floor"] <= c["interval"]
    assert r["inferences_per_second"] == pytest.approx(100e6 / c["interval"])
    area = r["area"]
    for key in ("lut", "ff", "carry4", "bram36"):  # layers (and io) add up to the whole design
        assert sum(layer[key] for layer in area["layers"].values()) == pytest.approx(area["total"][key])
    assert area["layers"]["l2_conv1"]["lut"] > 50 and area["total"]["ff"] > 0
    assert area["percent"]["lut"] == pytest.approx(100 * area["total"]["lut"] / 53200)
    power = r["power"]
    assert power["label"].startswith("modelled")
    assert 0 < power["dynamic_w"] < 1.0 and power["static_w"] > 0
    assert power["energy_per_inference_j"] == pytest.approx(power["total_w"] * c["interval"] / 100e6)
    rates = {k: m["rate"] for k, m in r["activity"]["modules"].items()}
    assert all(0 <= v < 2 for v in rates.values()) and rates["l2_conv1"] > 0


def test_fold_trades_cycles_for_area(zoo_models) -> None:
    from toolkit.rtlgen import generate, interval_floor
    from toolkit.rtlgen.area import synthesize

    model_ir = zoo_models["digits-mlp"]["ir"]
    small, wide = generate(model_ir, fold=2), generate(model_ir, fold=16)
    a_small, a_wide = synthesize(small), synthesize(wide)
    assert interval_floor(small) > 4 * interval_floor(wide)
    assert a_small.layers["l2_fc1"]["lut"] < a_wide.layers["l2_fc1"]["lut"]
    assert np.isfinite(a_small.total["lut"])
