"""The DMA view of an accelerator, and the PYNQ implementation of it.

A :class:`Device` is what the driver (:mod:`toolkit_overlay.driver`) talks to, the same
way PYNQ code talks to an AXI DMA: ``allocate`` DMA-able buffers, start
``recvchannel.transfer(out)`` and ``sendchannel.transfer(in)``, ``wait()`` on both, ``free``
the buffers, ``close``. Three implementations run the same driver code: :class:`PynqDevice`
(a real board), ``toolkit.measure.sim_device.SimDevice`` (the Verilated RTL) and
:class:`toolkit_overlay.testing.CheckingDevice` (a test double checking every transfer).

A send transfer ends with TLAST on its last beat (what an AXI DMA's MM2S does); the
accelerator echoes it, so a receive transfer ends exactly when its buffer is full.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from toolkit_overlay.errors import OverlayError


class Channel(Protocol):
    """One DMA direction (PYNQ's ``sendchannel`` / ``recvchannel``)."""

    def transfer(self, buffer: np.ndarray) -> None:
        """Start moving the whole buffer (send: memory -> stream; receive: stream -> memory)."""

    def wait(self) -> None:
        """Block until the transfer started last has completed (OverlayError on failure)."""


class Device(Protocol):
    """The DMA view of one accelerator."""

    kind: str  # "board", "sim" or "double"
    timing: str  # "wall-clock" (time it yourself) or "simulated" (elapsed_s reports it)
    sendchannel: Channel
    recvchannel: Channel

    # optional: ``max_transfer_bytes`` (int or None), the largest transfer the DMA moves at once;
    # the driver shrinks its batches to fit

    def allocate(self, shape: int | tuple[int, ...], dtype: Any) -> np.ndarray:
        """A DMA-able buffer (physically contiguous on a board)."""

    def free(self, buffer: np.ndarray) -> None:
        """Give a buffer from :meth:`allocate` back."""

    def elapsed_s(self) -> float | None:
        """Device-reported seconds of the last completed transfer pair (None: use the wall clock)."""

    def close(self) -> None:
        """Release the device (buffers must be freed first)."""


class PynqDevice:
    """A board: the package's bitstream loaded with ``pynq.Overlay``; DMA through ``axi_dma_0``.

    A wrapper rather than an ``Overlay`` subclass so ``pynq`` is imported only when a board is
    used (the host installs this package too, without pynq). ``timeout_s`` bounds a wait: a
    stuck accelerator is an error, not a hang.
    """

    kind = "board"
    timing = "wall-clock"

    def __init__(self, bitstream: Path | str, dma: str = "axi_dma_0", timeout_s: float = 10.0,
                 download: bool = True) -> None:  # fmt: skip
        pynq = _import_pynq()
        try:
            self.overlay = pynq.Overlay(str(bitstream), download=download)
        except Exception as exc:  # pynq raises RuntimeError("No Devices Found") off-board, OSError etc.
            raise OverlayError(
                f"cannot load the overlay {bitstream}: {type(exc).__name__}: {exc} "
                "(is this a PYNQ board, running as root with the PYNQ environment?)"
            ) from None
        ips = sorted(getattr(self.overlay, "ip_dict", {}) or {})
        engine = getattr(self.overlay, dma, None) if dma in ips or not ips else None
        if engine is None:
            raise OverlayError(
                f"the overlay {bitstream} has no DMA {dma!r}: its IP blocks are {', '.join(ips)}"
            )
        self._allocate = pynq.allocate
        # the AXI DMA's buffer length register limits one transfer (16383 bytes at Vivado's default width)
        limit = getattr(engine, "buffer_max_size", None) or getattr(engine.sendchannel, "_max_size", None)
        self.max_transfer_bytes = int(limit) if limit else None
        self.sendchannel = _PynqChannel(engine.sendchannel, "send", timeout_s)
        self.recvchannel = _PynqChannel(engine.recvchannel, "receive", timeout_s)
        self._buffers: list[Any] = []

    def allocate(self, shape: int | tuple[int, ...], dtype: Any) -> np.ndarray:
        try:
            buffer = self._allocate(shape=shape, dtype=dtype)
        except Exception as exc:  # CMA exhausted
            raise OverlayError(
                f"cannot allocate a DMA buffer of shape {shape} {np.dtype(dtype)}: {exc}"
            ) from None
        self._buffers.append(buffer)
        return buffer

    def free(self, buffer: np.ndarray) -> None:
        for i, b in enumerate(self._buffers):
            if b is buffer:
                del self._buffers[i]
                buffer.freebuffer()  # type: ignore[attr-defined]
                return
        raise OverlayError("free() of a buffer this device did not allocate")

    def elapsed_s(self) -> float | None:
        return None

    def close(self) -> None:
        while self._buffers:
            self._buffers.pop().freebuffer()


class _PynqChannel:
    """A PYNQ DMA channel with a bounded wait (PYNQ's own ``wait`` spins forever on a stuck stream)."""

    def __init__(self, channel: Any, what: str, timeout_s: float) -> None:
        self._channel = channel
        self._what = what
        self._timeout_s = timeout_s

    def transfer(self, buffer: np.ndarray) -> None:
        self._channel.transfer(buffer)

    def wait(self) -> None:
        deadline = time.monotonic() + self._timeout_s
        while not self._channel.idle:
            if time.monotonic() > deadline:
                raise OverlayError(
                    f"the DMA {self._what} transfer did not complete in {self._timeout_s:g} s: the accelerator "
                    "did not consume/produce the expected beats (a bitstream built for another stream format?)"
                )
            time.sleep(0)
        self._channel.wait()  # completes PYNQ's bookkeeping (cache invalidate, error check)


def _import_pynq() -> Any:
    try:
        import pynq
    except ImportError as exc:
        raise OverlayError(
            f"cannot import pynq ({exc}): a board device needs a PYNQ image (PYNQ 3.x on the PYNQ-Z2); "
            "on a host use the simulated device (toolkit sim / toolkit measure --target sim)"
        ) from None
    return pynq
