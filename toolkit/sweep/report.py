"""sweep.html: the accuracy / energy and accuracy / LUT Pareto fronts, per-axis effects, links to each point.

Accuracy loss is the plan's loss vs the exact model on the whole test split in the emulator
(the measured hardware, which runs a subset of it, equals the emulator sample for sample, else
the point is left off the fronts).
Energy is the energy per inference from ``toolkit measure`` where measured (modelled in
simulation, measured on a board), else the selection's modelled multiplier energy relative
to the exact plan. The axis labels say which; a front never mixes the two kinds.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from toolkit.cache import atomic_path
from toolkit.measure.report import _figure, _png
from toolkit.report.figures import new_figure
from toolkit.sweep.config import SweepConfig


def loss_points(row: dict[str, Any]) -> tuple[float | None, str]:
    """(accuracy loss in points, where it comes from): the plan vs the exact model on the whole test
    split in the emulator, which the measured hardware equals sample for sample (a point whose hardware
    disagrees is left off the fronts: its numbers describe a defect, not a design)."""
    if row.get("mismatches"):
        return None, ""
    return row.get("accuracy_loss_points"), "plan vs exact, emulator, test split"


def energy_value(row: dict[str, Any]) -> tuple[float | None, str]:
    """(energy, its label): nJ per inference when measured/modelled by `toolkit measure`, else relative."""
    if row.get("energy_nj_plan") is not None:
        return row["energy_nj_plan"], f"energy per inference (nJ, {row.get('energy_label')})"
    if row.get("energy_saving_selection") is not None:
        return 1 - row["energy_saving_selection"], "multiplier energy / exact (modelled by the selection)"
    return None, ""


def pareto(points: list[tuple[float, float, int]]) -> list[int]:
    """Indices of the points no other point beats in both coordinates (lower is better in both)."""
    front = []
    for x, y, i in points:
        if not any((x2 <= x and y2 <= y) and (x2 < x or y2 < y) for x2, y2, _ in points):
            front.append(i)
    return front


def write_html(sweep_dir: Path, sweep: SweepConfig, rows: list[dict[str, Any]]) -> Path:
    sweep_dir = Path(sweep_dir)
    passed = [r for r in rows if r["status"] == "passed"]
    fronts = {"energy": _front_plot(passed, energy_value), "lut": _front_plot(passed, _luts)}
    for name, png in fronts.items():  # also as files (pareto-energy.png, pareto-lut.png) for other documents
        target = sweep_dir / f"pareto-{name}.png"
        if png:
            with atomic_path(target) as tmp:
                tmp.write_bytes(png)
        else:
            target.unlink(missing_ok=True)
    sections = [
        f"<h1>Sweep {html.escape(str(sweep.path))}</h1><p>{len(rows)} points: {len(passed)} passed, "
        f"{len(rows) - len(passed)} failed. Axes: "
        + ", ".join(f"{html.escape(a)} ({len(v)})" for a, v in sweep.axes.items())
        + ".</p>",
        _figure("Pareto front: accuracy loss vs energy", fronts["energy"]),
        _figure("Pareto front: accuracy loss vs LUTs", fronts["lut"]),
        _effects(passed, sweep),
        _points_table(rows, sweep_dir),
    ]
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>toolkit sweep</title><style>"
        "body{font-family:sans-serif;max-width:72em;margin:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}.bad{color:#b00}.front{font-weight:bold}"
        "</style></head><body>" + "".join(s for s in sections if s) + "</body></html>"
    )
    target = sweep_dir / "sweep.html"
    with atomic_path(target) as tmp:
        tmp.write_text(page)
    return target


def _luts(row: dict[str, Any]) -> tuple[float | None, str]:
    return row.get("lut"), f"LUTs ({row.get('area_source')})"


def _front_plot(rows: list[dict[str, Any]], metric: Any) -> bytes | None:
    """Loss vs ``metric``: one Pareto front per (model, dataset), since their exact baselines differ."""
    pts, labels, y_labels = [], set(), set()
    for i, r in enumerate(rows):
        x, label = metric(r)
        y, y_label = loss_points(r)
        if x is not None and y is not None:
            pts.append((x, y, i))
            labels.add(label)
            y_labels.add(y_label)
    if not pts or len(labels) != 1 or len(y_labels) != 1:  # two kinds of number must not share an axis
        return None
    groups: dict[str, list[tuple[float, float, int]]] = {}
    for p in pts:
        groups.setdefault(_model_name(rows[p[2]]), []).append(p)
    fig = new_figure((7, 4.5))
    ax = fig.subplots()
    for n, (model, group) in enumerate(sorted(groups.items())):
        colour = f"C{n % 10}"
        ax.scatter([p[0] for p in group], [p[1] for p in group], color=colour, alpha=0.3, s=18)
        on_front = pareto(group)
        front = sorted(p for p in group if p[2] in on_front)
        ax.plot([p[0] for p in front], [p[1] for p in front], "o-", color=colour,
                drawstyle="steps-post", label=f"{model}: Pareto front")  # fmt: skip
        seen = set()
        for x, y, i in front:  # one label per distinct design point
            if (x, y) not in seen:
                seen.add((x, y))
                ax.annotate(rows[i]["id"].rsplit("-", 1)[0], (x, y), fontsize=6)
    ax.set_xlabel(labels.pop())
    ax.set_ylabel(f"accuracy loss (points, {y_labels.pop()})")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def _model_name(row: dict[str, Any]) -> str:
    config = row["config"]
    return f"{Path(config['model'].removeprefix('zoo:')).stem} ({Path(str(config['data'])).stem})"


def _effects(rows: list[dict[str, Any]], sweep: SweepConfig) -> str:
    """Mean loss and energy per value of each axis that varies (the other axes averaged over)."""
    body = ""
    for axis, values in sweep.axes.items():
        if len(values) < 2:
            continue
        for value in values:
            group = [r for r in rows if repr(r["axes"].get(axis)) == repr(value)]
            losses = [v for v in (loss_points(r)[0] for r in group) if v is not None]
            energies = [v for v in (energy_value(r)[0] for r in group) if v is not None]
            luts = [r["lut"] for r in group if r.get("lut") is not None]
            body += (f"<tr><td>{html.escape(axis)}</td><td>{html.escape(str(value))}</td><td>{len(group)}</td>"
                     f"<td>{_mean(losses)}</td><td>{_mean(energies)}</td><td>{_mean(luts)}</td></tr>")  # fmt: skip
    if not body:
        return ""
    head = "<tr><th>axis</th><th>value</th><th>points</th><th>mean loss (points)</th><th>mean energy</th><th>mean LUTs</th></tr>"
    return f"<h2>Per-axis effects (passed points; other axes averaged over)</h2><table>{head}{body}</table>"


def _mean(values: list[float]) -> str:
    return f"{sum(values) / len(values):.4g}" if values else "n/a"


def _points_table(rows: list[dict[str, Any]], sweep_dir: Path) -> str:
    head = "<tr><th>point</th><th>status</th><th>loss (points)</th><th>hardware accuracy</th><th>mismatches</th><th>energy</th><th>LUTs</th><th>cycles</th><th>seconds</th><th>report</th></tr>"
    body = ""
    for r in rows:
        loss, energy = loss_points(r)[0], energy_value(r)[0]
        link = ""
        for target in (r.get("report"), str(Path(r["dir"]) / "summary.json")):
            if target and Path(target).exists():
                rel = os.path.relpath(target, sweep_dir)
                link = f"<a href='{html.escape(rel)}'>{html.escape(Path(target).name)}</a>"
                break
        status = (
            r["status"]
            if r["status"] == "passed"
            else f"<span class='bad'>{html.escape(r['error'] or 'failed')}</span>"
        )
        body += (f"<tr><td>{html.escape(r['id'])}</td><td>{status}</td><td>{_num(loss)}</td>"
                 f"<td>{_hw(r)}</td><td>{_num(r.get('mismatches'))}</td><td>{_num(energy)}</td>"
                 f"<td>{_num(r.get('lut'))}</td><td>{_num(r.get('cycles'))}</td><td>{_num(r.get('seconds'))}</td>"
                 f"<td>{link}</td></tr>")  # fmt: skip
    return f"<h2>Points</h2><table>{head}{body}</table>"


def _hw(r: dict[str, Any]) -> str:
    if r.get("accuracy_hardware") is None:
        return ""
    return f"{100 * r['accuracy_hardware']:.2f} % ({html.escape(str(r.get('hardware_target')))})"


def _num(v: Any) -> str:
    return "" if v is None else f"{v:.4g}" if isinstance(v, float) else html.escape(str(v))
