"""The HLS accelerator's AXI-Stream top (``hls/vendor/toolkit_axis_top.cpp``) and its g++ C-simulation.

The top reads beats in the RTL's format (:mod:`toolkit.rtlgen.axis`), calls the hls4ml
project's ``toolkit_accel`` and packs the outputs back, so one host driver talks to the
Verilator RTL and to the board. Python writes only ``toolkit_axis_config.h`` (the stream
numbers); the C++ is a real file. :class:`AxisTopCSim` compiles the top with the hls4ml
firmware and a small driver (no vendor tools) and runs codes through packed beats.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.resources import hls_dir

VENDOR_DIR = hls_dir("vendor")
TOP_FILES = ("toolkit_axis_top.h", "toolkit_axis_top.cpp")
CONFIG_HEADER = "toolkit_axis_config.h"
PROJECT = "toolkit_accel"  # hls4ml project_name used by toolkit.hlsgen.csim.HlsCSim
IO_TYPES = ("io_parallel", "io_stream")


def axis_formats(stream: dict[str, Any]) -> tuple[Any, Any]:
    """(input, output) AxisFormat from ``{"data_bits": N, "in": {...}, "out": {...}}`` or AxisFormat values."""
    from toolkit.rtlgen.axis import AxisFormat

    if not isinstance(stream, dict) or "in" not in stream or "out" not in stream:
        raise ToolkitError(
            f"stream = {stream!r}: expected {{'data_bits': N, 'in': {{code_bits, signed, codes}}, 'out': ...}}"
        )
    out = []
    for side in ("in", "out"):
        value = stream[side]
        if isinstance(value, AxisFormat):
            out.append(value)
            continue
        if not isinstance(value, dict):
            raise ToolkitError(f"stream[{side!r}] = {value!r}: expected an AxisFormat or a dict")
        try:
            bits = int(value.get("data_bits", stream.get("data_bits", 64)))
            fmt = AxisFormat(int(value["code_bits"]), bool(value["signed"]), int(value["codes"]), bits)
        except KeyError as exc:
            raise ToolkitError(f"stream[{side!r}] lacks {exc.args[0]!r} (code_bits, signed, codes)") from None
        if "beats" in value and int(value["beats"]) != fmt.beats:
            raise ToolkitError(
                f"stream[{side!r}] says {value['beats']} beats; {fmt.describe()} makes {fmt.beats}"
            )
        out.append(fmt)
    return out[0], out[1]


def find_hls_project(path: Path) -> Path:
    """The hls4ml project folder at ``path`` or one level below (holds ``firmware/toolkit_accel.cpp``)."""
    path = Path(path)
    candidates = [path] + sorted(p for p in path.iterdir() if p.is_dir()) if path.is_dir() else []
    found = [p for p in candidates if (p / "firmware" / f"{PROJECT}.cpp").is_file()]
    if not found:
        raise ToolkitError(
            f"'{path}' holds no hls4ml project (expected firmware/{PROJECT}.cpp there or one folder "
            "below, as written by toolkit.hlsgen.csim.HlsCSim)"
        )
    return found[0]


def project_io_type(project: Path) -> str:
    """io_parallel or io_stream, from the project's top-level header."""
    header = Path(project) / "firmware" / f"{PROJECT}.h"
    if not header.is_file():
        raise ToolkitError(f"hls4ml project '{project}' lacks firmware/{PROJECT}.h")
    return "io_stream" if "hls::stream<input_t>" in header.read_text() else "io_parallel"


def config_header(axis_in: Any, axis_out: Any, io_type: str) -> str:
    """The ``#define``s the top is compiled with (one model's stream numbers)."""
    if io_type not in IO_TYPES:
        raise ToolkitError(f"io_type {io_type!r} is unknown: expected one of {', '.join(IO_TYPES)}")
    lines = [
        "// Written by toolkit.hlsgen.axis_top: the stream numbers of one model (see toolkit/rtlgen/axis.py).",
        "#ifndef TOOLKIT_AXIS_CONFIG_H_",
        "#define TOOLKIT_AXIS_CONFIG_H_",
        f"#define TK_IO_STREAM {int(io_type == 'io_stream')}",
    ]
    for side, fmt in (("IN", axis_in), ("OUT", axis_out)):
        lines.append(f"// {side.lower()}: {fmt.describe()}")
        for key, value in (
            ("DATA_BITS", fmt.data_bits),
            ("CODE_BITS", fmt.code_bits),
            ("LANE_BITS", fmt.lane_bits),
            ("LANES", fmt.lanes),
            ("CODES", fmt.codes),
            ("BEATS", fmt.beats),
            ("SIGNED", "true" if fmt.signed else "false"),
        ):
            lines.append(f"#define TK_{side}_{key} {value}")
    lines += ["#endif", ""]
    return "\n".join(lines)


