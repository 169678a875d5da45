"""Meter specs, PMBus rails, the modelled meter, the sampler and the differential energy math."""

from __future__ import annotations

import math
import time
from types import SimpleNamespace

import numpy as np
import pytest
from toolkit_overlay.errors import OverlayError
from toolkit_overlay.power import (
    MeterSpec,
    ModelledMeter,
    PmbusMeter,
    Sampler,
    Trace,
    energy_per_inference,
    open_meter,
    parse_meter_spec,
)


@pytest.mark.parametrize(
    "text, spec",
    [
        ("pmbus", MeterSpec("pmbus")),
        ("none", MeterSpec("none")),
        ("scpi:/dev/ttyUSB0", MeterSpec("scpi", port="/dev/ttyUSB0")),
        ("scpi:/dev/ttyUSB0,115200", MeterSpec("scpi", port="/dev/ttyUSB0", baud=115200)),
        ("scpi:COM3,115200,2,vi", MeterSpec("scpi", port="COM3", baud=115200, channel=2, mode="vi")),
        ("model", MeterSpec("model")),
        ("model:0.25", MeterSpec("model", dynamic_w=0.25)),
        ("model:1.4,0.25", MeterSpec("model", static_w=1.4, dynamic_w=0.25)),
    ],
)
def test_meter_specs(text: str, spec: MeterSpec) -> None:
    assert parse_meter_spec(text) == spec


@pytest.mark.parametrize(
    "text, named",
    [
        ("", "''"),
        ("usb", "'usb'"),
        ("pmbus:1", "'pmbus:1'"),
        ("scpi:", "'scpi:'"),
        ("scpi:,9600", "names no serial port"),
        ("scpi:/dev/ttyUSB0,fast", "'fast' is not a baud rate"),
        ("scpi:/dev/ttyUSB0,9600,1,2", "'2' is not a baud rate"),
        ("scpi:/dev/ttyUSB0,9", "baud rate 9"),
        ("model:a", "must be numbers"),
        ("model:1,2,3", "'model:1,2,3'"),
    ],
)
def test_bad_meter_specs_list_the_accepted_forms(text: str, named: str) -> None:
    with pytest.raises(OverlayError) as err:
        parse_meter_spec(text)
    assert named in str(err.value)
    assert "scpi:PORT[,BAUD[,CH]][,vi]" in str(err.value) or "baud rate" in str(err.value)


def test_open_meter_needs_what_the_spec_does_not_say() -> None:
    assert open_meter("none") is None
    with pytest.raises(OverlayError, match="board pynq-z2 has no PMBus rails"):
        open_meter("pmbus", {"name": "pynq-z2", "sensing": "external"})
    with pytest.raises(OverlayError, match="model:DYNAMIC_W"):
        open_meter("model", {"static_w": 1.4})
    meter = open_meter("model", {"static_w": 1.4}, {"dynamic_w": 0.1})
    assert (meter.static_w, meter.dynamic_w, meter.label) == (1.4, 0.1, "modelled")


def _rail(power=None, volts=None, amps=None):
    sensor = lambda v: None if v is None else SimpleNamespace(value=v)  # noqa: E731
    return SimpleNamespace(power=sensor(power), voltage=sensor(volts), current=sensor(amps))


def test_pmbus_sums_the_pl_rails() -> None:
    rails = {"VCCINT": _rail(0.5), "VCCBRAM": _rail(None, 0.9, 0.1), "VCCAUX": _rail(0.0), "12V": _rail(9.0)}
    meter = PmbusMeter(["VCCINT", "VCCBRAM", "VCCAUX"], get_rails=lambda: rails)
    assert meter.read() == pytest.approx(0.59)
    assert meter.label == "measured" and "VCCINT+VCCBRAM+VCCAUX" in meter.name


def test_pmbus_names_missing_and_available_rails() -> None:
    rails = {"VCCINT": _rail(0.5), "12V": _rail(9.0)}
    with pytest.raises(OverlayError) as err:
        PmbusMeter(["VCCINT", "VCCAUX"], get_rails=lambda: rails)
    assert "VCCAUX not found: this board reports 12V, VCCINT" in str(err.value)


def test_pmbus_unreadable_rail_and_zero_total_are_errors() -> None:
    broken = SimpleNamespace(power=SimpleNamespace())  # no .value
    meter = PmbusMeter(["A"], get_rails=lambda: {"A": broken})
    with pytest.raises(OverlayError, match="PMBus rail A is unreadable"):
        meter.read()
    meter = PmbusMeter(["A", "B"], get_rails=lambda: {"A": _rail(0.0), "B": _rail(None, 1.0, 0.0)})
    with pytest.raises(OverlayError, match="read 0 W"):
        meter.read()
    meter = PmbusMeter(["A"], get_rails=lambda: {"A": _rail(float("nan"))})
    with pytest.raises(OverlayError, match="finite"):
        meter.read()


