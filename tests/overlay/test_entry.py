"""``python -m toolkit_overlay measure`` as on a board: in a subprocess that cannot import
TensorFlow or toolkit, from the package's own runtime copy, on the checking double."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from toolkit_overlay.measure import measure_package
from toolkit_overlay.stream import AxisFormat
from toolkit_overlay.testing import CheckingDevice

from .fake_package import make_package, reference

BLOCKER = Path(__file__).resolve().parent / "blocker"
FAST = ["--latency-repeats", "3", "--interval", "0.002", "--samples", "3"]


def _run(pkg: Path, *args: str, log: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(BLOCKER), "TOOLKIT_BLOCK_LOG": str(log)}
    env.pop("TOOLKIT_BOARD", None)
    env.pop("BOARD", None)
    return subprocess.run([sys.executable, "-m", "toolkit_overlay", "measure", ".", *args], cwd=pkg, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_measure_runs_without_tensorflow_or_toolkit(tmp_path) -> None:
    pkg = make_package(tmp_path)
    log = tmp_path / "blocked.log"
    done = _run(pkg, "--device", "double", "--meter", "model:0.25", *FAST, log=log)
    assert done.returncode == 0, done.stderr
    assert not log.exists(), log.read_text()
    r = json.loads((pkg / "results.json").read_text())
    assert r["runtime"]["path"] == str(pkg / "toolkit_overlay")  # the package's own copy ran
    assert (r["samples"], r["mismatches"], r["bit_exact"], r["accuracy"]) == (40, 0, True, 0.75)
    assert r["device"] == "double" and r["board_verified"] is False
    assert r["throughput"]["inferences_per_second"] > 0 and r["latency"]["repeats"] == 3
    e = r["power"]["energy"]
    assert r["power"]["label"] == "modelled" and e["delta_w"] == pytest.approx(0.25) and e["inferences"] > 0
    assert json.loads(done.stdout)["mismatches"] == 0


def test_missing_bitstream_is_a_clear_error_and_writes_nothing(tmp_path) -> None:
    pkg = make_package(tmp_path)
    done = _run(pkg, *FAST, log=tmp_path / "blocked.log")
    assert done.returncode == 2
    assert "has no bitstream" in done.stderr and "Traceback" not in done.stderr
    assert not (pkg / "results.json").exists()


def test_wrong_board_and_bad_meter_are_clear_errors(tmp_path) -> None:
    pkg = make_package(tmp_path)
    done = _run(pkg, "--device", "double", "--board", "zcu104", log=tmp_path / "b.log")
    assert done.returncode == 2 and "package built for pynq-z2, this board is zcu104" in done.stderr
    done = _run(pkg, "--device", "double", "--meter", "usb-meter", log=tmp_path / "b.log")
    assert done.returncode == 2 and "meter 'usb-meter': expected one of pmbus" in done.stderr
    assert not (pkg / "results.json").exists()


def test_mismatches_are_counted_as_a_defect(tmp_path) -> None:
    pkg = make_package(tmp_path, runtime=False)

    def faulty(codes: np.ndarray) -> np.ndarray:  # a "bitstream" that gets sample 3 wrong
        out = reference(codes)
        out[codes[:, 0] == np.load(pkg / "vectors.npz")["x_codes"][3].reshape(-1)[0]] += 1
        return out

    fi, fo = AxisFormat(6, True, 12), AxisFormat(10, True, 4)
    out = tmp_path / "r.json"
    r = measure_package(pkg, "none", device=CheckingDevice(fi, fo, faulty), out=out, latency_repeats=2,
                        log=lambda m: None)  # fmt: skip
    assert r["mismatches"] >= 1 and 3 in r["mismatch_indices"] and r["bit_exact"] is False
    assert json.loads(out.read_text())["mismatches"] == r["mismatches"]


def test_simulated_time_drives_the_modelled_energy(tmp_path) -> None:
    pkg = make_package(tmp_path, runtime=False)
    fi, fo = AxisFormat(6, True, 12), AxisFormat(10, True, 4)
    device = CheckingDevice(fi, fo, reference, seconds_per_sample=2e-6)
    r = measure_package(pkg, "model", samples=3, device=device, interval_s=0.001, latency_repeats=2,
                        modelled={"static_w": 1.4, "dynamic_w": 0.05}, log=lambda m: None)  # fmt: skip
    e = r["power"]["energy"]
    assert r["power"]["timing"] == "simulated" and r["power"]["label"] == "modelled"
    assert e["joules"] == pytest.approx(0.05 * 2e-6) and e["duration_s"] == pytest.approx(
        e["inferences"] * 2e-6
    )
    assert r["throughput"]["inferences_per_second"] == pytest.approx(5e5)


def test_a_measured_meter_on_simulated_hardware_is_refused(tmp_path, monkeypatch) -> None:
    import toolkit_overlay.measure as m
    from toolkit_overlay.errors import OverlayError
    from toolkit_overlay.power import ModelledMeter

    class Bench(ModelledMeter):
        label = "measured"

    monkeypatch.setattr(m, "open_meter", lambda *a, **k: Bench(1.0, 0.1))
    pkg = make_package(tmp_path, runtime=False)
    device = CheckingDevice(
        AxisFormat(6, True, 12), AxisFormat(10, True, 4), reference, seconds_per_sample=2e-6
    )
    with pytest.raises(OverlayError, match="wall-clock power says nothing about simulated hardware"):
        measure_package(pkg, "model", samples=3, device=device, latency_repeats=2, log=lambda m: None)
