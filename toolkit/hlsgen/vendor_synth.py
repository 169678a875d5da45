"""The synth build step: run Vitis/Vivado HLS and Vivado on a generated vendor project, where installed.

With the tools on PATH it runs ``hls.tcl`` (the hls4ml accelerator only) then ``block_design.tcl`` (logs in
``VENDOR/logs/``), parses the reports (:mod:`toolkit.hlsgen.reports`) and places the
``.bit``/``.hwh`` pair with its reports and a ``manifest.json`` (board, part, model and
plan hashes, tool releases, sha256 of every file) under
``BITSTREAMS/<board>/<model_hash>-<plan_hash>/`` (the build folder's ``bitstreams/``), and
a copy in the user's own store when one is given (never inside the installed package). Without the tools it returns status
``not_run`` and says what to run where: never ``passed``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit_overlay.files import sha256_file

from toolkit.errors import ToolkitError
from toolkit.hlsgen import reports

if TYPE_CHECKING:
    from toolkit.hlsgen.vendor import VendorProject

MANIFEST_FORMAT = "toolkit-bitstream"
REPORT_FILES = ("utilization.rpt", "timing_summary.rpt", "power.rpt")


def synth_step(
    project: VendorProject,
    record: Path | None = None,
    *,
    model_hash: str,
    plan_hash: str,
    bitstreams: Path | str,
    store: Path | str | None = None,
    log: Callable[[str], None] | None = None,
    timeout_s: float | None = None,
    hls_verilog: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Synthesize ``project`` if Vitis/Vivado HLS and Vivado are on PATH; the step's JSON-able result.

    ``hls_verilog``: the record of the HLS Verilog the rtl step simulated
    (:func:`toolkit.rtlgen.hls_verilog.hls_record`); HLS's run here must write the same files,
    else ToolkitError before Vivado runs, so the bitstream holds the simulated design.

    Writes the result to ``record`` (JSON, atomically) when given. Raises ToolkitError naming
    the log when a tool fails, and naming the report when timing is not met.
    """
    log = log or (lambda message: None)
    board = project.board
    rtl = project.accelerator == "rtl"
    base = {
        "board": board.name,
        "part": board.part,
        "vendor": str(project.path),
        "accelerator": project.accelerator,
        "hls_tool": None if rtl else project.hls_tool,
    }
    names = ("vivado",) if rtl else (project.hls_tool, "vivado")
    tools = {name: shutil.which(name) for name in names}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        result = base | {
            "status": "not_run",
            "missing": missing,
            "message": (
                f"{' and '.join(missing)} not on PATH, so no bitstream was built here. The vendor project is "
                f"'{project.path}': on a machine with {'Vivado' if rtl else 'Vitis HLS and Vivado'} (2020.2 or later, {board.part} "
                f"installed) run `toolkit build --from synth` there, or copy that folder and run ./run.sh in it"
            ),
        }
        _write_record(record, result)
        log(f"synth: not run ({' and '.join(missing)} not on PATH)")
        return result

    releases = {name: _release(path) for name, path in tools.items()}
    _clear_outputs(project)
    project.logs.mkdir(parents=True, exist_ok=True)
    logs = {"vivado": project.logs / "vivado.log"} if rtl else {"hls": project.logs / "hls.log",
                                                                  "vivado": project.logs / "vivado.log"}  # fmt: skip
    elapsed = {}
    if rtl:
        log("synth: [1/2] no HLS: the accelerator is the generated RTL the rtl step simulated")
    else:
        log(f"synth: [1/2] {project.hls_tool} -f hls.tcl (C-synthesis + IP export; log {logs['hls']})")
        elapsed["hls_s"] = _run([tools[project.hls_tool], "-f", project.hls_script.name], project.path,
                                logs["hls"], timeout_s)  # fmt: skip
        for needed in (project.csynth_xml, project.ip_dir):
            if not needed.exists():
                raise ToolkitError(
                    f"{project.hls_tool} finished without writing '{needed}': see log '{logs['hls']}'"
                )
        if hls_verilog is not None:
            from toolkit.rtlgen.hls_verilog import check_same_verilog, verilog_dir

            check_same_verilog(verilog_dir(project.path), hls_verilog)
            log(f"synth: the HLS Verilog is the one the rtl step simulated ({hls_verilog['hash']})")
    log(
        f"synth: [2/2] vivado -source block_design.tcl (block design, implementation, bitstream; log {logs['vivado']})"
    )
    cmd = [tools["vivado"], "-mode", "batch", "-nojournal", "-nolog", "-source", project.vivado_script.name]
    elapsed["vivado_s"] = _run(cmd, project.path, logs["vivado"], timeout_s)
    outputs = [project.bitstream, project.hwh] + [project.reports / name for name in REPORT_FILES]
    for needed in outputs:
        if not needed.is_file():
            raise ToolkitError(f"vivado finished without writing '{needed}': see log '{logs['vivado']}'")

    tool_logs = {"vivado": logs["vivado"]} | ({} if rtl else {project.hls_tool: logs["hls"]})
    for name in tools:  # a tool whose -version said nothing: take the release from its log's banner
        releases[name] = releases[name] or reports.tool_release(tool_logs[name].read_text(errors="replace"))
    parsed = {
        "hls": None if rtl else reports.parse_csynth_xml(project.csynth_xml),
        "utilization": reports.parse_utilization(project.reports / "utilization.rpt"),
        "timing": reports.parse_timing_summary(project.reports / "timing_summary.rpt"),
        "power": reports.parse_power(project.reports / "power.rpt"),
    }
    if not parsed["timing"]["met"]:
        raise ToolkitError(
            f"timing not met on {board.name} at {board.clock_mhz:g} MHz (WNS {parsed['timing']['wns_ns']} ns, "
            f"TNS {parsed['timing']['tns_ns']} ns): see '{project.reports / 'timing_summary.rpt'}'; the "
            "bitstream was not placed"
        )
    from toolkit_overlay.bitstream import check_bitstream
    from toolkit_overlay.errors import OverlayError

    try:  # whatever a tool on PATH wrote: placed only if it is a bitstream for this part
        header = check_bitstream(project.bitstream, board.part)
    except OverlayError as exc:
        raise ToolkitError(f"vivado's output was refused, nothing was placed: {exc}") from None
    parsed["bitstream_header"] = header
    parsed["hls_verilog_hash"] = hls_verilog["hash"] if hls_verilog is not None else None
    dest = place_bitstream(project, bitstreams, model_hash, plan_hash, releases, parsed)
    stored = place_bitstream(project, store, model_hash, plan_hash, releases, parsed) if store else None
    result = base | {
        "status": "passed",
        "bitstream": str(dest / project.bitstream.name),
        "hwh": str(dest / project.hwh.name),
        "dir": str(dest),
        "manifest": str(dest / "manifest.json"),
        "stored": str(stored) if stored else None,
        "tools": releases,
        **parsed,
        "logs": {k: str(v) for k, v in logs.items()},
        "elapsed": elapsed,
    }
    _write_record(record, result)
    log(f"synth: passed; {dest / project.bitstream.name}")
    return result


