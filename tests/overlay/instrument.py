"""A SCPI power meter on a pseudo-terminal, answering in a thread (for the serial meter's tests).

Modes: ``normal``; ``slow`` (each reply after ``delay`` s); ``garbage`` (the first ``bad``
measurement replies are garbled, then good ones); ``silent`` (measurements get no reply:
timeouts); ``drop`` (the connection closes at the first measurement); ``zero`` (reads 0 W).
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time

GARBAGE = [b"#@!%", b"", b'ERR -113,"Undefined header"', b"\xff\xfe2.5", b"9.9E37", b"2.5 V"]


class Instrument:
    def __init__(self, mode: str = "normal", watts: float = 2.5, delay: float = 0.0, bad: int = 2) -> None:
        self.mode, self.watts, self.delay, self.bad = mode, watts, delay, bad
        self.master, self.slave = os.openpty()
        self.port = os.ttyname(self.slave)
        self.queries: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _serve(self) -> None:
        buf = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if not ready:
                continue
            try:
                buf += os.read(self.master, 1024)
            except OSError:
                return
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                reply = self._answer(line.decode("ascii", "replace").strip())
                if reply == "drop":
                    os.close(self.master)
                    return
                if reply is None:
                    continue
                time.sleep(self.delay)
                os.write(self.master, reply + b"\n")

    def _answer(self, query: str) -> bytes | str | None:
        self.queries.append(query)
        if query == "*IDN?":
            return b"TOOLKIT,PTY-METER,0,1.0"
        measurements = sum(1 for q in self.queries if q.startswith("MEAS"))
        if self.mode == "silent":
            return None
        if self.mode == "drop":
            return "drop"
        if self.mode == "garbage" and measurements <= self.bad:
            return GARBAGE[(measurements - 1) % len(GARBAGE)]
        if self.mode == "zero":
            return b"0.000"
        if query.startswith("MEAS:POW?"):
            return f"{self.watts:.4f}".encode()
        if query.startswith("MEAS:VOLT?"):
            return b"5.000E+00"
        if query.startswith("MEAS:CURR?"):
            return f"{self.watts / 5:.4f}".encode()
        return b"ERR -113"
