"""The public functions behind the CLI commands: each ``toolkit X`` command is a thin wrapper of one of them.

Bad input raises :class:`~toolkit.errors.ToolkitError` with the message the CLI prints after
``error:``; hardware that disagrees with the emulator raises
:class:`~toolkit.errors.HardwareMismatch` (a ToolkitError) after its results are written.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.api.inputs import DataLike, ModelLike, data_spec, model_spec
from toolkit.api.results import Emulation, Measurement, Quantization, Report, Selection, Simulation
from toolkit.errors import HardwareMismatch, ToolkitError
from toolkit.rtlgen.sampled_power import AUTO, DEFAULT_POWER_SAMPLES

PlanLike = Any  # str | os.PathLike | Selection | Build (anything with a .plan_path)


def emulate(
    model: ModelLike = "zoo:digits-cnn",
    data: DataLike = None,
    *,
    plan: PlanLike = None,
    method: str = "auto",
    limit: int | None = None,
    fold_batchnorm: bool = False,
    verbose: bool = False,
) -> Emulation | np.ndarray:
    """Bit-accurate integer inference (``toolkit emulate``).

    ``data`` a dataset (see :mod:`toolkit.api.inputs`): an :class:`Emulation` of its test split
    (accuracy, agreement with your model, model hash). ``data`` a bare array of samples: the
    emulator's outputs for them (real values, like ``model.predict``).
    """
    check_choice("--method", method, ("auto", "gather", "onehot", "lowrank"))
    check_positive("--limit", limit)
    if isinstance(data, np.ndarray):
        return _predict(model, data, plan, method, fold_batchnorm)
    from toolkit.emulator.run import emulate_dataset

    fields = emulate_dataset(
        model_spec(model), data_spec(data), limit=limit, verbose=verbose, plan_path=plan_path(plan),
        method=method, fold_batchnorm=fold_batchnorm,
    )  # fmt: skip
    return Emulation(fields)


def _predict(
    model: ModelLike, x: np.ndarray, plan: PlanLike, method: str, fold_batchnorm: bool
) -> np.ndarray:
    from toolkit.emulator.engine import Emulator
    from toolkit.models.loading import load_model
    from toolkit.models.reader import read_model
    from toolkit.plan import load_plan

    keras_model = (
        load_model(os.fspath(model), verbose=False) if isinstance(model, str | os.PathLike) else model
    )
    model_ir, _ = read_model(keras_model, fold_batchnorm=fold_batchnorm)
    path = plan_path(plan)
    loaded = load_plan(path, model_ir) if path else None
    emulator = Emulator(model_ir, products=loaded.kernels(method) if loaded else None)
    if x.shape[1:] != tuple(model_ir.input_shape):
        raise ToolkitError(
            f"samples of shape {x.shape[1:]}: model {model_ir.name!r} expects {tuple(model_ir.input_shape)} "
            "(pass an array of shape (N, *input_shape))"
        )
    return emulator.predict(x)


def quantize(
    model: ModelLike,
    data: DataLike = None,
    *,
    out: str | os.PathLike,
    epochs: int = 40,
    start_bits: int = 16,
    min_bits: int = 2,
    prune: bool = False,
    rounding: str = "ceil",
    update_start: int = 3,
    settle_tol: float = 0.02,
    logit: str = "input-ad",
    max_updates: int | None = None,
    input_bits: int | None = None,
    seed: int = 1,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    verbose: bool = False,
) -> Quantization:
    """Activation-density mixed precision (``toolkit quantize``): trains to per-layer bit-widths into ``out``."""
    from toolkit.density.rules import ROUNDINGS, UpdateRule
    from toolkit.density.run import quantize as run_quantize
    from toolkit.density.train import LOGIT_POLICIES, DensityConfig

    check_choice("--rounding", rounding, ROUNDINGS)
    check_choice("--logit", logit, LOGIT_POLICIES)
    rule = UpdateRule(
        start_bits=start_bits, min_bits=min_bits, rounding=rounding, update_start=update_start,  # type: ignore[arg-type]
        settle_tol=settle_tol,
    )  # fmt: skip
    config = DensityConfig(
        rule=rule, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=seed, prune=prune,
        input_bits=input_bits, logit=logit, max_updates=max_updates,  # type: ignore[arg-type]
    )  # fmt: skip
    doc = run_quantize(model_spec(model), data_spec(data), os.fspath(out), config, verbose=verbose)
    return Quantization(doc, Path(out))


def select(
    model: ModelLike = "zoo:digits-cnn",
    data: DataLike = None,
    *,
    budget: float = 1.0,
    out: str | os.PathLike | None = None,
    confidence: float = 0.9,
    calibration: str | os.PathLike | None = None,
    certify_fraction: float = 1.0,
    split_seed: int = 0,
    families: list[str] | None = None,
    cv: bool = True,
    fold_mean: bool = False,
    method: str = "ilp",
    trace: str = "hutchinson",
    refine: int = 3,
    seed: int = 0,
    use_cache: bool = True,
    verbose: bool = False,
) -> Selection:
    """One approximate multiplier (+ correction) per MAC layer under an accuracy budget (``toolkit approx``).

    Writes ``plan.json``, ``selection.json`` and the plots into ``out`` (default: a new temporary
    folder). Returns a :class:`Selection` (the fields of ``selection.json``, ``.plan``, ``.plots``).
    ``use_cache=False`` recomputes the calibration statistics instead of reading them from the
    content-keyed cache (``toolkit approx --no-cache``).
    """
    from toolkit.select.run import approx_model

    check_budget(budget)
    check_choice("--method", method, ("ilp", "ga"))
    check_choice("--trace", trace, ("hutchinson", "fisher"))
    if not 0.5 <= confidence < 1.0:
        raise ToolkitError(f"--confidence {confidence!r}: expected a level in [0.5, 1)")
    if not 0.0 < certify_fraction <= 1.0:
        raise ToolkitError(f"--certify-fraction {certify_fraction!r}: expected a fraction in (0, 1]")
    if not 0 <= refine <= 20:
        raise ToolkitError(f"--refine {refine!r}: expected 0 to 20 refinement steps")
    out_dir = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="toolkit-select-"))
    spec = model_spec(model)
    summary = approx_model(
        spec, data_spec(data), out_dir, budget=budget, families=families, use_cv=cv, fold_mean=fold_mean,
        selector=method, trace_method=trace, seed=seed, verbose=verbose, refine_steps=refine,
        confidence=confidence, calibration=None if calibration is None else os.fspath(calibration),
        split_seed=split_seed, certify_fraction=certify_fraction, use_cache=use_cache,
    )  # fmt: skip
    return Selection(summary, out_dir, _PlanLoader(spec, out_dir / "plan.json"))


class _PlanLoader:
    """The resolved Plan of a plan file, read (with its model) on first use."""

    def __init__(self, spec: str, path: Path) -> None:
        self.spec, self.path, self._plan = spec, path, None

    def get(self) -> Any:
        if self._plan is None:
            from toolkit.models.loading import load_model
            from toolkit.models.reader import read_model
            from toolkit.plan import load_plan

            self._plan = load_plan(self.path, read_model(load_model(self.spec, verbose=False))[0])
        return self._plan


def sim(
    model: ModelLike | None = None,
    data: DataLike = None,
    *,
    build: str | os.PathLike | None = None,
    plan: PlanLike = None,
    board: str | None = None,
    fold: int | None = None,
    limit: int | None = None,
    area: bool = True,
    power_samples: int | str | None = AUTO,
    power_seed: int = 0,
    check: bool = True,
    verbose: bool = False,
) -> Simulation:
    """The accelerator's generated RTL under Verilator (``toolkit sim``): accuracy, bit-exactness, cycles,
    area and modelled power. ``build``: a build folder (model, data, plan and board from it).

    ``power_samples``: toggles (modelled power) are counted on this many test samples, drawn with
    ``power_seed`` (``"auto"``: batches until the sampling error is small, see
    :mod:`toolkit.rtlgen.sampled_power`; ``None``: every sample); agreement and cycles always use
    every sample.
    ``check``: raise :class:`HardwareMismatch` (after the result is written) when the RTL disagrees
    with the emulator; ``False`` returns the result and leaves the check to :func:`check_sim`.
    """
    check_positive("--fold", fold)
    check_positive("--limit", limit)
    if build is not None:
        if model is not None or data is not None or plan is not None:
            raise ToolkitError(
                "--build takes the model, data and plan from the folder: drop --model/--data/--plan"
            )
        if board is not None:
            raise ToolkitError("--build takes the board from DIR/build.json: drop --board")
        from toolkit.rtlgen.build_dir import sim_step

        result = sim_step(os.fspath(build), limit, fold, area=area, power_samples=power_samples,
                          power_seed=power_seed)  # fmt: skip
    else:
        from toolkit.models.datasets import load_dataset
        from toolkit.models.loading import default_dataset_for, load_model
        from toolkit.models.reader import read_model
        from toolkit.plan import load_plan
        from toolkit.rtlgen.run import simulate

        spec = model_spec(model if model is not None else "zoo:digits-cnn")
        dspec = data_spec(data) or default_dataset_for(spec)
        if dspec is None:
            raise ToolkitError(f"--data is required for model {spec!r} (digits, mnist1d or an .npz path)")
        dataset = load_dataset(dspec)
        model_ir, _ = read_model(load_model(spec, verbose=verbose))
        path = plan_path(plan)
        loaded = load_plan(path, model_ir) if path else None
        result = simulate(model_ir, dataset, loaded, board or "pynq-z2", fold, limit, area=area,
                          power_samples=power_samples, power_seed=power_seed)  # fmt: skip
        result["source"] = spec
    simulation = Simulation(result)
    if check:
        check_sim(simulation)
    return simulation


def check_sim(result: Simulation | dict[str, Any]) -> None:
    """Raise :class:`HardwareMismatch` when a simulation's RTL disagrees with the emulator on any sample."""
    if result["bit_exact_samples"] != result["n"]:
        design = result.get("design") or {}
        hls = design.get("simulated", "").startswith("hls")
        raise HardwareMismatch(
            f"the simulated {design.get('simulated', 'RTL')} disagrees with the emulator on "
            f"{result['n'] - result['bit_exact_samples']} of {result['n']} samples: "
            + ("an HLS or template defect" if hls else "a generator defect")
        )


