"""The build steps of ``toolkit build``, in order: quantize, approx, hls, rtl, synth, package.

Each is a plain function ``step(ctx) -> dict`` (see :mod:`toolkit.pipeline.engine`):
it reads what earlier steps left in ``ctx.dir`` and writes its artifacts into
``ctx.stage``. A step that cannot run on this machine (no Verilator, no Vivado)
returns ``status: not_run`` with what to do instead; it is never reported as passed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from toolkit.errors import HardwareMismatch, ToolkitError
from toolkit.pipeline.engine import BuildContext

QUANTIZE_POLICIES = ("auto", "density", "keep")
# Activation-density schedule of the build: start at 8 bits, two width updates. Letting AD run
# until it settles collapses every layer to the minimum width (see toolkit/density/README.md).
AD_START_BITS = 8
AD_UPDATES = 2
ORIGINAL_MODEL = "original.h5"  # quantize/: the user's model, kept beside a --fold-batchnorm rewrite
AGREEMENT_FILE = "agreement.json"  # quantize/: the exact arithmetic vs the user's model, on the test split


def load_build(build_dir: Path, with_plan: bool = True) -> tuple[Any, Any, Any]:
    """(model IR, deployable Keras model, plan or None) from a build folder."""
    from toolkit.models.loading import load_keras_file
    from toolkit.models.reader import read_model
    from toolkit.plan import load_plan

    model_ir, deploy = read_model(load_keras_file(build_dir / "model.h5"))
    plan = load_plan(build_dir / "plan.json", model_ir) if with_plan else None
    return model_ir, deploy, plan


def quantize(ctx: BuildContext) -> dict[str, Any]:
    """Per-layer bit-widths by activation density (zoo names and float models), or keep a QKeras model."""
    cfg = ctx.config
    if cfg.quantize not in QUANTIZE_POLICIES:
        raise ToolkitError(f"--quantize {cfg.quantize!r}: expected one of {', '.join(QUANTIZE_POLICIES)}")
    policy = cfg.quantize
    if policy == "auto":
        if cfg.model.startswith("zoo:"):
            from toolkit.models.zoo import zoo_entry

            policy = zoo_entry(cfg.model[4:]).quantize  # the graph entries keep their own widths
        else:
            policy = "keep" if _is_quantized(cfg.model) else "density"
    if cfg.bits is not None and policy != "density":
        raise ToolkitError(
            f"--bits {cfg.bits}: fixed widths come from training (--quantize density), and {cfg.model!r} is "
            f"quantized with policy {policy!r}; expected --quantize density, or no --bits"
        )
    pinned = {name: entry["bits"] for name, entry in (cfg.layers or {}).items() if "bits" in entry}
    if pinned and policy != "density":
        raise ToolkitError(
            f"build.toml sets bits for {', '.join(pinned)}, but the quantize policy is {policy!r}: a QKeras model "
            'keeps its own widths; set quantize = "density" to train to these widths'
        )
    out = ctx.stage / "quantize"
    out.mkdir()
    if policy == "keep":
        from toolkit.cache import write_atomic_json
        from toolkit.models.loading import load_model
        from toolkit.models.reader import read_model

        model = load_model(cfg.model, verbose=False)
        # checks the model is deployable before anything is written
        model_ir, deploy = read_model(model, fold_batchnorm=cfg.fold_batchnorm)
        if cfg.fold_batchnorm:  # the folded rewrite is what every later step deploys; the original stays
            deploy.save(str(ctx.stage / "model.h5"), include_optimizer=False, save_format="h5")
            model.save(str(out / ORIGINAL_MODEL), include_optimizer=False, save_format="h5")
        else:
            model.save(str(ctx.stage / "model.h5"), include_optimizer=False, save_format="h5")
        bits = {layer.name: layer.weight_precision.width for layer in model_ir.mac_layers()}
        write_atomic_json(out / "source.json", {"model": cfg.model, "policy": "keep", "weight_bits": bits,
                                                "fold_batchnorm": cfg.fold_batchnorm, "notes": list(model_ir.notes)})  # fmt: skip
        agreement = _write_agreement(model, model_ir, cfg.data, out)
        return {"policy": "keep", "model_hash": model_ir.model_hash(), "bits": bits, "agreement": agreement}
    from toolkit.density.rules import UpdateRule
    from toolkit.density.run import quantize as density_quantize
    from toolkit.density.train import DensityConfig

    if cfg.bits is None:
        config = DensityConfig(
            rule=UpdateRule(start_bits=AD_START_BITS),
            max_updates=AD_UPDATES,
            seed=cfg.seed,
            pinned=pinned or None,
        )
    else:  # AD off: every layer trained at the fixed width (pinned layers at theirs)
        config = DensityConfig(
            rule=UpdateRule(start_bits=cfg.bits), adapt=False, seed=cfg.seed, pinned=pinned or None
        )
    doc = density_quantize(cfg.model, cfg.data, out, config)
    shutil.copy2(out / "model.h5", ctx.stage / "model.h5")
    from toolkit.models.loading import load_keras_file
    from toolkit.models.reader import read_model

    trained = load_keras_file(out / "model.h5")
    agreement = _write_agreement(trained, read_model(trained)[0], cfg.data, out)
    return {
        "agreement": agreement,
        "policy": "density",
        "model_hash": doc["model_hash"],
        "bits": {layer["name"]: layer["bits"] for layer in doc["layers"]},
        "input_bits": doc["input"]["bits"],
        "test_accuracy": doc["accuracy"]["test_emulator"],
        "epochs": doc["epochs_run"],
    } | ({"pinned_bits": pinned} if pinned else {})


def _write_agreement(model: Any, model_ir: Any, data_spec: str, out: Path) -> dict[str, Any]:
    """Agreement of the deployed exact arithmetic with ``model`` on the test split -> quantize/agreement.json."""
    from toolkit.cache import write_atomic_json
    from toolkit.models.agreement import measure_agreement
    from toolkit.models.datasets import load_dataset

    agreement = measure_agreement(model, model_ir, load_dataset(data_spec).x_test).to_json()
    write_atomic_json(out / AGREEMENT_FILE, agreement)
    return agreement


def _is_quantized(model_spec: str) -> bool:
    """True when the file is a QKeras model (it has QKeras layers): kept as it is, and the reader says
    what in it cannot be deployed; a float Keras model goes through activation-density training."""
    from toolkit.models.loading import load_model

    model = load_model(model_spec, verbose=False)
    return any(type(layer).__module__.startswith("qkeras") for layer in model.layers)


def approx(ctx: BuildContext) -> dict[str, Any]:
    """FAMES selection of one multiplier (and correction) per layer, certified within the budget; or the user's plan.

    build.toml's per-layer ``multiplier`` / ``correction`` then replace those layers' entries in
    ``plan.json`` (``approx/selected_plan.json`` keeps what was selected), and the record names them.
    """
    result = _approx(ctx)
    overrides = {
        name: {k: v for k, v in entry.items() if k in ("multiplier", "correction")}
        for name, entry in (ctx.config.layers or {}).items()
        if "multiplier" in entry or "correction" in entry
    }
    if overrides:
        _override_plan(ctx, overrides)
        result["overrides"] = overrides
    return result


def _override_plan(ctx: BuildContext, overrides: dict[str, dict[str, Any]]) -> None:
    import json

    from toolkit.plan import plan_from_json

    model_ir, _, _ = load_build(ctx.dir, with_plan=False)
    path = ctx.stage / "plan.json"
    obj = json.loads(path.read_text())
    shutil.copy2(path, ctx.stage / "approx" / "selected_plan.json")
    entries = {entry["name"]: entry for entry in obj["layers"]}
    for name, fields in overrides.items():
        entry = entries.setdefault(name, {"name": name})
        if "multiplier" in fields:
            entry["multiplier"] = fields["multiplier"]
            entry.pop("correction", None)  # fitted constants belong to the selected design
        entry["correction"] = fields.get("correction", entry.get("correction", "none"))
    obj["layers"] = list(entries.values())
    # checks every name, design and correction against the model; fits a cv/bias given by mode
    plan = plan_from_json(obj, model_ir, where="build.toml [layers]")
    plan.save(path, model_ir)


def _approx(ctx: BuildContext) -> dict[str, Any]:
    cfg = ctx.config
    out = ctx.stage / "approx"
    if cfg.plan:
        from toolkit.cache import write_atomic_json
        from toolkit.plan import load_plan

        model_ir, _, _ = load_build(ctx.dir, with_plan=False)
        plan = load_plan(cfg.plan, model_ir)  # a plan for another model fails here (hash mismatch)
        out.mkdir()
        shutil.copy2(cfg.plan, ctx.stage / "plan.json")
        write_atomic_json(out / "source.json", {"plan": cfg.plan, "model_hash": plan.model_hash})
        return {"source": cfg.plan, "layers": {n: lp.design.name for n, lp in plan.layers.items()}}
    from toolkit.select.run import approx_model

    summary = approx_model(
        str(ctx.dir / "model.h5"), ctx.config.data, out, budget=cfg.budget, seed=cfg.seed, log=ctx.log,
        families=cfg.families.split(",") if cfg.families else None, use_cv=cfg.cv,
    )  # fmt: skip
    shutil.copy2(out / "plan.json", ctx.stage / "plan.json")
    cert = summary["certificate"]
    return {
        "layers": summary["layers"],
        "energy_reduction": summary["energy"]["reduction"],
        "test": {k: summary["test"][k] for k in ("exact", "plan", "n")},
        "test_loss": summary["test"]["loss"]["point"],
        "certificate": {"status": cert["status"], "confidence": cert["confidence"], "n": cert["n"]}
        | {k: cert["plan"][k] for k in ("point", "bound", "losses", "gains")}
        | {"message": cert["message"]},
        "samples": summary["samples"],
        "budget_points": cfg.budget,
    }


def hls(ctx: BuildContext) -> dict[str, Any]:
    """hls4ml project with our product/correction templates; C-simulation must equal the emulator."""
    from toolkit.cache import write_atomic_json
    from toolkit.emulator.engine import Emulator
    from toolkit.hlsgen.check import csim_check
    from toolkit.models.datasets import load_dataset

    model_ir, deploy, plan = load_build(ctx.dir)
    data = load_dataset(ctx.config.data)
    codes = Emulator(model_ir).quantize_input(data.x_test)
    cfg = ctx.config
    result = csim_check(
        model_ir, deploy, plan, codes, ctx.stage / "hls", backend=cfg.backend, io_type=cfg.io_type,
        strategy=cfg.strategy,
    )  # fmt: skip
    result = ctx.relocate(result)  # the project moves into the build folder when the step returns
    write_atomic_json(ctx.stage / "csim.json", result)
    return result


def rtl(ctx: BuildContext) -> dict[str, Any]:
    """Verilator simulation of the accelerator on the test set: bit-exactness, cycles, area, modelled power.

    ``--accelerator rtl``: the generated RTL, which is what the bitstream holds. ``hls4ml``: where
    Vitis HLS (or Vivado HLS) is on PATH, the Verilog it synthesises from the vendor project's
    ``hls.tcl`` (run here, in ``rtl_sim/hls/``), through the same harness and device; elsewhere the
    generated RTL of the same plan, and every record says so. ``rtl_sim/design.json`` records which.
    """
    from toolkit.cache import write_atomic_json
    from toolkit.hlsgen.vendor import HLS_TOOLS
    from toolkit.rtlgen.build_dir import HLS_RUN_DIR, RTL_SIM_DIR, sim_step
    from toolkit.rtlgen.verilator import find_verilator

    try:
        find_verilator()
    except ToolkitError as exc:
        return {"status": "not_run", "message": str(exc)}
    out_dir = ctx.stage / RTL_SIM_DIR
    out_dir.mkdir()
    hls = None
    tool = next((t for t in HLS_TOOLS if shutil.which(t)), None)
    if ctx.config.accelerator == "hls4ml" and tool is not None:
        from toolkit.pipeline.package import stream_formats
        from toolkit.rtlgen.hls_verilog import hls_record, run_csynth

        model_ir, _, _ = load_build(ctx.dir, with_plan=False)
        stream = stream_formats(model_ir, ctx.board.dma_data_bits)
        folder = run_csynth(ctx.dir / "hls", out_dir / HLS_RUN_DIR, ctx.board, stream, tool, ctx.log)
        hls = hls_record(folder, tool)
    result = ctx.relocate(sim_step(ctx.dir, out=ctx.stage / "sim.json", hls=hls))
    write_atomic_json(ctx.stage / "sim.json", result)  # paths as they will be once the step's folder moves
    write_atomic_json(
        out_dir / "design.json", {"design": result["design"], "hls_verilog": result.get("hls_verilog")}
    )
    simulated = result["design"]["simulated"]
    if result["bit_exact_samples"] != result["n"]:
        raise HardwareMismatch(
            f"the {simulated} disagrees with the emulator on {result['n'] - result['bit_exact_samples']} of "
            f"{result['n']} test samples: "
            + ("an HLS or template defect" if hls is not None else "a generator defect")
            + f" (see `toolkit sim --build {ctx.dir}`)"
        )
    return {
        k: result[k] for k in ("n", "accuracy", "bit_exact_samples", "cycles", "inferences_per_second")
    } | {
        "power_w": (result.get("power") or {}).get("total_w"),
        "power_dynamic_stderr_w": (result.get("power") or {}).get(
            "dynamic_stderr_w"
        ),  # toggle-sampling error
        "lut": (result.get("area") or {}).get("total", {}).get("lut"),
        "simulated": simulated,
        "design_hash": result["design"]["design_hash"],
        "hls_verilog": None
        if hls is None
        else {k: result["hls_verilog"][k] for k in ("folder", "hash", "tool")},
        "note": result["design"]["note"],
    }


def synth(ctx: BuildContext) -> dict[str, Any]:
    """Vendor project for the board (block design Tcl around the accelerator); runs the tools only where installed.

    ``--accelerator rtl`` puts the generated RTL in the block design; it must be the design the
    rtl step simulated (same hash as ``sim.json``), so the bitstream is the verified design.
    """
    from toolkit_overlay.manifest import plan_hash

    from toolkit.cache import read_json_if_exists, write_atomic_json
    from toolkit.hlsgen.vendor import generate_vendor_project
    from toolkit.hlsgen.vendor_synth import synth_step
    from toolkit.pipeline.package import stream_formats

    model_ir, _, plan = load_build(ctx.dir)
    stream = stream_formats(model_ir, ctx.board.dma_data_bits)
    accelerator = ctx.config.accelerator
    design = None
    if accelerator == "rtl":
        from toolkit.rtlgen.generate import generate

        design = generate(model_ir, plan, axis_bits=ctx.board.dma_data_bits)
        sim = read_json_if_exists(ctx.dir / "sim.json")
        if sim is None:
            raise ToolkitError(
                "--accelerator rtl deploys only RTL that the rtl step simulated bit-exact, and it did not run "
                "here (Verilator missing): install Verilator and run `toolkit build --from rtl`"
            )
        if sim.get("design_hash") != design.key():
            raise ToolkitError(
                f"the RTL to deploy ({design.key()}) is not the design the rtl step simulated "
                f"({sim.get('design_hash')}): rerun `toolkit build --from rtl`"
            )
    hls = None
    if accelerator == "hls4ml":  # the HLS Verilog the rtl step simulated, if it ran HLS: the same run here
        hls = ((read_json_if_exists(ctx.dir / "sim.json") or {}).get("hls_verilog")) or None
    project = generate_vendor_project(
        ctx.dir / "hls" if accelerator == "hls4ml" else None, ctx.stage / "vendor", ctx.board, stream,
        accelerator=accelerator, rtl_design=design, hls_tool=hls["tool"] if hls else None,
    )  # fmt: skip
    result = synth_step(
        project, model_hash=model_ir.model_hash(), plan_hash=plan_hash(ctx.dir / "plan.json"),
        bitstreams=ctx.stage / "bitstreams", store=ctx.config.bitstreams, log=ctx.log, hls_verilog=hls,
    )  # fmt: skip
    result = ctx.relocate(result)  # the project moves into the build folder when the step returns
    result["rtl_design_hash"] = design.key() if design is not None else None
    write_atomic_json(ctx.stage / "synth.json", result)
    return result
