"""A simulated accelerator: the Verilated design behind the same predict() as every backend.

``RtlDevice.stream`` is the AXI-Stream driver (beats in, beats out, both directions under
optional random backpressure); ``predict_codes`` packs input codes, streams them and
unpacks the outputs; the result also carries cycle counts and toggle activity.
"""

from __future__ import annotations

import contextlib
import ctypes
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.rtlgen.activity import Activity, read_activity
from toolkit.rtlgen.cycles import interval_bound
from toolkit.rtlgen.generate import RtlDesign
from toolkit.rtlgen.verilator import Build, Library


@dataclass
class StreamResult:
    """Raw beats (uint64 words, ``words`` per beat, as the DMA buffer) and handshake cycles of one batch."""

    out_beats: np.ndarray
    out_last: np.ndarray
    in_cycles: np.ndarray
    out_cycles: np.ndarray
    cycles: int
    violations: int


@dataclass
class SimResult:
    """Output codes of a batch with what the hardware took to compute them."""

    codes: np.ndarray
    latency: int  # cycles from sample 0's first input beat to its last output beat
    interval: float  # steady-state cycles between consecutive samples' last output beats
    cycles: int  # cycles the whole batch took
    done: np.ndarray  # per sample: cycle of its last output beat (relative to the first input beat)
    out_last: np.ndarray  # per sample: TLAST of its last output beat
    violations: int
    activity: Activity | None = None
    values: np.ndarray | None = None  # dequantized outputs (set by predict)


