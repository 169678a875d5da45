"""Modelled power from a sample of the run: toggles counted on a seeded subset of the inferences.

Toggle coverage makes a Verilated design ~25x slower per cycle on cifar-cnn (every covered
bit is compared and counted every cycle). So a run uses two builds of the same Verilog: one
without coverage streams *every* sample (agreement with the emulator, cycles), one with
``--coverage-toggle`` streams only ``power_samples`` of them, drawn without replacement by
a seeded generator and split into batches, each streamed from an idle pipeline.

Estimator: the toggles per inference of each module, measured on the sample, times the
run's sample count, over the run's simulated cycles: the activity the whole run would have
shown had every sample been counted. Each batch gives such an estimate too; the stated
error is the standard error of the batch estimates (batch-to-batch variation / sqrt(B)).
It is the sampling error of a modelled figure, not the model's own error (uncalibrated).

How many samples: a fixed count (``--power-samples N``: N drawn at once, in 8 batches), or
the adaptive rule ``auto`` (the default of ``toolkit sim``): batches of ``AUTO_BATCH``
samples, consecutive slices of a seeded permutation of the run (so every prefix of batches
is a simple random sample), streamed until the standard error of the modelled dynamic
power is at most ``AUTO_TARGET`` of the estimate, with at least ``AUTO_MIN_BATCHES``
batches (an error with a few degrees of freedom) and at most ``AUTO_MAX_SAMPLES`` samples
(the former fixed default, so the rule never costs more than it did). Measured after the
minimum of 16 samples: 0.04 % on cifar-cnn (500-sample run, ``benchmarks/scale.py``) and
0.26 % on digits-cnn (160 samples; the estimate 0.04 % from the every-sample figure), so the
rule stopped there on both. (Stopping on the error's own value biases the stated error a
little low when it stops early; the minimum keeps that small, and the test holds the estimate
within three stated errors of the every-sample figure.) These 16 samples are still about
half of ``toolkit sim``'s simulation time in a 500-sample cifar-cnn run (64 were three quarters).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.rtlgen.activity import Activity, ModuleActivity

if TYPE_CHECKING:
    from toolkit.boards import Board
    from toolkit.rtlgen.area import Area
    from toolkit.rtlgen.device import RtlDevice

DEFAULT_POWER_SAMPLES = 64  # the fixed draw (``toolkit measure``'s default; ``--power-samples N``)
DEFAULT_BATCHES = 8
AUTO = "auto"  # ``toolkit sim``'s default: the adaptive rule below
AUTO_BATCH = 4  # samples per batch of the adaptive rule
AUTO_MIN_BATCHES = 4  # at least 16 samples: an error estimate with 3 degrees of freedom
AUTO_MAX_SAMPLES = 64  # at most the former fixed default
AUTO_TARGET = 0.005  # stop once the standard error is at most 0.5 % of the estimate
#: ``power_samples``: a count >= 2, :data:`AUTO`, or None (every sample)
PowerSamples = int | str | None


def check_power_samples(value: PowerSamples) -> None:
    """Refuse a ``power_samples`` that is not a count >= 2, ``"auto"`` or None, naming it."""
    if (
        value is None
        or value == AUTO
        or (isinstance(value, int) and not isinstance(value, bool) and value >= 2)
    ):
        return
    raise ToolkitError(
        f"power samples = {value!r}: expected a count >= 2 (the error needs two batches), {AUTO!r} or all samples"
    )


def auto_batches(n: int, seed: int = 0) -> list[np.ndarray]:
    """The batches the adaptive rule may stream, in order: slices of ``AUTO_BATCH`` of a seeded
    permutation of the ``n`` samples (each slice sorted), ``AUTO_MAX_SAMPLES`` samples at most."""
    order = np.random.default_rng(seed).permutation(n)[:AUTO_MAX_SAMPLES]
    return [np.sort(order[i : i + AUTO_BATCH]) for i in range(0, len(order), AUTO_BATCH)]


def relative_stderr(estimates: list[float]) -> float:
    """Standard error of the mean of per-batch ``estimates`` over their mean (inf if undefined)."""
    mean = float(np.mean(estimates)) if estimates else 0.0
    if len(estimates) < 2 or mean == 0.0:
        return math.inf
    return float(np.std(estimates, ddof=1) / math.sqrt(len(estimates))) / abs(mean)


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
    rule: str | None = None  # how the sample size was decided (the adaptive rule), if not fixed


def sample_activity(
    device: RtlDevice,
    codes: np.ndarray,
    indices: np.ndarray,
    run_cycles: int,
    batches: int = DEFAULT_BATCHES,
) -> SampledActivity:
    """Stream ``codes[indices]`` through ``device`` (built with coverage) in batches; scale to the run."""
    _check_coverage(device)
    parts = np.array_split(indices, min(batches, len(indices)))
    return _combine([_batch(device, codes, part, run_cycles) for part in parts], len(codes), run_cycles)


def sample_activity_until(
    device: RtlDevice,
    codes: np.ndarray,
    run_cycles: int,
    estimate: Callable[[Activity], float],
    seed: int = 0,
    target: float = AUTO_TARGET,
) -> SampledActivity:
    """The adaptive rule: stream :func:`auto_batches` until the standard error of ``estimate`` (the
    modelled dynamic power of a run-scaled activity) over the batches is at most ``target`` of their
    mean, after at least ``AUTO_MIN_BATCHES`` batches; all of them if it never gets there."""
    if not 0.0 < target < 1.0:
        raise ToolkitError(f"relative error target = {target!r}: expected a fraction in (0, 1)")
    _check_coverage(device)
    done: list[tuple[Activity, Activity, np.ndarray, np.ndarray]] = []
    values: list[float] = []
    reached = math.inf
    for part in auto_batches(len(codes), seed):
        done.append(_batch(device, codes, part, run_cycles))
        values.append(estimate(done[-1][0]))
        reached = relative_stderr(values)
        if len(done) >= AUTO_MIN_BATCHES and reached <= target:
            break
    stopped = "reached" if reached <= target else "not reached (every allowed batch streamed)"
    rule = (
        f"batches of {AUTO_BATCH} until the standard error is at most {100 * target:g} % of the estimate "
        f"(at least {AUTO_MIN_BATCHES} batches, at most {AUTO_MAX_SAMPLES} samples): {stopped} after "
        f"{len(done)} batches ({100 * reached:.3g} %)"
    )
    sample = _combine(done, len(codes), run_cycles)
    return SampledActivity(sample.activity, sample.batches, sample.indices, sample.codes, sample.n_run, rule)


def _check_coverage(device: RtlDevice) -> None:
    if not device.has_activity:
        raise ToolkitError("the simulation library was built without toggle coverage: cannot count activity")


def _batch(
    device: RtlDevice, codes: np.ndarray, part: np.ndarray, run_cycles: int
) -> tuple[Activity, Activity, np.ndarray, np.ndarray]:
    """One batch from an idle pipeline: (its run-scaled estimate, its raw counts, its indices, its outputs)."""
    res = device.predict_codes(codes[part])
    if res.activity is None:  # has_activity said otherwise: a harness defect
        raise ToolkitError("the coverage build returned no toggle activity")
    return _scaled(res.activity.modules, len(part), len(codes), run_cycles), res.activity, part, res.codes


def _combine(
    done: list[tuple[Activity, Activity, np.ndarray, np.ndarray]], n_run: int, run_cycles: int
) -> SampledActivity:
    """Pool the batches' raw counts into one run-scaled estimate; keep each batch's own."""
    totals: dict[str, list[float]] = {}  # module -> [bits, toggles]
    for _, raw, _, _ in done:
        for name, m in raw.modules.items():
            entry = totals.setdefault(name, [m.bits, 0.0])
            entry[1] += m.toggles
    indices = np.concatenate([part for _, _, part, _ in done])
    total = {k: ModuleActivity(int(b), t) for k, (b, t) in totals.items()}
    return SampledActivity(
        _scaled(total, len(indices), n_run, run_cycles),
        [scaled for scaled, _, _, _ in done],
        indices,
        np.concatenate([out for _, _, _, out in done]),
        n_run,
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
            "rule": sample.rule or f"fixed: {k} samples",
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
