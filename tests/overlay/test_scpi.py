"""The SCPI serial meter against an instrument on a pseudo-terminal: a reading, a retried
reading or a clear error in every mode, never 0 W."""

from __future__ import annotations

import pytest
from toolkit_overlay.errors import OverlayError
from toolkit_overlay.power import ScpiMeter, open_meter

from .instrument import Instrument


@pytest.fixture
def instrument(request):
    made = []

    def make(mode: str = "normal", **kw) -> Instrument:
        made.append(Instrument(mode, **kw))
        return made[-1]

    yield make
    for inst in made:
        inst.close()


def test_normal_reading_and_identity(instrument) -> None:
    inst = instrument()
    with ScpiMeter(inst.port, 115200, timeout_s=1.0) as meter:
        assert meter.identity == "TOOLKIT,PTY-METER,0,1.0"
        assert meter.read() == pytest.approx(2.5)
        assert meter.read() == pytest.approx(2.5)
    assert inst.queries == ["*IDN?", "MEAS:POW?", "MEAS:POW?"]


def test_channel_and_volt_times_current_through_a_spec(instrument) -> None:
    inst = instrument(watts=3.0)
    meter = open_meter(f"scpi:{inst.port},9600,2,vi", timeout_s=1.0)
    try:
        assert meter.read() == pytest.approx(3.0)
    finally:
        meter.close()
    assert inst.queries[1:] == ["MEAS:VOLT? CH2", "MEAS:CURR? CH2"]


def test_slow_replies_within_the_timeout_are_read(instrument) -> None:
    inst = instrument("slow", delay=0.15)
    with ScpiMeter(inst.port, timeout_s=1.0) as meter:
        assert meter.read() == pytest.approx(2.5)


def test_garbage_lines_are_retried(instrument) -> None:
    inst = instrument("garbage", bad=2)
    with ScpiMeter(inst.port, timeout_s=1.0, retries=3) as meter:
        assert meter.read() == pytest.approx(2.5)
    assert inst.queries.count("MEAS:POW?") == 3


def test_garbage_beyond_the_retries_is_an_error_naming_the_replies(instrument) -> None:
    inst = instrument("garbage", bad=10)
    with ScpiMeter(inst.port, timeout_s=1.0, retries=3) as meter, pytest.raises(OverlayError) as err:
        meter.read()
    msg = str(err.value)
    assert (
        "'MEAS:POW?' failed 3 times" in msg and "unusable reply '#@!%'" in msg and "unusable reply ''" in msg
    )
    assert inst.queries.count("MEAS:POW?") == 3


@pytest.mark.parametrize("bad", [4, 5, 6])
def test_overrange_non_ascii_and_wrong_unit_are_garbage(instrument, bad: int) -> None:
    inst = instrument("garbage", bad=bad)
    with ScpiMeter(inst.port, timeout_s=1.0, retries=bad + 1) as meter:
        assert meter.read() == pytest.approx(2.5)  # replies 1..bad were rejected, not taken as watts


def test_timeout_is_a_clear_error(instrument) -> None:
    inst = instrument("silent")
    with ScpiMeter(inst.port, timeout_s=0.1, retries=2) as meter, pytest.raises(OverlayError) as err:
        meter.read()
    assert "no reply within 0.1 s" in str(err.value) and inst.port in str(err.value)


def test_dropped_connection_is_a_clear_error(instrument) -> None:
    inst = instrument("drop")
    with ScpiMeter(inst.port, timeout_s=0.5) as meter, pytest.raises(OverlayError, match="dropped"):
        meter.read()
        meter.read()  # the drop may surface on the next query


def test_zero_watts_is_an_error_not_a_reading(instrument) -> None:
    inst = instrument("zero")
    with ScpiMeter(inst.port, timeout_s=0.5) as meter, pytest.raises(OverlayError, match="read 0 W"):
        meter.read()


def test_unreachable_port_is_a_clear_error() -> None:
    with pytest.raises(
        OverlayError, match=r"cannot open the meter's serial port '/dev/no-such-tty' at 9600 baud"
    ):
        ScpiMeter("/dev/no-such-tty")


def test_no_instrument_answering_identify_is_an_error(instrument) -> None:
    inst = instrument()
    inst.close()  # nobody answers on the other end
    with pytest.raises(OverlayError):
        ScpiMeter(inst.port, timeout_s=0.1, retries=1)


def test_measure_with_a_serial_meter(tmp_path, instrument) -> None:
    from toolkit_overlay.measure import measure_package

    from .fake_package import make_package

    inst = instrument(watts=2.5)
    pkg = make_package(tmp_path, runtime=False)
    r = measure_package(pkg, f"scpi:{inst.port},115200", samples=3, device="double", interval_s=0.0,
                        latency_repeats=2, log=lambda m: None)  # fmt: skip
    p = r["power"]
    assert p["label"] == "measured" and p["identity"] == "TOOLKIT,PTY-METER,0,1.0"
    e = p["energy"]
    assert (e["idle_w"], e["load_w"], e["joules"], e["stderr_j"]) == (2.5, 2.5, 0.0, 0.0)
    assert e["idle_n"] >= 3 and e["load_n"] >= 3 and e["inferences"] > 0 and r["power_note"] is None


def test_an_unreachable_meter_fails_before_the_overlay_loads(tmp_path) -> None:
    from toolkit_overlay.measure import measure_package

    from .fake_package import make_package

    pkg = make_package(tmp_path, runtime=False)  # no bitstream either: the meter error comes first
    with pytest.raises(OverlayError, match="cannot open the meter's serial port"):
        measure_package(pkg, "scpi:/dev/no-such-tty", out=tmp_path / "r.json", log=lambda m: None)
    assert not (tmp_path / "r.json").exists()
