"""The library side of ``toolkit measure``: run a build's overlay package on a board or on its RTL.

The same board-runtime code (:func:`toolkit_overlay.measure.measure_package`) runs in both
cases; only the device differs: the PYNQ device (``board``) or the Verilated design of the
same model + plan behind a simulated DMA (``sim``). The result adds what only the host
knows: the emulator's exact-model accuracy, the selection's predicted energy saving, and
the saving: measured on a board (against ``--baseline``, a checked measure.json of an exact
build), or modelled from the RTL's toggle activity in simulation (plan and exact design through
:func:`toolkit.measure.energy.modelled_energy`, same samples, same timing basis). Every figure
carries its provenance (measured / simulated / modelled) and the design it describes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolkit.cache import read_json_if_exists
from toolkit.errors import ToolkitError
from toolkit.rtlgen.sampled_power import DEFAULT_POWER_SAMPLES

TARGETS = ("auto", "board", "sim")
MEASURE_FORMAT = "toolkit-measure"


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
    power_samples: int | None = DEFAULT_POWER_SAMPLES,
    power_seed: int = 0,
) -> dict[str, Any]:
    """Measure ``build_dir/package``; write ``build_dir/measure.json`` and the HTML report.

    In simulation, the modelled energy counts toggles on ``power_samples`` of the vectors
    (drawn with ``power_seed``; ``None``: all); agreement and timing use every vector.
    """
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

    manifest = verify_package(package, config["board"])
    spec = parse_meter_spec(meter) if meter not in (None, "auto") else None
    chosen, why = choose_target(target)
    if chosen == "sim" and spec is not None and spec.kind not in ("model", "none"):
        raise ToolkitError(
            f"--meter {meter!r} measures a real supply, but the target is the simulated hardware: "
            "use --meter model (the RTL's modelled power) or --target board"
        )
    if (
        chosen == "sim"
        and spec is not None
        and spec.kind == "model"
        and (spec.static_w, spec.dynamic_w) != (None, None)
    ):
        raise ToolkitError(
            f"--meter {meter!r}: in simulation the power comes from the RTL's toggle activity, not from given "
            "watts: use --meter model (or none)"
        )
    base = check_baseline(baseline, config["board"], manifest) if baseline is not None else None
    log(f"target: {chosen} ({why})")
    if chosen == "board":
        results = _on_board(package, config["board"], meter or "auto", samples, limit, log)
    else:
        results = _on_sim(folder, package, config["board"], limit, log)
    results["power"] = results.get("power")
    if chosen == "sim" and (spec is None or spec.kind == "model"):
        results["power"] = _sim_energy(
            folder, config["board"], package, limit, log, power_samples, power_seed
        )
    selection = read_json_if_exists(folder / "approx" / "selection.json")
    out = {
        "format": MEASURE_FORMAT,
        "version": 1,
        "build": str(folder),
        "board": config["board"],
        "target": chosen,
        "target_reason": why,
        "design": _design(chosen, manifest.accelerator, read_json_if_exists(folder / "sim.json")),
        "plan": {
            "hash": manifest.raw.get("plan_hash"),
            "exact": manifest.raw.get("plan_exact"),
            "model_hash": manifest.raw.get("model_hash"),
        },  # fmt: skip
        "accuracy": {
            "hardware": results["accuracy"],
            "emulator_plan": results["expected_accuracy"],
            # on the very samples the hardware ran (a --limit subset is not the selection's full test split)
            "emulator_exact": _exact_accuracy(folder, package, results["samples"]),
            "samples": results["samples"],
            # the deployed exact arithmetic vs the user's own model, from the quantize step
            "original_model_agreement": read_json_if_exists(folder / "quantize" / AGREEMENT_FILE),
        },
        "agreement": {
            "label": "simulated" if chosen == "sim" else "measured",
            "samples": results["samples"],
            "mismatches": results["mismatches"],
            "bit_exact": results["bit_exact"],
            "first_mismatches": results["mismatch_indices"],
        },
        "latency": results["latency"],
        "throughput": results["throughput"],
        "power": results["power"],
        "energy": energy_section(results, selection, base, baseline),
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


def _exact_accuracy(folder: Path, package: Path, samples: int) -> float | None:
    """The exact model's emulated accuracy on the first ``samples`` test vectors of the package.

    None when the folder holds a package without its build's model: there is no exact
    reference to compare with, and the report then shows no loss rather than a wrong one.
    """
    import numpy as np

    from toolkit.emulator.engine import Emulator
    from toolkit.pipeline.steps import load_build

    if not (folder / "model.h5").exists():
        return None
    model_ir, _, _ = load_build(folder, with_plan=False)  # the exact model: no plan needed
    with np.load(package / "vectors.npz") as f:
        codes, labels = f["x_codes"][:samples], f["labels"][:samples]
    outputs = Emulator(model_ir).predict_codes(codes)
    return float(np.mean(outputs.reshape(len(codes), -1).argmax(axis=1) == labels))


def _on_board(package: Path, board: str, meter: str, samples: int, limit: int | None, log: Any) -> dict:
    from toolkit_overlay.measure import measure_package

    return measure_package(package, meter=meter, samples=samples, device="pynq", board=board, limit=limit,
                           log=log)  # fmt: skip


def _on_sim(folder: Path, package: Path, board: str, limit: int | None, log: Any) -> dict:
    """Agreement and simulated timing behind a simulated DMA (no power: see _sim_energy).

    The design the rtl step simulated: the HLS Verilog of an hls4ml build where HLS ran there
    (files rechecked), else the generated RTL.
    """
    from toolkit_overlay.measure import measure_package

    from toolkit.boards import load_board
    from toolkit.measure.sim_device import SimDevice
    from toolkit.pipeline.engine import read_build_json
    from toolkit.pipeline.steps import load_build
    from toolkit.rtlgen.build_dir import simulated_hls
    from toolkit.rtlgen.device import RtlDevice
    from toolkit.rtlgen.generate import generate
    from toolkit.rtlgen.verilator import build

    facts = load_board(board)
    model_ir, _, plan = load_build(folder)
    design = generate(model_ir, plan, axis_bits=facts.dma_data_bits)
    hls = simulated_hls(folder) if read_build_json(folder).get("accelerator", "hls4ml") == "hls4ml" else None
    if hls is not None:
        from toolkit.rtlgen.hls_verilog import open_hls_device

        log(f"simulating {hls['design']} ({hls['folder']})")
        opened = open_hls_device(hls["folder"], design, activity=False)
    else:
        opened = RtlDevice(design, build(design, activity=False))
    with opened as rtl:
        device = SimDevice(rtl, facts.clock_mhz)
        return measure_package(package, meter="none", device=device, board=board, limit=limit, log=log)


def _sim_energy(
    folder: Path, board: str, package: Path, limit: int | None, log: Any, power_samples: int | None, seed: int
) -> dict[str, Any]:
    """Modelled energy per inference of the plan and of the exact design, by one function on the same samples.

    The samples are ``power_samples`` of the run's vectors drawn with ``seed`` (all if ``None``).
    """
    import numpy as np

    from toolkit.boards import load_board
    from toolkit.measure.energy import DEFAULT_CHUNKS, exact_plan, modelled_energy
    from toolkit.pipeline.steps import load_build
    from toolkit.rtlgen.build_dir import SAME_PLAN_RTL
    from toolkit.rtlgen.sampled_power import sample_indices

    facts = load_board(board)
    model_ir, _, plan = load_build(folder)
    with np.load(package / "vectors.npz") as f:
        codes = f["x_codes"][:limit]
    picked = sample_indices(len(codes), power_samples, seed)
    chunks = min(DEFAULT_CHUNKS, len(picked))
    every = len(picked) == len(codes)
    sampling = {
        "samples": len(picked),
        "of": len(codes),
        "seed": None if every else seed,
        "basis": f"toggles counted on {'all ' if every else ''}{len(picked)} of {len(codes)} vectors"
        f"{'' if every else f' (drawn with seed {seed})'}; agreement and timing on every vector",
    }
    log(f"energy: modelling the plan and the exact design on the same {len(picked)} of {len(codes)} vectors "
        f"({chunks} batches)")  # fmt: skip
    plan_e = modelled_energy(model_ir, plan, facts, codes[picked], chunks)
    exact_e = modelled_energy(model_ir, exact_plan(model_ir), facts, codes[picked], chunks)
    from toolkit.pipeline.engine import read_build_json

    if read_build_json(folder).get("accelerator", "hls4ml") != "rtl":  # the generated RTL stands in for HLS's
        for e in (plan_e, exact_e):
            e["design"] = f"{SAME_PLAN_RTL} under Verilator"
    return {"label": "modelled", "meter": None, "scope": "modelled on-chip dynamic power of the PL design",
            "design": plan_e["design"], "energy": plan_e, "exact_energy": exact_e, "sampling": sampling}  # fmt: skip


def _design(target: str, accelerator: dict[str, Any], sim: dict[str, Any] | None) -> dict[str, Any]:
    """Which design each group of numbers describes (the board's bitstream, or a simulated design)."""
    from toolkit.measure.energy import RTL_DESIGN
    from toolkit.rtlgen.build_dir import SAME_PLAN_RTL

    kind = accelerator.get("kind", "hls4ml")
    deployed = "generated RTL (tk_accel)" if kind == "rtl" else "hls4ml design (HLS IP)"
    if target == "board":
        return {"accelerator": kind, "agreement_timing": f"measured on the board's bitstream ({deployed})",
                "energy": f"measured on the board's bitstream ({deployed})", "note": None}  # fmt: skip
    if kind == "rtl":
        return {"accelerator": kind, "agreement_timing": f"simulated: {RTL_DESIGN}",
                "energy": f"modelled: {RTL_DESIGN}", "note": None}  # fmt: skip
    hls = (sim or {}).get("hls_verilog")
    simulated = f"{hls['design']} under Verilator" if hls else f"{SAME_PLAN_RTL} under Verilator"
    if hls:
        note = (f"timing and agreement come from the Verilog {hls['tool']} synthesised for this build (the design the "
                f"bitstream holds); the modelled energies come from the toolkit's generated RTL of the same plan and "
                "of the exact plan (no HLS run of the exact design), not from the HLS design")  # fmt: skip
    else:
        note = (f"the package's bitstream holds the {deployed}; every number here comes from the toolkit's "
                "generated RTL of the same plan, not from the HLS design (no Vitis HLS where the build ran)")  # fmt: skip
    return {"accelerator": kind, "agreement_timing": f"simulated: {simulated}",
            "energy": f"modelled: {SAME_PLAN_RTL} under Verilator", "note": note}  # fmt: skip


RESULTS_FORMAT = "toolkit-overlay-results"  # the board runtime's results.json (what `toolkit deploy` fetches)


def check_baseline(path: Path | str, board: str, manifest: Any) -> dict[str, Any]:
    """A ``--baseline``: same board, same model hash, an exact plan; else ToolkitError.

    Accepted: a measure.json written by ``toolkit measure``, or a results.json of the board runtime
    (what ``toolkit deploy`` fetches) run on a PYNQ device. Both go through the same checks; the
    energy's label (measured or modelled) is checked against the run's by :func:`energy_section`.
    """
    try:
        base = read_json_if_exists(Path(path))
    except json.JSONDecodeError as exc:
        raise ToolkitError(f"--baseline '{path}' is not JSON ({exc})") from None
    if isinstance(base, dict) and base.get("format") == RESULTS_FORMAT:
        base = _from_board_results(base, path)
    if not isinstance(base, dict) or base.get("format") != MEASURE_FORMAT:
        raise ToolkitError(
            f"--baseline '{path}' is not a measure.json written by `toolkit measure` nor a results.json "
            "of the board runtime (`toolkit deploy`)"
        )
    if base.get("board") != board:
        raise ToolkitError(f"--baseline '{path}' was measured on {base.get('board')!r}, this build is for {board!r}: "
                           "expected a baseline of the same board")  # fmt: skip
    model = manifest.raw.get("model_hash")
    plan = base.get("plan") or {}
    if plan.get("model_hash") != model:
        raise ToolkitError(f"--baseline '{path}' measured model {plan.get('model_hash')!r}, this build's is "
                           f"{model!r}: expected an exact build of the same model")  # fmt: skip
    if plan.get("exact") is not True:
        raise ToolkitError(f"--baseline '{path}' measured a build whose plan is not exact: expected an exact "
                           "build (toolkit build --plan with every layer exact)")  # fmt: skip
    energy = (base.get("energy") or {}).get("plan")
    if not energy or energy.get("joules") is None:
        raise ToolkitError(
            f"--baseline '{path}' has no energy per inference (was it measured without a meter?)"
        )
    return energy | {"source": str(path)}


def _from_board_results(results: dict[str, Any], path: Path | str) -> dict[str, Any]:
    """A board runtime results.json in measure.json's terms (board, plan, energy), or ToolkitError.

    The package's board must be the board it ran on (when the runtime knew it), and the device a
    PYNQ device: the test double answers from the package's own vectors and times nothing real.
    """
    pkg = results.get("package") or {}
    ran_on = results.get("board")
    if ran_on is not None and ran_on != pkg.get("board"):
        raise ToolkitError(f"--baseline '{path}': the package for {pkg.get('board')!r} ran on {ran_on!r}: "
                           "expected a run on the package's own board")  # fmt: skip
    if results.get("device") != "pynq":
        raise ToolkitError(f"--baseline '{path}' ran on the {results.get('device')!r} device, not on a board: "
                           "expected results of `toolkit deploy` (python -m toolkit_overlay measure on a PYNQ board)")  # fmt: skip
    if results.get("mismatches"):
        raise ToolkitError(f"--baseline '{path}': {results['mismatches']} of {results.get('samples')} outputs "
                           "differed from the emulator on that board: a defective baseline run")  # fmt: skip
    power = results.get("power") or {}
    energy = power.get("energy")
    if energy is not None:
        energy = {"label": power.get("label")} | energy | {"meter": power.get("meter")}
    return {"format": MEASURE_FORMAT, "board": pkg.get("board"),
            "plan": {"model_hash": pkg.get("model_hash"), "exact": pkg.get("plan_exact"), "hash": pkg.get("plan_hash")},
            "energy": {"plan": energy}}  # fmt: skip


def energy_section(
    results: dict, selection: dict | None, base: dict | None, baseline: Path | str | None
) -> dict[str, Any]:
    """Energy per inference of the plan and the exact design, and the saving: each labelled by its provenance."""
    from toolkit.measure.energy import saving

    power = results.get("power") or {}
    plan_energy = power.get("energy")
    exact = power.get("exact_energy")
    if base is not None:
        if plan_energy is not None and base.get("label") != plan_energy.get("label"):
            raise ToolkitError(
                f"--baseline '{baseline}' holds a {base.get('label')} energy, this run's is "
                f"{plan_energy.get('label')}: expected the same kind (both measured or both modelled)"
            )
        exact = base
    out: dict[str, Any] = {
        "plan": plan_energy,
        "exact": exact,
        "saving": {
            "predicted_selection": (selection or {}).get("energy", {}).get("reduction"),
            "predicted_label": "modelled: the selection's LUT-switch energy model of the multipliers "
            "(toolkit/select/energy.py)",
            "value": None,
            "stderr": None,
            "label": None,
            "error_note": None,
        },
    }
    if plan_energy is not None and exact is not None:
        out["saving"] |= saving(plan_energy, exact)
    return out
