"""The library side of ``toolkit measure``: run a build's overlay package on a board or on its RTL.

The same board-runtime code (:func:`toolkit_overlay.measure.measure_package`) runs in both
cases; only the device differs: the PYNQ device (``board``) or the Verilated design of the
same model + plan behind a simulated DMA (``sim``). The result adds what only the host
knows: the emulator's exact-model accuracy, the selection's predicted energy saving, and
the saving measured (board, against a baseline result of an exact build) or modelled from
the RTL's toggle activity (sim, against the exact design simulated here).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolkit.cache import read_json_if_exists
from toolkit.errors import ToolkitError

TARGETS = ("auto", "board", "sim")
MEASURE_FORMAT = "toolkit-measure"
BASELINE_SAMPLES = 100  # test samples the exact design is simulated on for its modelled energy


def choose_target(target: str) -> tuple[str, str]:
    """(target, why): ``auto`` is the board when pynq finds a device here, else the simulation."""
    if target not in TARGETS:
        raise ToolkitError(f"--target {target!r}: expected one of {', '.join(TARGETS)}")
    if target != "auto":
        return target, f"--target {target}"
    found, why = pynq_device()
    return ("board", why) if found else ("sim", f"{why}: simulating the RTL instead")


def pynq_device() -> tuple[bool, str]:
    """Whether pynq is importable here and sees a device (it never is beside TensorFlow)."""
    try:
        import pynq  # type: ignore[import-not-found]
    except ImportError:
        return False, "pynq is not installed in this environment"
    try:
        devices = list(pynq.Device.devices)
    except Exception as exc:  # pynq raises RuntimeError('No Devices Found') and others
        return False, f"pynq found no device ({exc})"
    return (True, f"pynq found {devices[0]}") if devices else (False, "pynq found no device")


def measure_build(
    build_dir: Path | str,
    target: str = "auto",
    meter: str | None = None,
    samples: int = 50,
    limit: int | None = None,
    baseline: Path | str | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """Measure ``build_dir/package``; write ``build_dir/measure.json`` and the HTML report."""
    from toolkit.cache import write_atomic_json
    from toolkit.measure.report import write_report
    from toolkit.pipeline.engine import read_build_json
    from toolkit.pipeline.steps import AGREEMENT_FILE

    folder = Path(build_dir)
    config = read_build_json(folder)
    package = folder / "package"
    if not (package / "manifest.json").exists():
        raise ToolkitError(
            f"build folder '{folder}' has no overlay package: run `toolkit build --out {folder}` first"
        )
    # Bad input fails here, before any simulator is built: another board's package, a bad meter spec.
    from toolkit_overlay.manifest import verify_package
    from toolkit_overlay.power import parse_meter_spec

    verify_package(package, config["board"])
    spec = parse_meter_spec(meter) if meter not in (None, "auto") else None
    chosen, why = choose_target(target)
    if chosen == "sim" and spec is not None and spec.kind not in ("model", "none"):
        raise ToolkitError(
            f"--meter {meter!r} measures a real supply, but the target is the simulated hardware: "
            "use --meter model (the RTL's modelled power) or --target board"
        )
    log(f"target: {chosen} ({why})")
    if chosen == "board":
        results = _on_board(package, config["board"], meter or "auto", samples, limit, log)
    else:
        results = _on_sim(folder, package, config["board"], meter or "model", samples, limit, log)
    selection = read_json_if_exists(folder / "approx" / "selection.json")
    out = {
        "format": MEASURE_FORMAT,
        "version": 1,
        "build": str(folder),
        "board": config["board"],
        "target": chosen,
        "target_reason": why,
        "accuracy": {
            "hardware": results["accuracy"],
            "emulator_plan": results["expected_accuracy"],
            "emulator_exact": (selection or {}).get("test", {}).get("exact"),
            "samples": results["samples"],
            # the deployed exact arithmetic vs the user's own model, from the quantize step
            "original_model_agreement": read_json_if_exists(folder / "quantize" / AGREEMENT_FILE),
        },
        "agreement": {
            "samples": results["samples"],
            "mismatches": results["mismatches"],
            "bit_exact": results["bit_exact"],
            "first_mismatches": results["mismatch_indices"],
        },
        "latency": results["latency"],
        "throughput": results["throughput"],
        "power": results["power"],
        "energy": _energy(folder, config, chosen, results, selection, baseline, log),
        "runtime": results["runtime"],
        "package": results["package"],
    }
    if results["mismatches"]:
        log(
            f"DEFECT: the {chosen} hardware disagrees with the emulator on {results['mismatches']} of "
            f"{results['samples']} samples (first: {results['mismatch_indices'][:5]}): hardware or bitstream defect"
        )
    write_atomic_json(folder / "measure.json", out)
    out["report"] = str(write_report(out, folder))
    return out


def _on_board(package: Path, board: str, meter: str, samples: int, limit: int | None, log: Any) -> dict:
    from toolkit_overlay.measure import measure_package

    return measure_package(package, meter=meter, samples=samples, device="pynq", board=board, limit=limit,
                           log=log)  # fmt: skip


def _on_sim(
    folder: Path, package: Path, board: str, meter: str, samples: int, limit: int | None, log: Any
) -> dict:
    from toolkit_overlay.measure import measure_package

    from toolkit.boards import load_board
    from toolkit.measure.sim_device import SimDevice
    from toolkit.pipeline.steps import load_build
    from toolkit.rtlgen.device import RtlDevice
    from toolkit.rtlgen.generate import generate
    from toolkit.rtlgen.verilator import build

    facts = load_board(board)
    model_ir, _, plan = load_build(folder)
    design = generate(model_ir, plan, axis_bits=facts.dma_data_bits)
    made = build(design, activity=False)
    with RtlDevice(design, made) as rtl:
        device = SimDevice(rtl, facts.clock_mhz)
        return measure_package(package, meter=meter, samples=samples, device=device, board=board, limit=limit,
                               log=log)  # fmt: skip


def _energy(folder: Path, config: dict, target: str, results: dict, selection: dict | None,
            baseline: Path | str | None, log: Any) -> dict[str, Any]:  # fmt: skip
    """Energy per inference of the plan, and its saving against the exact design: predicted vs measured."""
    plan_energy = (results.get("power") or {}).get("energy")
    out: dict[str, Any] = {
        "plan": plan_energy,
        "exact": None,
        "saving": {
            "predicted_selection": (selection or {}).get("energy", {}).get("reduction"),
            "predicted_label": "selection's LUT-switch energy model of the multipliers (toolkit/select/energy.py)",
            "measured": None,
            "measured_stderr": None,
            "measured_label": None,
        },
    }
    if plan_energy is None:
        return out
    if baseline is not None:
        try:
            base = read_json_if_exists(Path(baseline))
        except json.JSONDecodeError:
            base = None
        if base is None or not (base.get("energy") or {}).get("plan"):
            raise ToolkitError(f"--baseline '{baseline}' is not a measure.json with a measured energy")
        out["exact"] = base["energy"]["plan"] | {"source": str(baseline)}
    elif target == "sim":
        out["exact"] = _exact_sim_energy(folder, config, log)
    sim = read_json_if_exists(folder / "sim.json")
    if target == "sim" and sim and sim.get("power"):
        out["plan_modules"] = sim["power"]["per_module_dynamic_w"]
    if out["exact"]:
        e_plan, e_exact = plan_energy["joules"], out["exact"]["joules"]
        se_plan, se_exact = plan_energy["stderr_j"], out["exact"].get("stderr_j", 0.0)
        saving = 1 - e_plan / e_exact
        rel = ((se_plan / e_plan) ** 2 + (se_exact / e_exact) ** 2) ** 0.5 if e_plan > 0 else 0.0
        out["saving"] |= {
            "measured": saving,
            "measured_stderr": abs(e_plan / e_exact) * rel,
            "measured_label": plan_energy.get("label", "measured") + " differential energy per inference",
        }
    return out


def _exact_sim_energy(folder: Path, config: dict, log: Any) -> dict[str, Any]:
    """Modelled dynamic energy per inference of the exact design (no plan), from its RTL activity."""
    from toolkit.models.datasets import load_dataset
    from toolkit.models.loading import load_keras_file
    from toolkit.models.reader import read_model
    from toolkit.rtlgen.run import simulate

    log(f"baseline: simulating the exact design on {BASELINE_SAMPLES} samples for its modelled energy")
    model_ir, _ = read_model(load_keras_file(folder / "model.h5"))
    sim = simulate(model_ir, load_dataset(config["data"]), None, config["board"], limit=BASELINE_SAMPLES)
    power = sim["power"]
    return {
        "joules": power["dynamic_energy_per_inference_j"],
        "stderr_j": 0.0,
        "label": "modelled (RTL toggle activity x yosys cells), dynamic",
        "source": "exact design simulated",
        "per_module_dynamic_w": power["per_module_dynamic_w"],
        "lut": sim["area"]["total"]["lut"],
    }
