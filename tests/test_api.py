"""The Python API (toolkit.emulate/select/build/...) against the CLI: one code path, same results, same errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import toolkit
from toolkit.cli.main import cli
from toolkit.errors import ToolkitError

USER_MODEL = pytest.mark.xdist_group("api_user_model")
SAME_EMULATION = ("accuracy", "correct", "n", "agreement", "model_hash", "mac_layers", "multipliers")


def _cli(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def _cli_json(*args: str) -> dict:
    result = _cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _cli_error(*args: str) -> str:
    result = _cli(*args)
    assert result.exit_code == 2, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("error: "), result.output
    return line.removeprefix("error: ")


@pytest.fixture(scope="module")
def user_model(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A functional QKeras model with Keras' default layer names (untrained: identity, not accuracy, is tested
    here); its data as arrays and .npz. The tests using it share one xdist group, so it is made once."""
    import tensorflow as tf
    from qkeras import QActivation, QDense

    from toolkit.models.datasets import load_dataset

    digits = load_dataset("digits")
    # default names as a fresh session gives them (q_dense, q_dense_1), whatever this worker built before
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(3)
    inputs = tf.keras.Input((8, 8, 1))
    x = tf.keras.layers.Flatten()(QActivation("quantized_relu(4,0)")(inputs))
    x = QActivation("quantized_relu(4,2)")(QDense(12, kernel_quantizer="quantized_bits(4,0,alpha=1)",
                                                  bias_quantizer="quantized_bits(8,3,alpha=1)")(x))  # fmt: skip
    outputs = QDense(
        10, kernel_quantizer="quantized_bits(4,0,alpha=1)", bias_quantizer="quantized_bits(8,3,alpha=1)"
    )(x)
    model = tf.keras.Model(inputs, outputs)
    folder = tmp_path_factory.mktemp("user")
    arrays = {k: getattr(digits, k) for k in ("x_train", "y_train", "x_test", "y_test")}
    np.savez(folder / "data.npz", **arrays)
    return {"model": model, "arrays": arrays, "npz": folder / "data.npz", "folder": folder}


@USER_MODEL
@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_an_in_memory_model_is_the_model_saved_and_loaded(
    user_model: dict, tmp_path: Path, suffix: str
) -> None:
    model, arrays = user_model["model"], user_model["arrays"]
    path = tmp_path / f"mine{suffix}"
    model.save(path)
    api = toolkit.emulate(
        model, ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]))
    )
    cli_result = _cli_json("emulate", "--model", str(path), "--data", str(user_model["npz"]))
    assert {k: api.to_json()[k] for k in SAME_EMULATION} == {k: cli_result[k] for k in SAME_EMULATION}
    assert api.agreement.classes_equal == api.n  # exact arithmetic agrees with the user's model
    # the emulator's outputs for raw samples equal the dataset run's classes
    outputs = toolkit.emulate(model, arrays["x_test"])
    assert int((outputs.argmax(axis=1) == arrays["y_test"]).sum()) == api.correct


def test_api_and_cli_select_the_same_plan(tmp_path: Path) -> None:
    args = ("--model", "zoo:digits-mlp", "--families", "trunc", "--refine", "0", "--budget", "2")
    cli_summary = _cli_json("approx", *args, "--out", str(tmp_path / "cli"))
    sel = toolkit.select("zoo:digits-mlp", budget=2, families=["trunc"], refine=0, out=tmp_path / "api")
    from toolkit_overlay.manifest import plan_hash

    assert sel.plan_hash == plan_hash(tmp_path / "cli" / "plan.json")
    for key in ("layers", "test", "certificate", "energy", "samples"):
        assert sel.to_json()[key] == cli_summary[key], key
    assert sel.certificate.status == cli_summary["certificate"]["status"]
    assert set(sel.plan.layers) <= set(sel.layers) and set(sel.plots) == {"chosen", "pareto", "sensitivity"}
    api_run = toolkit.emulate("zoo:digits-mlp", plan=sel, limit=200)
    cli_run = _cli_json("emulate", "--model", "zoo:digits-mlp", "--plan", str(tmp_path / "cli" / "plan.json"),
                        "--limit", "200")  # fmt: skip
    assert {k: api_run.to_json()[k] for k in SAME_EMULATION} == {k: cli_run[k] for k in SAME_EMULATION}


def _bad_toml(folder: Path) -> Path:
    path = folder / "bad.toml"
    path.write_text('board = "pynq-z2"\nbudjet = 2\n')
    return path


BAD_INPUT = [
    ("missing model file", ["emulate", "--model", "nope.h5"], lambda d: toolkit.emulate("nope.h5")),
    ("unknown dataset", ["emulate", "--data", "nope"], lambda d: toolkit.emulate(data="nope")),
    ("NaN budget", ["approx", "--budget", "nan", "--out", "x"], lambda d: toolkit.select(budget=math.nan)),
    ("unknown board", ["build", "--board", "nope", "--to", "quantize", "--out", "b"],
     lambda d: toolkit.build(board="nope", stop_after="quantize", out="b")),
    ("sim of a build with a model", ["sim", "--build", "b", "--model", "zoo:digits-mlp"],
     lambda d: toolkit.sim("zoo:digits-mlp", build="b")),
    ("measure of no build", ["measure", "--build", "nowhere"], lambda d: toolkit.measure_build("nowhere")),
    ("unknown option in build.toml", ["build", "--config", "{bad}"], lambda d: toolkit.build(config=_bad_toml(d))),
    ("report of no build", ["report", "nowhere"], lambda d: toolkit.report_build("nowhere")),
]  # fmt: skip