class RtlDevice:
    """One simulated device (a Verilated model instance), opened from a build."""

    def __init__(self, design: RtlDesign, build: Build, cycle_slack: float = 1.0,
                 what: str = "the simulated design") -> None:  # fmt: skip
        """``design`` gives the stream formats and shapes; ``build`` the library (its RTL, or HLS's Verilog
        behind the same ports: :mod:`toolkit.rtlgen.hls_verilog`). ``cycle_slack`` scales the cycle
        budget after which a batch counts as stuck (the closed-form bound is the generated RTL's)."""
        self.design = design
        self.build = build
        self.cycle_slack = cycle_slack
        self.what = what
        self._lib = Library.load(build.library)
        self._handle = ctypes.c_void_p(self._lib.tk_open())
        self.has_activity = bool(self._lib.tk_has_coverage())
        self.words = int(self._lib.tk_words())  # uint64 words per beat
        if self.words != design.axis_in.words:
            raise ToolkitError(
                f"the library at {build.library} streams {64 * self.words}-bit beats; the design expects "
                f"{design.axis_in.data_bits}"
            )

    def close(self) -> None:
        if self._handle:
            self._lib.tk_close(self._handle)
            self._handle = ctypes.c_void_p(0)

    def __enter__(self) -> RtlDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown: the library may be gone
            self.close()

    def stream(
        self,
        beats: np.ndarray,
        last: np.ndarray,
        n_out: int,
        stall_in: float = 0.0,
        stall_out: float = 0.0,
        seed: int = 0,
        max_cycles: int | None = None,
    ) -> StreamResult:
        """Drive ``beats`` into s_axis and collect ``n_out`` beats from m_axis (the DMA's view).

        ``beats`` is the DMA buffer: ``words`` uint64 words per beat, low word first (see
        :mod:`toolkit.rtlgen.axis`); ``last`` has one flag per beat.
        """
        if not self._handle:
            raise ToolkitError("the simulated device is closed")
        for what, p in (("stall_in", stall_in), ("stall_out", stall_out)):
            if not 0.0 <= p < 1.0:
                raise ToolkitError(f"{what} = {p!r}: expected a probability in [0, 1)")
        beats = np.ascontiguousarray(beats, dtype=np.uint64).reshape(-1)
        last = np.ascontiguousarray(last, dtype=np.uint8)
        if beats.size != len(last) * self.words:
            raise ToolkitError(
                f"{beats.size} words with {len(last)} TLAST flags: a beat is {self.words} uint64 words"
            )
        out = np.zeros(n_out * self.words, np.uint64)
        out_last = np.zeros(n_out, np.uint8)
        in_cycles = np.zeros(len(last), np.int64)
        out_cycles = np.zeros(n_out, np.int64)
        stats = np.zeros(2, np.int64)
        if max_cycles is None:
            per = self.cycle_slack * interval_bound(self.design)
            slow = 1.0 / (1.0 - max(stall_in, stall_out))
            max_cycles = int(10_000 + 4 * slow * (per + self.design.axis_in.beats) * (len(last) + n_out + 1))
        status = self._lib.tk_stream(
            self._handle, _ptr(beats), _ptr(last), len(last), _ptr(out), _ptr(out_last), n_out,
            _ptr(in_cycles), _ptr(out_cycles), int(stall_in * 1000), int(stall_out * 1000), seed,
            max_cycles, _ptr(stats),
        )  # fmt: skip
        if status != 0:
            raise ToolkitError(
                f"{self.what} produced {int((out_cycles > 0).sum())} of {n_out} output beats in "
                f"{max_cycles} cycles: it is stuck"
                + (" (a generator bug)" if self.what == "the simulated design" else "")
            )
        return StreamResult(out, out_last, in_cycles, out_cycles, int(stats[0]), int(stats[1]))

    def predict_codes(
        self,
        codes: np.ndarray,
        stall_in: float = 0.0,
        stall_out: float = 0.0,
        seed: int = 0,
        tlast: str = "sample",
    ) -> SimResult:
        """Input codes (n, *input_shape) -> output codes, cycles and (if built with it) activity.

        ``tlast``: "sample" sets TLAST on each sample's last beat, "batch" only on the batch's.
        """
        d = self.design
        codes = np.asarray(codes, dtype=np.int64)
        if codes.shape[1:] != d.model_ir.input_shape:
            raise ToolkitError(
                f"input codes have shape {codes.shape[1:]}; the design expects {d.model_ir.input_shape}"
            )
        prec = d.model_ir.input_precision
        if codes.size and (codes.min() < prec.min_code or codes.max() > prec.max_code):
            raise ToolkitError(
                f"input codes must be {prec.describe()} codes in [{prec.min_code}, {prec.max_code}]"
            )
        n = len(codes)
        if n == 0:
            return SimResult(np.zeros((0,) + d.model_ir.output_shape, np.int64), 0, 0.0, 0, np.zeros(0, np.int64),
                             np.zeros(0, np.uint8), 0)  # fmt: skip
        beats = d.axis_in.pack(codes.reshape(n, -1))
        per_in, per_out = d.axis_in.beats, d.axis_out.beats
        last = np.zeros((n, per_in), np.uint8)
        if tlast == "sample":
            last[:, -1] = 1
        elif tlast == "batch":
            last[-1, -1] = 1
        else:
            raise ToolkitError(f"tlast {tlast!r}: expected 'sample' or 'batch'")
        res = self.stream(beats, last.reshape(-1), n * per_out, stall_in, stall_out, seed)
        out = d.axis_out.unpack(res.out_beats, n).reshape((n,) + d.model_ir.output_shape)
        t0 = int(res.in_cycles[0])
        done = res.out_cycles.reshape(n, per_out)[:, -1] - t0
        gaps = np.diff(done)
        interval = float(np.median(gaps[len(gaps) // 2 :])) if len(gaps) else float(done[0])
        activity = self._activity(res.cycles) if self.has_activity else None
        return SimResult(out, int(done[0]), interval, res.cycles, done,
                         res.out_last.reshape(n, per_out)[:, -1].copy(), res.violations, activity)  # fmt: skip

    def predict(self, x: np.ndarray, **options: object) -> SimResult:
        """Float inputs -> the same as :meth:`predict_codes`, plus ``values`` (dequantized outputs).

        Inputs are quantized exactly as the emulator's input quantizer does.
        """
        ir_ = self.design.model_ir
        x = np.asarray(x)
        if tuple(x.shape[1:]) != ir_.input_shape:
            raise ToolkitError(
                f"input samples have shape {tuple(x.shape[1:])}; the design expects {ir_.input_shape}"
            )
        result = self.predict_codes(ir_.input_precision.quantize(x), **options)  # type: ignore[arg-type]
        result.values = ir_.output_precision.to_float(result.codes)
        return result

    def _activity(self, cycles: int) -> Activity:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "coverage.dat"
            self._lib.tk_coverage(self._handle, str(path).encode())
            return read_activity(path, cycles)


def _ptr(a: np.ndarray) -> ctypes.c_void_p:
    return ctypes.c_void_p(a.ctypes.data)
