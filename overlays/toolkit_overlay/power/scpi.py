"""A SCPI power meter or bench supply on a serial port (pyserial) or a VISA resource (USB-TMC, LAN:
pyvisa with pyvisa-py, :mod:`toolkit_overlay.power.visa`), each imported lazily.

``mode="pow"`` asks ``MEAS:POW?``; ``mode="vi"`` asks ``MEAS:VOLT?`` and ``MEAS:CURR?`` and
multiplies. A channel is appended as `` CH<n>`` (Rigol/Siglent style: ``MEAS:POW? CH1``).
Each query has a timeout; a garbled or missing reply is retried up to ``retries`` times in
all, then it is an error naming every failed attempt (after a timeout the next attempt
waits one more timeout and flushes the input, so a late reply is not taken for the next
query's). A dropped connection or a port that
cannot be opened is an error at once. A reading is never replaced by 0 W.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from toolkit_overlay.errors import OverlayError
from toolkit_overlay.power.meters import check_watts

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([WVA]|mW|mA|mV)?\s*$")
_SCALE = {None: 1.0, "W": 1.0, "V": 1.0, "A": 1.0, "mW": 1e-3, "mV": 1e-3, "mA": 1e-3}
OVERRANGE = 9.9e37  # SCPI's "no valid reading"
MODES = ("pow", "vi")


class ScpiMeter:
    """Watts from a SCPI instrument on ``port`` (``serial_factory``: a stand-in for ``serial.Serial``)."""

    label = "measured"

    def __init__(
        self,
        port: str,
        baud: int = 9600,
        channel: int | None = None,
        mode: str = "pow",
        timeout_s: float = 1.0,
        retries: int = 3,
        serial_factory: Callable[..., Any] | None = None,
    ) -> None:
        if mode not in MODES:
            raise OverlayError(f"SCPI mode {mode!r}: expected one of {', '.join(MODES)}")
        if retries < 1 or timeout_s <= 0:
            raise OverlayError(
                f"retries {retries}, timeout {timeout_s} s: expected retries >= 1 and timeout > 0"
            )
        self.port, self.baud, self.channel, self.mode = port, baud, channel, mode
        self.timeout_s, self.retries = timeout_s, retries
        suffix = "" if channel is None else f" CH{channel}"
        self.name = (
            f"scpi {port}@{baud}{suffix} ({'MEAS:POW?' if mode == 'pow' else 'MEAS:VOLT? x MEAS:CURR?'})"
        )
        self.scope = "the supply the instrument is on" + suffix
        self._suffix = suffix
        self._serial = _open(port, baud, timeout_s, serial_factory)
        self.identity = self._query_text("*IDN?")

    def read(self) -> float:
        if self.mode == "pow":
            return check_watts(self._query_number(f"MEAS:POW?{self._suffix}", "W"), self.name)
        volts = self._query_number(f"MEAS:VOLT?{self._suffix}", "V")
        amps = self._query_number(f"MEAS:CURR?{self._suffix}", "A")
        return check_watts(volts * amps, f"{self.name}: {volts:g} V x {amps:g} A")

    def close(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            finally:
                self._serial = None

    def __enter__(self) -> ScpiMeter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries -----------------------------------------------------------------------------
    def _query_text(self, command: str) -> str:
        return self._retry(command, lambda line: line or None)

    def _query_number(self, command: str, unit: str) -> float:
        def parse(line: str) -> float | None:
            m = _NUMBER.match(line)
            if not m or (m.group(2) and m.group(2)[-1] != unit):
                return None
            value = float(m.group(1)) * _SCALE[m.group(2)]
            return None if abs(value) >= OVERRANGE else value

        return self._retry(command, parse)

    def _retry(self, command: str, parse: Callable[[str], Any]) -> Any:
        failures = []
        for _ in range(self.retries):
            line = self._ask(command)
            if line is None:
                failures.append(f"no reply within {self.timeout_s:g} s")
                time.sleep(self.timeout_s)  # let a late reply arrive, so the next attempt's flush drops it
                continue
            value = parse(line)
            if value is not None:
                return value
            failures.append(f"unusable reply {line!r}")
        raise OverlayError(
            f"meter on {self.port} at {self.baud} baud: {command!r} failed {self.retries} times "
            f"({'; '.join(failures)}): check the port, baud rate, channel and that the instrument speaks SCPI"
        )

    def _ask(self, command: str) -> str | None:
        """One query: the reply line (stripped), or None on timeout (no complete line)."""
        if self._serial is None:
            raise OverlayError(f"meter on {self.port} is closed")
        try:
            self._serial.reset_input_buffer()  # drop a late reply to an earlier attempt
            self._serial.write(command.encode("ascii") + b"\n")
            raw = self._serial.read_until(b"\n")
        except Exception as exc:  # serial.SerialException, OSError, termios.error: the link is gone
            raise OverlayError(
                f"connection to the meter on {self.port} dropped during {command!r}: {type(exc).__name__}: {exc}"
            ) from None
        if not raw.endswith(b"\n"):
            return None
        try:
            return raw.decode("ascii").strip()
        except UnicodeDecodeError:
            return raw.decode("ascii", "replace").strip() + " (not ASCII)"


def _open(port: str, baud: int, timeout_s: float, factory: Callable[..., Any] | None) -> Any:
    from toolkit_overlay.power.visa import is_visa_resource, open_visa

    if factory is None and is_visa_resource(port):
        return open_visa(port, timeout_s)
    if factory is None:
        try:
            import serial
        except ImportError as exc:
            raise OverlayError(
                f"cannot import pyserial ({exc}): a serial meter needs `pip install pyserial`"
            ) from None
        factory = serial.Serial
    try:
        port_obj = factory(port, baudrate=baud, timeout=timeout_s, write_timeout=timeout_s)
    except Exception as exc:
        raise OverlayError(
            f"cannot open the meter's serial port {port!r} at {baud} baud: {type(exc).__name__}: {exc} "
            f"(ports present: {_ports()})"
        ) from None
    time.sleep(0.01)  # some USB-serial adapters drop the first bytes right after open
    return port_obj


def _ports() -> str:
    try:
        from serial.tools.list_ports import comports

        return ", ".join(sorted(p.device for p in comports())) or "none"
    except Exception:
        return "unknown"
