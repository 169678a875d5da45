"""The Accelerator driver on the transfer-checking double: correct outputs, and the double
catching every kind of bad transfer a board would not survive."""

from __future__ import annotations

import numpy as np
import pytest
from toolkit_overlay.driver import Accelerator, StreamSpec
from toolkit_overlay.errors import OverlayError
from toolkit_overlay.stream import AxisFormat
from toolkit_overlay.testing import POISON, CheckingDevice, TransferError, lookup_reference

from .fake_package import reference


def _setup(data_bits: int = 64, seconds_per_sample: float | None = None):
    fi, fo = AxisFormat(6, True, 12, data_bits), AxisFormat(10, True, 4, data_bits)
    dev = CheckingDevice(fi, fo, reference, seconds_per_sample)
    return dev, Accelerator(dev, StreamSpec(fi, fo, (3, 4), (4,)))


@pytest.mark.parametrize("data_bits", [64, 128])
@pytest.mark.parametrize("batch_size", [1, 7, 256])
def test_driver_outputs_equal_the_reference(data_bits: int, batch_size: int) -> None:
    dev, acc = _setup(data_bits)
    x = np.random.default_rng(1).integers(-32, 32, (30, 3, 4))
    pred = acc.predict_codes(x, batch_size)
    np.testing.assert_array_equal(pred.codes, reference(x))
    assert pred.codes.shape == (30, 4) and len(pred.batch_seconds) == -(-30 // batch_size)
    assert pred.timing == "wall-clock" and pred.throughput > 0
    lat = acc.latency(x, repeats=5).to_json()
    assert lat["repeats"] == 5 and lat["min_s"] <= lat["median_s"] <= lat["max_s"]
    acc.close()
    dev.close()  # checks nothing is in flight and every buffer was freed
    assert dev.samples == 30 + 5


def test_simulated_time_is_what_the_device_reports() -> None:
    dev, acc = _setup(seconds_per_sample=1e-6)
    pred = acc.predict_codes(np.zeros((10, 3, 4), int), batch_size=4)
    assert pred.timing == "simulated" and pred.batch_seconds == pytest.approx([4e-6, 4e-6, 2e-6])
    assert pred.throughput == pytest.approx(1e6)
    run = acc.run_until(lambda: dev.samples >= 25, np.zeros((10, 3, 4), int), 4)
    assert run.inferences >= 15 and run.seconds == pytest.approx(run.inferences * 1e-6)


def test_lookup_reference_answers_known_inputs_only() -> None:
    x = np.arange(24).reshape(2, 3, 4) - 12
    ref = lookup_reference(x, reference(x))
    np.testing.assert_array_equal(ref(x.reshape(2, -1)), reference(x))
    with pytest.raises(TransferError, match="not one of the reference's inputs"):
        ref(np.zeros((1, 12), np.int64))


def test_driver_refuses_bad_codes() -> None:
    _, acc = _setup()
    with pytest.raises(OverlayError, match=r"shape \(5, 12\): expected \(n, 3, 4\)"):
        acc.predict_codes(np.zeros((5, 12), int))
    with pytest.raises(OverlayError, match=r"span \[-40, -40\]: expected 6-bit signed codes in \[-32, 31\]"):
        acc.predict_codes(np.full((1, 3, 4), -40))
    with pytest.raises(OverlayError, match="dtype float64"):
        acc.predict_codes(np.zeros((1, 3, 4)))


# -- the double catches bad transfers ------------------------------------------------------------


def _buffers(dev: CheckingDevice, n: int = 2):
    inbuf = dev.allocate((n * dev.axis_in.beats,), np.uint64)
    outbuf = dev.allocate((n * dev.axis_out.beats,), np.uint64)
    inbuf[:] = dev.axis_in.pack(np.zeros((n, 12), np.int64))
    return inbuf, outbuf


def test_good_manual_transfer_then_clean_close() -> None:
    dev, _ = _setup()
    inbuf, outbuf = _buffers(dev)
    dev.recvchannel.transfer(outbuf)
    dev.sendchannel.transfer(inbuf)
    assert np.all(outbuf == POISON)  # nothing there until wait(), as on hardware
    dev.sendchannel.wait()
    dev.recvchannel.wait()
    np.testing.assert_array_equal(dev.axis_out.unpack(outbuf, 2), reference(np.zeros((2, 12))))
    with pytest.raises(TransferError, match="2 buffer"):
        dev.close()
    dev.free(inbuf)
    dev.free(outbuf)
    dev.close()
    with pytest.raises(TransferError, match="closed"):
        dev.allocate((2,), np.uint64)


def test_send_before_receive_is_caught() -> None:
    dev, _ = _setup()
    inbuf, _ = _buffers(dev)
    with pytest.raises(TransferError, match="start recvchannel first"):
        dev.sendchannel.transfer(inbuf)


def test_foreign_buffers_and_views_are_caught() -> None:
    dev, _ = _setup()
    inbuf, outbuf = _buffers(dev)
    with pytest.raises(TransferError, match="did not allocate"):
        dev.recvchannel.transfer(np.zeros_like(outbuf))
    with pytest.raises(TransferError, match="did not allocate"):
        dev.recvchannel.transfer(outbuf[:2])
    with pytest.raises(TransferError, match="did not allocate"):
        dev.free(np.zeros(3))


def test_wrong_dtype_is_caught() -> None:
    dev, _ = _setup()
    words = dev.allocate((4,), np.uint32)
    with pytest.raises(TransferError, match="dtype uint32: expected uint64"):
        dev.recvchannel.transfer(words)


def test_partial_sample_and_tlast_mismatch_are_caught() -> None:
    dev, _ = _setup()
    per_in, per_out = dev.axis_in.beats, dev.axis_out.beats
    odd = dev.allocate((2 * per_in + 1,), np.uint64)
    out = dev.allocate((2 * per_out,), np.uint64)
    dev.recvchannel.transfer(out)
    with pytest.raises(TransferError, match="not a whole number of samples"):
        dev.sendchannel.transfer(odd)
    dev2, _ = _setup()
    inbuf = dev2.allocate((2 * per_in,), np.uint64)
    big = dev2.allocate((3 * per_out,), np.uint64)
    dev2.recvchannel.transfer(big)
    with pytest.raises(TransferError, match="TLAST arrives after 2 beats.*stop early"):
        dev2.sendchannel.transfer(inbuf)


def test_missing_wait_and_reuse_in_flight_are_caught() -> None:
    dev, _ = _setup()
    inbuf, outbuf = _buffers(dev)
    dev.recvchannel.transfer(outbuf)
    with pytest.raises(TransferError, match="previous one is in flight"):
        dev.recvchannel.transfer(outbuf)
    dev.sendchannel.transfer(inbuf)
    inbuf[0] = 123  # rewriting what the DMA is still reading
    with pytest.raises(TransferError, match="send buffer was rewritten"):
        dev.sendchannel.wait()
    with pytest.raises(TransferError, match="in flight"):
        dev.free(outbuf)
    with pytest.raises(TransferError, match="transfer in flight"):
        dev.close()


def test_receive_wait_without_send_is_caught() -> None:
    dev, _ = _setup()
    _, outbuf = _buffers(dev)
    with pytest.raises(TransferError, match="without a transfer in flight"):
        dev.recvchannel.wait()
    dev.recvchannel.transfer(outbuf)
    with pytest.raises(TransferError, match="would wait forever"):
        dev.recvchannel.wait()


class _NoWaitDriver(Accelerator):
    """A broken driver: starts the transfers and reads the output without waiting."""

    def _batch(self, codes):
        n = len(codes)
        fi, fo = self.spec.axis_in, self.spec.axis_out
        inbuf = self.device.allocate((n * fi.beats,), np.uint64)
        outbuf = self.device.allocate((n * fo.beats,), np.uint64)
        inbuf[:] = fi.pack(codes)
        self.device.recvchannel.transfer(outbuf)
        self.device.sendchannel.transfer(inbuf)
        return fo.unpack(np.array(outbuf), n), 0.0


def test_a_driver_that_does_not_wait_gets_garbage_and_is_caught() -> None:
    fi, fo = AxisFormat(6, True, 12), AxisFormat(10, True, 4)
    dev = CheckingDevice(fi, fo, reference)
    acc = _NoWaitDriver(dev, StreamSpec(fi, fo, (3, 4), (4,)))
    x = np.ones((3, 3, 4), int)
    with pytest.raises(TransferError, match="in flight"):
        acc.predict_codes(x, batch_size=1)  # the second batch finds the first never waited for
    dev2 = CheckingDevice(fi, fo, reference)
    early = _NoWaitDriver(dev2, StreamSpec(fi, fo, (3, 4), (4,)))._batch(x[:1].reshape(1, -1))[0]
    assert not np.array_equal(early, reference(x[:1]))  # read before wait(): the poison, not the answer
