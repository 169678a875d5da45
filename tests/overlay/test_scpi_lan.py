"""The SCPI meter over LAN through pyvisa + pyvisa-py: a socket instrument on the loopback interface
(TCPIP::127.0.0.1::PORT::SOCKET), bounded by timeouts; nothing leaves this machine."""

from __future__ import annotations

import socket
import threading

import pytest
from toolkit_overlay.errors import OverlayError
from toolkit_overlay.power import open_meter, parse_meter_spec

pytest.importorskip("pyvisa")
pytest.importorskip("pyvisa_py")


class SocketInstrument:
    """A SCPI instrument on 127.0.0.1: *IDN?, MEAS:POW? (watts), or silent for MEAS queries."""

    def __init__(self, watts: float = 3.25, silent: bool = False) -> None:
        self.watts, self.silent = watts, silent
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(10)
        self.port = self.server.getsockname()[1]
        self.queries: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        conn.settimeout(10)
        buf = b""
        with conn:
            while True:
                try:
                    data = conn.recv(1024)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    query = line.decode().strip()
                    self.queries.append(query)
                    if query == "*IDN?":
                        conn.sendall(b"TOOLKIT,LAN-METER,0,1.0\n")
                    elif query.startswith("MEAS:POW?") and not self.silent:
                        conn.sendall(f"{self.watts}\n".encode())

    def close(self) -> None:
        self.server.close()
        self.thread.join(5)


@pytest.fixture
def lan():
    instruments: list[SocketInstrument] = []

    def make(**kw) -> SocketInstrument:
        instruments.append(SocketInstrument(**kw))
        return instruments[-1]

    yield make
    for inst in instruments:
        inst.close()


def test_lan_meter_reads_watts_through_pyvisa_py(lan) -> None:
    inst = lan()
    spec = parse_meter_spec(f"scpi:TCPIP0::127.0.0.1::{inst.port}::SOCKET")
    assert spec.kind == "scpi" and spec.port == f"TCPIP0::127.0.0.1::{inst.port}::SOCKET"
    meter = open_meter(spec, timeout_s=2.0)
    try:
        assert meter.identity == "TOOLKIT,LAN-METER,0,1.0"
        assert [meter.read() for _ in range(3)] == [3.25] * 3
        assert meter.label == "measured"
    finally:
        meter.close()
    assert inst.queries == ["*IDN?", "MEAS:POW?", "MEAS:POW?", "MEAS:POW?"]


def test_silent_lan_meter_is_a_clear_error(lan) -> None:
    inst = lan(silent=True)
    meter = open_meter(f"scpi:TCPIP0::127.0.0.1::{inst.port}::SOCKET", timeout_s=0.3, retries=2)
    try:
        with pytest.raises(OverlayError, match=r"'MEAS:POW\?' failed 2 times \(no reply within 0.3 s"):
            meter.read()
    finally:
        meter.close()


def test_unreachable_lan_meter_is_a_clear_error() -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    # pyvisa-py connects on first use: the meter's first query names the resource and the refusal
    with pytest.raises(
        OverlayError, match=rf"meter on TCPIP0::127.0.0.1::{port}::SOCKET .*Connection ?Refused"
    ):
        open_meter(f"scpi:TCPIP0::127.0.0.1::{port}::SOCKET", timeout_s=1.0)
