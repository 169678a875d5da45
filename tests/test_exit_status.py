"""One exit status (3) for "the hardware disagrees with the emulator", on every path, each with an
injected mismatch: toolkit sim, toolkit measure, toolkit deploy, the hls and rtl build steps and
the board runtime. Bad input stays 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.overlay.fake_package import make_package, reference
from toolkit.cli.main import cli
from toolkit.errors import EXIT_ERROR, EXIT_MISMATCH, HardwareMismatch

FLIP_SAMPLE = 3


def flipping(codes: np.ndarray) -> np.ndarray:
    """The fake package's reference with one bit flipped in the first output of its sample FLIP_SAMPLE
    (recognised by its inputs, so batches of any size see the same defect)."""
    from tests.overlay.fake_package import make_vectors

    target = make_vectors()[FLIP_SAMPLE].reshape(-1)
    codes = np.asarray(codes).reshape(len(codes), -1)
    out = reference(codes)
    out[np.all(codes == target, axis=1), 0] ^= 1
    return out


def test_exit_statuses_are_documented() -> None:
    done = CliRunner().invoke(cli, ["--help"])
    assert "3 the hardware" in done.output and "2 bad input" in done.output
    assert EXIT_MISMATCH == 3 and EXIT_ERROR == 2
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "exit status 3" in readme.lower()


def test_board_runtime_exits_3_on_a_flipped_bit(tmp_path, monkeypatch) -> None:
    import toolkit_overlay.testing as testing
    from toolkit_overlay.__main__ import main

    pkg = make_package(tmp_path)
    monkeypatch.setattr(testing, "lookup_reference", lambda x, expected: flipping)
    status = main(["measure", str(pkg), "--device", "double", "--meter", "none", "--latency-repeats", "2"])
    assert status == EXIT_MISMATCH
    assert json.loads((pkg / "results.json").read_text())["mismatch_indices"] == [FLIP_SAMPLE]
    assert main(["measure", str(pkg), "--device", "double", "--board", "zcu104"]) == EXIT_ERROR


INJECT = """
import runpy, sys, os
sys.path.insert(0, os.getcwd())
import toolkit_overlay.testing as t
from tests_inject import flipping
t.lookup_reference = lambda x, expected: flipping
sys.argv = ["toolkit_overlay"] + sys.argv[3:] + ["--device", "double", "--latency-repeats", "2"]  # the board double
runpy.run_module("toolkit_overlay", run_name="__main__")
"""


def test_deploy_exits_3_when_the_board_disagrees(tmp_path, monkeypatch) -> None:
    from tests.overlay.test_deploy import SCP, SSH

    bin_dir, home = tmp_path / "bin", tmp_path / "home"
    bin_dir.mkdir()
    home.mkdir()
    for name, body in (("ssh", SSH), ("scp", SCP)):
        (bin_dir / name).write_text(f"#!{sys.executable}\n{body}")
        (bin_dir / name).chmod(0o755)
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "run.py").write_text(INJECT)
    (inject / "tests_inject.py").write_text("from tests.test_exit_status import flipping\n")
    repo = Path(__file__).resolve().parents[1]
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    monkeypatch.setenv("STUB_LOG", str(tmp_path / "log"))
    monkeypatch.setenv("STUB_HOME", str(home))
    monkeypatch.setenv("PYTHONPATH", f"{inject}:{repo}")
    monkeypatch.delenv("BOARD", raising=False)
    pkg = make_package(tmp_path)
    done = CliRunner().invoke(cli, ["deploy", "--host", "board", "--package", str(pkg), "--meter", "none",
                                    "--python", f"{sys.executable} {inject / 'run.py'}"])  # fmt: skip
    assert done.exit_code == EXIT_MISMATCH, done.output
    assert "differ from the emulator" in done.output
    assert json.loads((pkg / "results-board.json").read_text())["mismatch_indices"] == [FLIP_SAMPLE]


def test_measure_exits_3_and_writes_results(tmp_path, monkeypatch) -> None:
    """`toolkit measure` on a build whose (simulated) device flips a bit: results written, exit 3."""
    from toolkit_overlay.measure import measure_package
    from toolkit_overlay.stream import AxisFormat
    from toolkit_overlay.testing import CheckingDevice

    import toolkit.measure.run as run

    build = tmp_path / "build"
    make_package(build)
    (build / "build.json").write_text(json.dumps({"board": "pynq-z2", "data": "digits"}))
    device = CheckingDevice(AxisFormat(6, True, 12), AxisFormat(10, True, 4), flipping)

    def on_sim(folder, package, board, limit, log):
        return measure_package(package, meter="none", device=device, board=board, limit=limit,
                               latency_repeats=2, log=log)  # fmt: skip

    monkeypatch.setattr(run, "_on_sim", on_sim)
    done = CliRunner().invoke(cli, ["measure", "--build", str(build), "--target", "sim", "--meter", "none"])
    assert done.exit_code == EXIT_MISMATCH, done.output
    assert "39/40 samples equal the emulator (simulated)" in done.output
    saved = json.loads((build / "measure.json").read_text())
    assert saved["agreement"]["first_mismatches"] == [FLIP_SAMPLE]


def test_sim_exits_3_when_the_rtl_flips_a_bit(monkeypatch) -> None:
    """`toolkit sim` (verilator tier) with a device double that flips one output bit of the Verilated RTL."""
    from toolkit.errors import ToolkitError
    from toolkit.rtlgen.device import RtlDevice
    from toolkit.rtlgen.verilator import find_verilator

    try:
        find_verilator()
    except ToolkitError as exc:
        pytest.skip(str(exc))
    real = RtlDevice.predict_codes

    def flip(self, codes, **kw):
        res = real(self, codes, **kw)
        res.codes.reshape(len(codes), -1)[min(FLIP_SAMPLE, len(codes) - 1), 0] ^= 1
        return res

    monkeypatch.setattr(RtlDevice, "predict_codes", flip)
    done = CliRunner().invoke(
        cli, ["sim", "--model", "zoo:digits-mlp", "--limit", "8", "--no-area", "--json"]
    )
    assert done.exit_code == EXIT_MISMATCH, done.output
    assert json.loads(done.stdout.splitlines()[0])["bit_exact_samples"] == 7


def test_rtl_step_raises_the_mismatch(tmp_path, monkeypatch) -> None:
    """The rtl build step turns a simulated mismatch into HardwareMismatch (exit 3 through the engine)."""
    import toolkit.rtlgen.build_dir as build_dir
    import toolkit.rtlgen.verilator as verilator
    from toolkit.pipeline import steps
    from toolkit.pipeline.engine import BuildConfig, BuildContext

    result = {"n": 450, "bit_exact_samples": 449, "accuracy": 0.9, "cycles": {"interval": 576.0},
              "inferences_per_second": 1.0, "design": build_dir.describe_design("rtl", "abc")}  # fmt: skip
    monkeypatch.setattr(verilator, "find_verilator", lambda: None)
    monkeypatch.setattr(build_dir, "sim_step", lambda *a, **k: result)
    ctx = BuildContext(tmp_path, BuildConfig(accelerator="rtl"), None, tmp_path, print)
    with pytest.raises(
        HardwareMismatch, match="generated RTL .* disagrees with the emulator on 1 of 450"
    ) as info:
        steps.rtl(ctx)
    assert info.value.exit_status == EXIT_MISMATCH


def test_hls_csim_mismatch_is_a_hardware_mismatch() -> None:
    """The hls step's check (compare_with_emulator) with a C-sim double that flips one bit."""
    from toolkit.emulator.engine import Emulator
    from toolkit.hlsgen.check import compare_with_emulator
    from toolkit.models.reader import read_model
    from toolkit.models.zoo import load_zoo_model

    model_ir, _ = read_model(load_zoo_model("digits-mlp", verbose=False))
    emulator = Emulator(model_ir)
    codes = emulator.quantize_input(np.random.default_rng(0).uniform(0, 16, (6, 8, 8, 1)))

    class FlippingCSim:
        hls_model = type("M", (), {"config": type("C", (), {"get_output_dir": lambda self: "hls/"})()})()

        def predict_codes(self, x):
            out = emulator.predict_codes(x).copy()
            out.reshape(len(x), -1)[FLIP_SAMPLE, 0] ^= 1
            return out

        def trace_codes(self, x):
            return {}

    with pytest.raises(HardwareMismatch, match="1 of 6 samples differ") as info:
        compare_with_emulator(FlippingCSim(), emulator, codes)
    assert info.value.exit_status == EXIT_MISMATCH