def write_axis_top(dest: Path, axis_in: Any, axis_out: Any, io_type: str) -> list[Path]:
    """Copy the top's C++ files into ``dest`` and write its config header; returns the files."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    files = []
    for name in TOP_FILES:
        shutil.copy2(VENDOR_DIR / name, dest / name)
        files.append(dest / name)
    (dest / CONFIG_HEADER).write_text(config_header(axis_in, axis_out, io_type))
    files.append(dest / CONFIG_HEADER)
    return files


class AxisTopCSim:
    """The AXI-Stream top + an hls4ml project compiled with g++: codes in, codes out, through beats."""

    def __init__(self, hls_project: Path, stream: dict[str, Any], build_dir: Path | None = None) -> None:
        self.project = find_hls_project(hls_project)
        self.axis_in, self.axis_out = axis_formats(stream)
        self.io_type = project_io_type(self.project)
        self.build_dir = Path(build_dir or tempfile.mkdtemp(prefix="toolkit-axis-csim-"))
        self.build_dir.mkdir(parents=True, exist_ok=True)
        self.exe = self.build_dir / "axis_csim"
        self._built = False

    def compile_command(self, src: Path, *defines: str) -> list[str]:
        """The g++ command line of the C-simulation (``defines``: extra ``-D`` flags)."""
        fw = self.project / "firmware"
        return [
            "g++", "-std=c++14", "-O0", "-w",
            f'-DWEIGHTS_DIR="{fw / "weights"}"', *defines,
            f"-I{src}", f"-I{fw}", f"-I{fw / 'ap_types'}", f"-I{VENDOR_DIR / 'csim'}",
            str(fw / f"{PROJECT}.cpp"), str(src / "toolkit_axis_top.cpp"),
            str(VENDOR_DIR / "csim" / "toolkit_axis_tb.cpp"), "-o", str(self.exe),
        ]  # fmt: skip

    def build(self) -> None:
        """Compile the top, the hls4ml firmware and the driver (g++, ~10-30 s)."""
        gxx = shutil.which("g++")
        if gxx is None:
            raise ToolkitError(
                "g++ is not on PATH: the AXI-Stream C-simulation needs it (apt-get install g++)"
            )
        src = self.build_dir / "src"
        write_axis_top(src, self.axis_in, self.axis_out, self.io_type)
        cmd = [gxx, *self.compile_command(src)[1:]]
        log = self.build_dir / "build.log"
        with open(log, "w") as fh:
            done = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            raise ToolkitError(
                f"g++ failed building the AXI-Stream C-simulation (exit {done.returncode}); see '{log}'"
            )
        self._built = True

    def run_beats(self, words: np.ndarray, last: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Input DMA words + per-beat TLAST -> output DMA words + per-beat TLAST."""
        if not self._built:
            self.build()
        wi, wo = self.axis_in.data_bits // 64, self.axis_out.data_bits // 64
        beats_in = n * self.axis_in.beats
        words = np.asarray(words, dtype="<u8").reshape(beats_in, wi)
        last = np.asarray(last, dtype=np.uint8).reshape(beats_in, 1)
        record = np.concatenate([words.view(np.uint8).reshape(beats_in, 8 * wi), last], axis=1)
        fin, fout = self.build_dir / "in.bin", self.build_dir / "out.bin"
        fin.write_bytes(record.tobytes())
        done = subprocess.run([str(self.exe), str(n), str(fin), str(fout)], capture_output=True, text=True)
        if done.returncode != 0:
            raise ToolkitError(
                f"the AXI-Stream C-simulation failed: {done.stderr.strip() or done.returncode}"
            )
        raw = np.frombuffer(fout.read_bytes(), np.uint8).reshape(n * self.axis_out.beats, 8 * wo + 1)
        out_words = np.ascontiguousarray(raw[:, : 8 * wo]).view("<u8").reshape(-1).astype(np.uint64)
        return out_words, raw[:, -1].copy()

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        """(n, ...) input codes -> (n, out codes) output codes; TLAST set on every sample's last beat."""
        codes = np.asarray(codes, dtype=np.int64).reshape(len(codes), -1)
        n = len(codes)
        last = np.zeros((n, self.axis_in.beats), np.uint8)
        last[:, -1] = 1
        words, out_last = self.run_beats(self.axis_in.pack(codes), last.reshape(-1), n)
        expected = np.zeros((n, self.axis_out.beats), np.uint8)
        expected[:, -1] = 1
        if not np.array_equal(out_last, expected.reshape(-1)):
            raise ToolkitError("the AXI-Stream top's output TLAST does not mirror the input's")
        return self.axis_out.unpack(words, n)
