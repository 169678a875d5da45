"""``BUILD/report.html``: one page about a build, made from what its folder holds (nothing reruns).

Steps (status, time, headline), the plan (per layer: operand bits, multiplier, correction),
accuracy and agreement (selection, simulated RTL, measurement, your own model), area and cycles
of the simulated RTL, energy with its label (modelled / measured) and the plots of every stage.
``toolkit report BUILD`` and :meth:`toolkit.Build.report` both call :func:`write_build_report`.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from toolkit.cache import atomic_path, read_json_if_exists
from toolkit.errors import ToolkitError
from toolkit.measure.report import _accuracy_rows, _energy_plot, _energy_rows, _figure, _power_plot, _table

REPORT_NAME = "report.html"
STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:auto}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.bad{color:#b00;font-weight:bold}"
)


def write_build_report(build_dir: Path) -> Path:
    """Write ``build_dir/report.html`` atomically from the folder's files; returns its path."""
    build_dir = Path(build_dir)
    config = read_json_if_exists(build_dir / "build.json")
    if config is None:
        raise ToolkitError(f"'{build_dir}' is not a build folder: it has no build.json")
    records = _records(build_dir)
    plan = read_json_if_exists(build_dir / "plan.json")
    sim = read_json_if_exists(build_dir / "sim.json")
    measured = read_json_if_exists(build_dir / "measure.json")
    sections = [
        f"<h1>{html.escape(str(config.get('model', '')))} on {html.escape(str(config.get('board', '')))}</h1>"
        f"<p>Build folder {html.escape(str(build_dir.resolve()))}</p>",
        _steps_table(records),
        _table("Configuration", [(k, _text(v)) for k, v in config.items() if k not in ("format", "version")]),
        _plan_table(plan, records.get("quantize")),
        _table("Accuracy and agreement", _accuracy(records, sim)),
        _table("Simulated RTL (Verilator): cycles, area, modelled power", _sim_rows(sim)),
    ]
    if measured:
        sections.append(_table(f"Measurement ({measured.get('target', '')})", _accuracy_rows(measured)))
        sections.append(_table("Energy per inference", _energy_rows(measured)))
        sections.append(_figure("Power trace (measured)", _power_plot(measured)))
        sections.append(_figure("Energy: exact vs plan", _energy_plot(measured)))
    else:
        sections.append("<p>No measurement yet: <code>toolkit measure --build DIR</code> adds one.</p>")
    for name, title in (("pareto.png", "Pareto front (selection)"), ("sensitivity.png", "Per-layer sensitivity"),
                        ("chosen.png", "Chosen multiplier per layer")):  # fmt: skip
        path = build_dir / "approx" / name
        if path.exists():
            sections.append(_figure(title, path.read_bytes()))
    quantize = build_dir / "quantize"
    for png in sorted(quantize.glob("*.png")) if quantize.exists() else []:
        sections.append(_figure(f"Activation density and bit-widths ({png.stem})", png.read_bytes()))
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>toolkit build report</title><style>{STYLE}"
        "</style></head><body>" + "".join(s for s in sections if s) + "</body></html>"
    )
    target = build_dir / REPORT_NAME
    with atomic_path(target) as tmp:
        tmp.write_text(page)
    return target


def _records(build_dir: Path) -> dict[str, dict[str, Any]]:
    """The step records by step name, in step order."""
    out = {}
    for path in sorted((build_dir / "steps").glob("*.json")) if (build_dir / "steps").exists() else []:
        try:
            record = json.loads(path.read_text())
        except json.JSONDecodeError:
            continue  # a damaged record is no record (the engine reruns that step)
        out[record.get("step", path.stem)] = record
    return out


def _steps_table(records: dict[str, dict[str, Any]]) -> str:
    if not records:
        return "<p class='bad'>No step has run in this folder.</p>"
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td class='{'' if r.get('status') in ('passed', 'not_run') else 'bad'}'>"
        f"{html.escape(str(r.get('status')))}</td><td>{r.get('seconds', 0):.1f} s</td>"
        f"<td>{html.escape(r.get('summary') or r.get('message') or '')}</td></tr>"
        for name, r in records.items()
    )
    return f"<h2>Steps</h2><table><tr><th>step</th><th>status</th><th>time</th><th>result</th></tr>{rows}</table>"


