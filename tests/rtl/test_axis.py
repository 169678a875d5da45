"""AXI-Stream packing (host side): lanes, sign extension, padding of a sample's last beat."""

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


@settings(max_examples=60, deadline=None)
@given(
    bits=st.integers(1, 40),
    signed=st.booleans(),
    codes=st.integers(1, 30),
    n=st.integers(1, 4),
    seed=st.integers(0, 2**31),
)
def test_pack_unpack_round_trip(bits: int, signed: bool, codes: int, n: int, seed: int) -> None:
    fmt = AxisFormat(bits, signed, codes)
    rng = np.random.default_rng(seed)
    lo, hi = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
    x = rng.integers(lo, hi, (n, codes))
    beats = fmt.pack(x)
    assert beats.shape == (n * fmt.beats,)
    np.testing.assert_array_equal(fmt.unpack(beats, n), x)


def test_codes_wider_than_the_stream_are_refused() -> None:
    with pytest.raises(ToolkitError, match="72-bit lane, wider than the 64-bit stream"):
        AxisFormat(70, True, 3)
