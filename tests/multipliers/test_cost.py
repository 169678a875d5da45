"""The committed cost table: coverage, normalisation, errors; yosys tier re-synthesizes a few designs."""

from __future__ import annotations

import shutil

import pytest

from toolkit.multipliers import MultiplierError, get_design, list_designs
from toolkit.multipliers.cost import KEYS, cost_table, design_cost, table_meta


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


def test_every_row_has_one_reproducible_batch() -> None:
    """meta.batches (or the default single batch) assigns each catalogue design to one batch."""
    from toolkit.multipliers.costgen import reproduction_batches

    meta = table_meta()
    pairs = {(d.a_bits, d.w_bits) for d in list_designs()}
    for a_bits, w_bits in sorted(pairs):
        owners: dict[str, int] = {}
        for designs, owned in reproduction_batches(meta, a_bits, w_bits):
            assert designs[0].family == "exact" and set(owned) <= {d.name for d in designs}
            for name in owned:
                owners[name] = owners.get(name, 0) + 1
        names = {d.name for d in list_designs(a_bits=a_bits, w_bits=w_bits)}
        assert set(owners) == names, (a_bits, w_bits)
        assert all(n == 1 or k.startswith("exact_") for k, n in owners.items())


def test_baugh_wooley_rows_sane() -> None:
    for ops in ("u8s8", "s8s8", "u4s4", "s4s4"):
        assert design_cost(f"btrunc4_{ops}")["luts"] < design_cost(f"btrunc2_{ops}")["luts"]
        assert design_cost(f"bperfw2_{ops}")["luts"] < design_cost(f"exact_{ops}")["luts"]
        assert design_cost(f"bperfw1_{ops}")["energy_proxy"] < 1.0


@pytest.mark.yosys
@pytest.mark.parametrize(("a_bits", "w_bits"), [(2, 3), (4, 4), (3, 2)])
def test_resynthesis_matches_table(a_bits: int, w_bits: int) -> None:
    """Re-run the cost flow on the batches of one width pair (as costgen batched them); counts
    and toggles must equal the committed rows. yosys/abc results depend on the batch, so each
    batch is rebuilt exactly (costgen.reproduction_batches: the base catalogue batch and, where
    families were added with --families, the exact + added-families batch)."""
    if shutil.which("yosys") is None:
        pytest.skip("yosys is not on PATH (apt-get install yosys)")
    from toolkit.multipliers.costgen import DEFAULT_VECTORS, measure_batch, reproduction_batches

    table = cost_table()
    checked = set()
    for designs, owned in reproduction_batches(table_meta(), a_bits, w_bits):
        fresh = measure_batch(designs, DEFAULT_VECTORS)  # also asserts netlist == numpy table
        for name in owned:
            for k in ("luts", "carry4", "muxf7", "muxf8", "inv", "toggles"):
                assert fresh[name][k] == table[name][k], (name, k)
        checked.update(owned)
    assert checked == {d.name for d in list_designs(a_bits=a_bits, w_bits=w_bits)}
