"""Names, parsing, errors, operand codes and the numpy models against independent formulas."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.errors import ToolkitError
from toolkit.multipliers import Design, MultiplierError, get_design, list_designs, make_design
from toolkit.multipliers.families.truncated import compensation
from toolkit.multipliers.registry import CATALOGUE_SIGNS, FAMILIES


def test_example_design() -> None:
    d = get_design("trunc2_u4s4")
    assert (d.name, d.family, d.params) == ("trunc2_u4s4", "trunc", {"k": 2})
    assert (d.a_bits, d.w_bits, d.a_signed, d.w_signed) == (4, 4, False, True)
    np.testing.assert_array_equal(d.a_codes, np.arange(16))
    np.testing.assert_array_equal(d.w_codes, np.arange(-8, 8))
    assert d.a_codes.dtype == np.int64 and d.table().dtype == np.int64
    assert d.table().shape == (16, 16)
    assert d.cpp_class == "approx::trunc<2>"
    assert d.cpp_product() == "approx::policy<approx::trunc<2>, x_T, w_T>"
    assert d.cpp_header.name == "approx_trunc.h" and d.cpp_header.exists()
    assert d.verilog_file.exists() and d.verilog_module == "approx_trunc"
    assert d.verilog_params == {"AW": 4, "WW": 4, "AS": 0, "WS": 1, "K": 2, "COMP": 0}
    assert get_design("trunc2_u4s4") is d


def test_exact_is_a_design() -> None:
    d = get_design("exact_s3u5")
    np.testing.assert_array_equal(d.table(), np.outer(d.a_codes, d.w_codes))
    assert not d.error_table().any()


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("foo2_u4s4", "unknown multiplier family"),
        ("trunc2_u1s4", "activation width 1"),
        ("trunc2_u4s9", "weight width 9"),
        ("trunc0_u4s4", "k = 0"),
        ("trunc7_u4s4", "1..6"),
        ("truncx_u4s4", "not valid for family 'trunc'"),
        ("perfw4_u4s4", "m = 4"),
        ("bamh2v2_u4s4", "v = 2"),
        ("drum1_u4s4", "k = 1"),
        ("bxps0l1_u8s8", "K = 0"),
        ("mitchell8_u4s4", "t = 8"),
        ("trunc2_x4s4", "operand part"),
        ("trunc2", "malformed"),
        ("trunc02_u4s4", "not canonical"),
    ],
)
def test_bad_names(name: str, fragment: str) -> None:
    with pytest.raises(MultiplierError, match=fragment):
        get_design(name)


def test_error_types() -> None:
    with pytest.raises(ValueError):
        get_design("nope_u4s4")
    with pytest.raises(ToolkitError):
        get_design("nope_u4s4")
    with pytest.raises(MultiplierError, match="unknown multiplier family"):
        list_designs(family="nope")
    with pytest.raises(MultiplierError, match="a_bits"):
        list_designs(a_bits=9)


def test_catalogue() -> None:
    all_designs = list_designs()
    assert len({d.name for d in all_designs}) == len(all_designs)
    for a in range(2, 9):
        for w in range(2, 9):
            for sa, sw in CATALOGUE_SIGNS:
                ds = list_designs(a_bits=a, w_bits=w, a_signed=sa, w_signed=sw)
                assert ds[0].family == "exact"
                assert all((d.a_bits, d.w_bits, d.a_signed, d.w_signed) == (a, w, sa, sw) for d in ds)
    assert {d.family for d in list_designs(a_bits=8, w_bits=8)} == set(FAMILIES)
    assert all(d.family == "drum" for d in list_designs(family="drum"))


def test_round_trip_and_range() -> None:
    for d in list_designs():
        assert get_design(d.name) == d
        t = d.table()
        assert np.abs(t).max() < 2 ** (d.result_bits - 1), d.name  # fits the signed result port


@given(
    fam=st.sampled_from(sorted(FAMILIES)),
    k=st.integers(0, 9),
    h=st.integers(0, 9),
    a=st.integers(1, 9),
    w=st.integers(1, 9),
    sa=st.booleans(),
    sw=st.booleans(),
)
def test_any_name_parses_or_raises_multiplier_error(
    fam: str, k: int, h: int, a: int, w: int, sa: bool, sw: bool
) -> None:
    ptext = {"exact": "", "bam": f"h{h}v{k}", "bxps": f"{k}l{h}", "bxpd": f"{k}l{h}"}.get(fam, str(k))
    name = f"{fam}{ptext}_{'s' if sa else 'u'}{a}{'s' if sw else 'u'}{w}"
    try:
        d = get_design(name)
    except MultiplierError:
        return
    assert d.name == name and d.table().shape == (2**a, 2**w)


def test_product_gathers_table() -> None:
    d = get_design("drum3_s6s5")
    rng = np.random.default_rng(0)
    a, w = rng.integers(-32, 32, 100), rng.integers(-16, 16, 100)
    np.testing.assert_array_equal(
        d.product(a, w), [d.table()[x + 32, y + 16] for x, y in zip(a, w, strict=True)]
    )
    with pytest.raises(MultiplierError, match="activation code 32"):
        d.product(np.array([32]), np.array([0]))


def _sm(d: Design, core) -> np.ndarray:
    """Reference sign-magnitude table from a scalar core, by plain loops."""
    return np.array(
        [
            [int(np.sign(a) * np.sign(w)) * core(abs(int(a)), abs(int(w))) for w in d.w_codes]
            for a in d.a_codes
        ]
    )


@pytest.mark.parametrize("ops", ["u4s4", "s3s5", "u5u3", "s6s5"])
def test_models_against_direct_formulas(ops: str) -> None:
    def bits(x: int, n: int) -> list[int]:
        return [(x >> i) & 1 for i in range(n)]

    d = get_design(f"trunc3_{ops}")
    n, m = d.a_bits, d.w_bits

    def tr(a: int, w: int) -> int:
        return sum(bits(a, n)[i] * bits(w, m)[j] << (i + j) for i in range(n) for j in range(m) if i + j >= 3)

    np.testing.assert_array_equal(d.table(), _sm(d, tr))
    c = compensation(3, n, m)
    np.testing.assert_array_equal(
        get_design(f"ctrunc3_{ops}").table(), _sm(d, lambda a, w: tr(a, w) + (c if a and w else 0))
    )
    # perforation: e = -a * (w mod 2^m) on magnitudes
    np.testing.assert_array_equal(
        get_design(f"perfw2_{ops}").table(), _sm(d, lambda a, w: a * w - a * (w % 4))
    )
    np.testing.assert_array_equal(
        get_design(f"perfa1_{ops}").table(), _sm(d, lambda a, w: a * w - w * (a % 2))
    )

    def bam(a: int, w: int) -> int:
        return sum(
            bits(a, n)[i] * bits(w, m)[j] << (i + j) for i in range(n) for j in range(1, m) if i + j >= 2
        )

    np.testing.assert_array_equal(get_design(f"bamh1v2_{ops}").table(), _sm(d, bam))


def test_mitchell_and_drum_formulas() -> None:
    import math

    d = get_design("mitchell_u8u8")

    def mitchell(a: int, w: int) -> int:
        if a == 0 or w == 0:
            return 0
        la = math.floor(math.log2(a)) + (a / 2 ** math.floor(math.log2(a)) - 1)
        lw = math.floor(math.log2(w)) + (w / 2 ** math.floor(math.log2(w)) - 1)
        s = la + lw
        return round(2 ** math.floor(s) * (1 + s - math.floor(s)))

    np.testing.assert_array_equal(d.table(), _sm(d, mitchell))
    assert (d.error_table() <= 0).all()  # Mitchell never overestimates
    dr = get_design("drum3_u8u8")

    def drum(x: int) -> int:
        if x < 8:
            return x
        s = x.bit_length() - 3
        return ((x >> s) | 1) << s

    np.testing.assert_array_equal(dr.table(), _sm(dr, lambda a, w: drum(a) * drum(w)))
    assert abs(float(dr.error_table().mean())) < 0.02 * float(np.abs(dr.exact_table()).mean())  # unbiased-ish


@pytest.mark.parametrize("dyn", [False, True])
@pytest.mark.parametrize(("k", "keep"), [(2, 2), (4, 1), (3, 1), (1, 3)])
def test_axbxp_is_sum_of_block_products(k: int, keep: int, dyn: bool) -> None:
    """The kept-block product equals the sum of the L^2 block products with shifts."""
    d = make_design("bxpd" if dyn else "bxps", 8, 7, True, True, k=k, l=keep)

    def blocks(x: int, bits: int) -> list[tuple[int, int]]:
        nb = -(-bits // k)
        vals = [(x >> (k * i)) & ((1 << k) - 1) for i in range(nb)]
        top = nb - 1
        if dyn:
            top = max([i for i, v in enumerate(vals) if v] + [0])
            top = max(top, keep - 1)
        return [(i, vals[i]) for i in range(max(top - keep + 1, 0), min(top + 1, nb))]

    def core(a: int, w: int) -> int:
        return sum(va * vw << (k * (i + j)) for i, va in blocks(a, 8) for j, vw in blocks(w, 7))

    np.testing.assert_array_equal(d.table(), _sm(d, core), err_msg=d.name)


def test_sign_magnitude_symmetry_and_most_negative_code() -> None:
    for name in ("trunc3_s4s4", "mitchell_s5s4", "bxpd2l1_s6s6", "drum2_s4s3"):
        d = get_design(name)
        t = d.table()
        a0, w0 = -d.a_codes[0], -d.w_codes[0]  # offsets of code 0
        # p(-a, w) = -p(a, w) wherever -a is representable
        np.testing.assert_array_equal(t[a0 + 1 :, :], -t[a0 - 1 : 0 : -1, :])
        np.testing.assert_array_equal(t[:, w0 + 1 :], -t[:, w0 - 1 : 0 : -1])
        # -2^(n-1) uses magnitude 2^(n-1): same as the unsigned design at that magnitude
        u = get_design(name.replace("_s", "_u", 1))
        np.testing.assert_array_equal(t[0, :], -u.table()[2 ** (d.a_bits - 1), :])
