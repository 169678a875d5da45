"""The family interface: what one approximate-multiplier family must provide.

A family is a parameterised unsigned *core* ``core(ma, mw) -> approximate ma*mw`` on
operand magnitudes of ``a_bits`` x ``w_bits`` bits, plus the names of its C++ class and
Verilog module. For these families signedness is not a family concern:
:mod:`toolkit.multipliers.design` wraps every core in the same sign-magnitude shell
(``sign(a) sign(w) core(|a|, |w|)``), exactly as ``approx::mul`` in
``hls/multipliers/approx_common.h`` and the front/back ends of those ``approx_*.v`` do.

A :class:`TwosComplementFamily` instead approximates the two's-complement (Baugh-Wooley)
partial-product array of the operand *codes* directly (no shell): it sets
``sign_magnitude = False`` and implements :meth:`TwosComplementFamily.native`.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np

from toolkit.errors import ToolkitError

Params = dict[str, int]


class MultiplierError(ToolkitError, ValueError):
    """A bad design name, parameter, width or operand: the message names the value and what is accepted."""


class Family(ABC):
    """One parameterised family; subclasses are registered in :mod:`toolkit.multipliers.registry`."""

    #: family token at the start of a design name, e.g. ``"trunc"``
    name: ClassVar[str]
    #: regular expression for the parameter text after the token; named groups are the parameters
    pattern: ClassVar[str] = ""
    #: one-line description of the parameter grammar, shown in error messages and docs
    grammar: ClassVar[str]
    #: header and Verilog file names under ``hls/multipliers/``
    header: ClassVar[str]
    verilog_file: ClassVar[str]
    verilog_module: ClassVar[str]
    #: parameter sets of the default catalogue (filtered by :meth:`check` per width pair)
    catalogue: ClassVar[Sequence[Params]] = ({},)
    #: True: Design wraps :meth:`core` in the sign-magnitude shell; False: see TwosComplementFamily
    sign_magnitude: ClassVar[bool] = True

    def parse(self, text: str) -> Params:
        """Parse the parameter text of a name into a dict (raises MultiplierError)."""
        m = re.fullmatch(self.pattern, text)
        if m is None:
            raise MultiplierError(
                f"parameters {text!r} are not valid for family {self.name!r}: expected {self.grammar}"
            )
        return {k: int(v) for k, v in m.groupdict().items() if v is not None}

    @abstractmethod
    def format(self, params: Params) -> str:
        """The canonical parameter text of a name, inverse of :meth:`parse`."""

    def check(self, params: Params, a_bits: int, w_bits: int) -> None:
        """Raise MultiplierError if ``params`` are not meaningful at these widths (default: any)."""
        return None

    @abstractmethod
    def core(self, ma: np.ndarray, mw: np.ndarray, a_bits: int, w_bits: int, params: Params) -> np.ndarray:
        """Approximate product of unsigned magnitudes (broadcasting int64 arrays)."""

    @abstractmethod
    def cpp_class(self, params: Params) -> str:
        """C++ core type, e.g. ``approx::trunc<2>``."""

    @abstractmethod
    def verilog_params(self, params: Params) -> Params:
        """Family parameters of the Verilog module (widths and signedness are added by Design)."""


class TwosComplementFamily(Family):
    """A family defined on two's-complement operand codes (no sign-magnitude shell)."""

    sign_magnitude = False

    @abstractmethod
    def native(
        self,
        a: np.ndarray,
        w: np.ndarray,
        a_bits: int,
        w_bits: int,
        a_signed: bool,
        w_signed: bool,
        params: Params,
    ) -> np.ndarray:
        """Approximate product of operand codes (broadcasting int64 arrays, signed codes negative)."""

    def core(self, ma: np.ndarray, mw: np.ndarray, a_bits: int, w_bits: int, params: Params) -> np.ndarray:
        """On unsigned operands both views coincide: the unsigned x unsigned design."""
        return self.native(ma, mw, a_bits, w_bits, False, False, params)


def require(ok: bool, family: str, what: str, value: int, accepted: str) -> None:
    """Raise a MultiplierError naming the bad parameter value and the accepted range."""
    if not ok:
        raise MultiplierError(f"{family}: {what} = {value} is invalid: expected {accepted}")


def pp_array(
    ma: np.ndarray, mw: np.ndarray, a_bits: int, w_bits: int, keep: Callable[[int, int], bool]
) -> np.ndarray:
    """Sum of the kept partial-product bits ``a_i w_j 2^(i+j)`` (i: activation bit, j: weight bit).

    This is the behavioural model of an array multiplier from which some AND cells (and
    the adder cells that only sum them) were removed; the remaining bits are summed exactly.
    """
    ma = np.asarray(ma, dtype=np.int64)
    mw = np.asarray(mw, dtype=np.int64)
    out = np.zeros(np.broadcast(ma, mw).shape, dtype=np.int64)
    for j in range(w_bits):
        row_mask = sum(1 << i for i in range(a_bits) if keep(i, j))
        if row_mask:
            out += ((ma & row_mask) * ((mw >> j) & 1)) << j
    return out


def leading_one(x: np.ndarray) -> np.ndarray:
    """Position of the most significant set bit (0 for x == 0), elementwise."""
    x = np.asarray(x, dtype=np.int64)
    pos = np.zeros(x.shape, dtype=np.int64)
    for b in range(1, 63):
        pos = np.where((x >> b) != 0, b, pos)
        if not np.any(x >> b):
            break
    return pos
