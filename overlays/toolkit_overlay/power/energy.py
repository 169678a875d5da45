"""Energy per inference, differentially: what the board draws above idle while inferring.

    E = (P_load - P_idle) * T_load / N

with P the mean reading of each phase, T_load the loaded phase's duration and N the
inferences run in it. Its standard error propagates the two means' standard errors
(s / sqrt(n), independent phases): se_E = sqrt(se_load^2 + se_idle^2) * T_load / N.
Readings within a phase are treated as independent; a meter that averages internally makes
them correlated and this uncertainty optimistic, so sample slower than the meter averages.
The board's whole draw per inference (P_load * T_load / N) is reported beside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from toolkit_overlay.errors import OverlayError
from toolkit_overlay.power.sampler import Trace


@dataclass(frozen=True)
class Energy:
    """Differential energy per inference (joules) with its standard error, and what it came from."""

    joules: float
    stderr_j: float
    idle_w: float
    idle_se_w: float
    idle_n: int
    load_w: float
    load_se_w: float
    load_n: int
    duration_s: float
    inferences: int
    label: str = "measured"

    @property
    def delta_w(self) -> float:
        return self.load_w - self.idle_w

    @property
    def total_joules(self) -> float:
        """Whole draw per inference while loaded (not differential)."""
        return self.load_w * self.duration_s / self.inferences

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(delta_w=self.delta_w, total_joules=self.total_joules)
        return out


def energy_per_inference(
    samples: Trace | Mapping[str, Sequence[float]],
    inferences: int,
    duration_s: float | None = None,
    idle: str = "idle",
    load: str = "load",
    label: str | None = None,
) -> Energy:
    """Energy per inference from readings of an ``idle`` and a ``load`` phase.

    ``samples``: a :class:`Trace` (the load duration comes from its marks unless given) or a
    mapping phase -> watts (then ``duration_s`` is required).
    """
    if isinstance(samples, Trace):
        idle_w, load_w = samples.of(idle), samples.of(load)
        if duration_s is None:
            duration_s = samples.duration(load)
        label = label or samples.label
    else:
        if duration_s is None:
            raise OverlayError("duration_s is required when samples are plain readings (no phase marks)")
        idle_w = np.asarray(samples.get(idle, ()), dtype=float)
        load_w = np.asarray(samples.get(load, ()), dtype=float)
    if inferences < 1:
        raise OverlayError(f"{inferences} inferences in the {load!r} phase: expected at least 1")
    if not duration_s or duration_s <= 0 or not math.isfinite(duration_s):
        raise OverlayError(f"the {load!r} phase lasted {duration_s!r} s: expected a positive duration")
    for phase, w in ((idle, idle_w), (load, load_w)):
        if len(w) < 2:
            raise OverlayError(
                f"{len(w)} power reading(s) in the {phase!r} phase: expected at least 2 for a mean and its error"
            )
        if not np.all(np.isfinite(w)):
            raise OverlayError(f"the {phase!r} phase has non-finite readings")
    mi, si = _mean_se(idle_w)
    ml, sl = _mean_se(load_w)
    per = duration_s / inferences
    return Energy(
        joules=(ml - mi) * per,
        stderr_j=math.hypot(sl, si) * per,
        idle_w=mi,
        idle_se_w=si,
        idle_n=len(idle_w),
        load_w=ml,
        load_se_w=sl,
        load_n=len(load_w),
        duration_s=float(duration_s),
        inferences=int(inferences),
        label=label or "measured",
    )


def _mean_se(w: np.ndarray) -> tuple[float, float]:
    return float(w.mean()), float(w.std(ddof=1) / math.sqrt(len(w)))
