"""The Verilated RTL behind the board runtime's driver: the same Accelerator code as on a board,
bit-exact with the emulator, with simulated time from the cycles."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.verilator


@pytest.fixture(scope="module")
def digits_mlp() -> dict:
    """The smallest zoo model only (the suite-wide fixture loads all of them)."""
    from toolkit.models.datasets import load_dataset
    from toolkit.models.reader import read_model
    from toolkit.models.zoo import load_zoo_model, zoo_entry

    model_ir, _ = read_model(load_zoo_model("digits-mlp", verbose=False))
    return {"ir": model_ir, "data": load_dataset(zoo_entry("digits-mlp").dataset)}


@pytest.mark.parametrize("data_bits", [64, 128])
def test_sim_device_through_the_driver_equals_the_emulator(digits_mlp, data_bits: int) -> None:
    from toolkit_overlay.driver import Accelerator

    from toolkit.emulator.engine import Emulator
    from toolkit.measure.sim_device import SimDevice, stream_spec
    from toolkit.rtlgen import RtlDevice, build, generate

    entry = digits_mlp
    design = generate(entry["ir"], None, None, axis_bits=data_bits)
    emulator = Emulator(entry["ir"])
    codes = emulator.quantize_input(entry["data"].x_test[:100])
    with RtlDevice(design, build(design)) as rtl:
        device = SimDevice(rtl, clock_mhz=100.0, stall_in=0.2, stall_out=0.2, seed=3)
        with Accelerator(device, stream_spec(design)) as acc:
            pred = acc.predict_codes(codes, batch_size=32)
            np.testing.assert_array_equal(pred.codes, emulator.predict_codes(codes))
            assert pred.timing == "simulated" and len(pred.batch_seconds) == 4
            assert pred.seconds == pytest.approx(device.total_cycles / 100e6)
            device.stall = (0.0, 0.0)
            latency = acc.latency(codes, repeats=3)
        device.close()
        cycles = rtl.predict_codes(codes[:20])  # Verilator's counts
    # a lone sample takes about the pipeline latency (plus the DMA-side beats), at 10 ns a cycle
    assert latency.seconds[0] == pytest.approx(cycles.latency * 10e-9, rel=0.25)
    assert pred.throughput < 100e6 / cycles.interval  # batches include pipeline fill and stalls


def test_measure_package_on_the_simulated_device(digits_mlp, tmp_path) -> None:
    """The host's sim target: the board's measure code on a package, the RTL behind the DMA."""
    import json

    from toolkit_overlay.manifest import write_manifest
    from toolkit_overlay.measure import measure_package

    from toolkit.emulator.engine import Emulator
    from toolkit.measure.sim_device import SimDevice
    from toolkit.rtlgen import RtlDevice, build, generate

    model_ir, data = digits_mlp["ir"], digits_mlp["data"]
    design = generate(model_ir, None, None)
    emulator = Emulator(model_ir)
    x = emulator.quantize_input(data.x_test[:60])
    pkg = tmp_path / "package"
    pkg.mkdir()
    np.savez(
        pkg / "vectors.npz", x_codes=x, expected_codes=emulator.predict_codes(x), labels=data.y_test[:60]
    )
    (pkg / "plan.json").write_text(json.dumps({"format": "toolkit-plan", "version": 1, "layers": []}))
    stream = {"data_bits": 64, "in": design.axis_in.to_json(), "out": design.axis_out.to_json()}
    write_manifest(pkg, {"board": "pynq-z2", "model": model_ir.name, "model_hash": "x", "bitstream": None,
                         "hwh": None, "tools": {}, "clock_mhz": 100.0, "stream": stream,
                         "input_shape": list(model_ir.input_shape), "output_shape": list(model_ir.output_shape)})  # fmt: skip
    with RtlDevice(design, build(design)) as rtl:
        interval = rtl.predict_codes(x[:20]).interval  # Verilator's count
        r = measure_package(pkg, "model", samples=3, device=SimDevice(rtl, 100.0), batch_size=16,
                            latency_repeats=2, interval_s=0.001, modelled={"static_w": 1.4, "dynamic_w": 0.01},
                            log=lambda m: None)  # fmt: skip
    assert (r["mismatches"], r["device"], r["throughput"]["timing"]) == (0, "sim", "simulated")
    e = r["power"]["energy"]
    per = e["duration_s"] / e["inferences"]  # simulated seconds per inference, batches of 16 with fill
    assert interval * 10e-9 <= per < 3 * interval * 10e-9
    assert e["joules"] == pytest.approx(0.01 * per)
