"""Parsers of the vendor tools' reports into plain dicts (JSON-able).

* Vivado ``report_utilization``: LUT / FF / BRAM tiles / DSP used and available (7-series
  "Slice LUTs/Slice Registers" and UltraScale+ "CLB LUTs/CLB Registers" rows; with or
  without the "Prohibited" column of newer releases: columns are found by their header).
* Vivado ``report_timing_summary``: the "Design Timing Summary" table -> WNS/TNS/WHS/THS, met.
* Vivado ``report_power``: the Summary table -> total / dynamic / static on-chip watts, plus
  the "On-Chip Components" rows (e.g. ``PS7``), so the PS share can be told from the PL's.
* Vitis/Vivado HLS ``csynth.xml``: latency and interval in cycles, clock estimate, resources.
* ``-version`` output of the tools -> release (``2023.1``).

A report that lacks what is parsed is a :class:`ToolkitError` naming the file and the row.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError

_UTIL_ROWS = {
    "lut": ("Slice LUTs", "CLB LUTs"),
    "ff": ("Slice Registers", "CLB Registers"),
    "bram36": ("Block RAM Tile",),
    "dsp": ("DSPs",),
}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _read(path: Path) -> str:
    path = Path(path)
    if not path.is_file():
        raise ToolkitError(f"report '{path}' does not exist")
    return path.read_text(errors="replace")


def _number(text: str) -> float | int | None:
    text = text.strip()
    if not _NUMBER.match(text):
        return None
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _header_field(text: str, name: str) -> str | None:
    """A ``| Name : value`` field of a Vivado report header (Device, Tool Version, Design)."""
    match = re.search(rf"^\|\s*{re.escape(name)}\s*:\s*(.+?)\s*$", text, re.M)
    return match.group(1) if match else None


def tool_release(text: str) -> str | None:
    """``2023.1`` from a tool banner or report header (``v2023.1``, ``v.2023.1``), else None."""
    match = re.search(r"\bv\.?(20\d\d\.\d)\b", text)
    return match.group(1) if match else None


def parse_utilization(path: Path) -> dict[str, Any]:
    """``report_utilization`` -> {lut, ff, bram36, dsp: {used, available, util_pct}, device, release}."""
    text = _read(path)
    header: list[str] | None = None
    rows: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = _cells(line)
        if cells and cells[0] == "Site Type":
            header = cells
            continue
        if header is None or len(cells) != len(header):
            continue
        label = cells[0].rstrip("*").strip()
        for key, names in _UTIL_ROWS.items():
            if label in names and key not in rows:
                row = dict(zip(header, cells, strict=True))
                rows[key] = {
                    "used": _number(row.get("Used", "")),
                    "available": _number(row.get("Available", "")),
                    "util_pct": _number(row.get("Util%", "")),
                }
    missing = [names[0] for key, names in _UTIL_ROWS.items() if key not in rows or rows[key]["used"] is None]
    if missing:
        raise ToolkitError(
            f"utilization report '{path}' lacks the rows {', '.join(missing)} (expected Vivado's "
            "report_utilization output)"
        )
    return {**rows, "device": _header_field(text, "Device"), "release": tool_release(text)}


def parse_timing_summary(path: Path) -> dict[str, Any]:
    """``report_timing_summary`` -> {wns_ns, tns_ns, tns_failing_endpoints, whs_ns, ths_ns, ..., met}."""
    text = _read(path)
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "| Design Timing Summary"), None)
    if start is None:
        raise ToolkitError(
            f"timing report '{path}' has no 'Design Timing Summary' (expected report_timing_summary)"
        )
    head = next(
        (i for i in range(start, min(start + 12, len(lines))) if lines[i].split()[:1] == ["WNS(ns)"]), None
    )
    if head is None:
        raise ToolkitError(f"timing report '{path}': no WNS(ns) header under 'Design Timing Summary'")
    names = re.split(r"\s{2,}", lines[head].strip())
    values = next(
        (lines[i].split() for i in range(head + 2, min(head + 5, len(lines))) if lines[i].strip()), []
    )
    if len(values) != len(names):
        raise ToolkitError(f"timing report '{path}': the Design Timing Summary row does not match its header")
    keys = {
        "WNS(ns)": "wns_ns",
        "TNS(ns)": "tns_ns",
        "TNS Failing Endpoints": "tns_failing_endpoints",
        "WHS(ns)": "whs_ns",
        "THS(ns)": "ths_ns",
        "THS Failing Endpoints": "ths_failing_endpoints",
        "WPWS(ns)": "wpws_ns",
        "TPWS(ns)": "tpws_ns",
    }
    out: dict[str, Any] = {keys[n]: _number(v) for n, v in zip(names, values, strict=True) if n in keys}
    if out.get("wns_ns") is None:
        raise ToolkitError(f"timing report '{path}': WNS is {values[0]!r} (no constrained paths?)")
    slacks_ok = all(out.get(k) is None or out[k] >= 0 for k in ("wns_ns", "whs_ns", "wpws_ns"))
    totals_ok = all(not out.get(k) for k in ("tns_ns", "ths_ns", "tpws_ns"))
    out["met"] = bool(slacks_ok and totals_ok and "Timing constraints are not met" not in text)
    out["release"] = tool_release(text)
    return out


def parse_power(path: Path) -> dict[str, Any]:
    """``report_power`` -> {total_w, dynamic_w, static_w, junction_c, confidence, components}."""
    text = _read(path)
    summary: dict[str, str] = {}
    components: dict[str, float] = {}
    in_components = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("1.1 On-Chip Components"):
            in_components = True
        elif re.match(r"^\d+(\.\d+)* ", stripped) and not stripped.startswith("1.1"):
            in_components = False
        if not stripped.startswith("|"):
            continue
        cells = _cells(line)
        if len(cells) == 2 and cells[0] not in summary:
            summary[cells[0]] = cells[1]
        if (
            in_components
            and len(cells) >= 2
            and not line.startswith("|  ")
            and cells[0] not in ("On-Chip", "Total")
        ):
            value = _number(cells[1])
            if value is not None:
                components[cells[0]] = value

    def watts(label: str) -> float:
        raw = summary.get(label)
        match = re.match(r"-?\d+(\.\d+)?", raw or "")
        if not match:
            raise ToolkitError(
                f"power report '{path}' lacks '{label}' (expected Vivado's report_power output)"
            )
        return float(match.group(0))

    junction = re.match(r"-?\d+(\.\d+)?", summary.get("Junction Temperature (C)", ""))
    return {
        "total_w": watts("Total On-Chip Power (W)"),
        "dynamic_w": watts("Dynamic (W)"),
        "static_w": watts("Device Static (W)"),
        "junction_c": float(junction.group(0)) if junction else None,
        "confidence": summary.get("Confidence Level"),
        "components": components,
        "release": tool_release(text),
    }


def parse_csynth_xml(path: Path) -> dict[str, Any]:
    """HLS ``csynth.xml`` -> {top, part, clock estimate, latency/interval cycles, resources, available}."""
    text = _read(path)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ToolkitError(f"HLS report '{path}' is not valid XML ({exc})") from None

    def get(xpath: str) -> str | None:
        node = root.find(xpath)
        return node.text.strip() if node is not None and node.text else None

    def num(xpath: str) -> float | int | None:
        value = get(xpath)
        return _number(value) if value is not None else None  # "undef" (data-dependent) -> None

    perf = "./PerformanceEstimates/SummaryOfOverallLatency/"
    if root.find("./PerformanceEstimates") is None or root.find("./AreaEstimates/Resources") is None:
        raise ToolkitError(
            f"HLS report '{path}' lacks PerformanceEstimates/AreaEstimates (expected a csynth.xml of Vitis HLS)"
        )
    resources = {n.tag.lower(): _number(n.text or "") for n in root.find("./AreaEstimates/Resources")}
    available_node = root.find("./AreaEstimates/AvailableResources")
    available = (
        {n.tag.lower(): _number(n.text or "") for n in available_node} if available_node is not None else {}
    )
    return {
        "top": get("./UserAssignments/TopModelName"),
        "part": get("./UserAssignments/Part"),
        "release": get("./ReportVersion/Version"),
        "target_clock_ns": num("./UserAssignments/TargetClockPeriod"),
        "estimated_clock_ns": num("./PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod"),
        "latency_best_cycles": num(perf + "Best-caseLatency"),
        "latency_worst_cycles": num(perf + "Worst-caseLatency"),
        "interval_min_cycles": num(perf + "Interval-min"),
        "interval_max_cycles": num(perf + "Interval-max"),
        "resources": resources,
        "available": available,
    }
