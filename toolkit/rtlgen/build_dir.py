"""Reading a build folder (written by the ``toolkit build`` pipeline) for the simulation path.

Layout::

    DIR/model.h5     the deployable QKeras model
    DIR/plan.json    optional: per-layer multipliers and corrections (absent = exact)
    DIR/build.json   at least {"board": "pynq-z2", "data": "digits"}

``data`` is a dataset name or an .npz path (relative paths are relative to DIR).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.rtlgen.sampled_power import AUTO, PowerSamples


@dataclass(frozen=True)
class BuildFolder:
    """The pieces of a build folder, checked to exist."""

    path: Path
    model: Path
    plan: Path | None
    board: str
    data: str
    meta: dict[str, Any]


def read_build_dir(path: Path | str) -> BuildFolder:
    """Check a build folder and read its ``build.json`` (ToolkitError naming what is missing)."""
    path = Path(path)
    if not path.is_dir():
        raise ToolkitError(f"build folder '{path}' not found (expected a folder made by `toolkit build`)")
    model = path / "model.h5"
    if not model.exists():
        raise ToolkitError(f"build folder '{path}' has no model.h5 (the deployable QKeras model)")
    from toolkit.pipeline.engine import read_build_json

    meta = read_build_json(path)
    if not isinstance(meta, dict):
        raise ToolkitError(f"'{path / 'build.json'}' must hold a JSON object with board and data")
    for key in ("board", "data"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise ToolkitError(
                f'\'{path / "build.json"}\' lacks {key!r}: expected e.g. {{"board": "pynq-z2", "data": "digits"}}'
            )
    data = meta["data"]
    if data.endswith(".npz") and not Path(data).is_absolute():
        data = str(path / data)
    plan = path / "plan.json"
    return BuildFolder(path, model, plan if plan.exists() else None, meta["board"], data, meta)


GENERATED_RTL = "generated RTL (tk_accel)"  # the deployed design with --accelerator rtl
SAME_PLAN_RTL = "generated RTL (same plan)"  # stands in for the hls4ml design where HLS cannot run
RTL_SIM_DIR = "rtl_sim"  # the rtl step's folder: design.json, and hls/ (the HLS run) where HLS ran
HLS_RUN_DIR = "hls"


def describe_design(accelerator: str, design_hash: str, hls: dict[str, Any] | None = None) -> dict[str, Any]:
    """Which design the simulated numbers describe, and whether it is the one the bitstream holds.

    ``hls``: the :func:`~toolkit.rtlgen.hls_verilog.hls_record` of the HLS Verilog simulated
    for the hls4ml accelerator (None: the generated RTL was simulated).
    """
    if accelerator == "rtl":
        simulated, same, note = GENERATED_RTL, True, None
    elif hls is not None:
        simulated, same = hls["design"], True
        note = (
            f"simulated the Verilog {hls['tool']} synthesised for this build's hls4ml accelerator "
            f"({hls['folder']}); the synth step checks that its own HLS run writes the same files"
        )
    else:
        simulated, same = SAME_PLAN_RTL, False
        note = (
            "no Vitis HLS here: the cycles, activity, area and modelled power come from the toolkit's generated "
            "RTL of the same plan, not from the HLS design the bitstream holds (install Vitis HLS and run "
            "`toolkit build --from rtl`, or build with --accelerator rtl to deploy the simulated design)"
        )  # fmt: skip
    return {"simulated": simulated, "design_hash": design_hash, "accelerator": accelerator,
            "is_deployed_design": same, "note": note}  # fmt: skip


def simulated_hls(path: Path | str) -> dict[str, Any] | None:
    """The HLS Verilog the rtl step simulated for this build folder (its record, files rechecked), or None."""
    from toolkit.cache import read_json_if_exists
    from toolkit.rtlgen.hls_verilog import check_same_verilog, verilog_dir

    record = (read_json_if_exists(Path(path) / RTL_SIM_DIR / "design.json") or {}).get("hls_verilog")
    if not record:
        return None
    folder = verilog_dir(Path(path) / RTL_SIM_DIR / HLS_RUN_DIR)
    return check_same_verilog(folder, record)


def sim_step(
    path: Path | str,
    limit: int | None = None,
    fold: Any = None,
    area: bool = True,
    out: Path | None = None,
    hls: dict[str, Any] | None | bool = True,
    power_samples: PowerSamples = AUTO,
    power_seed: int = 0,
) -> dict[str, Any]:
    """Simulate a build folder and write the result to ``out`` (default ``DIR/sim.json``).

    ``toolkit sim --build`` and the pipeline's rtl step both run this. ``hls``: the record of
    the HLS Verilog to simulate, None for the generated RTL, or True (default): the HLS Verilog
    the rtl step simulated for an hls4ml build when there is one, else the generated RTL.
    """
    from toolkit.cache import write_atomic_json
    from toolkit.models.datasets import load_dataset
    from toolkit.models.loading import load_keras_file
    from toolkit.models.reader import read_model
    from toolkit.plan import load_plan
    from toolkit.rtlgen.run import simulate

    folder = read_build_dir(path)
    accelerator = folder.meta.get("accelerator", "hls4ml")
    if hls is True:
        hls = simulated_hls(folder.path) if accelerator == "hls4ml" else None
    data = load_dataset(folder.data)
    model_ir, _ = read_model(load_keras_file(folder.model))
    plan = load_plan(folder.plan, model_ir) if folder.plan else None
    result = simulate(model_ir, data, plan, folder.board, fold, limit, area=area, hls_verilog=hls or None,
                      power_samples=power_samples, power_seed=power_seed)  # fmt: skip
    result["source"] = str(folder.path)
    result["design"] = describe_design(accelerator, result["design_hash"], hls or None)
    write_atomic_json(Path(out) if out is not None else folder.path / "sim.json", result)
    return result
