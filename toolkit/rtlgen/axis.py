"""The AXI-Stream data format shared by the RTL top and its drivers (packing is host-side).

A beat carries ``lanes`` codes; lane ``i`` occupies bits ``[i*lane_bits, (i+1)*lane_bits)``
(little-endian lanes; a 64-bit beat is one little-endian uint64 word in memory). A code
is sign-extended (signed precisions) or zero-extended into its byte-aligned lane. Each
sample starts on a new beat; the unused lanes of a sample's last beat are zero on output
and ignored on input. TLAST on output mirrors the TLAST the driver set on the same
sample's last input beat (per sample, or only at the end of a batch as a DMA does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.errors import ToolkitError

AXIS_BITS = 64  # TDATA width: the PYNQ-Z2 HP port / DMA width


@dataclass(frozen=True)
class AxisFormat:
    """How ``codes`` integers of ``code_bits`` bits per sample are packed into beats."""

    code_bits: int
    signed: bool
    codes: int
    data_bits: int = AXIS_BITS

    def __post_init__(self) -> None:
        if self.lane_bits > self.data_bits:
            raise ToolkitError(
                f"a {self.code_bits}-bit code needs a {self.lane_bits}-bit lane, wider than the "
                f"{self.data_bits}-bit stream: expected codes of at most {self.data_bits} bits"
            )

    @property
    def lane_bits(self) -> int:
        """Byte-aligned lane width (8, 16, 24, ... bits)."""
        return 8 * -(-self.code_bits // 8)

    @property
    def lanes(self) -> int:
        return self.data_bits // self.lane_bits

    @property
    def beats(self) -> int:
        """Beats per sample."""
        return -(-self.codes // self.lanes)

    def pack(self, codes: np.ndarray) -> np.ndarray:
        """(n, codes) integer codes -> (n * beats,) uint64 beats."""
        codes = np.asarray(codes, dtype=np.int64).reshape(len(codes), -1)
        if codes.shape[1] != self.codes:
            raise ToolkitError(f"samples have {codes.shape[1]} codes; the stream expects {self.codes}")
        padded = np.zeros((len(codes), self.beats * self.lanes), np.uint64)
        padded[:, : self.codes] = codes.astype(np.uint64) & np.uint64((1 << self.lane_bits) - 1)
        lanes = padded.reshape(len(codes), self.beats, self.lanes)
        shifts = (np.arange(self.lanes, dtype=np.uint64) * np.uint64(self.lane_bits))[None, None, :]
        return np.bitwise_or.reduce(lanes << shifts, axis=2).reshape(-1)

    def unpack(self, beats: np.ndarray, n: int) -> np.ndarray:
        """(n * beats,) uint64 beats -> (n, codes) int64 codes (sign-extended from the lane)."""
        words = np.asarray(beats, dtype=np.uint64).reshape(n, self.beats, 1)
        shifts = (np.arange(self.lanes, dtype=np.uint64) * np.uint64(self.lane_bits))[None, None, :]
        mask = np.uint64((1 << self.lane_bits) - 1) if self.lane_bits < 64 else np.uint64(2**64 - 1)
        lanes = ((words >> shifts) & mask).astype(np.int64).reshape(n, -1)[:, : self.codes]
        if self.signed and self.lane_bits < 64:
            lanes = np.where(lanes >= 1 << (self.lane_bits - 1), lanes - (1 << self.lane_bits), lanes)
        return lanes

    def describe(self) -> str:
        sign = "signed" if self.signed else "unsigned"
        return (
            f"{self.data_bits}-bit TDATA, {self.lanes} x {self.lane_bits}-bit lanes of {sign} "
            f"{self.code_bits}-bit codes, {self.beats} beats per sample"
        )
