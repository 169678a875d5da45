"""The meter protocol, PYNQ's PMBus rails, and the simulation's modelled power as a meter."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from toolkit_overlay.errors import OverlayError


class Meter(Protocol):
    """Something that reads watts now. ``label`` is "measured" or "modelled"; ``scope`` says what
    is measured (PL rails, the board's supply, modelled on-chip power)."""

    name: str
    label: str
    scope: str

    def read(self) -> float:
        """Watts now (OverlayError when unreadable, never a made-up 0)."""

    def close(self) -> None: ...


def check_watts(value: Any, what: str, allow_zero: bool = False) -> float:
    """A reading as float watts, or OverlayError when it is missing, not finite, or not positive
    (``allow_zero``: one rail of several may read 0 W; a whole board may not)."""
    try:
        watts = float(value)
    except (TypeError, ValueError):
        raise OverlayError(f"{what} read {value!r}: expected a number of watts") from None
    if not math.isfinite(watts):
        raise OverlayError(f"{what} read {watts!r} W: expected a finite reading")
    if watts < 0 or (watts == 0 and not allow_zero):
        raise OverlayError(
            f"{what} read {watts:g} W: a running board draws power (wrong channel or rail, or output off?)"
        )
    return watts


class PmbusMeter:
    """The sum of PMBus rails (the board file's ``pl_rails``) read through ``pynq.get_rails()``.

    ``get_rails``: a stand-in for ``pynq.get_rails`` (tests); a rail object has ``power``, or
    ``voltage`` and ``current``, sensors with a ``value``.
    """

    label = "measured"

    def __init__(self, rails: Sequence[str], get_rails: Callable[[], dict[str, Any]] | None = None) -> None:
        if not rails:
            raise OverlayError("PMBus meter needs rail names (the board file's [power] pl_rails)")
        if get_rails is None:
            get_rails = _pynq_get_rails()
        try:
            available = get_rails()
        except Exception as exc:
            raise OverlayError(f"pynq.get_rails() failed: {type(exc).__name__}: {exc}") from None
        missing = [r for r in rails if r not in available]
        if missing:
            have = ", ".join(sorted(available)) or "none"
            raise OverlayError(
                f"PMBus rail(s) {', '.join(missing)} not found: this board reports {have} "
                "(edit [power] pl_rails in the board file)"
            )
        self.rails = {r: available[r] for r in rails}
        self.name = "pmbus " + "+".join(rails)
        self.scope = "PL rails " + "+".join(rails)

    def read(self) -> float:
        return check_watts(sum(self._rail(name, rail) for name, rail in self.rails.items()), self.name)

    def _rail(self, name: str, rail: Any) -> float:
        power = getattr(rail, "power", None)
        try:  # a rail without a power sensor: voltage x current
            value = power.value if power is not None else rail.voltage.value * rail.current.value
        except Exception as exc:
            raise OverlayError(f"PMBus rail {name} is unreadable: {type(exc).__name__}: {exc}") from None
        return check_watts(value, f"PMBus rail {name}", allow_zero=True)

    def close(self) -> None:
        self.rails = {}


class ModelledMeter:
    """The simulation's modelled power: ``static_w`` while idle, ``static_w + dynamic_w`` otherwise.

    The sampler tells it the phase (:meth:`set_phase`); every reading is labelled modelled.
    """

    label = "modelled"
    scope = "modelled on-chip power (static + dynamic from RTL activity)"

    def __init__(self, static_w: float, dynamic_w: float, idle_phases: Sequence[str] = ("idle",)) -> None:
        for what, w in (("static_w", static_w), ("dynamic_w", dynamic_w)):
            if not (isinstance(w, (int, float)) and math.isfinite(w) and w >= 0):
                raise OverlayError(f"modelled {what} = {w!r}: expected a finite non-negative number of watts")
        if static_w + dynamic_w <= 0:
            raise OverlayError("modelled power is 0 W: expected a static or dynamic power above zero")
        self.static_w, self.dynamic_w = float(static_w), float(dynamic_w)
        self.idle_phases = tuple(idle_phases)
        self.phase: str | None = None
        self.name = f"model {self.static_w:g} W static + {self.dynamic_w:g} W dynamic"

    def set_phase(self, phase: str | None) -> None:
        self.phase = phase

    def read(self) -> float:
        idle = self.phase is None or self.phase in self.idle_phases
        return self.static_w if idle else self.static_w + self.dynamic_w

    def close(self) -> None:
        pass


def _pynq_get_rails() -> Callable[[], dict[str, Any]]:
    try:
        from pynq import get_rails
    except ImportError as exc:
        raise OverlayError(
            f"cannot import pynq.get_rails ({exc}): PMBus power needs a PYNQ image on a board with PMBus "
            "(ZCU104, Ultra96-V2); use --meter scpi:PORT for an external meter"
        ) from None
    return get_rails
