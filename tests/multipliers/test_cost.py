"""The committed cost table: coverage, normalisation, errors; yosys tier re-synthesizes a few designs."""

from __future__ import annotations

import shutil

import pytest

from toolkit.multipliers import MultiplierError, get_design, list_designs
from toolkit.multipliers.cost import KEYS, cost_table, design_cost


def test_table_covers_catalogue() -> None:
    table = cost_table()
    missing = [d.name for d in list_designs() if d.name not in table]
    assert not missing, f"{len(missing)} catalogue designs lack costs, e.g. {missing[:5]}"


def test_exact_is_one_and_values_sane() -> None:
    for d in list_designs():
        c = design_cost(d)
        assert set(c) == set(KEYS)
        assert c["luts"] >= 0 and c["energy_proxy"] >= 0
        if d.family == "exact":
            assert c["energy_proxy"] == 1.0
    # an obvious ordering: dropping more columns costs less
    assert design_cost("trunc4_u8s8")["luts"] < design_cost("trunc2_u8s8")["luts"]
    assert design_cost("bxps2l2_u8s8")["energy_proxy"] < 1.0


def test_design_outside_table() -> None:
    with pytest.raises(MultiplierError, match="python -m toolkit.multipliers.costgen"):
        design_cost("trunc3_u4u4")  # u x u is not in the catalogue
    assert design_cost("trunc2_u4s4") == design_cost(get_design("trunc2_u4s4"))


@pytest.mark.yosys
@pytest.mark.parametrize(("a_bits", "w_bits"), [(2, 3), (4, 4)])
def test_resynthesis_matches_table(a_bits: int, w_bits: int) -> None:
    """Re-run the cost flow on the batch of one width pair (as costgen batches it); counts and
    toggles must equal the committed rows. yosys/abc results depend on the batch, so the batch
    is the same as costgen's."""
    if shutil.which("yosys") is None:
        pytest.skip("yosys is not on PATH (apt-get install yosys)")
    from toolkit.multipliers.costgen import DEFAULT_VECTORS, measure_batch

    designs = list_designs(a_bits=a_bits, w_bits=w_bits)
    fresh = measure_batch(designs, DEFAULT_VECTORS)  # also asserts netlist == numpy table
    table = cost_table()
    for d in designs:
        for k in ("luts", "carry4", "muxf7", "muxf8", "inv", "toggles"):
            assert fresh[d.name][k] == table[d.name][k], (d.name, k)