@pytest.mark.parametrize(("what", "args", "call"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_is_the_clis_error_as_one_exception_type(
    tmp_path: Path, monkeypatch, what, args, call
) -> None:
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{bad}", str(_bad_toml(tmp_path))) for a in args]
    message = _cli_error(*args)
    with pytest.raises(ToolkitError) as caught:
        call(tmp_path)
    assert str(caught.value) == message


def test_bad_arrays_and_objects_are_clear_errors() -> None:
    with pytest.raises(ToolkitError, match=r"data \(x, y\): x has 3 samples but y has 2"):
        toolkit.emulate("zoo:digits-mlp", (np.zeros((3, 8, 8, 1)), np.zeros(2)))
    with pytest.raises(
        ToolkitError, match="expected zoo:NAME, a path to a .h5/.keras file or a Keras/QKeras model"
    ):
        toolkit.emulate(42, "digits")
    with pytest.raises(ToolkitError, match="pass the Selection that toolkit.select returned"):
        toolkit.emulate("zoo:digits-mlp", plan=object())


@pytest.fixture(scope="module")
def config_build(user_model: dict) -> dict:
    """build --config build.toml --budget 3 up to approx: a user plan, one layer overridden."""
    folder = user_model["folder"]
    user_model["model"].save(folder / "mine.h5")
    (folder / "exact.json").write_text(json.dumps({"format": "toolkit-plan", "version": 1, "layers": []}))
    (folder / "build.toml").write_text(
        'model = "mine.h5"\ndata = "data.npz"\nplan = "exact.json"\nbudget = 0.5\nquantize = "keep"\n'
        f'out = "{folder / "build"}"\nto = "approx"\n\n[layers.q_dense]\nmultiplier = "trunc2"\ncorrection = "cv"\n'
    )
    result = _cli_json("build", "--config", str(folder / "build.toml"), "--budget", "3")
    return {"folder": folder, "build": folder / "build", "result": result}


@USER_MODEL
def test_a_config_file_with_cli_overrides_and_per_layer_overrides(config_build: dict) -> None:
    import tomllib

    build, folder = config_build["build"], config_build["folder"]
    normalized = tomllib.loads((build / "build.toml").read_text())
    assert normalized["budget"] == 3.0  # the flag overrides the file
    assert normalized["model"] == str(folder / "mine.h5") and normalized["data"] == str(folder / "data.npz")
    assert normalized["layers"] == {"q_dense": {"multiplier": "trunc2", "correction": "cv"}}
    plan = json.loads((build / "plan.json").read_text())
    (dense,) = plan["layers"]
    assert dense["name"] == "q_dense" and dense["multiplier"].startswith("trunc2_")
    assert dense["correction"]["mode"] == "cv"
    approx = config_build["result"]["steps"][1]
    assert approx["result"]["overrides"] == {"q_dense": {"multiplier": "trunc2", "correction": "cv"}}
    assert "overridden by build.toml: q_dense" in approx["summary"]
    # the normalized file rebuilds the same thing: every step is reused
    again = _cli_json("build", "--config", str(build / "build.toml"), "--out", str(build), "--to", "approx")
    assert [r.get("reused") for r in again["steps"]] == [True, True]
    # the API with the same file and the same override gives the same plan
    api = toolkit.build(config=folder / "build.toml", budget=3, out=folder / "api-build")
    assert (folder / "api-build" / "plan.json").read_bytes() == (build / "plan.json").read_bytes()
    assert api.record("approx").result.overrides.to_json() == approx["result"]["overrides"]


@USER_MODEL
def test_bits_overrides_need_density_training(config_build: dict, tmp_path: Path) -> None:
    folder = config_build["folder"]
    path = tmp_path / "bits.toml"
    path.write_text(f'model = "{folder / "mine.h5"}"\ndata = "{folder / "data.npz"}"\nquantize = "keep"\n'
                    '[layers.q_dense]\nbits = 3\n')  # fmt: skip
    message = _cli_error("build", "--config", str(path), "--out", str(tmp_path / "b"), "--to", "quantize")
    assert "build.toml sets bits for q_dense, but the quantize policy is 'keep'" in message
    path.write_text("[layers.dense]\nbits = 1\n")
    with pytest.raises(ToolkitError, match=r"\[layers.dense\] bits 1: expected an integer from 2 to 16"):
        toolkit.build(config=path)


@USER_MODEL
def test_report_regenerates_from_the_folder(config_build: dict) -> None:
    build = config_build["build"]
    result = _cli("report", str(build))
    assert result.exit_code == 0 and result.output.strip().endswith("report.html")
    page = (build / "report.html").read_text()
    assert "<h2>Steps</h2>" in page and "trunc2_" in page and "exact arithmetic vs your model" in page
    report = toolkit.open_build(build).report()
    assert report.html == page
    assert report._repr_html_().startswith("<iframe srcdoc=")


def test_plots_keep_the_users_matplotlib_backend() -> None:
    import matplotlib
    import matplotlib.pyplot as plt

    from toolkit.measure.report import _energy_plot

    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        energy = {"plan": {"joules": 2e-9, "label": "modelled"}, "exact": {"joules": 3e-9, "label": "modelled"},
                  "saving": {"predicted_selection": 0.2, "value": 0.3, "stderr": 0.0, "label": "modelled"}}  # fmt: skip
        png = _energy_plot({"energy": energy})
        assert png.startswith(b"\x89PNG")
        assert matplotlib.get_backend() == "svg" and plt.get_fignums() == []
    finally:
        matplotlib.use(before)
