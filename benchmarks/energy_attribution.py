"""Where the RTL's modelled energy goes, exact vs approximate plans, and does it agree with the selection?

Per zoo model (default digits-mlp and digits-cnn) and plan (exact; uniform trunc4; the plan
``toolkit approx`` selects, with its control-variate corrections; the same plan without them),
on the same test inputs, one coverage simulation per plan:

* ``toolkit_model``: the modelled dynamic energy per inference exactly as ``toolkit sim`` /
  ``toolkit measure`` compute it (:mod:`toolkit.rtlgen.activity` + :mod:`toolkit.rtlgen.power`),
  every instance's toggles counted on its own bits (the harness writes coverage per instance);
* ``merged_count``: the same simulation counted as the toolkit did before per-instance
  coverage: the per-instance points merged the way Verilator's default writer merges them
  (one point per signal bit of a module, counts summed over its instances, the differing part
  of the hierarchy names replaced by ``*``), each merged point one bit, names no layer owns
  under ``io``. Kept to show what the old figures were worth;
* per layer and per sub-block of each MAC layer (:mod:`toolkit.rtlgen.attribution`: products /
  mac / post / buffer, each with its own activity and yosys cells); its per-layer sum is
  ``toolkit_model`` (checked here);
* ``selection``: the selection's model (:mod:`toolkit.select.energy`): products + cv overhead.

Savings are 1 - E_plan / E_exact of each; the RTL savings carry the standard error of the
paired per-batch savings. Every energy here is MODELLED (no board). Prints a table and writes
``benchmarks/results/energy_attribution.json``.

    python benchmarks/energy_attribution.py [--models digits-mlp,digits-cnn] [--limit 200]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import resource
import tempfile
import time
import warnings
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "energy_attribution.json"
BUDGETS = {"digits-mlp": 1.0, "digits-cnn": 3.0}  # digits-cnn certifies nothing cheaper at 1 point
BATCHES = 4


_POINT = re.compile(r"^C '(?P<keys>[^']*)' (?P<count>\d+)$")


def combine_hier(old: str, add: str) -> str:
    """Verilator's ``combineHier`` (verilated_cov.cpp): the common prefix, ``*``, the common suffix."""
    if old == add or not old:
        return add
    if not add:
        return old
    i = 0
    while i < min(len(old), len(add)) and old[i] == add[i]:
        i += 1
    a, b = len(old) - 1, len(add) - 1
    while old[a] == add[b] and a > i and b > i:
        a, b = a - 1, b - 1
    return old[:i] + "*" + add[b + 1 :]


def merged_count(path: Path, cycles: int):
    """The toolkit's count before per-instance coverage, from a per-instance coverage file: points
    merged as Verilator's default writer merges them (every key but the hierarchy equal), then
    read as activity.py read them (one bit per point; a name with no layer instance in it: ``io``)."""
    from toolkit.rtlgen.activity import _CLOCK, _INSTANCE, Activity, ModuleActivity

    merged: dict[tuple, list] = {}
    for line in Path(path).read_text(errors="replace").splitlines():
        m = _POINT.match(line)
        if not m:
            continue
        fields = dict(kv.split("\x02", 1) for kv in m["keys"].split("\x01") if "\x02" in kv)
        hier = fields.pop("h", "")
        key = tuple(sorted(fields.items()))
        entry = merged.setdefault(key, ["", 0])
        entry[0] = combine_hier(entry[0], hier)
        entry[1] += int(m["count"])
    bits: dict[str, int] = defaultdict(int)
    toggles: dict[str, int] = defaultdict(int)
    for key, (hier, count) in merged.items():
        fields = dict(key)
        if not fields.get("page", "").startswith("v_toggle") or _CLOCK.search(fields.get("o", "")):
            continue
        found = _INSTANCE.search(hier)
        where = found.group(1) if found else "io"
        bits[where] += 1
        toggles[where] += count
    return Activity(cycles, {k: ModuleActivity(bits[k], toggles[k]) for k in sorted(bits)})


@contextmanager
def captured_points(store: list):
    """Keep each activity read's per-instance points and its merged count (the file is temporary)."""
    import toolkit.rtlgen.device as device
    from toolkit.rtlgen.activity import read_points

    original = device.read_activity

    def read(path, cycles):
        store.append((read_points(path), merged_count(path, cycles)))
        return original(path, cycles)

    device.read_activity = read
    try:
        yield
    finally:
        device.read_activity = original


def selection_energy(model_ir, plan, profiles) -> float:
    """The selection's modelled energy per inference (LUT switches) of ``plan`` (None: exact)."""
    from toolkit.plan import design_for
    from toolkit.select.energy import cv_overhead, product_energy

    total = 0.0
    for layer in model_ir.mac_layers():
        lp = plan.layers.get(layer.name) if plan is not None else None
        design = lp.design if lp is not None else design_for(layer, "exact")
        total += layer.macs * product_energy(design)
        if lp is not None and lp.correction is not None and lp.correction.mode == "cv":
            total += cv_overhead(profiles[layer.name])
    return total


