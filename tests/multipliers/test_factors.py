"""Integer factorisations of product tables: exact, and as small as the table's rank."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.multipliers import get_design, list_designs
from toolkit.multipliers.factors import design_factors, table_factors

# (activation bits, weight bits, signed activations); weights are signed, as in the catalogue
WIDTHS = [
    (2, 2, False),
    (2, 2, True),
    (3, 5, False),
    (4, 4, False),
    (4, 4, True),
    (8, 4, True),
    (8, 8, False),
]


@pytest.mark.parametrize(("a_bits", "w_bits", "a_signed"), WIDTHS)
def test_every_design_factors_exactly_at_the_table_rank(a_bits, w_bits, a_signed):
    for design in list_designs(a_bits=a_bits, w_bits=w_bits, a_signed=a_signed, w_signed=True):
        table = design.table()
        factors = design_factors(design)
        np.testing.assert_array_equal(factors.f @ factors.g.T, table, err_msg=design.name)
        assert factors.rank == np.linalg.matrix_rank(table.astype(np.float64)), design.name
        assert factors.unit_bound == np.max(np.abs(factors.f) @ np.abs(factors.g).T)
        assert factors.unit_bound >= np.abs(table).max()


def test_bit_linear_designs_use_the_bit_structure():
    # btrunc3 on two's-complement codes: the array is linear in the activation's code bits.
    factors = design_factors(get_design("btrunc3_s4s4"))
    assert factors.how in ("a-tc-bits", "w-tc-bits") and factors.rank == 4


def test_a_table_without_structure_falls_back_to_rows():
    rng = np.random.default_rng(0)
    codes = np.arange(4)
    table = rng.integers(-9, 10, (4, 4))
    best = table_factors(table, codes, codes, 2, 2)[0]
    np.testing.assert_array_equal(best.f @ best.g.T, table)
    assert best.how.endswith("rows") and best.rank == 4