def test_pmbus_without_pynq_says_so() -> None:
    with pytest.raises(OverlayError, match="cannot import pynq.get_rails"):
        PmbusMeter(["VCCINT"])


def test_energy_known_answer_with_uncertainty() -> None:
    # idle mean 1.1 W (se 0.1), load mean 2.2 W (se 0.2/sqrt(3)); 1000 inferences in 10 s
    e = energy_per_inference({"idle": [1.0, 1.2], "load": [2.0, 2.4, 2.2]}, inferences=1000, duration_s=10.0)
    assert e.joules == pytest.approx(1.1 * 0.01)
    assert e.stderr_j == pytest.approx(math.sqrt(0.1**2 + (0.2 / math.sqrt(3)) ** 2) * 0.01)
    assert (e.idle_w, e.load_w, e.idle_n, e.load_n) == (pytest.approx(1.1), pytest.approx(2.2), 2, 3)
    assert e.total_joules == pytest.approx(2.2 * 0.01)
    assert e.to_json()["delta_w"] == pytest.approx(1.1)


def test_energy_from_a_trace_uses_the_load_phase_duration() -> None:
    trace = Trace(times=[0, 1, 2, 3, 4, 5], watts=[1, 1, 3, 3, 5, 5], phases=["idle"] * 2 + ["load"] * 2 + ["x"] * 2,
                  spans=[("idle", 0.0, 2.0), ("load", 2.0, 6.0), ("x", 6.0, 7.0)])  # fmt: skip
    e = energy_per_inference(trace, inferences=8)
    assert (e.joules, e.stderr_j, e.duration_s) == (pytest.approx(2.0 * 4 / 8), 0.0, 4.0)


@pytest.mark.parametrize(
    "samples, kwargs, match",
    [
        ({"idle": [1.0], "load": [2.0, 2.0]}, {"duration_s": 1.0}, "1 power reading"),
        ({"idle": [1.0, 1.0], "load": [2.0, 2.0]}, {}, "duration_s is required"),
        ({"idle": [1.0, 1.0], "load": [2.0, 2.0]}, {"duration_s": 0.0}, "positive duration"),
        ({"idle": [1.0, 1.0], "load": [2.0, float("nan")]}, {"duration_s": 1.0}, "non-finite"),
    ],
)
def test_energy_refuses_what_it_cannot_estimate(samples, kwargs, match) -> None:
    with pytest.raises(OverlayError, match=match):
        energy_per_inference(samples, inferences=10, **kwargs)
    with pytest.raises(OverlayError, match="0 inferences"):
        energy_per_inference({"idle": [1, 1], "load": [2, 2]}, inferences=0, duration_s=1.0)


def test_sampler_tags_readings_by_phase_and_the_modelled_meter_follows() -> None:
    meter = ModelledMeter(1.4, 0.2)
    with Sampler(meter, interval_s=0.001) as sampler:
        sampler.mark("idle")
        sampler.wait_for(5)
        sampler.mark("load")
        t0 = time.monotonic()
        sampler.wait_for(5)
        elapsed = time.monotonic() - t0
        trace = sampler.stop()
    idle, load = trace.of("idle"), trace.of("load")
    assert len(idle) >= 5 and len(load) >= 5 and len(trace.spans) == 2
    np.testing.assert_allclose(idle, 1.4)
    np.testing.assert_allclose(load, 1.6)
    assert trace.duration("load") >= elapsed
    e = energy_per_inference(trace, inferences=100)
    assert e.joules == pytest.approx(0.2 * trace.duration("load") / 100) and e.stderr_j == 0.0
    assert e.label == "modelled" and trace.to_json()["label"] == "modelled"


class _FailingMeter:
    name, label, scope = "flaky", "measured", "test"

    def __init__(self, good: int) -> None:
        self.good = good

    def read(self) -> float:
        self.good -= 1
        if self.good < 0:
            raise OverlayError("flaky: no reading")
        return 2.0

    def close(self) -> None:
        pass


def test_a_failed_reading_fails_the_sampler_instead_of_leaving_zeros() -> None:
    with Sampler(_FailingMeter(3), interval_s=0.001) as sampler:
        sampler.mark("idle")
        with pytest.raises(OverlayError, match="power reading failed: flaky: no reading"):
            sampler.wait_for(10, timeout_s=5)
        assert all(w == 2.0 for w in sampler.trace.watts)
        with pytest.raises(OverlayError, match="power reading failed"):
            sampler.stop()