def run_design(design, codes, board) -> dict:
    """Simulate ``design`` with coverage in batches; modelled energy per batch, per unit and per block."""
    from toolkit.rtlgen.area import module_cells, synthesize
    from toolkit.rtlgen.attribution import attribute, block_cells
    from toolkit.rtlgen.device import RtlDevice
    from toolkit.rtlgen.power import model_power
    from toolkit.rtlgen.verilator import build

    captured: list = []
    batches, outputs = [], []
    with captured_points(captured), RtlDevice(design, build(design, activity=True)) as device:
        for part in np.array_split(codes, BATCHES):
            res = device.predict_codes(part)
            outputs.append(res.codes)
            batches.append((len(part), res.cycles, res.activity))
    area = synthesize(design)
    cells = block_cells(design, module_cells(design))
    out: dict = {"codes": np.concatenate(outputs), "lut": area.layers, "blocks_j": {}, "blocks": {}}
    for kind in ("toolkit_model", "merged_count"):
        out[kind] = {"batch_j": [], "modules_j": {}}
    for (n, cycles, activity), (points, merged) in zip(batches, captured, strict=True):
        for kind, act in (("toolkit_model", activity), ("merged_count", merged)):
            power = model_power(area, act, board, cycles)  # interval unused for the per-module watts
            joules = {k: w * cycles / (board.clock_mhz * 1e6) for k, w in power.per_module.items()}
            out[kind]["batch_j"].append(sum(joules.values()) / n)
            for k, v in joules.items():
                out[kind]["modules_j"][k] = out[kind]["modules_j"].get(k, 0.0) + v / len(codes)
        att = attribute(points, design, cells, cycles)
        if not math.isclose(
            sum(att["unit_j"].values()) / n, out["toolkit_model"]["batch_j"][-1], rel_tol=1e-9
        ):
            raise AssertionError(
                f"{design.model_ir.name}: the attribution {att['unit_j']} does not add up "
                "to the toolkit's model"
            )
        for unit, parts in att["blocks_j"].items():
            for block, v in parts.items():
                key = f"{unit}/{block}"
                out["blocks_j"][key] = out["blocks_j"].get(key, 0.0) + v / len(codes)
        for unit, parts in att["blocks"].items():
            for block, v in parts.items():
                key = f"{unit}/{block}"
                agg = out["blocks"].setdefault(key, {"bits": v["bits"], "lut": v["lut"], "toggles": 0.0})
                agg["toggles"] += v["toggles"] / len(codes)
    return out


def saving(plan: list[float], exact: list[float]) -> dict:
    paired = 1 - np.asarray(plan) / np.asarray(exact)
    return {"value": float(1 - np.sum(plan) / np.sum(exact)),
            "stderr": float(paired.std(ddof=1) / math.sqrt(len(paired)))}  # fmt: skip


