"""A test double of an accelerator behind a DMA that checks every buffer transfer.

:class:`CheckingDevice` behaves like a board's AXI DMA + accelerator and raises
:class:`TransferError` on anything that would misbehave or hang on hardware: a buffer not
from its own ``allocate``, a wrong dtype or a non-contiguous buffer, a send that is not a
whole number of samples, a receive buffer that TLAST would not end exactly (the DMA would
stop early or hang), a send started before its receive, a buffer reused or rewritten while
in flight, a missing ``wait``, buffers not freed at ``close``. Outputs come from a reference:
the package's expected codes looked up by input (:func:`lookup_reference`) or any callable.
Until ``recvchannel.wait()`` the receive buffer holds a poison pattern, so a driver that
reads early gets garbage, as it would on hardware.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from toolkit_overlay.errors import OverlayError
from toolkit_overlay.stream import AxisFormat

Reference = Callable[[np.ndarray], np.ndarray]  # (n, codes_in) int64 -> (n, codes_out) int64
POISON = np.uint64(0xDEADBEEFDEADBEEF)


class TransferError(OverlayError):
    """A transfer the hardware would not survive (the double's finding)."""


def lookup_reference(x_codes: np.ndarray, expected_codes: np.ndarray) -> Reference:
    """A reference answering each input sample with its expected output (unknown input: error)."""
    x = np.asarray(x_codes, dtype=np.int64).reshape(len(x_codes), -1)
    y = np.asarray(expected_codes, dtype=np.int64).reshape(len(expected_codes), -1)
    if len(x) != len(y):
        raise OverlayError(f"{len(x)} inputs but {len(y)} expected outputs")
    table = {row.tobytes(): out for row, out in zip(x, y, strict=True)}

    def reference(codes: np.ndarray) -> np.ndarray:
        out = []
        for i, row in enumerate(np.asarray(codes, dtype=np.int64)):
            if row.tobytes() not in table:
                raise TransferError(f"sample {i} of the transfer is not one of the reference's inputs")
            out.append(table[row.tobytes()])
        return np.array(out, dtype=np.int64).reshape(len(out), y.shape[1])

    return reference


class CheckingDevice:
    """The checking double. ``seconds_per_sample``: if set, reported as simulated time."""

    kind = "double"

    def __init__(self, axis_in: AxisFormat, axis_out: AxisFormat, reference: Reference,
                 seconds_per_sample: float | None = None, max_transfer_bytes: int | None = None) -> None:  # fmt: skip
        self.axis_in, self.axis_out = axis_in, axis_out
        self.reference = reference
        self.seconds_per_sample = seconds_per_sample
        self.max_transfer_bytes = max_transfer_bytes
        self.timing = "wall-clock" if seconds_per_sample is None else "simulated"
        self.sendchannel = _Channel(self, "send")
        self.recvchannel = _Channel(self, "receive")
        self.buffers: dict[int, np.ndarray] = {}
        self.closed = False
        self.transfers = 0  # completed transfer pairs
        self.samples = 0
        self._elapsed: float | None = None

    # -- the Device protocol -------------------------------------------------------------
    def allocate(self, shape: int | tuple[int, ...], dtype: Any) -> np.ndarray:
        self._check_open()
        buffer = np.zeros(shape, dtype=dtype)
        self.buffers[id(buffer)] = buffer
        return buffer

    def free(self, buffer: np.ndarray) -> None:
        self._own(buffer, "free")
        for channel in (self.sendchannel, self.recvchannel):
            if channel.buffer is buffer:
                raise TransferError(f"free() of a buffer the {channel.what} channel still has in flight")
        del self.buffers[id(buffer)]

    def elapsed_s(self) -> float | None:
        return self._elapsed

    def close(self) -> None:
        for channel in (self.sendchannel, self.recvchannel):
            if channel.buffer is not None:
                raise TransferError(
                    f"close() with a {channel.what} transfer in flight (wait() was not called)"
                )
        if self.buffers:
            raise TransferError(f"close() with {len(self.buffers)} buffer(s) not freed")
        self.closed = True

    # -- checks ----------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self.closed:
            raise TransferError("the device is closed")

    def _own(self, buffer: np.ndarray, what: str) -> None:
        self._check_open()
        if self.buffers.get(id(buffer)) is not buffer:
            raise TransferError(f"{what}() of a buffer this device did not allocate (a copy or a view?)")

    def _check_buffer(self, buffer: np.ndarray, what: str) -> int:
        """Checks common to both directions; returns the number of beats."""
        self._own(buffer, f"{what} transfer")
        if buffer.dtype != np.uint64:
            raise TransferError(f"{what} buffer has dtype {buffer.dtype}: expected uint64 (64-bit words)")
        if not buffer.flags.c_contiguous:
            raise TransferError(f"{what} buffer is not contiguous")
        words = self.axis_in.words
        if buffer.size == 0 or buffer.size % words:
            raise TransferError(
                f"{what} buffer of {buffer.size} words: expected whole beats of {words} word(s)"
            )
        if self.max_transfer_bytes and buffer.nbytes > self.max_transfer_bytes:
            raise TransferError(
                f"{what} transfer of {buffer.nbytes} bytes exceeds the DMA's maximum of {self.max_transfer_bytes}"
            )
        return buffer.size // words

    def _start(self, channel: _Channel, buffer: np.ndarray) -> None:
        beats = self._check_buffer(buffer, channel.what)
        if channel.buffer is not None:
            raise TransferError(
                f"{channel.what} transfer started while the previous one is in flight (no wait())"
            )
        if channel is self.sendchannel:
            other = self.recvchannel
            if other.buffer is None:
                raise TransferError("send transfer started before its receive: start recvchannel first")
            if other.buffer is buffer:
                raise TransferError("the same buffer is both sent and received")
            per_in = self.axis_in.beats
            if beats % per_in:
                raise TransferError(
                    f"send transfer of {beats} beats is not a whole number of samples ({per_in} beats each): "
                    "the accelerator would wait for the rest of the last sample"
                )
            n = beats // per_in
            expected = n * self.axis_out.beats
            got = other.buffer.size // self.axis_out.words
            if got != expected:
                raise TransferError(
                    f"receive buffer of {got} beats for {n} samples: TLAST arrives after {expected} beats "
                    f"({self.axis_out.beats} per sample), so the DMA would "
                    + ("stop early" if got > expected else "overflow the buffer and hang")
                )
            codes = self.axis_in.unpack(buffer, n)
            out = np.asarray(self.reference(codes), dtype=np.int64).reshape(n, -1)
            other.result = self.axis_out.pack(out)
            self.samples += n
            self._elapsed = None if self.seconds_per_sample is None else n * self.seconds_per_sample
        else:
            buffer[...] = POISON
        channel.buffer, channel.snapshot = buffer, buffer.copy()

    def _wait(self, channel: _Channel) -> None:
        self._check_open()
        if channel.buffer is None:
            raise TransferError(f"{channel.what} wait() without a transfer in flight")
        if channel is self.recvchannel:
            if channel.result is None:
                raise TransferError("receive wait() before any send: the DMA would wait forever")
            if not np.array_equal(channel.buffer, channel.snapshot):
                raise TransferError("the receive buffer was written while its transfer was in flight")
            channel.buffer[...] = channel.result
            channel.result = None
            self.transfers += 1
        elif not np.array_equal(channel.buffer, channel.snapshot):
            raise TransferError("the send buffer was rewritten while its transfer was in flight")
        channel.buffer = channel.snapshot = None


class _Channel:
    def __init__(self, device: CheckingDevice, what: str) -> None:
        self.device = device
        self.what = what
        self.buffer: np.ndarray | None = None
        self.snapshot: np.ndarray | None = None
        self.result: np.ndarray | None = None

    def transfer(self, buffer: np.ndarray) -> None:
        self.device._start(self, buffer)

    def wait(self) -> None:
        self.device._wait(self)
