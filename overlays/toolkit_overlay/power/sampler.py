"""A thread that reads a meter at a fixed interval, each reading tagged with the phase it fell in.

``mark(phase)`` starts a phase ("idle", "load", ...); a reading that straddles a mark is
dropped, so every kept reading belongs wholly to one phase. A failed reading stops the
thread and the error is raised from the next ``mark``/``wait_for``/``stop``: a run with an
unreadable meter fails, it does not yield a trace with holes or zeros.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit_overlay.errors import OverlayError


@dataclass
class Trace:
    """Readings (monotonic seconds, watts, phase) and each phase's (start, end) spans."""

    times: list[float] = field(default_factory=list)
    watts: list[float] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    spans: list[tuple[str, float, float]] = field(default_factory=list)
    meter: str = ""
    label: str = "measured"

    def of(self, phase: str) -> np.ndarray:
        """The watts read during ``phase``."""
        return np.array([w for w, p in zip(self.watts, self.phases) if p == phase], dtype=float)  # noqa: B905

    def duration(self, phase: str) -> float:
        """Seconds spent in ``phase`` (all its spans)."""
        return float(sum(t1 - t0 for p, t0, t1 in self.spans if p == phase))

    def to_json(self) -> dict[str, Any]:
        t0 = self.times[0] if self.times else 0.0
        return {"meter": self.meter, "label": self.label, "t_s": [t - t0 for t in self.times],
                "watts": self.watts, "phase": self.phases,
                "spans": [[p, a - t0, b - t0] for p, a, b in self.spans]}  # fmt: skip


class Sampler:
    """``with Sampler(meter, interval_s) as s: s.mark("idle"); ...; s.mark("load"); ...`` -> ``s.trace``."""

    def __init__(self, meter: Any, interval_s: float = 0.05) -> None:
        if interval_s < 0:
            raise OverlayError(f"sampling interval {interval_s} s: expected >= 0")
        self.meter = meter
        self.interval_s = interval_s
        self.trace = Trace(meter=getattr(meter, "name", type(meter).__name__),
                           label=getattr(meter, "label", "measured"))  # fmt: skip
        self._lock = threading.Lock()
        self._phase: str | None = None
        self._phase_start = 0.0
        self._seq = 0
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._new = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._run, name="power-sampler", daemon=True)

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def mark(self, phase: str | None) -> None:
        """End the current phase and start ``phase`` (None: between phases, readings dropped)."""
        self._raise()
        now = time.monotonic()
        with self._lock:
            if self._phase is not None:
                self.trace.spans.append((self._phase, self._phase_start, now))
            self._phase, self._phase_start = phase, now
            self._seq += 1
            set_phase = getattr(self.meter, "set_phase", None)
            if set_phase is not None:  # a modelled meter follows the phases
                set_phase(phase)

    def count(self, phase: str | None = None) -> int:
        """Readings kept so far in ``phase`` (default: the current one)."""
        self._raise()
        with self._lock:
            phase = self._phase if phase is None else phase
            return sum(1 for p in self.trace.phases if p == phase)

    def wait_for(self, n: int, timeout_s: float = 600.0) -> None:
        """Block until the current phase has ``n`` readings."""
        deadline = time.monotonic() + timeout_s
        while self.count() < n:
            if not self._thread.is_alive() and self._error is None:
                raise OverlayError("the sampler is not running (call start())")
            if time.monotonic() > deadline:
                raise OverlayError(
                    f"{self.count()} of {n} power readings after {timeout_s:g} s: the meter is too slow"
                )
            with self._new:
                self._new.wait(0.05)

    def stop(self) -> Trace:
        """End the current phase, stop the thread, return the trace (OverlayError if a reading failed)."""
        if self._thread.is_alive() or self._phase is not None:
            self.mark(None)
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._raise()
        return self.trace

    def __enter__(self) -> Sampler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                phase, seq = self._phase, self._seq
            t0 = time.monotonic()
            try:
                watts = float(self.meter.read())
            except BaseException as exc:
                self._error = exc
                return
            t1 = time.monotonic()
            with self._lock:
                if phase is not None and seq == self._seq:  # not straddling a mark
                    self.trace.times.append((t0 + t1) / 2)
                    self.trace.watts.append(watts)
                    self.trace.phases.append(phase)
                self._new.notify_all()
            self._stop.wait(self.interval_s)

    def _raise(self) -> None:
        if self._error is not None:
            exc = self._error
            if isinstance(exc, OverlayError):
                raise OverlayError(f"power reading failed: {exc}") from None
            raise OverlayError(f"power reading failed: {type(exc).__name__}: {exc}") from None
