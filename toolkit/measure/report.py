"""The HTML report of ``toolkit measure``: accuracy, agreement, latency, power trace, energy saving.

One self-contained file (plots embedded as PNG) next to ``measure.json``, plus the
selection's own plots when the build has them. Modelled numbers are labelled as such.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from toolkit.cache import atomic_path
from toolkit.report.figures import new_figure

REPORT_NAME = "measure.html"


def write_report(result: dict[str, Any], build_dir: Path) -> Path:
    """Write ``build_dir/measure.html`` atomically; returns its path."""
    sections = [
        _header(result),
        _table("Accuracy and agreement", _accuracy_rows(result)),
        _table("Timing", _timing_rows(result)),
        _table("Energy per inference", _energy_rows(result)),
        _table("Modelled dynamic power per module (mW, from RTL toggle activity)", _module_rows(result)),
        _table("Power model (modelled, not measured): inputs and assumptions", _model_rows(result)),
        _figure("Power trace (measured)", _power_plot(result)),
        _figure("Energy: exact vs plan", _energy_plot(result)),
    ]
    for name, title in (("sensitivity.png", "Per-layer sensitivity (selection)"),
                        ("chosen.png", "Chosen multiplier per layer"), ("pareto.png", "Pareto front")):  # fmt: skip
        path = Path(build_dir) / "approx" / name
        if path.exists():
            sections.append(_figure(title, path.read_bytes()))
    bits = Path(build_dir) / "quantize"
    for png in sorted(bits.glob("*.png")) if bits.exists() else []:
        sections.append(_figure(f"Activation density and bit-widths ({png.stem})", png.read_bytes()))
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>toolkit measure</title><style>"
        "body{font-family:sans-serif;max-width:60em;margin:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.bad{color:#b00;font-weight:bold}"
        "</style></head><body>" + "".join(s for s in sections if s) + "</body></html>"
    )
    target = Path(build_dir) / REPORT_NAME
    with atomic_path(target) as tmp:
        tmp.write_text(page)
    return target


def _header(r: dict[str, Any]) -> str:
    agree = r["agreement"]
    verdict = (
        f"<p>Hardware == emulator on all {agree['samples']} samples.</p>"
        if agree["bit_exact"]
        else f"<p class='bad'>DEFECT: {agree['mismatches']} of {agree['samples']} samples differ from the "
        f"emulator (first: {agree['first_mismatches'][:5]}): a hardware or bitstream defect.</p>"
    )
    d = r.get("design") or {}
    design = (
        f"<p>Timing and agreement: <b>{html.escape(d['agreement_timing'])}</b>. Energy: "
        f"<b>{html.escape(d['energy'])}</b>.</p>" if d else ""
    )  # fmt: skip
    if d.get("note"):
        design += f"<p class='bad'>Note: {html.escape(d['note'])}.</p>"
    return (
        f"<h1>{html.escape(r['package'].get('model', ''))} on {html.escape(r['board'])}</h1>"
        f"<p>Target: <b>{r['target']}</b> ({html.escape(r['target_reason'])}); build {html.escape(r['build'])}</p>"
        + design
        + verdict
    )


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.2f} %"


def _accuracy_rows(r: dict[str, Any]) -> list[tuple[str, str]]:
    a = r["accuracy"]
    rows = [
        ("hardware (" + r["target"] + ")", _pct(a["hardware"])),
        ("emulator, plan", _pct(a["emulator_plan"])),
        ("emulator, exact model", _pct(a["emulator_exact"])),
        ("test samples", str(a["samples"])),
        ("mismatches vs emulator", str(r["agreement"]["mismatches"])),
    ]
    if a.get("original_model_agreement"):
        from toolkit.models.agreement import agreement_from_json

        rows.append(
            (
                "exact arithmetic vs your QKeras model",
                agreement_from_json(a["original_model_agreement"]).describe(),
            )
        )
    if a["emulator_exact"] is not None:
        rows.append(
            ("accuracy loss of the plan", f"{100 * (a['emulator_exact'] - a['hardware']):.2f} points")
        )
    return rows


def _timing_rows(r: dict[str, Any]) -> list[tuple[str, str]]:
    t, lat = r["throughput"], r["latency"]
    return [(k.replace("_", " "), _num(v)) for k, v in {**t, **{f"latency {k}": v for k, v in lat.items()}}.items()
            if not isinstance(v, list | dict)]  # fmt: skip


def _joules(value: dict[str, Any]) -> str:
    error = value.get("stderr_j")
    text = f"{value['joules'] * 1e9:.3f} nJ"
    return text + (f" ± {error * 1e9:.3f} ({value.get('error_note') or 'standard error'})" if error is not None
                   else " (modelled: no measurement error)")  # fmt: skip


def _energy_rows(r: dict[str, Any]) -> list[tuple[str, str]]:
    e = r["energy"]
    rows = []
    for label, value in (("plan", e["plan"]), ("exact", e["exact"])):
        if value:
            where = value.get("design") or value.get("source") or ""
            rows.append((f"{label}: {value.get('label', '')}, {where}", _joules(value)))
    s = e["saving"]
    rows.append(
        ("saving predicted by the selection (" + s["predicted_label"] + ")", _pct(s["predicted_selection"]))
    )
    if s["value"] is None:
        rows.append(("saving", "n/a (needs an exact baseline: --baseline on a board)"))
    else:
        rows.append((f"saving, {s['label']} ({s.get('design') or ''})",
                     f"{_pct(s['value'])} ± {_pct(s['stderr'])} ({s['error_note']})"))  # fmt: skip
    if r["power"] is None:
        rows.append(("power", "not measured (no meter: use --meter)"))
    elif r["power"].get("sampling"):
        rows.append(
            ("toggle sample (modelled figures; ± is their sampling error)", r["power"]["sampling"]["basis"])
        )
    return rows


def _model_rows(r: dict[str, Any]) -> list[tuple[str, str]]:
    power = r.get("power") or {}
    if power.get("label") != "modelled":
        return []
    rows: list[tuple[str, str]] = []
    for label, value in (
        ("plan", (r["energy"] or {}).get("plan")),
        ("exact", (r["energy"] or {}).get("exact")),
    ):
        if value and value.get("label") == "modelled":
            for key in ("method", "basis"):
                if value.get(key):
                    rows.append((f"{label}: {key}", str(value[key])))
            for key, v in (value.get("inputs") or {}).items():
                if not isinstance(v, dict):
                    rows.append((f"{label}: {key.replace('_', ' ')}", _num(v)))
    for key, v in (power.get("model") or {}).items():
        rows.append((key.replace("_", " "), _num(v)))
    return rows


def _module_rows(r: dict[str, Any]) -> list[tuple[str, str]]:
    plan = ((r["energy"]["plan"] or {}).get("inputs") or {}).get("per_module_dynamic_w")
    exact = ((r["energy"]["exact"] or {}).get("inputs") or {}).get("per_module_dynamic_w")
    if not plan:
        return []
    exact = exact or {}
    return [(name, f"plan {1e3 * w:.2f}" + (f" | exact {1e3 * exact[name]:.2f}" if name in exact else ""))
            for name, w in plan.items()]  # fmt: skip


def _num(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else html.escape(str(v))


def _table(title: str, rows: list[tuple[str, str]]) -> str:
    if not rows:
        return ""
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<h2>{html.escape(title)}</h2><table>{body}</table>"


def _figure(title: str, png: bytes | None) -> str:
    if not png:
        return ""
    data = base64.b64encode(png).decode()
    return f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' src='data:image/png;base64,{data}'>"


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def _power_plot(r: dict[str, Any]) -> bytes | None:
    power = r.get("power")
    if not power or power.get("label") != "measured" or not (power.get("trace") or {}).get("t_s"):
        return None  # a model is not a trace of samples: its inputs are in the power-model table
    trace = power["trace"]
    fig = new_figure((8, 3.5))
    ax = fig.subplots()
    for phase, colour in (("idle", "tab:blue"), ("load", "tab:red")):
        pts = [
            (t, w) for t, w, p in zip(trace["t_s"], trace["watts"], trace["phase"], strict=True) if p == phase
        ]
        if pts:
            ax.plot(*zip(*pts, strict=True), ".", color=colour, label=phase, markersize=3)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"power (W, {power.get('label', '')})")
    ax.set_title(f"{power.get('meter', '')}: idle then inference")
    ax.legend()
    fig.tight_layout()
    return _png(fig)


def _energy_plot(r: dict[str, Any]) -> bytes | None:
    e = r["energy"]
    if not e["plan"] or not e["exact"]:
        return None
    fig = new_figure((9, 3.5))
    (ax1, ax2) = fig.subplots(1, 2)
    kind = e["plan"].get("label", "")
    values = [e["exact"]["joules"] * 1e9, e["plan"]["joules"] * 1e9]
    errors = [(v.get("stderr_j") or 0.0) * 1e9 for v in (e["exact"], e["plan"])]
    ax1.bar(["exact", "plan"], values, yerr=errors, color=["lightgray", "tab:green"], capsize=4)
    ax1.set_ylabel(f"energy per inference (nJ, {kind})")
    ax1.set_title(f"{kind}: {e['plan'].get('design', '')}", fontsize=8)
    s = e["saving"]
    labels, savings = (
        ["predicted\n(selection, modelled)", f"{s['label'] or 'n/a'}\n(RTL / board)"],
        [
            s["predicted_selection"] or 0,
            s["value"] or 0,
        ],
    )
    ax2.bar(labels, [100 * v for v in savings], yerr=[0, 100 * (s["stderr"] or 0)], capsize=4,
            color=["tab:purple", "tab:orange"])  # fmt: skip
    ax2.set_ylabel("energy saving of the plan (%)")
    ax2.set_title(f"{s['label'] or 'n/a'} vs predicted")
    fig.tight_layout()
    return _png(fig)