def place_bitstream(
    project: VendorProject,
    bitstreams: Path | str,
    model_hash: str,
    plan_hash: str,
    tools: dict[str, str | None],
    parsed: dict[str, Any],
) -> Path:
    """Copy .bit/.hwh and the reports to ``ROOT/<board>/<model_hash>-<plan_hash>/`` with manifest.json."""
    for name, value in (("model_hash", model_hash), ("plan_hash", plan_hash)):
        if not value or not all(c.isalnum() or c in "-_" for c in value):
            raise ToolkitError(
                f"{name} {value!r} is not a hash: expected letters and digits (a content hash)"
            )
    board_dir = Path(bitstreams) / project.board.name
    board_dir.mkdir(parents=True, exist_ok=True)
    dest = board_dir / f"{model_hash}-{plan_hash}"
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=board_dir))
    try:
        shutil.copy2(project.bitstream, tmp / project.bitstream.name)
        shutil.copy2(project.hwh, tmp / project.hwh.name)
        (tmp / "reports").mkdir()
        for name in REPORT_FILES:
            shutil.copy2(project.reports / name, tmp / "reports" / name)
        if project.accelerator == "hls4ml":
            shutil.copy2(project.csynth_xml, tmp / "reports" / "csynth.xml")
        files = {str(p.relative_to(tmp)): sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        manifest = {
            "format": MANIFEST_FORMAT,
            "version": 1,
            "board": project.board.name,
            "part": project.board.part,
            "board_part": project.board.board_part,
            "clock_mhz": project.board.clock_mhz,
            "model_hash": model_hash,
            "plan_hash": plan_hash,
            "accelerator": project.accelerator,
            "rtl_design_hash": (project.rtl or {}).get("design_hash"),
            # the HLS Verilog the rtl step simulated and this bitstream's HLS run reproduced (None: not simulated)
            "hls_verilog_hash": parsed.get("hls_verilog_hash"),
            "stream": project.stream,
            "tools": tools,
            "timing_met": parsed["timing"]["met"],
            "built": datetime.now(UTC).isoformat(timespec="seconds"),
            "bitstream": project.bitstream.name,
            "hwh": project.hwh.name,
            "files": files,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        tmp.chmod(0o755)
        holder = None
        if dest.exists():
            holder = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old.", dir=board_dir))
            dest.rename(holder / dest.name)
        tmp.rename(dest)
        if holder is not None:
            shutil.rmtree(holder, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return dest


def _clear_outputs(project: VendorProject) -> None:
    """Remove a previous run's outputs, so a tool that stops early cannot leave stale ones to be placed."""
    for path in (project.bitstream, project.hwh, project.csynth_xml):
        path.unlink(missing_ok=True)
    if project.reports.exists():
        shutil.rmtree(project.reports)


def _run(cmd: list[str], cwd: Path, log_path: Path, timeout_s: float | None) -> float:
    """Run a tool with stdout+stderr into ``log_path``; seconds taken. ToolkitError naming the log."""
    start = time.monotonic()
    tool = Path(cmd[0]).name
    try:
        with open(log_path, "w") as fh:
            done = subprocess.run(
                cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout_s, check=False
            )
    except subprocess.TimeoutExpired:
        raise ToolkitError(
            f"{tool} ran longer than {timeout_s} s and was stopped: see log '{log_path}'"
        ) from None
    except OSError as exc:
        raise ToolkitError(f"{tool} could not be started ({exc}): see log '{log_path}'") from None
    if done.returncode != 0:
        errors = [
            line.strip()
            for line in log_path.read_text(errors="replace").splitlines()
            if line.startswith("ERROR")
        ]
        first = f" (first error: {errors[0]})" if errors else ""
        raise ToolkitError(
            f"{tool} failed with exit status {done.returncode} running {' '.join(cmd[1:])}{first}: see log '{log_path}'"
        )
    return round(time.monotonic() - start, 1)


def _release(exe: str | None) -> str | None:
    """The tool's release from its ``-version`` banner (None when it prints none)."""
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return reports.tool_release(done.stdout + done.stderr)


def _write_record(record: Path | None, result: dict[str, Any]) -> None:
    if record is not None:
        from toolkit.cache import write_atomic_json

        write_atomic_json(Path(record), result)