def measure(
    build: str | os.PathLike,
    *,
    target: str = "auto",
    meter: str | None = None,
    samples: int = 50,
    limit: int | None = None,
    baseline: str | os.PathLike | None = None,
    closed_loop: bool = False,
    budget: float | None = None,
    power_samples: int | None = DEFAULT_POWER_SAMPLES,
    power_seed: int = 0,
    check: bool = True,
    log: Any = None,
) -> Measurement:
    """Measure a build (``toolkit measure``): accuracy, agreement with the emulator, latency, power, energy.

    Writes ``BUILD/measure.json`` and ``measure.html``. ``check``: raise :class:`HardwareMismatch`
    (after the results are written) when the hardware disagrees with the emulator.
    """
    from toolkit.measure.run import measure_build

    check_choice("--target", target, ("auto", "board", "sim"))
    check_positive("--limit", limit)
    if samples < 2:
        raise ToolkitError(f"--samples {samples!r}: expected at least 2 power readings per phase")
    if budget is not None:
        check_budget(budget)
    log = log or (lambda *_: None)
    folder = os.fspath(build)

    def run() -> dict[str, Any]:
        return measure_build(folder, target, meter, samples, limit, None if baseline is None else os.fspath(baseline),
                             log=log, power_samples=power_samples, power_seed=power_seed)  # fmt: skip

    result = Measurement(_closed_loop(folder, budget, run, log) if closed_loop else run())
    if check:
        check_measurement(result)
    return result


