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

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.pipeline.engine import BuildContext

RUNTIME_DIR = Path(__file__).resolve().parents[2] / "overlays" / "toolkit_overlay"
PACKAGE_FORMAT = "toolkit-overlay"


def stream_formats(model_ir: Any, data_bits: int) -> dict[str, Any]:
    """The accelerator's AXI-Stream formats (the RTL's and the HLS top's): input and output codes."""
    from toolkit.rtlgen.axis import AxisFormat

    fmt = {}
    for side, prec, shape in (
        ("in", model_ir.input_precision, model_ir.input_shape),
        ("out", model_ir.output_precision, model_ir.output_shape),
    ):
        axis = AxisFormat(prec.width, prec.signed, int(np.prod(shape)), data_bits)
        fmt[side] = {"code_bits": prec.width, "signed": prec.signed, "codes": axis.codes, "beats": axis.beats}
    return {"data_bits": data_bits, **fmt}


def plan_hash(plan_path: Path) -> str:
    """sha256[:16] of the plan file's bytes (what the board recomputes without the toolkit)."""
    return hashlib.sha256(Path(plan_path).read_bytes()).hexdigest()[:16]


def package(ctx: BuildContext) -> dict[str, Any]:
    """Assemble ``package/`` from the build folder (bitstream only if the synth step built one)."""
    from toolkit_overlay.manifest import write_manifest

    from toolkit.cache import write_atomic_npz
    from toolkit.emulator.engine import Emulator
    from toolkit.models.datasets import load_dataset
    from toolkit.pipeline.steps import load_build

    model_ir, _, plan = load_build(ctx)
    pkg = ctx.stage / "package"
    pkg.mkdir()
    data = load_dataset(ctx.data_spec)
    emulator = Emulator(model_ir, plan.kernels() if plan is not None else None)
    codes = emulator.quantize_input(data.x_test)
    expected = emulator.predict_codes(codes)
    write_atomic_npz(pkg / "vectors.npz", x_codes=codes, expected_codes=expected, labels=data.y_test)
    shutil.copy2(ctx.dir / "plan.json", pkg / "plan.json")
    (pkg / "board.json").write_text(json.dumps(ctx.board.to_json(), indent=2) + "\n")
    shutil.copytree(RUNTIME_DIR, pkg / "toolkit_overlay", ignore=shutil.ignore_patterns("__pycache__"))
    synth = _synth_result(ctx.dir)
    bitstream = hwh = None
    for key in ("bitstream", "hwh"):
        source = synth.get(key)
        if source:
            shutil.copy2(source, pkg / Path(source).name)
    if synth.get("bitstream"):
        bitstream, hwh = Path(synth["bitstream"]).name, Path(synth["hwh"]).name
    fields = {
        "format": PACKAGE_FORMAT,
        "version": 1,
        "board": ctx.board.name,
        "model": model_ir.name,
        "model_hash": model_ir.model_hash(),
        "plan_hash": plan_hash(pkg / "plan.json"),
        "bitstream": bitstream,
        "hwh": hwh,
        "tools": synth.get("tools", {}),
        "clock_mhz": ctx.board.clock_mhz,
        "stream": stream_formats(model_ir, ctx.board.dma_data_bits),
        "input_shape": list(model_ir.input_shape),
        "output_shape": list(model_ir.output_shape),
        "input_scale": model_ir.input_precision.scale,
        "output_scale": model_ir.output_precision.scale,
    }
    sim = _read(ctx.dir / "sim.json")
    if sim and sim.get("power"):
        power = sim["power"]
        fields["modelled_power"] = {k: power[k] for k in ("label", "static_w", "dynamic_w", "clock_mhz")}
    manifest = write_manifest(pkg, fields)
    note = "" if bitstream else " (no bitstream: the synth step did not run here)"
    return {
        "samples": int(len(codes)),
        "bitstream": bitstream,
        "files": sorted(manifest["files"]),
        "message": f"package for {ctx.board.name}{note}",
    }


def _synth_result(build_dir: Path) -> dict[str, Any]:
    result = _read(build_dir / "synth.json") or {}
    return result if result.get("status") == "passed" else {}


def _read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None
