"""The board path (PynqDevice + measure) against a stand-in pynq module: overlay loading, DMA
transfers, the bounded wait, the DMA's transfer-size limit, freeing buffers."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from toolkit_overlay.device import PynqDevice
from toolkit_overlay.driver import Accelerator
from toolkit_overlay.errors import OverlayError
from toolkit_overlay.measure import measure_package
from toolkit_overlay.stream import AxisFormat
from toolkit_overlay.testing import CheckingDevice, TransferError

from .fake_package import make_package, reference
from .fake_pynq import make_pynq

FI, FO = AxisFormat(6, True, 12), AxisFormat(10, True, 4)


def test_measure_on_the_board_path(tmp_path, monkeypatch) -> None:
    pynq = make_pynq(FI, FO, reference)
    monkeypatch.setitem(sys.modules, "pynq", pynq)
    pkg = make_package(tmp_path, bitstream=True, runtime=False)
    r = measure_package(pkg, "none", board="pynq-z2", latency_repeats=3, batch_size=16, log=lambda m: None)
    assert (r["mismatches"], r["accuracy"], r["device"], r["board_verified"]) == (0, 0.75, "board", True)
    (overlay,) = pynq.loaded
    assert overlay.bitfile == str(pkg / "toolkit_accel.bit")
    dma = overlay.axi_dma_0
    assert (
        dma.sendchannel.transfers == dma.recvchannel.transfers == 3 + 3
    )  # 40 samples in 16s, 3 latency runs
    assert dma.recvchannel.waits == 6


def test_no_device_and_stuck_accelerator_are_clear_errors(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pynq", make_pynq(FI, FO, reference, devices=False))
    with pytest.raises(OverlayError, match="cannot load the overlay .*RuntimeError: No Devices Found"):
        PynqDevice(tmp_path / "x.bit")
    monkeypatch.setitem(sys.modules, "pynq", make_pynq(FI, FO, reference, stuck=True))
    device = PynqDevice(tmp_path / "x.bit", timeout_s=0.05)
    acc = Accelerator(device, make_spec())
    with pytest.raises(OverlayError, match="DMA receive transfer did not complete in 0.05 s"):
        acc.predict_codes(np.zeros((2, 3, 4), int))
    bufs = list(device._buffers)
    device.close()
    assert all(b.freed for b in bufs)


def test_missing_dma_names_the_ip_blocks(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pynq", make_pynq(FI, FO, reference))
    with pytest.raises(
        OverlayError, match="has no DMA 'dma_1': its IP blocks are axi_dma_0, processing_system7_0"
    ):
        PynqDevice(tmp_path / "x.bit", dma="dma_1")


def test_batches_shrink_to_the_dma_limit() -> None:
    # a sample is 2 input beats (16 bytes): 100 bytes fit 6 samples per transfer
    dev = CheckingDevice(FI, FO, reference, max_transfer_bytes=100)
    acc = Accelerator(dev, make_spec())
    x = np.random.default_rng(2).integers(-32, 32, (30, 3, 4))
    pred = acc.predict_codes(x, batch_size=256)
    np.testing.assert_array_equal(pred.codes, reference(x))
    assert len(pred.batch_seconds) == 5 and pred.batch_size == 6
    big = dev.allocate((16,), np.uint64)
    with pytest.raises(TransferError, match="128 bytes exceeds the DMA's maximum of 100"):
        dev.recvchannel.transfer(big)
    with pytest.raises(OverlayError, match="one sample needs a 16-byte transfer; this DMA moves at most 8"):
        Accelerator(CheckingDevice(FI, FO, reference, max_transfer_bytes=8), make_spec()).predict_codes(x)


def make_spec():
    from toolkit_overlay.driver import StreamSpec

    return StreamSpec(FI, FO, (3, 4), (4,))