def check_measurement(result: Measurement | dict[str, Any]) -> None:
    """Raise :class:`HardwareMismatch` when a measurement (or the last closed-loop round) saw mismatches."""
    final = result["rounds"][-1] if "rounds" in result else {"mismatches": result["agreement"]["mismatches"]}
    if final.get("mismatches"):
        raise HardwareMismatch(
            f"the {result.get('target', 'measured')} hardware disagrees with the emulator on {final['mismatches']} "
            "samples (results written): a hardware, bitstream or generator defect"
        )


def _closed_loop(build_dir: str, budget: float | None, run: Any, log: Any) -> dict[str, Any]:
    from toolkit.measure.closed_loop import closed_loop
    from toolkit.pipeline.build import build
    from toolkit.pipeline.engine import BuildConfig, read_build_json

    config = BuildConfig.from_json(read_build_json(Path(build_dir)))

    def rebuild(selection_budget: float) -> None:
        build(BuildConfig(**(config.to_json() | {"budget": selection_budget})), Path(build_dir), log=log)

    user = config.budget if budget is None else budget
    return closed_loop(build_dir, user, run, rebuild, config.budget, log=log)


def report(build: str | os.PathLike) -> Report:
    """Regenerate ``BUILD/report.html`` from what the build folder holds (nothing reruns) (``toolkit report``)."""
    from toolkit.report.build import write_build_report

    return Report(write_build_report(Path(os.fspath(build))))


def plan_path(plan: PlanLike) -> str | None:
    """The plan file a plan argument names: a path, or the ``plan_path`` of a Selection or Build."""
    if plan is None or isinstance(plan, str | os.PathLike):
        return None if plan is None else os.fspath(plan)
    path = getattr(plan, "plan_path", None)
    if path is None:
        raise ToolkitError(
            f"plan {type(plan).__name__}: expected a plan.json path, a Selection or a Build (pass the "
            "Selection that toolkit.select returned, not its .plan)"
        )
    return os.fspath(path)


def check_budget(value: float) -> float:
    """An accuracy budget is a finite, non-negative number of percentage points."""
    if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        shown = f"{value:g}" if isinstance(value, int | float) else repr(value)
        raise ToolkitError(
            f"--budget {shown}: expected a finite number of points >= 0 (the accuracy loss allowed)"
        )
    return float(value)


def check_choice(option: str, value: Any, choices: Any) -> None:
    if value not in choices:
        raise ToolkitError(f"{option} {value!r}: expected one of {', '.join(map(str, choices))}")


def check_positive(option: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int | np.integer) or value < 1):
        raise ToolkitError(f"{option} {value!r}: expected an integer >= 1")
