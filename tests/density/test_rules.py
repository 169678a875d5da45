"""The update rule, pruning count, settling and integer bits on hand-made numbers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.density.rules import (
    UpdateRule,
    channels_to_keep,
    integer_bits,
    integer_for_range,
    new_bits,
    new_channels,
    settled,
    update_all,
    update_due,
)
from toolkit.errors import ToolkitError


@pytest.mark.parametrize(
    ("ad", "bits", "expected"),
    [
        (0.5, 16, 8),  # exact product: no rounding up from float noise
        (0.51, 16, 9),  # 8.16 -> 9
        (0.3, 16, 5),  # 4.8 -> 5
        (0.62, 10, 7),  # 6.2 -> 7
        (1.0, 7, 7),  # a fully dense layer keeps its width
        (0.05, 16, 2),  # 0.8 -> 1, held at b_min
        (0.0, 8, 2),  # a dead layer goes to b_min
        (0.7, 3, 3),  # 2.1 -> 3: at small widths AD must exceed 1 - 1/b to stop shrinking
        (0.66, 3, 2),
    ],
)
def test_ceil_rule_on_hand_made_densities(ad, bits, expected):
    assert new_bits(ad, bits, UpdateRule()) == expected


def test_rounding_and_min_bits_are_parameters():
    assert new_bits(0.3, 16, UpdateRule(rounding="round")) == 5  # 4.8
    assert new_bits(0.3, 16, UpdateRule(rounding="floor")) == 4
    assert new_bits(0.53125, 16, UpdateRule(rounding="round")) == 9  # 8.5 rounds half up
    assert new_bits(0.1, 16, UpdateRule(min_bits=4)) == 4
    assert new_bits(0.5, 8, UpdateRule(start_bits=8, min_bits=3)) == 4


def test_update_all_leaves_layers_without_density():
    bits = {"conv1": 16, "conv2": 16, "fc": 16}
    assert update_all({"conv1": 0.4, "conv2": 0.75}, bits, UpdateRule()) == {
        "conv1": 7,
        "conv2": 12,
        "fc": 16,
    }


@given(st.floats(0, 1), st.integers(2, 16), st.sampled_from(["ceil", "round", "floor"]), st.integers(2, 8))
def test_rule_bounds(ad, bits, rounding, min_bits):
    rule = UpdateRule(min_bits=min_bits, rounding=rounding)
    b = new_bits(ad, max(bits, min_bits), rule)
    assert min_bits <= b <= max(bits, min_bits)
    if rounding == "ceil" and ad * bits > min_bits:
        assert b == math.ceil(ad * bits - 1e-9)


def test_repeated_updates_reach_a_fixed_point():
    """With constant AD the rule is monotone and stops: the loop's settle criterion terminates."""
    rule, bits, seen = UpdateRule(), 16, []
    while True:
        nxt = new_bits(0.8, bits, rule)
        if nxt == bits:
            break
        seen.append(nxt)
        bits = nxt
    assert seen == [13, 11, 9, 8, 7, 6, 5, 4] and bits == 4  # ceil(0.8 * 4) = 4: the fixed point


def test_channel_count_and_choice():
    assert new_channels(0.3, 16) == 5
    assert new_channels(0.0, 16) == 1 and new_channels(0.0, 16, min_channels=2) == 2
    assert new_channels(1.0, 8) == 8
    assert channels_to_keep([0.1, 0.0, 0.9, 0.5, 0.5], 3) == [2, 3, 4]
    assert channels_to_keep([0.2, 0.2, 0.2], 2) == [0, 1]  # ties keep the lower index


def test_settling_and_schedule():
    rule = UpdateRule(update_start=3, settle_tol=0.02, min_gap=2, max_wait=5)
    moving = [{"a": 0.5}, {"a": 0.6}]
    still = [{"a": 0.5}, {"a": 0.51}]
    assert settled(still, 0.02) and not settled(moving, 0.02) and not settled(still[:1], 0.02)
    assert not update_due(2, 2, still, rule)  # before update_start
    assert update_due(3, 2, still, rule)
    assert not update_due(3, 1, still[:1], rule)  # needs two readings at these widths
    assert not update_due(6, 4, moving, rule)
    assert update_due(6, 5, moving, rule)  # max_wait forces it


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"start_bits": 8, "min_bits": 9}, "min bits 9 are above the start bits 8"),
        ({"min_bits": 1}, "expected an integer >= 2"),
        ({"start_bits": 32}, "expected an integer 2..16"),
        ({"rounding": "up"}, "expected one of ceil, round, floor"),
        ({"min_gap": 1}, "min_gap >= 2"),
    ],
)
def test_bad_parameters_name_the_value(kwargs, needle):
    with pytest.raises(ToolkitError, match=needle):
        UpdateRule(**kwargs)


def test_density_must_be_a_fraction():
    with pytest.raises(ToolkitError, match="expected a fraction"):
        new_bits(1.5, 8, UpdateRule())


def test_integer_bits_keep_the_start_range_while_it_fits():
    assert integer_bits(2, 16, signed=False) == 2  # quantized_relu(16, 2)
    assert integer_bits(2, 2, signed=False) == 2  # quantized_relu(2, 2): 0..3
    assert integer_bits(3, 2, signed=False) == 2  # cut to what fits
    assert integer_bits(0, 2, signed=True) == 0  # quantized_bits(2, 0): -1..0.5
    assert integer_bits(2, 2, signed=True) == 1  # a signed 2-bit value keeps one integer bit
    assert integer_bits(-1, 4, signed=True) == 0
    assert integer_for_range(0.7, True, 8) == 0 and integer_for_range(1.0, False, 8) == 0
    assert integer_for_range(3.2, False, 8) == 2 and integer_for_range(0.0, False, 8) == 0