def _plan_table(plan: dict[str, Any] | None, quantize: dict[str, Any] | None) -> str:
    if not plan:
        return ""
    bits = ((quantize or {}).get("result") or {}).get("bits") or {}
    rows = ""
    for entry in plan.get("layers", []):
        correction = entry.get("correction", "none")
        mode = correction.get("mode", "?") if isinstance(correction, dict) else str(correction)
        rows += (
            f"<tr><td>{html.escape(entry['name'])}</td><td>{html.escape(str(bits.get(entry['name'], '')))}</td>"
            f"<td>{html.escape(entry.get('activation', ''))}</td><td>{html.escape(entry.get('weight', ''))}</td>"
            f"<td>{html.escape(entry.get('multiplier', 'exact'))}</td><td>{html.escape(mode)}</td></tr>"
        )
    head = "<tr><th>layer</th><th>bits</th><th>activation</th><th>weight</th><th>multiplier</th><th>correction</th></tr>"
    return (
        f"<h2>Plan (model hash {html.escape(str(plan.get('model_hash')))})</h2>"
        f"<p>MAC layers not listed are exact.</p><table>{head}{rows}</table>"
    )


def _accuracy(records: dict[str, dict[str, Any]], sim: dict[str, Any] | None) -> list[tuple[str, str]]:
    from toolkit.models.agreement import agreement_from_json

    rows: list[tuple[str, str]] = []
    q = (records.get("quantize") or {}).get("result") or {}
    if q.get("agreement"):
        rows.append(
            ("exact arithmetic vs your model (test split)", agreement_from_json(q["agreement"]).describe())
        )
    a = (records.get("approx") or {}).get("result") or {}
    test = a.get("test")
    if test:
        rows.append(("test accuracy, exact (emulated)", f"{100 * test['exact']:.2f} % ({test['n']} samples)"))
        rows.append(("test accuracy, plan (emulated)", f"{100 * test['plan']:.2f} %"))
    cert = a.get("certificate")
    if cert:
        rows.append(("certificate", cert.get("message", cert.get("status", ""))))
    if a.get("overrides"):
        rows.append(("overridden layers (build.toml)", ", ".join(a["overrides"])))
    h = (records.get("hls") or {}).get("result") or {}
    if "equal_samples" in h:
        rows.append(("hls4ml C-sim == emulator", f"{h['equal_samples']}/{h['n_samples']} samples"))
    if sim:
        rows.append(("simulated RTL accuracy", f"{100 * sim['accuracy']:.2f} % ({sim['n']} samples)"))
        rows.append(("simulated RTL == emulator", f"{sim['bit_exact_samples']}/{sim['n']} samples"))
    return rows


def _sim_rows(sim: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not sim:
        return [("simulation", "the rtl step did not run (Verilator missing or --to stopped before it)")]
    c = sim["cycles"]
    rows = [
        ("design", str((sim.get("design") or {}).get("simulated", "generated RTL"))),
        (
            "cycles / inference",
            f"{c['interval']:.0f} ({c.get('basis', 'simulated')}; floor {c.get('interval_floor')})",
        ),
        ("latency", f"{c['latency']} cycles"),
        (
            "inferences / s (simulated hardware)",
            f"{sim['inferences_per_second']:,.0f} at {sim['clock_mhz']:g} MHz",
        ),
    ]
    area = (sim.get("area") or {}).get("total")
    if area:
        rows.append(("area (yosys, xc7)", f"{area['lut']:.0f} LUT, {area['ff']:.0f} FF, {area['bram36']:g} BRAM36, "
                     f"{area['dsp']:.0f} DSP"))  # fmt: skip
    power = sim.get("power")
    if power:
        rows.append(
            (
                "power (MODELLED)",
                f"{1e3 * power['dynamic_w']:.2f} mW dynamic + {power['static_w']:.2f} W static",
            )
        )
        rows.append(("energy / inference (MODELLED)", f"{1e6 * power['energy_per_inference_j']:.3f} uJ"))
    return rows


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, dict | list) else str(value)
