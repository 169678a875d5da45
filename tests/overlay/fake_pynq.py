"""A stand-in ``pynq`` module (PYNQ's own tests mock devices the same way): ``Overlay`` with an
``axi_dma_0`` whose channels answer from a reference function, ``allocate`` with
``freebuffer``. ``stuck=True`` makes the receive channel never go idle (a hung accelerator)."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numpy as np
from toolkit_overlay.stream import AxisFormat


class FakeBuffer(np.ndarray):
    freed = False

    def freebuffer(self) -> None:
        self.freed = True


class FakeChannel:
    def __init__(self) -> None:
        self.buffer: Any = None
        self.idle = True
        self.transfers = 0
        self.waits = 0

    def transfer(self, buffer: Any) -> None:
        assert isinstance(buffer, FakeBuffer), "transfer of a buffer not from pynq.allocate"
        self.buffer, self.idle = buffer, False
        self.transfers += 1

    def wait(self) -> None:
        assert self.idle, "PYNQ's wait() would spin: the driver must poll idle first"
        self.waits += 1


class FakeDMA:
    buffer_max_size = 1 << 14  # Vivado's default 14-bit length register

    def __init__(self, fi: AxisFormat, fo: AxisFormat, reference: Callable, stuck: bool) -> None:
        self.fi, self.fo, self.reference, self.stuck = fi, fo, reference, stuck
        self.recvchannel = FakeChannel()
        self.sendchannel = FakeChannel()
        send = self.sendchannel.transfer

        def on_send(buffer: Any) -> None:
            send(buffer)
            n = buffer.size // (self.fi.beats * self.fi.words)
            self.sendchannel.idle = True
            if not self.stuck:
                out = self.reference(self.fi.unpack(np.asarray(buffer), n))
                self.recvchannel.buffer[:] = self.fo.pack(out)
                self.recvchannel.idle = True

        self.sendchannel.transfer = on_send  # type: ignore[method-assign]


def make_pynq(fi: AxisFormat, fo: AxisFormat, reference: Callable, stuck: bool = False,
              devices: bool = True) -> types.ModuleType:  # fmt: skip
    pynq = types.ModuleType("pynq")
    pynq.loaded = []  # type: ignore[attr-defined]

    class Overlay:
        def __init__(self, bitfile: str, download: bool = True) -> None:
            if not devices:
                raise RuntimeError("No Devices Found")
            self.bitfile = bitfile
            self.ip_dict = {"axi_dma_0": {}, "processing_system7_0": {}}
            self.axi_dma_0 = FakeDMA(fi, fo, reference, stuck)
            pynq.loaded.append(self)  # type: ignore[attr-defined]

    def allocate(shape: Any, dtype: Any) -> FakeBuffer:
        return np.zeros(shape, dtype).view(FakeBuffer)

    pynq.Overlay = Overlay  # type: ignore[attr-defined]
    pynq.allocate = allocate  # type: ignore[attr-defined]
    return pynq
