"""Modelled energy per inference of a plan and of its exact baseline: one function, one basis.

:func:`modelled_energy` simulates the generated RTL of ``model_ir`` with ``plan`` (``None``:
the exact design) on the given input codes and applies the power model of
:mod:`toolkit.rtlgen.power` to the toggle activity. The plan and its baseline go through it
with the *same* codes and the same timing basis, so an exact plan's saving is exactly 0:

* the codes are streamed in ``chunks`` consecutive batches, each from an idle pipeline
  (fill and drain included, the same for both designs);
* a batch's dynamic energy is its modelled dynamic power x its simulated cycles / clock,
  i.e. the switching energy of its toggles plus the clock load of its cycles;
* energy per inference is the sum over batches / samples; its stated error is the standard
  error over the batches (input-to-input variation), and the saving's error is the
  standard error of the per-batch paired savings.

These are model outputs (not measurements): the constants of the power model are not
calibrated against a board, so the error says how much the figure depends on which
inputs ran, not how close it is to silicon.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.boards import Board
from toolkit.errors import ToolkitError

if TYPE_CHECKING:  # the plan's type only; no import cycle at run time
    from toolkit.models.ir import ModelIR
    from toolkit.plan import Plan

DEFAULT_CHUNKS = 10
MODEL_LABEL = "modelled"
RTL_DESIGN = "generated RTL (tk_accel) under Verilator"
METHOD = (
    "RTL power model (toolkit/rtlgen/power.py): Verilator toggle activity x yosys cells x per-toggle "
    "energies + clock load per flip-flop; dynamic only (the board's static power cancels in a saving)"
)


def modelled_energy(
    model_ir: ModelIR, plan: Plan | None, board: Board, codes: np.ndarray, chunks: int = DEFAULT_CHUNKS
) -> dict[str, Any]:
    """Modelled dynamic energy per inference of the generated RTL of ``model_ir`` + ``plan`` on ``codes``.

    Returns ``joules``, ``stderr_j`` (over the ``chunks`` batches), ``per_chunk_j``, the
    model's inputs (cycles, clock, dynamic power per module, area) and labels.
    """
    from toolkit.rtlgen.area import synthesize
    from toolkit.rtlgen.device import RtlDevice
    from toolkit.rtlgen.generate import generate
    from toolkit.rtlgen.power import model_power
    from toolkit.rtlgen.verilator import build

    codes = np.asarray(codes)
    n = len(codes)
    if n < chunks or chunks < 2:
        raise ToolkitError(
            f"{n} samples in {chunks} batches: the modelled energy needs at least 2 batches of 1 sample "
            "(use more samples, e.g. drop --limit)"
        )
    design = generate(model_ir, plan, axis_bits=board.dma_data_bits)
    area = synthesize(design)
    per_chunk, cycles, samples, modules = [], [], [], {}
    with RtlDevice(design, build(design, activity=True)) as device:
        for part in np.array_split(codes, chunks):
            res = device.predict_codes(part)
            if res.activity is None:
                raise ToolkitError("the simulation library was built without toggle activity")
            power = model_power(area, res.activity, board, res.cycles / len(part))
            per_chunk.append(power.dynamic_energy_j * len(part))  # joules of the whole batch
            cycles.append(res.cycles)
            samples.append(len(part))
            for name, w in power.per_module.items():
                modules[name] = modules.get(name, 0.0) + w * res.cycles
    per_inference = np.asarray(per_chunk) / np.asarray(samples)
    total_cycles = int(sum(cycles))
    return {
        "joules": float(sum(per_chunk) / n),
        "stderr_j": float(per_inference.std(ddof=1) / math.sqrt(chunks)),
        "per_chunk_j": per_inference.tolist(),
        "label": MODEL_LABEL,
        "design": RTL_DESIGN,
        "design_hash": design.key(),
        "plan": design.plan_name,
        "method": METHOD,
        "basis": f"{n} samples in {chunks} batches, each streamed from an idle pipeline (fill and drain "
        "included); energy = switching energy of the batches / samples",
        "error_note": "standard error over the batches (input variation); the model's own error is not quantified",
        "inputs": {
            "samples": n,
            "chunks": chunks,
            "cycles": total_cycles,
            "cycles_per_inference": total_cycles / n,
            "clock_mhz": board.clock_mhz,
            "static_w": board.static_w,
            "dynamic_w": float(sum(modules.values()) / total_cycles),
            "per_module_dynamic_w": {k: v / total_cycles for k, v in modules.items()},
            "lut": area.total["lut"],
        },
    }


def exact_plan(model_ir: Any) -> Any:
    """The exact design as an exact build states it: every MAC layer on ``exact`` at its own widths.

    An exact build's plan is exactly this, so its generated RTL (and its synthesis) is the
    baseline's, text for text; ``plan=None`` would give the same logic under other names,
    which yosys maps a few LUTs differently (about 0.4 % of modelled energy on digits-cnn).
    """
    from toolkit.plan import LayerPlan, Plan, design_for

    layers = {
        layer.name: LayerPlan(layer.name, design_for(layer, "exact")) for layer in model_ir.mac_layers()
    }
    return Plan(model_ir.model_hash(), layers, model_ir.name)


def saving(plan: dict[str, Any], exact: dict[str, Any]) -> dict[str, Any]:
    """1 - E_plan / E_exact with its error, labelled by the kind both energies are (never mixed).

    Modelled energies from :func:`modelled_energy` are paired batch by batch (same inputs),
    so the error is the standard error of the per-batch savings; measured energies are
    independent runs, so their relative errors add in quadrature.
    """
    if plan["label"] != exact["label"]:
        raise ToolkitError(
            f"a {plan['label']} plan energy cannot be compared with a {exact['label']} baseline: "
            "expected both measured or both modelled"
        )
    e_plan, e_exact = plan["joules"], exact["joules"]
    if not e_exact > 0:
        raise ToolkitError(f"the exact design's energy per inference is {e_exact!r} J: expected above 0")
    value = 1 - e_plan / e_exact
    a, b = plan.get("per_chunk_j"), exact.get("per_chunk_j")
    if a is not None and b is not None and len(a) == len(b):
        paired = 1 - np.asarray(a) / np.asarray(b)
        stderr = float(paired.std(ddof=1) / math.sqrt(len(paired)))
        how = "standard error of the paired per-batch savings (same inputs for both designs)"
    else:
        se_plan, se_exact = plan.get("stderr_j") or 0.0, exact.get("stderr_j") or 0.0  # None: no error stated
        rel = math.hypot(se_plan / e_plan if e_plan else 0.0, se_exact / e_exact)
        stderr = abs(e_plan / e_exact) * rel
        how = "relative standard errors of the two energies in quadrature (independent runs)"
    return {"value": float(value), "stderr": stderr, "label": plan["label"], "error_note": how,
            "design": plan.get("design")}  # fmt: skip
