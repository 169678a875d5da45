"""The rows of a sweep: one per point, read from its build folder; sweep.json and sweep.csv.

Every number keeps its provenance in its name or a ``*_source`` column: the selection's
accuracy on the test split is the emulator's (``accuracy_*``), its energy saving is the
selection's model (``energy_saving_selection``); ``toolkit measure`` adds the hardware
accuracy (simulated RTL or board) and the energy per inference with its label
(``energy_label``: modelled in simulation, measured on a board); LUT/FF/BRAM come from
Vivado's utilisation report where the synth step ran, else from yosys on the generated RTL.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from toolkit.cache import atomic_path, read_json_if_exists, write_atomic_json
from toolkit.sweep.config import AXES, Point

SWEEP_FORMAT = "toolkit-sweep"
METRICS = (
    "accuracy_exact", "accuracy_plan", "accuracy_loss_points", "certified_bound_points", "certified",
    "accuracy_hardware", "hardware_target", "mismatches", "energy_saving_selection", "energy_nj_plan",
    "energy_nj_exact", "energy_saving", "energy_label", "lut", "ff", "bram36", "area_source", "cycles",
    "build_seconds", "reused_steps",
)  # fmt: skip


def collect_row(
    point: Point, folder: Path, steps: list[dict[str, Any]], measure: dict[str, Any] | None
) -> dict[str, Any]:
    """The metrics of a finished point, from its step records, sim.json / synth.json and measure.json."""
    row: dict[str, Any] = point.to_json() | {"dir": str(folder)} | dict.fromkeys(METRICS)
    by_name = {r["step"]: r for r in steps}
    approx = (by_name.get("approx") or {}).get("result") or {}
    if "test" in approx:
        test, cert = approx["test"], approx.get("certificate") or {}
        row |= {
            "accuracy_exact": test["exact"],
            "accuracy_plan": test["plan"],
            "accuracy_loss_points": approx.get("test_loss"),
            "certified_bound_points": cert.get("bound"),
            "certified": cert.get("status") == "certified" if cert else None,
            "energy_saving_selection": approx.get("energy_reduction"),
        }
    sim = read_json_if_exists(folder / "sim.json") if "rtl" in by_name else None
    if sim:
        row["cycles"] = (sim.get("cycles") or {}).get("interval")
        total = (sim.get("area") or {}).get("total")
        if total:
            row |= {"lut": total.get("lut"), "ff": total.get("ff"), "bram36": total.get("bram36"),
                    "area_source": "yosys (generated RTL, xc7)"}  # fmt: skip
    synth = read_json_if_exists(folder / "synth.json") if "synth" in by_name else None
    util = (synth or {}).get("utilization")
    if util:
        row |= {k: (util.get(k) or {}).get("used") for k in ("lut", "ff", "bram36")}
        row["area_source"] = "vivado (utilisation report)"
    if measure is not None:
        energy = measure["energy"]
        plan, exact = energy.get("plan") or {}, energy.get("exact") or {}
        row |= {
            "accuracy_hardware": measure["accuracy"]["hardware"],
            "hardware_target": measure["target"],
            "mismatches": measure["agreement"]["mismatches"],
            "energy_nj_plan": None if plan.get("joules") is None else 1e9 * plan["joules"],
            "energy_nj_exact": None if exact.get("joules") is None else 1e9 * exact["joules"],
            "energy_saving": energy["saving"]["value"],
            "energy_label": plan.get("label"),
            "report": measure.get("report"),
        }
    row["build_seconds"] = sum(
        r["seconds"] for r in steps if not r.get("reused") and not r.get("reused_from")
    )
    row["reused_steps"] = [r["step"] for r in steps if r.get("reused") or r.get("reused_from")]
    return row


def write_results(
    sweep_dir: Path, config_path: Path, rows: list[dict[str, Any]], wall: float, how: str
) -> None:
    """sweep.json (everything) and sweep.csv (one flat line per point)."""
    sweep_dir = Path(sweep_dir)
    passed = sum(r["status"] == "passed" for r in rows)
    write_atomic_json(sweep_dir / "sweep.json", {
        "format": SWEEP_FORMAT, "version": 1, "config": str(config_path), "executor": how,
        "wall_seconds": wall, "points": len(rows), "passed": passed, "failed": len(rows) - passed, "rows": rows,
    })  # fmt: skip
    with atomic_path(sweep_dir / "sweep.csv") as tmp:
        tmp.write_text(rows_csv(rows))


def rows_csv(rows: list[dict[str, Any]]) -> str:
    axes = [a for a in AXES if any(a in r["axes"] for r in rows)]
    columns = ["id", "status", *axes, *METRICS, "seconds", "reused", "error", "dir"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        flat = {k: r.get(k) for k in columns} | {a: r["axes"].get(a) for a in axes}
        flat["reused_steps"] = " ".join(r.get("reused_steps") or [])
        writer.writerow(flat)
    return buf.getvalue()
