"""error_metrics against a direct computation over explicit (a, w, probability) triples."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.multipliers import MultiplierError, get_design
from toolkit.multipliers.metrics import error_metrics


def direct(name: str, pa: np.ndarray | None, pw: np.ndarray | None) -> dict[str, float]:
    d = get_design(name)
    na, nw = len(d.a_codes), len(d.w_codes)
    pa = np.full(na, 1 / na) if pa is None else pa / pa.sum()
    pw = np.full(nw, 1 / nw) if pw is None else pw / pw.sum()
    rows = []
    for i, a in enumerate(d.a_codes):
        for j, w in enumerate(d.w_codes):
            e = int(d.product(a, w)) - int(a) * int(w)
            rows.append((pa[i] * pw[j], e, int(a) * int(w)))
    p = np.array([r[0] for r in rows])
    e = np.array([r[1] for r in rows], dtype=float)
    x = np.array([r[2] for r in rows], dtype=float)
    mean = float((p * e).sum())
    nz = x != 0
    return {
        "mean": mean,
        "var": float((p * e**2).sum() - mean**2),
        "mae": float((p * abs(e)).sum()),
        "mse": float((p * e**2).sum()),
        "wce": float(abs(e[p > 0]).max()),
        "mre": float((p[nz] * abs(e[nz]) / abs(x[nz])).sum() / p[nz].sum()),
        "ep": float(p[e != 0].sum()),
    }


@pytest.mark.parametrize(
    "name", ["trunc2_u4s4", "ctrunc3_s4s4", "perfw1_u3s5", "mitchell_s4s3", "bxpd2l1_u6s6"]
)
def test_uniform_and_histograms(name: str) -> None:
    d = get_design(name)
    rng = np.random.default_rng(1)
    pa = rng.random(len(d.a_codes)) * (rng.random(len(d.a_codes)) > 0.3)  # some codes never occur
    pw = rng.integers(0, 50, len(d.w_codes)).astype(float)  # counts are fine too
    for hist in ((None, None), (pa, pw), (pa, None)):
        got = error_metrics(d, *hist)
        want = direct(name, *hist)
        assert got.keys() == want.keys()
        for k in want:
            assert got[k] == pytest.approx(want[k], rel=1e-9, abs=1e-9), k


def test_exact_has_no_error() -> None:
    m = error_metrics(get_design("exact_u8s8"))
    assert all(v == 0 for v in m.values())


def test_perforation_bias_matches_formula() -> None:
    """perfw<m> on unsigned operands: e = -a (w mod 2^m), so E[e] = -E[a] E[w mod 2^m]."""
    m = error_metrics(get_design("perfw2_u4u4"))
    assert m["mean"] == pytest.approx(-7.5 * 1.5)


def test_bad_histograms() -> None:
    d = get_design("trunc2_u4s4")
    with pytest.raises(MultiplierError, match="shape"):
        error_metrics(d, np.ones(15))
    with pytest.raises(MultiplierError, match="non-negative"):
        error_metrics(d, None, -np.ones(16))
