"""The one place where design names map to families, and the default catalogue.

Name grammar::

    name     := family params "_" operands          e.g. trunc2_u4s4, bamh1v3_s8s8, btrunc3_u4s4
    operands := sign a_bits sign w_bits             sign: u (unsigned) | s (two's complement)
                                                    bits: 2..8, activation first

``params`` is family specific (see ``FAMILIES`` and each family's ``grammar``). Adding a
family = one module under ``families/``, one entry in ``FAMILIES`` and its .h/.v files.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from toolkit.multipliers.design import MAX_BITS, MIN_BITS, Design
from toolkit.multipliers.families.axbxp import BlockedDynamic, BlockedStatic
from toolkit.multipliers.families.baugh_wooley import (
    BCompensatedTruncated,
    BPerforatedActivation,
    BPerforatedWeight,
    BTruncated,
)
from toolkit.multipliers.families.broken_array import BrokenArray
from toolkit.multipliers.families.drum import Drum
from toolkit.multipliers.families.exact import Exact
from toolkit.multipliers.families.mitchell import Mitchell
from toolkit.multipliers.families.perforated import PerforatedActivation, PerforatedWeight
from toolkit.multipliers.families.truncated import CompensatedTruncated, Truncated
from toolkit.multipliers.family import Family, MultiplierError, Params

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Exact(),
        Truncated(),
        CompensatedTruncated(),
        PerforatedWeight(),
        PerforatedActivation(),
        BrokenArray(),
        Mitchell(),
        Drum(),
        BlockedStatic(),
        BlockedDynamic(),
        BTruncated(),
        BCompensatedTruncated(),
        BPerforatedWeight(),
        BPerforatedActivation(),
    )
}

#: operand signedness of the default catalogue: (activation signed, weight signed)
CATALOGUE_SIGNS: tuple[tuple[bool, bool], ...] = ((False, True), (True, True))

_OPERANDS = re.compile(r"(?P<asg>[us])(?P<ab>\d+)(?P<wsg>[us])(?P<wb>\d+)")


def operand_tag(a_bits: int, w_bits: int, a_signed: bool, w_signed: bool) -> str:
    """The operand part of a name, e.g. ``u4s4``."""
    return f"{'s' if a_signed else 'u'}{a_bits}{'s' if w_signed else 'u'}{w_bits}"


def _split_family(head: str) -> tuple[Family, str]:
    for fname in sorted(FAMILIES, key=len, reverse=True):
        if head.startswith(fname) and re.fullmatch(FAMILIES[fname].pattern, head[len(fname) :]):
            return FAMILIES[fname], head[len(fname) :]
    for fname in sorted(FAMILIES, key=len, reverse=True):
        if head.startswith(fname):
            return FAMILIES[fname], head[len(fname) :]  # parse() will name the bad parameters
    raise MultiplierError(
        f"unknown multiplier family in {head!r}: expected one of {', '.join(FAMILIES)} "
        "(e.g. trunc2_u4s4; see toolkit.multipliers.registry)"
    )


def make_design(
    family: str, a_bits: int, w_bits: int, a_signed: bool, w_signed: bool, **params: int
) -> Design:
    """Build (and validate) a design from parts; the inverse of parsing its name."""
    if family not in FAMILIES:
        raise MultiplierError(f"unknown multiplier family {family!r}: expected one of {', '.join(FAMILIES)}")
    fam = FAMILIES[family]
    for what, bits in (("activation", a_bits), ("weight", w_bits)):
        if not isinstance(bits, int) or not MIN_BITS <= bits <= MAX_BITS:
            raise MultiplierError(
                f"{what} width {bits!r} is unsupported: expected {MIN_BITS}..{MAX_BITS} bits"
            )
    fam.check(params, a_bits, w_bits)
    name = f"{fam.name}{fam.format(params)}_{operand_tag(a_bits, w_bits, a_signed, w_signed)}"
    return Design(name, fam.name, a_bits, w_bits, a_signed, w_signed, tuple(sorted(params.items())), fam)


@functools.lru_cache(maxsize=4096)
def get_design(name: str) -> Design:
    """Parse a design name such as ``trunc2_u4s4`` (raises MultiplierError naming what is wrong)."""
    if not isinstance(name, str) or name.count("_") != 1:
        raise MultiplierError(
            f"design name {name!r} is malformed: expected <family><params>_<u|s><a_bits><u|s><w_bits>, "
            "e.g. trunc2_u4s4"
        )
    head, ops = name.split("_")
    m = _OPERANDS.fullmatch(ops)
    if m is None:
        raise MultiplierError(
            f"operand part {ops!r} of {name!r} is malformed: expected <u|s><a_bits><u|s><w_bits>, e.g. u4s4"
        )
    fam, ptext = _split_family(head)
    params: Params = fam.parse(ptext)
    d = make_design(fam.name, int(m["ab"]), int(m["wb"]), m["asg"] == "s", m["wsg"] == "s", **params)
    if d.name != name:
        raise MultiplierError(f"design name {name!r} is not canonical: write {d.name!r}")
    return d


@functools.cache
def _catalogue_for(a_bits: int, w_bits: int, a_signed: bool, w_signed: bool) -> tuple[Design, ...]:
    """Catalogue designs of one operand configuration; later designs with a table identical to an
    earlier one (e.g. drum4 at 4 bits, which is exact) are left out."""
    out: list[Design] = []
    seen: list[np.ndarray] = []
    for fam in FAMILIES.values():
        for params in fam.catalogue:
            try:
                d = make_design(fam.name, a_bits, w_bits, a_signed, w_signed, **params)
            except MultiplierError:
                continue
            t = d.table()
            if any(np.array_equal(t, s) for s in seen):
                continue
            seen.append(t)
            out.append(d)
    return tuple(out)


def list_designs(
    a_bits: int | None = None,
    w_bits: int | None = None,
    a_signed: bool | None = None,
    w_signed: bool | None = None,
    family: str | None = None,
) -> list[Design]:
    """The default catalogue (widths 2..8 x 2..8, u x s and s x s operands), filtered."""
    if family is not None and family not in FAMILIES:
        raise MultiplierError(f"unknown multiplier family {family!r}: expected one of {', '.join(FAMILIES)}")
    for what, bits in (("a_bits", a_bits), ("w_bits", w_bits)):
        if bits is not None and not MIN_BITS <= bits <= MAX_BITS:
            raise MultiplierError(f"{what} = {bits!r} is unsupported: expected {MIN_BITS}..{MAX_BITS}")
    out: list[Design] = []
    for ab in [a_bits] if a_bits is not None else range(MIN_BITS, MAX_BITS + 1):
        for wb in [w_bits] if w_bits is not None else range(MIN_BITS, MAX_BITS + 1):
            for asg, wsg in CATALOGUE_SIGNS:
                if (a_signed is not None and asg != a_signed) or (w_signed is not None and wsg != w_signed):
                    continue
                out.extend(d for d in _catalogue_for(ab, wb, asg, wsg) if family in (None, d.family))
    return out
