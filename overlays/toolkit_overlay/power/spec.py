"""Meter specs as the command line gives them: ``pmbus``, ``scpi:PORT[,BAUD[,CH]][,vi]``, ``model``, ``none``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolkit_overlay.errors import OverlayError

ACCEPTED = (
    "pmbus (the board file's PL rails through pynq.get_rails), "
    "scpi:PORT[,BAUD[,CH]][,vi] (a SCPI meter on a serial port, e.g. scpi:/dev/ttyUSB0,115200,1, or a VISA "
    "resource through pyvisa-py: scpi:USB0::0x2A8D::0x1301::MY123::INSTR, scpi:TCPIP::192.168.1.5::INSTR, "
    "scpi:TCPIP::192.168.1.5::5025::SOCKET; vi = MEAS:VOLT? x MEAS:CURR? instead of MEAS:POW?), "
    "model[:DYNAMIC_W | :STATIC_W,DYNAMIC_W] (modelled power, not measured), "
    "none (no power measurement)"
)


@dataclass(frozen=True)
class MeterSpec:
    kind: str  # "pmbus", "scpi", "model" or "none"
    port: str | None = None
    baud: int = 9600
    channel: int | None = None
    mode: str = "pow"
    static_w: float | None = None
    dynamic_w: float | None = None


def parse_meter_spec(text: str) -> MeterSpec:
    """Parse a meter spec; anything else is an error listing the accepted forms."""
    text = (text or "").strip()
    kind, _, rest = text.partition(":")
    if kind in ("pmbus", "none") and not rest:
        return MeterSpec(kind)
    if kind == "scpi" and rest:
        return _scpi(text, rest)
    if kind == "model":
        return _model(text, rest)
    raise OverlayError(f"meter {text!r}: expected one of {ACCEPTED}")


def _scpi(text: str, rest: str) -> MeterSpec:
    port, *items = [s.strip() for s in rest.split(",")]
    numbers, mode = [], "pow"
    for item in items:
        if item in ("vi", "pow"):
            mode = item
        elif item.isdigit() and len(numbers) < 2:
            numbers.append(int(item))
        else:
            raise OverlayError(
                f"meter {text!r}: {item!r} is not a baud rate, a channel or vi: expected {ACCEPTED}"
            )
    if not port:
        raise OverlayError(f"meter {text!r} names no serial port: expected {ACCEPTED}")
    baud = numbers[0] if numbers else 9600
    if baud < 50:
        raise OverlayError(f"meter {text!r}: baud rate {baud}: expected e.g. 9600 or 115200")
    return MeterSpec(
        "scpi", port=port, baud=baud, channel=numbers[1] if len(numbers) > 1 else None, mode=mode
    )


def _model(text: str, rest: str) -> MeterSpec:
    if not rest:
        return MeterSpec("model")
    try:
        values = [float(v) for v in rest.split(",")]
    except ValueError:
        raise OverlayError(f"meter {text!r}: watts must be numbers: expected {ACCEPTED}") from None
    if len(values) == 1:
        return MeterSpec("model", dynamic_w=values[0])
    if len(values) == 2:
        return MeterSpec("model", static_w=values[0], dynamic_w=values[1])
    raise OverlayError(f"meter {text!r}: expected {ACCEPTED}")


def open_meter(spec: MeterSpec | str, board: dict[str, Any] | None = None,
               modelled: dict[str, Any] | None = None, **scpi_options: Any) -> Any:  # fmt: skip
    """The meter a spec names, or None for ``none``.

    ``board``: board facts (board.json: ``pl_rails``, ``static_w``); ``modelled``: the
    simulation's modelled power (``static_w``, ``dynamic_w``) for ``model`` without numbers.
    ``scpi_options``: timeout_s, retries, serial_factory for :class:`ScpiMeter`.
    """
    if isinstance(spec, str):
        spec = parse_meter_spec(spec)
    board = board or {}
    if spec.kind == "none":
        return None
    if spec.kind == "pmbus":
        from toolkit_overlay.power.meters import PmbusMeter

        rails = board.get("pl_rails") or []
        if not rails:
            raise OverlayError(
                f"board {board.get('name', '?')} has no PMBus rails (sensing: {board.get('sensing', '?')}): "
                "use --meter scpi:PORT with a meter on its supply"
            )
        return PmbusMeter(rails)
    if spec.kind == "scpi":
        from toolkit_overlay.power.scpi import ScpiMeter

        return ScpiMeter(spec.port or "", spec.baud, spec.channel, spec.mode, **scpi_options)
    from toolkit_overlay.power.meters import ModelledMeter

    modelled = modelled or {}
    static = spec.static_w if spec.static_w is not None else modelled.get("static_w", board.get("static_w"))
    dynamic = spec.dynamic_w if spec.dynamic_w is not None else modelled.get("dynamic_w")
    if static is None or dynamic is None:
        raise OverlayError(
            "meter 'model' needs modelled power: the package has none (run the simulation's power model) "
            "or give it as model:DYNAMIC_W or model:STATIC_W,DYNAMIC_W"
        )
    return ModelledMeter(float(static), float(dynamic))
