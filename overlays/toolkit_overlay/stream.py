"""The AXI-Stream data format of toolkit accelerators; this docstring is its one definition.

* TDATA is ``data_bits`` wide: the board's DMA width (``dma_data_bits``: 64 on the PYNQ-Z2,
  128 on the UltraScale+ boards); any multiple of 64.
* A beat carries ``lanes = data_bits // lane_bits`` codes; lane ``i`` occupies bits
  ``[i*lane_bits, (i+1)*lane_bits)`` (little-endian lanes; a lane may straddle two 64-bit
  words). ``lane_bits`` is the code width rounded up to whole bytes; a code is
  sign-extended (signed precisions) or zero-extended into its lane. Bits above
  ``lanes * lane_bits`` are zero on output and ignored on input.
* In memory (the DMA buffer, and the arrays :meth:`AxisFormat.pack` returns), a beat is
  ``words = data_bits // 64`` little-endian uint64 words, low word first: beat ``b`` is words
  ``[b*words, (b+1)*words)``, i.e. the buffer is the beats' little-endian bytes back to back.
* Each sample starts on a new beat; the unused lanes of a sample's last beat are zero on
  output and ignored on input. TLAST on output mirrors the TLAST the driver set on the same
  sample's last input beat (per sample, or only at the end of a batch as a DMA does).

This is the one implementation: the host's ``toolkit.rtlgen.axis`` subclasses it (raising
``ToolkitError`` there); the board runtime packs with it (raising ``OverlayError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from toolkit_overlay.errors import OverlayError

AXIS_BITS = 64  # TDATA width: the PYNQ-Z2 HP port / DMA width


@dataclass(frozen=True)
class AxisFormat:
    """How ``codes`` integers of ``code_bits`` bits per sample are packed into beats."""

    code_bits: int
    signed: bool
    codes: int
    data_bits: int = AXIS_BITS

    error: ClassVar[type[Exception]] = OverlayError  # what bad input raises (the host uses ToolkitError)

    def __post_init__(self) -> None:
        if self.data_bits < 64 or self.data_bits % 64:
            raise self.error(
                f"a {self.data_bits}-bit stream is not supported: expected a multiple of 64 bits (64, 128, ...)"
            )
        if self.code_bits < 1 or self.codes < 1:
            raise self.error(
                f"{self.codes} codes of {self.code_bits} bits: expected at least one code of at least 1 bit"
            )
        if self.lane_bits > 64:
            raise self.error(
                f"a {self.code_bits}-bit code needs a {self.lane_bits}-bit lane, wider than 64 bits: "
                "expected codes of at most 64 bits"
            )

    @classmethod
    def from_json(cls, obj: Any, data_bits: int = AXIS_BITS, where: str = "stream") -> AxisFormat:
        """From ``{"code_bits": int, "signed": bool, "codes": int[, "beats": int]}`` (a manifest's stream side)."""
        if not isinstance(obj, dict):
            raise cls.error(f"{where} = {obj!r}: expected an object with code_bits, signed, codes")
        for key, kind in (("code_bits", int), ("signed", bool), ("codes", int)):
            value = obj.get(key)
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise cls.error(f"{where}.{key} = {value!r}: expected {kind.__name__}")
        fmt = cls(obj["code_bits"], obj["signed"], obj["codes"], data_bits)
        if "beats" in obj and obj["beats"] != fmt.beats:
            raise cls.error(f"{where}.beats = {obj['beats']!r}: {fmt.describe()} makes {fmt.beats}")
        return fmt

    def to_json(self) -> dict[str, Any]:
        return {"code_bits": self.code_bits, "signed": self.signed, "codes": self.codes, "beats": self.beats}

    @property
    def lane_bits(self) -> int:
        """Byte-aligned lane width (8, 16, 24, ... bits)."""
        return 8 * -(-self.code_bits // 8)

    @property
    def lanes(self) -> int:
        return self.data_bits // self.lane_bits

    @property
    def words(self) -> int:
        """uint64 words per beat."""
        return self.data_bits // 64

    @property
    def beats(self) -> int:
        """Beats per sample."""
        return -(-self.codes // self.lanes)

    @property
    def min_code(self) -> int:
        return -(1 << (self.code_bits - 1)) if self.signed else 0

    @property
    def max_code(self) -> int:
        return (1 << (self.code_bits - 1)) - 1 if self.signed else (1 << self.code_bits) - 1

    def pack(self, codes: np.ndarray) -> np.ndarray:
        """(n, codes) integer codes -> the DMA buffer: (n * beats * words,) uint64 words."""
        codes = np.asarray(codes, dtype=np.int64).reshape(len(codes), -1)
        if codes.shape[1] != self.codes:
            raise self.error(f"samples have {codes.shape[1]} codes; the stream expects {self.codes}")
        n, lb, beat_bytes = len(codes), self.lane_bits // 8, self.data_bits // 8
        lanes = np.zeros((n, self.beats * self.lanes), "<i8")
        lanes[:, : self.codes] = codes
        # the low lb bytes of a little-endian two's-complement int64 are its sign/zero-extended lane
        lane_bytes = lanes.view(np.uint8).reshape(n, self.beats, self.lanes, 8)[..., :lb]
        buf = np.zeros((n, self.beats, beat_bytes), np.uint8)
        buf[..., : self.lanes * lb] = lane_bytes.reshape(n, self.beats, self.lanes * lb)
        return buf.reshape(-1).view("<u8").astype(np.uint64)

    def unpack(self, words: np.ndarray, n: int) -> np.ndarray:
        """(n * beats * words,) uint64 words -> (n, codes) int64 codes (sign-extended from the lane)."""
        words = np.ascontiguousarray(words, dtype="<u8").reshape(-1)
        if words.size != n * self.beats * self.words:
            raise self.error(
                f"{words.size} words do not hold {n} samples of {self.beats} beats x {self.words} words"
            )
        lb = self.lane_bits // 8
        beats = words.view(np.uint8).reshape(n, self.beats, self.data_bits // 8)
        lane_bytes = beats[..., : self.lanes * lb].reshape(n, self.beats * self.lanes, lb)[:, : self.codes]
        wide = np.zeros((n, self.codes, 8), np.uint8)
        wide[..., :lb] = lane_bytes
        if self.signed and lb < 8:  # sign-extend from the lane's top bit
            wide[..., lb:] = np.where(lane_bytes[..., lb - 1 : lb] >= 0x80, 0xFF, 0)
        return wide.reshape(n, -1).view("<i8").astype(np.int64).reshape(n, self.codes)

    def describe(self) -> str:
        sign = "signed" if self.signed else "unsigned"
        return (
            f"{self.data_bits}-bit TDATA, {self.lanes} x {self.lane_bits}-bit lanes of {sign} "
            f"{self.code_bits}-bit codes, {self.beats} beats per sample"
        )
