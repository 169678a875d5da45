"""The overlay package: one folder with everything a board needs to run and check the accelerator.

Layout (``PKG/manifest.json`` lists every file with its sha256)::

    manifest.json     board, model and plan hashes, stream format, bitstream names, tool versions
    board.json        the board file's facts (the board image may lack tomllib)
    plan.json         the plan the hardware implements
    vectors.npz       x_codes, expected_codes (the emulator's outputs), labels: the test set
    toolkit_overlay/  the board-side runtime (numpy + pynq only)
    *.bit, *.hwh      when the synth step built them

On the board: ``python3 -m toolkit_overlay measure PKG``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.pipeline.engine import BuildContext
from toolkit.resources import runtime_dir

if TYPE_CHECKING:  # the plan's type only; no import cycle at run time
    from toolkit.plan import Plan

RUNTIME_DIR = runtime_dir()


def stream_formats(model_ir: Any, data_bits: int) -> dict[str, Any]:
    """The accelerator's AXI-Stream formats (the RTL's and the HLS top's): input and output codes."""
    from toolkit.rtlgen.axis import AxisFormat

    sides = {
        side: AxisFormat(prec.width, prec.signed, int(np.prod(shape)), data_bits).to_json()
        for side, prec, shape in (
            ("in", model_ir.input_precision, model_ir.input_shape),
            ("out", model_ir.output_precision, model_ir.output_shape),
        )
    }
    return {"data_bits": data_bits, **sides}


def plan_is_exact(plan: Plan | None) -> bool:
    """True when every layer of ``plan`` multiplies exactly and has no correction (an exact build)."""
    return all(lp.design.family == "exact" and lp.correction is None for lp in plan.layers.values())


def accelerator_record(kind: str, sim: dict[str, Any] | None, synth: dict[str, Any]) -> dict[str, Any]:
    """What the package's bitstream holds (or will hold) and which design the simulation ran."""
    design = (sim or {}).get("design") or {}
    return {
        "kind": kind,  # hls4ml: the HLS IP of the hls4ml project; rtl: the generated RTL (tk_accel)
        "design": "generated RTL (tk_accel)" if kind == "rtl" else "hls4ml design (HLS IP toolkit_axis_top)",
        "rtl_design_hash": synth.get("rtl_design_hash") if kind == "rtl" else None,
        "simulated": design.get(
            "simulated"
        ),  # generated RTL (tk_accel), hls (Vitis HLS Verilog), generated RTL (same plan)
        "simulated_design_hash": design.get("design_hash"),
        "simulated_is_deployed": bool(design.get("is_deployed_design")),
        # the HLS Verilog the synth step's own HLS run reproduced (None: no bitstream built, or not simulated)
        "hls_verilog_hash": synth.get("hls_verilog_hash") if kind == "hls4ml" else None,
    }


def package(ctx: BuildContext) -> dict[str, Any]:
    """Assemble ``package/`` from the build folder (bitstream only if the synth step built one)."""
    from toolkit_overlay.manifest import write_manifest

    from toolkit.cache import read_json_if_exists, write_atomic_npz
    from toolkit.emulator.engine import Emulator
    from toolkit.models.datasets import load_dataset
    from toolkit.pipeline.steps import load_build

    model_ir, _, plan = load_build(ctx.dir)
    pkg = ctx.stage / "package"
    pkg.mkdir()
    data = load_dataset(ctx.config.data)
    emulator = Emulator(model_ir, plan.kernels() if plan is not None else None)
    codes = emulator.quantize_input(data.x_test)
    expected = emulator.predict_codes(codes)
    write_atomic_npz(pkg / "vectors.npz", x_codes=codes, expected_codes=expected, labels=data.y_test)
    shutil.copy2(ctx.dir / "plan.json", pkg / "plan.json")
    (pkg / "board.json").write_text(json.dumps(ctx.board.to_json(), indent=2) + "\n")
    shutil.copytree(RUNTIME_DIR, pkg / "toolkit_overlay", ignore=shutil.ignore_patterns("__pycache__"))
    synth = read_json_if_exists(ctx.dir / "synth.json") or {}
    built = dict.fromkeys(("bitstream", "hwh"))
    if synth.get("status") == "passed":  # a bitstream exists only where Vivado ran
        for key in built:
            shutil.copy2(synth[key], pkg / Path(synth[key]).name)
            built[key] = Path(synth[key]).name
    bitstream = built["bitstream"]
    fields = {  # write_manifest adds format, version, plan_hash and the file hashes
        "board": ctx.board.name,
        "model": model_ir.name,
        "model_hash": model_ir.model_hash(),
        **built,
        "tools": synth.get("tools", {}),
        "clock_mhz": ctx.board.clock_mhz,
        "stream": stream_formats(model_ir, ctx.board.dma_data_bits),
        "input_shape": list(model_ir.input_shape),
        "output_shape": list(model_ir.output_shape),
        "input_scale": model_ir.input_precision.scale,
        "output_scale": model_ir.output_precision.scale,
    }
    sim = read_json_if_exists(ctx.dir / "sim.json")
    fields["accelerator"] = accelerator_record(ctx.config.accelerator, sim, synth)
    fields["plan_exact"] = plan is None or plan_is_exact(plan)
    if sim and sim.get("power"):
        power = sim["power"]
        fields["modelled_power"] = {k: power[k] for k in ("label", "static_w", "dynamic_w", "clock_mhz")}
    manifest = write_manifest(pkg, fields)
    note = "" if bitstream else " (no bitstream: the synth step did not run here)"
    note = f" ({ctx.config.accelerator} accelerator)" + note
    return {
        "samples": int(len(codes)),
        "bitstream": bitstream,
        "files": sorted(manifest["files"]),
        "message": f"package for {ctx.board.name}{note}",
    }