def run_model(name: str, limit: int, work: Path) -> dict:
    import toolkit
    from toolkit.boards import load_board
    from toolkit.emulator.engine import Emulator
    from toolkit.measure.energy import exact_plan
    from toolkit.models.datasets import load_dataset
    from toolkit.models.reader import read_model
    from toolkit.models.zoo import ZOO, load_zoo_model
    from toolkit.plan import plan_from_json
    from toolkit.rtlgen.generate import generate
    from toolkit.select.profile import profile_model

    board = load_board("pynq-z2")
    model_ir, _ = read_model(load_zoo_model(name, verbose=False))
    data = load_dataset(ZOO[name].dataset)
    chosen = toolkit.select(f"zoo:{name}", budget=BUDGETS[name], out=work / f"{name}-select")
    selected = json.loads((work / f"{name}-select" / "plan.json").read_text())
    plain = json.loads(json.dumps(selected))
    for layer in plain["layers"]:
        layer["correction"] = "none"
    uniform = {"format": "toolkit-plan", "version": 1,
               "layers": [{"name": layer.name, "multiplier": "trunc4"} for layer in model_ir.mac_layers()]}  # fmt: skip
    plans = {
        "exact": exact_plan(model_ir),
        "uniform trunc4": plan_from_json(uniform, model_ir),
        "selected (cv)": plan_from_json(selected, model_ir),
        "selected, no cv": plan_from_json(plain, model_ir),
    }
    profiles = profile_model(model_ir, data.x_train[:256])
    x, y = data.x_test[:limit], data.y_test[:limit]
    row: dict = {"model": name, "n": len(x), "budget": BUDGETS[name], "plans": {}}
    for label, plan in plans.items():
        emulator = Emulator(model_ir, plan.kernels())
        codes = emulator.quantize_input(x)
        reference = emulator.predict_codes(codes)
        design = generate(model_ir, plan, axis_bits=board.dma_data_bits)
        start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        got = run_design(design, codes, board)
        np.testing.assert_array_equal(got["codes"], reference)
        row["plans"][label] = {
            "layers": {s.name: s.multiplier for s in design.mac_stages()},
            "accuracy_emulated": float((reference.reshape(len(x), -1).argmax(1) == y).mean()),
            "selection_lut_switches": selection_energy(model_ir, plan, profiles),
            **{kind: {"nj": 1e9 * float(np.mean(got[kind]["batch_j"])), "batch_j": got[kind]["batch_j"],
                      "modules_nj": {k: 1e9 * v for k, v in got[kind]["modules_j"].items()}}
               for kind in ("toolkit_model", "merged_count")},
            "blocks_nj": {k: 1e9 * v for k, v in got["blocks_j"].items()},
            "blocks": got["blocks"],
            "seconds": {"wall": time.perf_counter() - start,
                        "cpu_children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - cpu},
        }  # fmt: skip
        if label == "selected (cv)":
            row["plans"][label]["selection_reported_saving"] = chosen.energy["reduction"]
    exact = row["plans"]["exact"]
    mac_blocks = ("products", "post")
    for entry in row["plans"].values():
        entry["saving"] = {
            "selection": 1 - entry["selection_lut_switches"] / exact["selection_lut_switches"],
            "toolkit_model": saving(entry["toolkit_model"]["batch_j"], exact["toolkit_model"]["batch_j"]),
            "merged_count": saving(entry["merged_count"]["batch_j"], exact["merged_count"]["batch_j"]),
            # like for like with the selection, whose model holds only the products and the correction
            "products_post": 1 - _blocks(entry, mac_blocks) / _blocks(exact, mac_blocks),
        }
    return row


def _blocks(entry: dict, kinds: tuple[str, ...]) -> float:
    return sum(v for k, v in entry["blocks_nj"].items() if k.rsplit("/", 1)[1] in kinds)


def print_table(rows: list[dict]) -> None:
    print("modelled dynamic energy per inference (nJ) and saving vs exact; RTL errors: paired batch s.e.;")
    print("toolkit: every instance counted; merged: the old count (Verilator's merged points, one bit each)")
    head = f"{'model':<11} {'plan':<16} {'acc':>6} {'sel. save':>9} {'toolkit nJ':>10} {'save':>14} " \
           f"{'merged nJ':>10} {'save':>14} {'prod+post':>9}"  # fmt: skip
    print(head)
    for row in rows:
        for label, e in row["plans"].items():
            s = e["saving"]
            t, m = s["toolkit_model"], s["merged_count"]
            print(f"{row['model']:<11} {label:<16} {e['accuracy_emulated']:6.3f} {100 * s['selection']:8.1f}% "
                  f"{e['toolkit_model']['nj']:10.2f} {100 * t['value']:7.1f}±{100 * t['stderr']:4.1f}% "
                  f"{e['merged_count']['nj']:10.2f} {100 * m['value']:7.1f}±{100 * m['stderr']:4.1f}% "
                  f"{100 * s['products_post']:8.1f}%")  # fmt: skip
    print("\nper sub-block (nJ per inference, modelled)")
    for row in rows:
        labels = list(row["plans"])
        keys = sorted({k for e in row["plans"].values() for k in e["blocks_nj"]})
        print(f"{row['model']:<28}" + "".join(f"{lab[:15]:>16}" for lab in labels))
        for k in keys:
            vals = [row["plans"][lab]["blocks_nj"].get(k, 0.0) for lab in labels]
            print(f"  {k:<26}" + "".join(f"{v:16.3f}" for v in vals))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="digits-mlp,digits-cnn")
    parser.add_argument("--limit", type=int, default=200, help="test samples simulated per plan")
    args = parser.parse_args()
    start, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="energy_attr_") as tmp:
        rows = [run_model(name, args.limit, Path(tmp)) for name in args.models.split(",")]
    print_table(rows)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = {
        "label": "modelled (RTL: Verilator toggle activity per instance x yosys cells x per-toggle energies; "
        "merged_count: the same simulation counted on Verilator's merged points, as the toolkit did before; "
        "selection: LUT-switch model of toolkit/select/energy.py); nothing here is measured",
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "seconds": {
            "wall": time.perf_counter() - start,
            "cpu_self": time.process_time() - cpu,
            "cpu_children": children.ru_utime + children.ru_stime,
        },  # fmt: skip
        "batches": BATCHES,
        "rows": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
