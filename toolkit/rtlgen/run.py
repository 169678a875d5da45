"""The library function behind ``toolkit sim``: simulate a model (+ plan) on a dataset's test split.

Reports accuracy, agreement with the emulator, cycles (counted in the simulation),
inferences per second of the simulated hardware at the board clock, area (yosys) and
modelled power and energy per inference. Agreement and cycles come from every sample on a
build without toggle coverage; the power from a sample of them on a build with it
(:mod:`toolkit.rtlgen.sampled_power`: ``power_samples="auto"``, the default, streams batches
until the sampling error is small; a count draws that many), or from every sample
(``power_samples=None``, or a run no larger than the sample: one coverage build for
everything, ~25x slower per cycle than the plain build on cifar-cnn). The simulated design is
the generated RTL, or (``hls_verilog``) the Verilog HLS synthesised for the hls4ml
accelerator, driven through the same harness and device (:mod:`toolkit.rtlgen.hls_verilog`);
its power counts toggles on every sample (one build).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from toolkit.boards import load_board
from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.models.datasets import Dataset
from toolkit.models.ir import ModelIR
from toolkit.plan import Plan
from toolkit.rtlgen.cycles import interval_floor
from toolkit.rtlgen.device import RtlDevice
from toolkit.rtlgen.generate import Fold, generate
from toolkit.rtlgen.sampled_power import (
    AUTO,
    AUTO_BATCH,
    AUTO_MIN_BATCHES,
    PowerSamples,
    check_power_samples,
    sample_activity,
    sample_activity_until,
    sample_indices,
)
from toolkit.rtlgen.verilator import build


def simulate(
    model_ir: ModelIR,
    data: Dataset,
    plan: Plan | None = None,
    board: str = "pynq-z2",
    fold: Fold = None,
    limit: int | None = None,
    area: bool = True,
    hls_verilog: dict[str, Any] | None = None,
    power_samples: PowerSamples = AUTO,
    power_seed: int = 0,
) -> dict[str, Any]:
    """Run the RTL of ``model_ir`` (with ``plan``) on the test split; everything the CLI prints.

    ``power_samples``: how many samples (drawn with ``power_seed``) count toggles for the
    power model; ``"auto"``: the adaptive rule of :mod:`~toolkit.rtlgen.sampled_power`;
    ``None``: all of them, on the coverage build alone.

    ``hls_verilog``: an :func:`~toolkit.rtlgen.hls_verilog.hls_record` of HLS's Verilog for the
    same model and plan; it is simulated instead of the generated RTL, and area and power are
    its own (one unit: HLS's hierarchy is not one module per layer).
    """
    facts = load_board(board)
    design = generate(model_ir, plan, fold, axis_bits=facts.dma_data_bits)
    x, y = data.x_test[:limit], data.y_test[:limit]
    if len(x) == 0:
        raise ToolkitError("no test samples to simulate (check --limit and the dataset)")
    check_power_samples(power_samples)
    # the coverage build runs every sample (one build, no sampling error) when asked, when the
    # sample would be the whole run anyway, or for HLS's Verilog (one build of its own)
    smallest = AUTO_BATCH * AUTO_MIN_BATCHES if power_samples == AUTO else power_samples
    every = area and (hls_verilog is not None or smallest is None or smallest >= len(x))
    emulator = Emulator(model_ir, plan.kernels() if plan is not None else None)
    codes = emulator.quantize_input(x)
    if hls_verilog is not None:
        from toolkit.rtlgen.hls_verilog import open_hls_device

        opened = open_hls_device(hls_verilog["folder"], design, activity=area)
        made = opened.build
    else:
        made = build(design, activity=every)
        opened = RtlDevice(design, made)
    start, start_cpu = time.perf_counter(), time.process_time()
    with opened as device:
        result = device.predict_codes(codes)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    reference = emulator.predict_codes(codes)
    sample, power_build, power_wall, power_cpu = None, None, 0.0, 0.0
    if area and not every:
        from toolkit.rtlgen.area import synthesize
        from toolkit.rtlgen.power import model_power

        utilisation = synthesize(design)  # cached; the adaptive rule's estimate needs it
        power_build = build(design, activity=True)
        start, start_cpu = time.perf_counter(), time.process_time()
        with RtlDevice(design, power_build) as device:
            if power_samples == AUTO:
                sample = sample_activity_until(
                    device, codes, result.cycles,
                    lambda a: model_power(utilisation, a, facts, result.interval).dynamic_w, power_seed,
                )  # fmt: skip
            else:
                sample = sample_activity(device, codes, sample_indices(len(codes), power_samples, power_seed),
                                         result.cycles)  # fmt: skip
        power_wall, power_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        if not np.array_equal(sample.codes, result.codes[sample.indices]):
            raise ToolkitError(
                "the coverage build of the same Verilog gave other outputs than the build without coverage: "
                "a Verilator defect (rerun with --power-samples all to use one build)"
            )
    agree = int(np.all(result.codes.reshape(len(x), -1) == reference.reshape(len(x), -1), axis=1).sum())
    predicted = result.codes.reshape(len(x), -1).argmax(axis=1)
    out: dict[str, Any] = {
        "model": model_ir.name,
        "board": facts.name,
        "clock_mhz": facts.clock_mhz,
        # the hash of every file simulated (the vendor rtl/ folder records it too; for HLS, its Verilog's)
        "design_hash": design.key() if hls_verilog is None else hls_verilog["hash"],
        "plan": {s.name: s.multiplier for s in design.mac_stages()},
        "lanes": {s.name: s.lanes for s in design.mac_stages()} if hls_verilog is None else None,
        "hls_verilog": hls_verilog,
        "n": len(x),
        "accuracy": float(np.mean(predicted == y)),
        "bit_exact_samples": agree,
        "cycles": {
            "latency": result.latency,
            "interval": result.interval,
            "basis": "simulated (Verilator)",
            # closed-form lower bound of the generated RTL (the busiest stage); none for HLS's design
            "interval_floor": interval_floor(design) if hls_verilog is None else None,
        },
        "inferences_per_second": facts.clock_mhz * 1e6 / result.interval,
        "latency_us": result.latency / facts.clock_mhz,
        "build_seconds": made.info.get("seconds", 0.0),
        "build_cached": made.cached,
        "sim_seconds": wall,
        "sim_cpu_seconds": cpu,  # this process's CPU time in the simulation (the machine may be shared)
        "sim_inferences_per_second": len(x) / wall if wall > 0 else float("inf"),
        "power_build_seconds": power_build.info.get("seconds", 0.0) if power_build else None,
        "power_build_cached": power_build.cached if power_build else None,
        "power_sim_seconds": power_wall if power_build else None,
        "power_sim_cpu_seconds": power_cpu if power_build else None,
        "axis": {"in": design.axis_in.describe(), "out": design.axis_out.describe()},
        "area": None,
        "power": None,
    }
    if area:
        from toolkit.rtlgen.area import synthesize
        from toolkit.rtlgen.sampled_power import full_power, sampled_power

        if hls_verilog is not None:
            from toolkit.rtlgen.hls_verilog import synthesize_hls

            utilisation = synthesize_hls(hls_verilog["folder"])
        else:
            utilisation = synthesize(design)
        out["area"] = utilisation.to_json() | {
            "percent": utilisation.percent(facts),
            "board_totals": facts.resources,
        }
        if sample is not None:
            out["power"] = sampled_power(utilisation, sample, facts, result.interval, power_seed)
            out["activity"] = sample.activity.to_json()
        else:
            activity = result.activity
            if activity is None:
                raise ToolkitError("the simulation library was built without toggle activity")
            if hls_verilog is not None:
                from toolkit.rtlgen.hls_verilog import UNIT

                activity = activity.merged(UNIT)
            out["power"] = full_power(utilisation, activity, facts, result.interval, len(x))
            out["activity"] = activity.to_json()
    return out
