"""RTL simulation (Verilator) per zoo model: build time, simulation throughput, cycles, area,
and modelled energy per inference of an exact vs an approximate plan, beside the
multiplier library's energy proxy (do the two agree on the saving?); and the line buffers'
saving against whole-frame buffers (area and cycles of the exact design with each).

Builds go to a fresh temporary cache so build times are real (the Verilator runtime
objects are compiled once, by the first build of each kind, and reused after). Prints a
table and writes ``benchmarks/results/rtl_sim.json``.

    python benchmarks/rtl_sim.py [--multiplier trunc4] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

from toolkit.emulator.engine import Emulator  # noqa: E402
from toolkit.models.datasets import load_dataset  # noqa: E402
from toolkit.models.reader import read_model  # noqa: E402
from toolkit.models.zoo import ZOO, load_zoo_model  # noqa: E402
from toolkit.plan import plan_from_json  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "rtl_sim.json"


def proxy_energy(model_ir, plan) -> float:
    """The library's energy model (toolkit.select.energy): sum over MAC layers of MACs x E_product."""
    from toolkit.multipliers import make_design
    from toolkit.select.energy import product_energy

    total = 0.0
    for layer in model_ir.mac_layers():
        lp = plan.layers.get(layer.name) if plan else None
        a, w = layer.in_precision, layer.weight_precision
        design = lp.design if lp else make_design("exact", a.width, w.width, a.signed, w.signed)
        total += layer.macs * product_energy(design)
    return total


