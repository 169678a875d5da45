"""Modelled power from a sample of the run: toggles counted on a seeded subset of the inferences.

Toggle coverage makes a Verilated design an order of magnitude slower (every covered bit
is compared and counted every cycle). So a run uses two builds of the same Verilog: one
without coverage streams *every* sample (agreement with the emulator, cycles), one with
``--coverage-toggle`` streams only ``power_samples`` of them, drawn without replacement by
a seeded generator and split into batches, each streamed from an idle pipeline.

Estimator: the toggles per inference of each module, measured on the sample, times the
run's sample count, over the run's simulated cycles: the activity the whole run would have
shown had every sample been counted. Each batch gives such an estimate too; the stated
error is the standard error of the batch estimates (batch-to-batch variation / sqrt(B)).
It is the sampling error of a modelled figure, not the model's own error (uncalibrated).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.rtlgen.activity import Activity, ModuleActivity

if TYPE_CHECKING:
    from toolkit.boards import Board
    from toolkit.rtlgen.area import Area
    from toolkit.rtlgen.device import RtlDevice

DEFAULT_POWER_SAMPLES = 64
DEFAULT_BATCHES = 8


def sample_indices(n: int, k: int | None, seed: int = 0) -> np.ndarray:
    """Sorted indices of ``k`` of ``n`` samples drawn without replacement (all of them if ``k`` is None or >= n)."""
    if k is not None and k < 1:
        raise ToolkitError(f"power samples = {k!r}: expected a count >= 1 (or all samples)")
    if k is None or k >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False))


@dataclass(frozen=True)
class SampledActivity:
    """The run's activity estimated from a sample, one estimate per batch, and the sample's outputs."""

    activity: Activity  # scaled to the whole run (``n_run`` samples over ``run_cycles``)
    batches: list[Activity]  # the same estimate from each batch alone
    indices: np.ndarray
    codes: np.ndarray  # output codes of the sampled inferences (checked against the full run)
    n_run: int


def sample_activity(
    device: RtlDevice,
    codes: np.ndarray,
    indices: np.ndarray,
    run_cycles: int,
    batches: int = DEFAULT_BATCHES,
) -> SampledActivity:
    """Stream ``codes[indices]`` through ``device`` (built with coverage) in batches; scale to the run."""
    if not device.has_activity:
        raise ToolkitError("the simulation library was built without toggle coverage: cannot count activity")
    n_run = len(codes)
    parts = np.array_split(indices, min(batches, len(indices)))
    totals: dict[str, list[float]] = {}  # module -> [bits, toggles]
    per_batch: list[Activity] = []
    outputs = []
    for part in parts:
        res = device.predict_codes(codes[part])
        if res.activity is None:  # has_activity said otherwise: a harness defect
            raise ToolkitError("the coverage build returned no toggle activity")
        outputs.append(res.codes)
        per_batch.append(_scaled(res.activity.modules, len(part), n_run, run_cycles))
        for name, m in res.activity.modules.items():
            entry = totals.setdefault(name, [m.bits, 0.0])
            entry[1] += m.toggles
    total = {k: ModuleActivity(int(b), t) for k, (b, t) in totals.items()}
    return SampledActivity(
        _scaled(total, len(indices), n_run, run_cycles), per_batch, indices, np.concatenate(outputs), n_run
    )


def _scaled(modules: dict[str, ModuleActivity], counted: int, n_run: int, run_cycles: int) -> Activity:
    """Toggles counted on ``counted`` inferences, scaled to ``n_run`` inferences over ``run_cycles``."""
    factor = n_run / counted
    return Activity(run_cycles, {k: ModuleActivity(m.bits, m.toggles * factor) for k, m in modules.items()})


def sampled_power(
    area: Area, sample: SampledActivity, board: Board, interval_cycles: float, seed: int
) -> dict[str, Any]:
    """The power model on the sampled activity, with the standard error over the batches (JSON-ready)."""
    from toolkit.rtlgen.power import model_power

    power = model_power(area, sample.activity, board, interval_cycles)
    b = len(sample.batches)
    per_batch = [model_power(area, a, board, interval_cycles).dynamic_w for a in sample.batches]
    stderr = float(np.std(per_batch, ddof=1) / math.sqrt(b)) if b >= 2 else None
    k, n = len(sample.indices), sample.n_run
    every = k == n
    return power.to_json() | {
        "dynamic_stderr_w": stderr,
        "energy_stderr_j": None if stderr is None else stderr * power.seconds_per_inference,
        "sampling": {
            "samples": k,
            "of": n,
            "seed": seed,
            "batches": b,
            "per_batch_dynamic_w": per_batch,
            "basis": (
                f"toggles counted on {'all ' if every else ''}{k} of {n} samples"
                f"{'' if every else f' (drawn with seed {seed})'} in {b} batches, each from an idle pipeline; "
                "scaled to the whole run's cycles (agreement and cycles on every sample)"
            ),
            "error_note": "standard error over the batches: the sampling error of a modelled figure "
            "(the power model itself is not calibrated)"
            if stderr is not None
            else "one batch: no sampling error estimate",
        },
    }


def full_power(
    area: Area, activity: Activity, board: Board, interval_cycles: float, n: int
) -> dict[str, Any]:
    """The power model on toggles counted over every sample of the run (no sampling error)."""
    from toolkit.rtlgen.power import model_power

    return model_power(area, activity, board, interval_cycles).to_json() | {
        "dynamic_stderr_w": 0.0,
        "energy_stderr_j": 0.0,
        "sampling": {
            "samples": n,
            "of": n,
            "seed": None,
            "batches": 1,
            "basis": "toggles counted on every sample of the run, in one stream",
            "error_note": "every sample counted: no sampling error",
        },
    }
