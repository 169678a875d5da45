"""A VISA resource (USB-TMC, LAN) as the byte port the SCPI meter talks through: pyvisa + pyvisa-py.

``scpi:USB0::0x2A8D::0x1301::MY123::INSTR`` (USB-TMC), ``scpi:TCPIP::192.168.1.5::INSTR`` (LAN,
VXI-11) or ``scpi:TCPIP::192.168.1.5::5025::SOCKET`` (LAN, raw socket) open the resource with
pyvisa's pure-Python backend (``@py``: no vendor VISA library), imported lazily (the board image
needs ``pip install pyvisa pyvisa-py``; USB-TMC also needs ``pyusb``). :class:`VisaPort` gives
the meter the same ``write`` / ``read_until`` / ``reset_input_buffer`` / ``close`` as a pyserial
port, so retries, timeouts and parsing are the meter's own for every transport.
"""

from __future__ import annotations

from typing import Any

from toolkit_overlay.errors import OverlayError

VISA_PREFIXES = ("USB", "TCPIP", "GPIB", "ASRL", "VXI")


def is_visa_resource(port: str) -> bool:
    """A VISA resource name (USB0::...::INSTR, TCPIP::host::INSTR, ...) rather than a serial device path."""
    return "::" in port and port.upper().startswith(VISA_PREFIXES)


class VisaPort:
    """One opened VISA resource (``resource``: a pyvisa resource, or a stand-in with the same methods)."""

    def __init__(self, resource: Any, name: str) -> None:
        self.resource, self.name = resource, name

    def write(self, data: bytes) -> int:
        return self.resource.write_raw(data)

    def read_until(self, terminator: bytes = b"\n") -> bytes:
        """One reply line with its terminator, or the bytes read so far on a timeout (the meter retries)."""
        try:
            return self.resource.read().encode("ascii", "replace") + terminator
        except Exception as exc:
            if "timeout" in f"{type(exc).__name__} {exc}".lower():
                return b""
            raise

    def reset_input_buffer(self) -> None:
        """Drop a late reply to an earlier query (what is waiting now, without blocking)."""
        timeout = self.resource.timeout
        self.resource.timeout = 0
        try:
            while self.read_until():
                pass
        finally:
            self.resource.timeout = timeout

    def close(self) -> None:
        self.resource.close()


def open_visa(name: str, timeout_s: float, backend: str = "@py") -> VisaPort:
    """Open ``name`` through pyvisa (``backend`` @py: pyvisa-py); OverlayError naming what is missing."""
    try:
        import pyvisa
    except ImportError as exc:
        raise OverlayError(
            f"cannot import pyvisa ({exc}): a USB-TMC or LAN meter needs `pip install pyvisa pyvisa-py`"
        ) from None
    try:
        manager = pyvisa.ResourceManager(backend)
        resource = manager.open_resource(name)
    except Exception as exc:
        raise OverlayError(
            f"cannot open the meter's VISA resource {name!r} ({type(exc).__name__}: {exc}): check the address "
            "and, for USB-TMC, that pyusb is installed and the device is permitted (udev rules)"
        ) from None
    resource.timeout = int(timeout_s * 1000)
    resource.read_termination = "\n"  # one reply line per read (the port adds the terminator back)
    resource.write_termination = ""  # the meter writes its own "\n"
    return VisaPort(resource, name)
