"""The measured path: a board results.json (what ``toolkit deploy`` fetches) is a ``--baseline``.

Results are written by the real board runtime (:func:`toolkit_overlay.measure.measure_package`)
on the checking double; as a baseline they pass the same checks as a measure.json (same board,
same model hash, exact plan, same kind of energy), and a double's own run is refused (it times
and powers no hardware). ``toolkit deploy --baseline`` adds the saving to the fetched results.
"""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace

import pytest
from toolkit_overlay.manifest import load_manifest
from toolkit_overlay.measure import measure_package
from toolkit_overlay.testing import CheckingDevice, lookup_reference

from toolkit.errors import ToolkitError
from toolkit.measure.deploy import deploy
from toolkit.measure.run import check_baseline, energy_section

from .fake_package import make_package, make_vectors, reference
from .test_deploy import MEASURE, stubs  # noqa: F401  (the ssh/scp stand-ins)

MODEL_METER = ["--meter", "model:1.4,0.2", "--samples", "2", "--interval", "0.01"]


class BoardStandIn(CheckingDevice):
    """The checking double reporting itself as the PYNQ device, as a board's results.json would."""

    kind = "pynq"


def board_results(root, exact: bool = True, board: str = "pynq-z2", device=None) -> tuple:
    """(package, results.json) of a package run by the board runtime with a modelled meter."""
    pkg = make_package(root, board=board, extra={"plan_exact": exact})
    manifest = load_manifest(pkg)
    x = make_vectors()
    dev = device or BoardStandIn(manifest.axis_in, manifest.axis_out, lookup_reference(x, reference(x)))
    out = root / "results.json"
    measure_package(pkg, meter="model:1.4,0.2", samples=2, out=out, device=dev, board=board,
                    latency_repeats=2, interval_s=0.01, log=lambda m: None)  # fmt: skip
    return pkg, out


def test_board_results_of_an_exact_build_are_a_baseline(tmp_path) -> None:
    pkg, results = board_results(tmp_path)
    base = check_baseline(results, "pynq-z2", load_manifest(pkg))
    assert base["label"] == "modelled" and base["joules"] > 0 and base["source"] == str(results)
    run = json.loads(results.read_text())
    section = energy_section(run, None, base, results)
    assert section["saving"]["label"] == "modelled" and section["saving"]["value"] is not None
    measured = {"joules": 1e-6, "stderr_j": 1e-8, "label": "measured"}
    with pytest.raises(ToolkitError, match="holds a modelled energy, this run's is measured"):
        energy_section({"power": {"energy": measured}}, None, base, results)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("not_exact", "plan is not exact"),
        ("other_board", "was measured on 'zcu104', this build is for 'pynq-z2'"),
        ("other_model", "measured model '0123456789abcdef', this build's is 'ffff'"),
        ("double", "ran on the 'double' device, not on a board"),
        ("ran_elsewhere", "the package for 'pynq-z2' ran on 'zcu104'"),
        ("mismatch", "2 of 40 outputs differed"),
        ("no_meter", "has no energy per inference"),
    ],
)
def test_bad_board_results_are_refused(tmp_path, change, message) -> None:
    pkg, results = board_results(tmp_path, exact=change != "not_exact",
                                 board="zcu104" if change == "other_board" else "pynq-z2")  # fmt: skip
    manifest = load_manifest(pkg)
    doc = json.loads(results.read_text())
    if change == "other_model":
        manifest = SimpleNamespace(raw={"model_hash": "ffff"})
    elif change == "double":
        doc["device"] = "double"
    elif change == "ran_elsewhere":
        doc["board"] = "zcu104"
    elif change == "mismatch":
        doc["mismatches"] = 2
    elif change == "no_meter":
        doc["power"] = None
    results.write_text(json.dumps(doc))
    with pytest.raises(ToolkitError, match=message):
        check_baseline(results, "pynq-z2", manifest)


def test_the_doubles_own_run_is_refused_as_a_baseline(tmp_path) -> None:
    pkg = make_package(tmp_path, extra={"plan_exact": True})
    from toolkit_overlay.__main__ import main

    assert main(["measure", str(pkg), *MEASURE[:2], *MODEL_METER, "--latency-repeats", "2"]) == 0
    with pytest.raises(ToolkitError, match="ran on the 'double' device"):
        check_baseline(pkg / "results.json", "pynq-z2", load_manifest(pkg))


def test_deploy_adds_the_saving_against_a_board_baseline(tmp_path, stubs) -> None:  # noqa: F811
    _, baseline = board_results(tmp_path / "exact")
    pkg = make_package(tmp_path / "plan", extra={"plan_exact": False})
    done = deploy("board", pkg, measure_args=[*MEASURE[:2], *MODEL_METER, "--latency-repeats", "2"],
                  python=sys.executable, baseline=baseline)  # fmt: skip
    energy = done.results["energy"]
    assert energy["exact"]["source"] == str(baseline) and energy["saving"]["label"] == "modelled"
    assert json.loads(done.results_path.read_text())["energy"] == energy
    # a baseline of another model is refused before anything is copied
    other = make_package(tmp_path / "other", extra={"plan_exact": True})
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["model_hash"] = "ffff"
    (other / "manifest.json").write_text(json.dumps(manifest))
    calls_before = len(stubs[1]())
    with pytest.raises(ToolkitError, match="measured model '0123456789abcdef', this build's is 'ffff'"):
        deploy("board", other, python=sys.executable, baseline=baseline)
    assert len(stubs[1]()) == calls_before


def test_deploy_cli_refuses_a_bad_baseline_before_copying(tmp_path) -> None:
    from click.testing import CliRunner

    from toolkit.cli.main import cli

    pkg = make_package(tmp_path, extra={"plan_exact": False})
    (tmp_path / "plan.json").write_text("{}")
    done = CliRunner().invoke(cli, ["deploy", "--host", "board", "--package", str(pkg),
                                    "--baseline", str(tmp_path / "plan.json")])  # fmt: skip
    assert done.exit_code == 2
    assert "is not a measure.json written by `toolkit measure` nor a results.json" in done.output
