"""The two's-complement (Baugh-Wooley) families against independent references.

References written here, separately from the models: a bit-level Baugh-Wooley evaluation
(AND / NAND bits, correction constant, sum modulo 2^(n+m+1), sign extension), closed forms
for perforation, the sign-magnitude families on unsigned operands, and the compensation
constant as the rounded mean of the dropped bits over all operand codes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from toolkit.emulator.control_variate import line_fit
from toolkit.multipliers import Design, MultiplierError, get_design, list_designs
from toolkit.multipliers.registry import CATALOGUE_SIGNS, operand_tag

from .cases import designs_for

NATIVE = ("btrunc", "bctrunc", "bperfw", "bperfa")


def all_native(small: bool) -> list[Design]:
    return [d for f in NATIVE for d in designs_for(f, small)]


def keep_rule(d: Design) -> Callable[[int, int], bool]:
    p = d.params
    if d.family in ("btrunc", "bctrunc"):
        return lambda i, j: i + j >= p["k"]
    if d.family == "bperfw":
        return lambda i, j: j >= p["m"]
    return lambda i, j: i >= p["m"]


def baugh_wooley(d: Design, keep: Callable[[int, int], bool]) -> np.ndarray:
    """Bit-level BW array of the kept positions: positive bits a_i & w_j, negative-weight bits
    (exactly one sign bit) ~(a_i & w_j) plus -2^(i+j) in the correction constant."""
    n, m, width = d.a_bits, d.w_bits, d.result_bits
    ra = d.a_codes[:, None] & ((1 << n) - 1)  # raw operand bits
    rw = d.w_codes[None, :] & ((1 << m) - 1)
    total = np.zeros((len(d.a_codes), len(d.w_codes)), dtype=np.int64)
    correction = 0
    for i in range(n):
        for j in range(m):
            if not keep(i, j):
                continue
            bit = ((ra >> i) & 1) & ((rw >> j) & 1)
            negative = (d.a_signed and i == n - 1) != (d.w_signed and j == m - 1)
            if negative:
                total += (1 - bit) << (i + j)
                correction -= 1 << (i + j)
            else:
                total += bit << (i + j)
    r = (total + correction) % (1 << width)
    return np.where(r >= 1 << (width - 1), r - (1 << width), r)


@pytest.mark.parametrize("small", [True, False], ids=["widths2to4", "widths8"])
def test_tables_equal_bit_level_baugh_wooley(small: bool) -> None:
    designs = all_native(small)
    assert len(designs) > (200 if small else 30)
    for d in designs:
        t = d.table()
        assert np.abs(t).max() < 2 ** (d.result_bits - 1), d.name  # fits the result port
        ref = baugh_wooley(d, keep_rule(d))
        if d.family == "bctrunc":
            k = d.params["k"]
            dropped = d.exact_table() - baugh_wooley(d, lambda i, j, k=k: i + j >= k)
            c = int(np.floor(dropped.mean() + 0.5))  # uniform codes = independent uniform bits
            ref = ref + np.where((d.a_codes[:, None] != 0) & (d.w_codes[None, :] != 0), c, 0)
        np.testing.assert_array_equal(t, ref, err_msg=d.name)


def test_keeping_every_bit_is_exact() -> None:
    for ops in ("u4s4", "s4s4", "s3u5", "u8u8", "s8s8"):
        d = get_design(f"btrunc1_{ops}")
        np.testing.assert_array_equal(baugh_wooley(d, lambda i, j: True), d.exact_table(), err_msg=ops)


def test_zero_operand_gives_zero() -> None:
    for d in all_native(True) + all_native(False):
        t = d.table()
        assert not t[d.a_codes == 0].any() and not t[:, d.w_codes == 0].any(), d.name


@pytest.mark.parametrize("ops", ["u4s4", "s4s4", "s3s4", "s4u3", "u8s8", "s8s8", "u8u8", "s8u8"])
def test_perforation_error_identity(ops: str) -> None:
    """bperfw<m>: e = -a (w mod 2^m) with w mod 2^m in [0, 2^m) (floor), bperfa likewise."""
    for m in (1, 2):
        d = get_design(f"bperfw{m}_{ops}")
        a, w = d.a_codes[:, None], d.w_codes[None, :]
        assert ((w % (1 << m)) >= 0).all()
        np.testing.assert_array_equal(d.error_table(), -a * (w % (1 << m)), err_msg=d.name)
        np.testing.assert_array_equal(d.table(), a * ((w >> m) << m), err_msg=d.name)
        da = get_design(f"bperfa{m}_{ops}")
        np.testing.assert_array_equal(da.error_table(), -w * (a % (1 << m)), err_msg=da.name)


@pytest.mark.parametrize("ops", ["u4s4", "s4s4", "u8s8"])
def test_weight_perforation_control_variate_is_exact(ops: str) -> None:
    """With V = sum a the least-squares line fit is exact: alpha(w) = -(w mod 2^m), beta = 0,
    under uniform and under skewed activation histograms."""
    d = get_design(f"bperfw2_{ops}")
    rng = np.random.default_rng(3)
    for p_a in (None, rng.dirichlet(np.ones(len(d.a_codes)))):
        alpha, beta = line_fit(d, p_a)
        np.testing.assert_allclose(alpha, -(d.w_codes % 4), atol=1e-9)
        np.testing.assert_allclose(beta, 0, atol=1e-9)
    a = rng.choice(d.a_codes, 64)
    w = rng.choice(d.w_codes, 64)
    assert int(d.product(a, w).sum()) - int(a @ w) == int(-(w % 4) @ a)  # one MAC, exactly


@pytest.mark.parametrize("ops", ["u2u3", "u4u4", "u3u2", "u8u8"])
def test_unsigned_operands_equal_sign_magnitude_families(ops: str) -> None:
    for new, old in (
        ("btrunc3", "trunc3"),
        ("bctrunc3", "ctrunc3"),
        ("bperfw1", "perfw1"),
        ("bperfa1", "perfa1"),
    ):
        np.testing.assert_array_equal(get_design(f"{new}_{ops}").table(), get_design(f"{old}_{ops}").table())


def test_compensation_constant_and_gate() -> None:
    """bctrunc - btrunc is the constant on non-zero operand pairs, 0 elsewhere, and the
    constant is the rounded mean of the dropped signed bits (which may be negative)."""
    seen_negative = False
    for d in designs_for("bctrunc", True):
        plain = get_design(d.name.replace("bctrunc", "btrunc", 1))
        diff = d.table() - plain.table()
        nz = (d.a_codes[:, None] != 0) & (d.w_codes[None, :] != 0)
        assert not diff[~nz].any(), d.name
        c = int(np.floor((d.exact_table() - plain.table()).mean() + 0.5))
        assert (diff[nz] == c).all(), d.name
        seen_negative |= c < 0
    assert seen_negative  # e.g. s2s2: the dropped sign-column bits outweigh the positive ones
    # compensation reduces the mean error of truncation where it is large
    for ops in ("u8s8", "s8s8"):
        e_plain = get_design(f"btrunc6_{ops}").error_table().mean()
        e_comp = get_design(f"bctrunc6_{ops}").error_table().mean()
        assert abs(e_comp) < 0.1 * abs(e_plain)


def test_names_catalogue_and_hardware_views() -> None:
    d = get_design("bctrunc3_u4s4")
    assert (d.family, d.params, d.cpp_class) == ("bctrunc", {"k": 3}, "approx::btrunc<3, true>")
    assert d.verilog_module == "approx_btrunc" and d.verilog_file.exists() and d.cpp_header.exists()
    assert d.verilog_params == {"AW": 4, "WW": 4, "AS": 0, "WS": 1, "K": 3, "COMP": 1}
    p = get_design("bperfa2_s8s8")
    assert p.cpp_class == "approx::bperf<2, false>" and p.verilog_params["ON_W"] == 0
    for name, fragment in (
        ("btrunc7_u4s4", "1..6"),
        ("bctrunc0_s4s4", "k = 0"),
        ("bperfw4_u4s4", "m = 4"),
        ("bperfa2_u2s4", "1..1"),
        ("btruncx_u4s4", "not valid for family 'btrunc'"),
    ):
        with pytest.raises(MultiplierError, match=fragment):
            get_design(name)
    for sa, sw in CATALOGUE_SIGNS:
        names = {x.name for x in list_designs(a_bits=4, w_bits=4, a_signed=sa, w_signed=sw)}
        tag = operand_tag(4, 4, sa, sw)
        assert {f"btrunc2_{tag}", f"bctrunc3_{tag}", f"bperfw1_{tag}"} <= names
