"""AXI-Stream packing (host side): lanes, sign extension, padding of a sample's last beat, 64/128-bit beats."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.errors import ToolkitError
from toolkit.rtlgen.axis import AxisFormat


def test_layout_is_little_endian_lanes_with_sign_extension() -> None:
    fmt = AxisFormat(code_bits=12, signed=True, codes=5)
    assert (fmt.lane_bits, fmt.lanes, fmt.beats) == (16, 4, 2)
    beats = fmt.pack(np.array([[1, -1, 2047, -2048, 7]]))
    assert beats.tolist() == [0xF800_07FF_FFFF_0001, 0x0000_0000_0000_0007]


def test_128_bit_beats_are_two_little_endian_words_with_straddling_lanes() -> None:
    fmt = AxisFormat(code_bits=20, signed=True, codes=6, data_bits=128)
    assert (fmt.lane_bits, fmt.lanes, fmt.words, fmt.beats) == (24, 5, 2, 2)
    words = fmt.pack(np.array([[1, -1, 0x7FFFF, -0x80000, 5, -2]]))
    beat0 = 1 | 0xFFFFFF << 24 | 0x07FFFF << 48 | 0xF80000 << 72 | 5 << 96
    beat1 = 0xFFFFFE
    expected = [beat0 & (2**64 - 1), beat0 >> 64, beat1, 0]
    assert words.tolist() == expected  # lane 2 straddles the two words of beat 0
    np.testing.assert_array_equal(fmt.unpack(words, 1), [[1, -1, 0x7FFFF, -0x80000, 5, -2]])


@settings(max_examples=60, deadline=None)
@given(
    data_bits=st.sampled_from([64, 128, 256]),
    bits=st.integers(1, 40),
    signed=st.booleans(),
    codes=st.integers(1, 30),
    n=st.integers(1, 4),
    seed=st.integers(0, 2**31),
)
def test_pack_unpack_round_trip(
    data_bits: int, bits: int, signed: bool, codes: int, n: int, seed: int
) -> None:
    fmt = AxisFormat(bits, signed, codes, data_bits)
    rng = np.random.default_rng(seed)
    lo, hi = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
    x = rng.integers(lo, hi, (n, codes))
    beats = fmt.pack(x)
    assert beats.shape == (n * fmt.beats * fmt.words,)
    np.testing.assert_array_equal(fmt.unpack(beats, n), x)


def test_codes_wider_than_a_lane_and_odd_streams_are_refused() -> None:
    with pytest.raises(ToolkitError, match="72-bit lane, wider than 64 bits"):
        AxisFormat(70, True, 3)
    with pytest.raises(ToolkitError, match="a 96-bit stream is not supported"):
        AxisFormat(8, True, 3, 96)
