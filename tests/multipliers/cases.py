"""The exhaustive test design set shared by the C++, Verilator and yosys tiers."""

from __future__ import annotations

from toolkit.multipliers import Design, MultiplierError, get_design
from toolkit.multipliers.registry import FAMILIES, operand_tag

#: per family, the parameter texts exercised exhaustively (invalid ones at a width are skipped)
TEST_PARAMS: dict[str, list[str]] = {
    "exact": [""],
    "trunc": ["1", "2", "3", "5"],
    "ctrunc": ["1", "2", "4", "6"],
    "perfw": ["1", "2", "3"],
    "perfa": ["1", "2"],
    "bam": ["h1v2", "h1v3", "h2v5"],
    "mitchell": ["", "0", "2"],
    "drum": ["2", "3", "5"],
    "bxps": ["1l3", "2l1", "2l2", "3l1", "4l1"],
    "bxpd": ["1l3", "2l1", "2l2", "3l1", "4l1"],
    "btrunc": ["1", "2", "3", "5", "8", "14"],
    "bctrunc": ["1", "2", "4", "6", "9", "13"],
    "bperfw": ["1", "2", "3", "7"],
    "bperfa": ["1", "2", "5"],
}
SMALL_WIDTHS = [(a, w) for a in (2, 3, 4) for w in (2, 3, 4)]
ALL_SIGNS = [(False, True), (True, True), (False, False), (True, False)]
BIG_CONFIGS = [(8, 8, False, True), (8, 8, True, True), (5, 3, False, True), (2, 8, True, True)]
#: two's-complement (Baugh-Wooley) families are also checked at 8x8 with unsigned weights
NATIVE_BIG_CONFIGS = [(8, 8, False, False), (8, 8, True, False)]


def designs_for(family: str, small: bool) -> list[Design]:
    """Every valid design of a family over the small (all widths 2..4, all signs) or big configs."""
    if small:
        configs = [(a, w, sa, sw) for a, w in SMALL_WIDTHS for sa, sw in ALL_SIGNS]
    else:
        configs = BIG_CONFIGS + ([] if FAMILIES[family].sign_magnitude else NATIVE_BIG_CONFIGS)
    out = []
    for a, w, sa, sw in configs:
        for p in TEST_PARAMS[family]:
            try:
                out.append(get_design(f"{family}{p}_{operand_tag(a, w, sa, sw)}"))
            except MultiplierError:
                continue
    return out


def all_test_designs(small: bool) -> list[Design]:
    return [d for f in FAMILIES for d in designs_for(f, small)]


def min_designs(small: bool) -> int:
    """The fewest designs a family may have in a set: at least one per width/sign configuration."""
    return len(SMALL_WIDTHS) * len(ALL_SIGNS) if small else len(BIG_CONFIGS)


def assert_enough_designs(designs: list[Design], small: bool, families: list[str] | None = None) -> None:
    """Every family (or ``families``) has at least :func:`min_designs` designs: a table test never passes empty."""
    for family in families or list(FAMILIES):
        n = sum(d.family == family for d in designs)
        assert n >= min_designs(small), f"{family}: only {n} designs in the {'small' if small else 'big'} set"