def run_model(name: str, multiplier: str, limit: int | None) -> dict:
    from toolkit.boards import load_board
    from toolkit.rtlgen import RtlDevice, build, generate, interval_floor
    from toolkit.rtlgen.area import synthesize
    from toolkit.rtlgen.power import model_power

    board = load_board("pynq-z2")
    model_ir, _ = read_model(load_zoo_model(name, verbose=False))
    data = load_dataset(ZOO[name].dataset)
    x = data.x_test[:limit]
    plans = {
        "exact": None,
        multiplier: plan_from_json(
            {"format": "toolkit-plan", "version": 1,
             "layers": [{"name": layer.name, "multiplier": multiplier} for layer in model_ir.mac_layers()]},
            model_ir,
        ),
    }  # fmt: skip
    row: dict = {"model": name, "n": len(x)}
    proxies = {label: proxy_energy(model_ir, plan) for label, plan in plans.items()}  # fails early
    for label, plan in plans.items():
        emulator = Emulator(model_ir, plan.kernels() if plan else None)
        codes = emulator.quantize_input(x)
        design = generate(model_ir, plan)
        entry: dict = {}
        for activity in (False, True):
            start = time.perf_counter()
            made = build(design, activity=activity)
            built = time.perf_counter() - start
            with RtlDevice(design, made) as device:
                start = time.perf_counter()
                result = device.predict_codes(codes)
                wall = time.perf_counter() - start
            assert (result.codes == emulator.predict_codes(codes)).all(), f"{name} {label}: RTL != emulator"
            kind = "activity" if activity else "fast"
            entry[f"build_s_{kind}"] = built
            entry[f"sim_per_s_{kind}"] = len(x) / wall
        start = time.perf_counter()
        area = synthesize(design)
        entry["yosys_s"] = time.perf_counter() - start
        power = model_power(area, result.activity, board, result.interval)
        macs = [s.instance for s in design.mac_stages()]
        entry |= {
            "interval": result.interval,
            "latency": result.latency,
            "interval_floor": interval_floor(design),  # closed-form lower bound
            "lut": area.total["lut"],
            "mac_lut": sum(area.layers[m]["lut"] for m in macs),
            "dyn_mw": 1e3 * power.dynamic_w,
            "dyn_nj": 1e9 * power.dynamic_energy_j,
            "mac_dyn_nj": 1e9 * sum(power.per_module[m] for m in macs) * power.seconds_per_inference,
            "total_uj": 1e6 * power.energy_j,
            "proxy": proxies[label],
            "accuracy": float((result.codes.reshape(len(x), -1).argmax(1) == data.y_test[:limit]).mean()),
        }
        row[label] = entry
    frame = generate(model_ir, None, buffer="frame")
    area = synthesize(frame)
    with RtlDevice(frame, build(frame, activity=False)) as device:
        cycles = device.predict_codes(Emulator(model_ir).quantize_input(x[:64]))  # Verilator's counts
    row["frame_buffers"] = {"lut": area.total["lut"], "ff": area.total["ff"], "bram36": area.total["bram36"],
                            "latency": cycles.latency, "interval": cycles.interval}  # fmt: skip
    line = synthesize(generate(model_ir, None)).total  # the exact design above (cached)
    row["exact"] |= {"ff": line["ff"], "bram36": line["bram36"]}
    ex, ap = row["exact"], row[multiplier]
    row["saving_modelled_mac_dyn"] = 1 - ap["mac_dyn_nj"] / ex["mac_dyn_nj"]
    row["saving_modelled_dyn"] = 1 - ap["dyn_nj"] / ex["dyn_nj"]
    row["saving_modelled_total"] = 1 - ap["total_uj"] / ex["total_uj"]
    row["saving_proxy"] = 1 - ap["proxy"] / ex["proxy"]
    row["saving_mac_lut"] = 1 - ap["mac_lut"] / ex["mac_lut"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--multiplier", default="trunc4", help="design (short form) of every MAC layer in the plan"
    )
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    for name in ZOO:  # train/load the zoo in the real cache first
        load_zoo_model(name, verbose=False)
    real_cache = os.environ.get("TOOLKIT_CACHE")
    with tempfile.TemporaryDirectory(prefix="rtl_bench_") as tmp:
        if real_cache:  # keep the zoo, build the RTL in a fresh cache
            Path(tmp, "zoo").symlink_to(Path(real_cache) / "zoo")
            if (Path(real_cache) / "datasets").exists():
                Path(tmp, "datasets").symlink_to(Path(real_cache) / "datasets")
        os.environ["TOOLKIT_CACHE"] = tmp
        rows = [run_model(name, args.multiplier, args.limit) for name in ZOO]
    from toolkit.rtlgen.verilator import find_verilator

    out = {"machine": platform.machine(), "verilator": find_verilator().version, "multiplier": args.multiplier,
           "label": "energy and power are MODELLED (toggle activity x yosys cells), not measured", "rows": rows}  # fmt: skip
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    m = args.multiplier
    print(f"{'model':12} {'plan':8} {'build s':>8} {'build+act s':>11} {'sim inf/s':>10} {'sim+act':>8} "
          f"{'II cyc':>7} {'LUT':>6} {'dyn nJ':>8} {'MAC nJ':>8} {'total uJ':>9} {'proxy':>9} {'acc':>6}")  # fmt: skip
    for r in rows:
        for label in ("exact", m):
            e = r[label]
            print(f"{r['model']:12} {label:8} {e['build_s_fast']:8.1f} {e['build_s_activity']:11.1f} "
                  f"{e['sim_per_s_fast']:10.0f} {e['sim_per_s_activity']:8.0f} {e['interval']:7.0f} {e['lut']:6.0f} "
                  f"{e['dyn_nj']:8.1f} {e['mac_dyn_nj']:8.1f} {e['total_uj']:9.3f} {e['proxy']:9.3g} "
                  f"{e['accuracy']:6.3f}")  # fmt: skip
        print(f"{'':12} saving: modelled MAC-layer dynamic {100 * r['saving_modelled_mac_dyn']:.1f} %, "
              f"all dynamic {100 * r['saving_modelled_dyn']:.1f} %, total incl. static "
              f"{100 * r['saving_modelled_total']:.2f} %; library proxy {100 * r['saving_proxy']:.1f} %; "
              f"MAC-layer LUTs {100 * r['saving_mac_lut']:.1f} %")  # fmt: skip
        f, e = r["frame_buffers"], r["exact"]
        print(f"{'':12} line vs frame buffers (exact): LUT {f['lut']:.0f} -> {e['lut']:.0f}, FF {f['ff']:.0f} -> "
              f"{e['ff']:.0f}, BRAM36 {f['bram36']:g} -> {e['bram36']:g}, latency {f['latency']} -> {e['latency']}, "
              f"interval {f['interval']} -> {e['interval']:.0f} cycles")  # fmt: skip
    print(f"(modelled, not measured) -> {RESULTS}")


if __name__ == "__main__":
    main()
