"""The accelerator driver: pack codes, move them through the DMA in batches, unpack, time it.

The same code drives a board (:class:`~toolkit_overlay.device.PynqDevice`), the Verilated
RTL and the checking test double. Each batch is one receive + one send transfer (receive
started first, as an AXI DMA needs); buffers are allocated once per batch length and
reused. Time is the wall clock around the transfers on a board, or what the device reports
(simulated cycles / clock) when its ``timing`` is "simulated".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit_overlay.device import Device
from toolkit_overlay.errors import OverlayError
from toolkit_overlay.stream import AxisFormat


@dataclass(frozen=True)
class StreamSpec:
    """What the driver needs to know of an accelerator: its stream formats and sample shapes."""

    axis_in: AxisFormat
    axis_out: AxisFormat
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]

    @classmethod
    def from_manifest(cls, manifest: Any) -> StreamSpec:
        return cls(manifest.axis_in, manifest.axis_out, manifest.input_shape, manifest.output_shape)


@dataclass
class Prediction:
    """Output codes of a run and the time the transfers took (``timing`` says whose clock)."""

    codes: np.ndarray
    batch_seconds: list[float] = field(default_factory=list)
    batch_size: int = 0
    timing: str = "wall-clock"

    @property
    def seconds(self) -> float:
        return float(sum(self.batch_seconds))

    @property
    def throughput(self) -> float:
        """Inferences per second over the transfers (0 samples: nan)."""
        return len(self.codes) / self.seconds if self.seconds > 0 else float("nan")

    def to_json(self) -> dict[str, Any]:
        return {"samples": int(len(self.codes)), "batch_size": self.batch_size, "batches": len(self.batch_seconds),
                "seconds": self.seconds, "inferences_per_second": self.throughput, "timing": self.timing}  # fmt: skip


@dataclass
class Run:
    """Inferences run (e.g. under a power meter) and the transfers' seconds (``timing``'s clock)."""

    inferences: int
    seconds: float
    timing: str


@dataclass(frozen=True)
class Latency:
    """Seconds from the start of a one-sample transfer to its result, over ``repeats`` runs."""

    seconds: tuple[float, ...]
    timing: str

    def to_json(self) -> dict[str, Any]:
        s = np.asarray(self.seconds)
        return {"median_s": float(np.median(s)), "min_s": float(s.min()), "max_s": float(s.max()),
                "p95_s": float(np.percentile(s, 95)), "repeats": len(s), "timing": self.timing}  # fmt: skip


class Accelerator:
    """``Accelerator(device, manifest_or_spec)``: the driver of one accelerator behind a DMA."""

    def __init__(self, device: Device, spec: Any) -> None:
        self.device = device
        self.spec = spec if isinstance(spec, StreamSpec) else StreamSpec.from_manifest(spec)
        if self.spec.axis_in.words != self.spec.axis_out.words:
            raise OverlayError(
                f"stream widths differ: in {self.spec.axis_in.data_bits} bits, out {self.spec.axis_out.data_bits}"
            )
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def predict_codes(self, codes: np.ndarray, batch_size: int = 256) -> Prediction:
        """Input codes (n, *input_shape) -> output codes (n, *output_shape), batch by batch, timed."""
        codes = self._check(codes)
        batch_size = self.fit_batch(batch_size)
        n = len(codes)
        out = np.zeros((n, self.spec.axis_out.codes), np.int64)
        result = Prediction(out, batch_size=batch_size, timing=self.device.timing)
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            out[start:stop], seconds = self._batch(codes[start:stop])
            result.batch_seconds.append(seconds)
        result.codes = out.reshape((n, *self.spec.output_shape))
        return result

    def latency(self, codes: np.ndarray, repeats: int = 100) -> Latency:
        """One-sample transfers of ``codes[i % n]``, ``repeats`` times: the end-to-end latency."""
        codes = self._check(codes)
        if not len(codes) or repeats < 1:
            raise OverlayError(
                f"latency needs samples and repeats >= 1 (got {len(codes)} samples, {repeats})"
            )
        times = [self._batch(codes[i % len(codes) : i % len(codes) + 1])[1] for i in range(repeats)]
        return Latency(tuple(times), self.device.timing)

    def run_until(self, done: Callable[[], bool], codes: np.ndarray, batch_size: int = 256) -> Run:
        """Run batches of ``codes`` round and round until ``done()``: the inferences and their time."""
        codes = self._check(codes)
        batch_size = self.fit_batch(batch_size)
        if not len(codes):
            raise OverlayError("run_until needs at least one sample")
        run = Run(0, 0.0, self.device.timing)
        while not done():
            for start in range(0, len(codes), batch_size):
                run.seconds += self._batch(codes[start : start + batch_size])[1]
                run.inferences += min(batch_size, len(codes) - start)
                if done():
                    break
        return run

    def fit_batch(self, batch_size: int) -> int:
        """``batch_size`` capped so one transfer fits the DMA's largest (``device.max_transfer_bytes``)."""
        if batch_size < 1:
            raise OverlayError(f"batch_size {batch_size}: expected at least 1")
        limit = getattr(self.device, "max_transfer_bytes", None)
        if not limit:
            return batch_size
        per_sample = 8 * max(f.beats * f.words for f in (self.spec.axis_in, self.spec.axis_out))
        if per_sample > limit:
            raise OverlayError(
                f"one sample needs a {per_sample}-byte transfer; this DMA moves at most {limit} bytes "
                "(widen the AXI DMA's buffer length register, c_sg_length_width, in the block design)"
            )
        return min(batch_size, limit // per_sample)

    def close(self) -> None:
        """Free the buffers (the device stays open: its owner closes it)."""
        while self._buffers:
            _, (inbuf, outbuf) = self._buffers.popitem()
            self.device.free(inbuf)
            self.device.free(outbuf)

    def __enter__(self) -> Accelerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes)
        shape = self.spec.input_shape
        if codes.ndim < 1 or tuple(codes.shape[1:]) != shape:
            raise OverlayError(
                f"input codes have shape {codes.shape}: expected (n, {', '.join(map(str, shape))})"
            )
        if not np.issubdtype(codes.dtype, np.integer):
            raise OverlayError(f"input codes have dtype {codes.dtype}: expected integer codes")
        fmt = self.spec.axis_in
        if codes.size and (codes.min() < fmt.min_code or codes.max() > fmt.max_code):
            raise OverlayError(
                f"input codes span [{codes.min()}, {codes.max()}]: expected {fmt.code_bits}-bit "
                f"{'signed' if fmt.signed else 'unsigned'} codes in [{fmt.min_code}, {fmt.max_code}]"
            )
        return codes.reshape(len(codes), -1).astype(np.int64)

    def _batch(self, codes: np.ndarray) -> tuple[np.ndarray, float]:
        """One receive + send transfer pair: (output codes (n, codes_out), seconds)."""
        n = len(codes)
        if n not in self._buffers:
            fi, fo = self.spec.axis_in, self.spec.axis_out
            self._buffers[n] = (self.device.allocate((n * fi.beats * fi.words,), np.uint64),
                                self.device.allocate((n * fo.beats * fo.words,), np.uint64))  # fmt: skip
        inbuf, outbuf = self._buffers[n]
        inbuf[:] = self.spec.axis_in.pack(codes)
        dev = self.device
        t0 = time.perf_counter()
        dev.recvchannel.transfer(outbuf)
        dev.sendchannel.transfer(inbuf)
        dev.sendchannel.wait()
        dev.recvchannel.wait()
        seconds = time.perf_counter() - t0
        if dev.timing == "simulated":
            reported = dev.elapsed_s()
            if reported is None:
                raise OverlayError(f"the {dev.kind} device claims simulated timing but reported no time")
            seconds = reported
        return self.spec.axis_out.unpack(np.array(outbuf, dtype=np.uint64), n), seconds
