"""The Verilated RTL as a board runtime :class:`~toolkit_overlay.device.Device`.

The same :class:`~toolkit_overlay.driver.Accelerator` that drives a board's AXI DMA drives
this: a receive and a send transfer are armed, and when both are, the batch streams through
:meth:`RtlDevice.stream` with TLAST on the last input beat (as a DMA's MM2S sets it). Time
is simulated: the batch's cycles over the board clock.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from toolkit_overlay.driver import Accelerator, StreamSpec

from toolkit.errors import ToolkitError
from toolkit.rtlgen.device import RtlDevice
from toolkit.rtlgen.generate import RtlDesign


def stream_spec(design: RtlDesign) -> StreamSpec:
    """The driver's view of a generated design (stream formats and sample shapes)."""
    ir_ = design.model_ir
    return StreamSpec(design.axis_in, design.axis_out, tuple(ir_.input_shape), tuple(ir_.output_shape))


class SimDevice:
    """A simulated accelerator behind a simulated DMA (``stall_in``/``stall_out``: random backpressure)."""

    kind = "sim"
    timing = "simulated"

    def __init__(self, rtl: RtlDevice, clock_mhz: float, stall_in: float = 0.0, stall_out: float = 0.0,
                 seed: int = 0) -> None:  # fmt: skip
        if clock_mhz <= 0:
            raise ToolkitError(f"clock {clock_mhz} MHz: expected a positive frequency")
        self.rtl = rtl
        self.clock_mhz = clock_mhz
        self.stall = (stall_in, stall_out)
        self.seed = seed
        self.sendchannel = _SimChannel(self, "send")
        self.recvchannel = _SimChannel(self, "receive")
        self.cycles = 0  # of the last completed batch
        self.total_cycles = 0
        self._elapsed: float | None = None
        self._buffers: dict[int, np.ndarray] = {}

    def allocate(self, shape: int | tuple[int, ...], dtype: Any) -> np.ndarray:
        buffer = np.zeros(shape, dtype=dtype)
        self._buffers[id(buffer)] = buffer
        return buffer

    def free(self, buffer: np.ndarray) -> None:
        if self._buffers.pop(id(buffer), None) is None:
            raise ToolkitError("free() of a buffer the simulated device did not allocate")

    def elapsed_s(self) -> float | None:
        return self._elapsed

    def close(self) -> None:
        self._buffers.clear()

    def _armed(self) -> None:
        """Both directions have a buffer: stream the batch."""
        inbuf, outbuf = self.sendchannel.buffer, self.recvchannel.buffer
        if inbuf is None or outbuf is None:
            return
        words = self.rtl.design.axis_in.words
        n_in, n_out = inbuf.size // words, outbuf.size // words
        last = np.zeros(n_in, np.uint8)
        last[-1] = 1
        res = self.rtl.stream(inbuf.reshape(-1), last, n_out, *self.stall, seed=self.seed)
        ends = np.flatnonzero(res.out_last)
        if ends.tolist() != [n_out - 1]:
            raise ToolkitError(
                f"the simulated design set TLAST on output beat(s) {ends[:5].tolist()} of {n_out}: "
                f"expected only on beat {n_out - 1} (a DMA receive would end there)"
            )
        outbuf.reshape(-1)[:] = res.out_beats
        self.cycles = res.cycles
        self.total_cycles += res.cycles
        self._elapsed = res.cycles / (self.clock_mhz * 1e6)
        self.sendchannel.done = self.recvchannel.done = True


class _SimChannel:
    def __init__(self, device: SimDevice, what: str) -> None:
        self.device, self.what = device, what
        self.buffer: np.ndarray | None = None
        self.done = False

    def transfer(self, buffer: np.ndarray) -> None:
        if self.buffer is not None:
            raise ToolkitError(f"simulated DMA: {self.what} transfer started while one is in flight")
        self.buffer, self.done = buffer, False
        self.device._armed()

    def wait(self) -> None:
        if self.buffer is None:
            raise ToolkitError(f"simulated DMA: {self.what} wait() without a transfer")
        if not self.done:
            other = "receive" if self.what == "send" else "send"
            raise ToolkitError(f"simulated DMA: {self.what} wait() before the {other} transfer was started")
        self.buffer = None


def sim_accelerator(design: RtlDesign, rtl: RtlDevice, clock_mhz: float, **options: Any) -> Accelerator:
    """An :class:`Accelerator` on the simulated device (``options``: stall_in, stall_out, seed)."""
    return Accelerator(SimDevice(rtl, clock_mhz, **options), stream_spec(design))
