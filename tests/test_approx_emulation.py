"""Fast approximate-product emulation equals the reference table gather, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.emulator.approx import ApproxProduct
from toolkit.errors import ToolkitError
from toolkit.multipliers import get_design, list_designs

# Fan-ins of the zoo's MAC layers (9, 72, 64, 80, 48, 160, 32) plus a conv-sized 576.
FAN_INS = [1, 9, 32, 48, 64, 72, 80, 160, 576]


@st.composite
def layer_case(draw):
    a_bits = draw(st.integers(2, 8))
    w_bits = draw(st.integers(2, 8))
    a_signed = draw(st.booleans())
    designs = list_designs(a_bits=a_bits, w_bits=w_bits, a_signed=a_signed, w_signed=True)
    design = draw(st.sampled_from(designs))
    k = draw(st.sampled_from(FAN_INS))
    n = draw(st.integers(1, 12))
    o = draw(st.integers(1, 9))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a = rng.choice(design.a_codes, (n, k))
    w = rng.choice(design.w_codes, (k, o))
    if draw(st.booleans()):  # the extreme codes, where errors and sums are largest
        a[0, :] = design.a_codes[-1]
        w[:, 0] = design.w_codes[0]
    return design, a, w


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layer_case())
def test_auto_equals_gather(case):
    design, a, w = case
    reference = ApproxProduct(design, method="gather").matmul(a, w)
    np.testing.assert_array_equal(ApproxProduct(design).matmul(a, w), reference)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layer_case())
def test_every_applicable_method_equals_gather(case):
    design, a, w = case
    reference = ApproxProduct(design, method="gather").matmul(a, w)
    fast = ApproxProduct(design)
    np.testing.assert_array_equal(ApproxProduct(design, method="factored").matmul(a, w), reference)
    np.testing.assert_array_equal(ApproxProduct(design, method="onehot").matmul(a, w), reference)
    if fast.exact_rank(a.shape[1]):
        np.testing.assert_array_equal(ApproxProduct(design, method="lowrank").matmul(a, w), reference)


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_auto_equals_gather_on_a_conv_sized_layer(bits):
    rng = np.random.default_rng(bits)
    for design in list_designs(a_bits=bits, w_bits=bits, a_signed=False, w_signed=True):
        a = rng.choice(design.a_codes, (24, 576))
        w = rng.choice(design.w_codes, (576, 16))
        np.testing.assert_array_equal(
            ApproxProduct(design).matmul(a, w),
            ApproxProduct(design, method="gather").matmul(a, w),
            err_msg=design.name,
        )


@pytest.mark.parametrize("name", ["trunc4_u8s8", "bctrunc6_u8s8", "mitchell_s8s8", "perfw2_s8s8"])
def test_factored_is_exact_where_the_fan_in_is_cut_into_blocks(name):
    # At 8 bits one product term reaches 2^15, so a 1200-long sum is cut into float32 blocks
    # of ~512; the extreme codes (largest magnitudes, both signs) make every block's sum largest.
    design = get_design(name)
    kernel = ApproxProduct(design, method="factored")
    assert kernel._factor_tables()[3] < 1200
    rng = np.random.default_rng(1)
    extremes = [design.a_codes[0], design.a_codes[-1]], [design.w_codes[0], design.w_codes[-1]]
    a = np.vstack([np.full((1, 1200), c) for c in extremes[0]] + [rng.choice(design.a_codes, (3, 1200))])
    w = np.hstack([np.full((1200, 1), c) for c in extremes[1]] + [rng.choice(design.w_codes, (1200, 2))])
    np.testing.assert_array_equal(kernel.matmul(a, w), ApproxProduct(design, method="gather").matmul(a, w))


def test_factored_row_blocks_equal_the_gather():
    # More rows than one row block of the factored GEMM (a conv layer's im2col rows).
    design = get_design("btrunc3_s4s4")
    rng = np.random.default_rng(2)
    a = rng.choice(design.a_codes, (5000, 72))
    w = rng.choice(design.w_codes, (72, 3))
    np.testing.assert_array_equal(
        ApproxProduct(design, method="factored").matmul(a, w),
        ApproxProduct(design, method="gather").matmul(a, w),
    )


def test_the_rule_picks_the_factored_gemm_of_the_table_rank():
    # trunc k keeps a_i w_j iff i + j >= k: at 4 bits activation rows i = 1..3 have distinct
    # kept-weight masks, row 0 keeps nothing -> rank 3; perforation keeps whole rows -> rank 1.
    assert ApproxProduct(get_design("trunc4_u4s4")).plan(576) == ("factored", 3)
    assert ApproxProduct(get_design("perfw2_u8s8")).plan(576) == ("factored", 1)
    assert ApproxProduct(get_design("ctrunc2_u4s4")).plan(64) == ("factored", 4)  # + the zero-gated constant
    assert ApproxProduct(get_design("exact_u4s4")).plan(64) == ("exact", 0)


def test_operands_outside_the_design_are_refused():
    kernel = ApproxProduct(get_design("trunc2_u4s4"))
    with pytest.raises(
        ToolkitError, match=r"activation codes span \[0, 16\] but multiplier trunc2_u4s4 accepts \[0, 15\]"
    ):
        kernel.matmul(np.array([[0, 16]]), np.array([[1], [2]]))


def test_unknown_method():
    with pytest.raises(ToolkitError, match="expected one of auto, gather, factored, onehot, lowrank"):
        ApproxProduct(get_design("trunc2_u4s4"), method="fast")


@pytest.fixture(scope="module")
def dscnn():
    from toolkit.models.datasets import load_dataset
    from toolkit.models.reader import read_model
    from toolkit.models.zoo import load_zoo_model, zoo_entry

    model_ir, _ = read_model(load_zoo_model("digits-dscnn", verbose=False))
    return model_ir, load_dataset(zoo_entry("digits-dscnn").dataset).x_test[:6]


@pytest.mark.parametrize("family", ["btrunc3", "mitchell"])
def test_whole_emulator_with_an_approximate_plan_equals_the_gather(dscnn, family):
    # digits-dscnn has conv, depthwise, pointwise and an s8s4 dense layer; inputs x4 saturate.
    from toolkit.emulator.engine import Emulator
    from toolkit.plan import design_for

    model_ir, x = dscnn
    designs = {layer.name: design_for(layer, family) for layer in model_ir.mac_layers()}
    x = np.concatenate([x, 4 * x])
    fast = Emulator(model_ir, {name: ApproxProduct(d) for name, d in designs.items()}).trace(
        Emulator(model_ir).quantize_input(x)
    )
    reference = Emulator(
        model_ir, {name: ApproxProduct(d, method="gather") for name, d in designs.items()}
    ).trace(Emulator(model_ir).quantize_input(x))
    for name in reference:
        np.testing.assert_array_equal(fast[name], reference[name], err_msg=name)


@pytest.mark.parametrize("name", ["trunc2_u4s4", "btrunc2_s8s4", "mitchell_u4s4"])
def test_depthwise_sums_equal_the_per_channel_gather(name):
    design = get_design(name)
    rng = np.random.default_rng(3)
    windows = rng.choice(design.a_codes, (40, 9, 5))
    weights = rng.choice(design.w_codes, (9, 5, 2))  # depth multiplier 2
    windows[0], weights[:, 0, 0] = design.a_codes[-1], design.w_codes[0]  # extreme codes
    reference = ApproxProduct(design, method="gather")
    expected = np.concatenate(
        [reference.matmul(np.ascontiguousarray(windows[:, :, c]), weights[:, c, :]) for c in range(5)], axis=1
    )
    np.testing.assert_array_equal(ApproxProduct(design).depthwise_matmul(windows, weights), expected)
