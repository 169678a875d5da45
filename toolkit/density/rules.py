"""The activation-density rules: bit-width update, channel count, settle test, integer bits.

Pure functions on numbers, no TensorFlow, so they can be checked on hand-made
activation densities (AD). The method (METHODS.md section 1):

* ``b_l <- max(b_min, round_fn(AD_l * b_l))``, ``round_fn`` ceil by default;
* ``channels_l <- max(min_channels, ceil(AD_l * channels_l))`` for pruning;
* an update is applied only once AD has settled, and training stops at the first
  update that changes no layer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from toolkit.errors import ToolkitError

Rounding = Literal["ceil", "round", "floor"]
ROUNDINGS: tuple[str, ...] = ("ceil", "round", "floor")
MIN_TOTAL_BITS = 2  # a quantizer never goes below 2 bits in total
MAX_START_BITS = 16


@dataclass(frozen=True)
class UpdateRule:
    """Parameters of the bit-width schedule.

    ``update_start``: no update before this many completed epochs (AD moves fast at
    first). ``settle_tol``: AD has settled when no layer's AD moved by more than this
    between the last two epochs. ``min_gap``: epochs trained at the current widths
    before the next update may happen (two AD readings at least, to judge settling).
    ``max_wait``: update anyway after this many epochs at the same widths, so a
    noisy layer cannot block the schedule (None: wait for settling forever).
    """

    start_bits: int = 16
    min_bits: int = 2
    rounding: Rounding = "ceil"
    update_start: int = 3
    settle_tol: float = 0.02
    min_gap: int = 2
    max_wait: int | None = 6

    def __post_init__(self) -> None:
        if not isinstance(self.start_bits, int) or not MIN_TOTAL_BITS <= self.start_bits <= MAX_START_BITS:
            raise ToolkitError(
                f"start bits {self.start_bits!r} are invalid: expected an integer "
                f"{MIN_TOTAL_BITS}..{MAX_START_BITS} (16 or 8 are the usual starts)"
            )
        if not isinstance(self.min_bits, int) or self.min_bits < MIN_TOTAL_BITS:
            raise ToolkitError(
                f"min bits {self.min_bits!r} are invalid: expected an integer >= {MIN_TOTAL_BITS}"
            )
        if self.min_bits > self.start_bits:
            raise ToolkitError(
                f"min bits {self.min_bits} are above the start bits {self.start_bits}: "
                f"expected min bits <= start bits (e.g. --min-bits 2 --start-bits {self.start_bits})"
            )
        if self.rounding not in ROUNDINGS:
            raise ToolkitError(
                f"rounding {self.rounding!r} is unknown: expected one of {', '.join(ROUNDINGS)}"
            )
        if self.update_start < 1 or self.min_gap < 2:
            raise ToolkitError(
                f"update_start={self.update_start}, min_gap={self.min_gap}: expected update_start >= 1 "
                "and min_gap >= 2 (settling needs two AD readings at the same widths)"
            )
        if not 0.0 <= self.settle_tol <= 1.0:
            raise ToolkitError(f"settle tolerance {self.settle_tol!r} is invalid: expected 0..1")
        if self.max_wait is not None and self.max_wait < self.min_gap:
            raise ToolkitError(
                f"max_wait={self.max_wait} is below min_gap={self.min_gap}; expected >= min_gap"
            )

    def as_dict(self) -> dict:
        return asdict(self)


def round_by(value: float, rounding: Rounding) -> int:
    """``value`` rounded the named way; a tiny tolerance absorbs float noise (0.5 * 8 stays 4)."""
    eps = 1e-9
    if rounding == "ceil":
        return math.ceil(value - eps)
    if rounding == "floor":
        return math.floor(value + eps)
    return math.floor(value + 0.5)  # half up, not banker's: 2.5 bits -> 3


def check_density(ad: float, where: str = "activation density") -> float:
    if not (isinstance(ad, (int, float)) and 0.0 <= ad <= 1.0) or math.isnan(ad):
        raise ToolkitError(f"{where} {ad!r} is invalid: expected a fraction in [0, 1]")
    return float(ad)


def new_bits(ad: float, bits: int, rule: UpdateRule) -> int:
    """One update of one layer: ``max(b_min, round(AD * b))``; never wider than ``bits``."""
    ad = check_density(ad)
    return min(bits, max(rule.min_bits, round_by(ad * bits, rule.rounding)))


def update_all(densities: Mapping[str, float], bits: Mapping[str, int], rule: UpdateRule) -> dict[str, int]:
    """Apply :func:`new_bits` to every layer that has a density (others keep their width)."""
    return {name: new_bits(densities[name], b, rule) if name in densities else b for name, b in bits.items()}


def new_channels(ad: float, channels: int, min_channels: int = 1) -> int:
    """Channels kept by AD pruning: ``max(min_channels, ceil(AD * channels))``, at most ``channels``."""
    ad = check_density(ad)
    return min(channels, max(min_channels, round_by(ad * channels, "ceil")))


def channels_to_keep(channel_density: Sequence[float], keep: int) -> list[int]:
    """Indices (ascending) of the ``keep`` densest channels; ties keep the lower index."""
    order = sorted(range(len(channel_density)), key=lambda i: (-channel_density[i], i))
    return sorted(order[:keep])


def settled(history: Sequence[Mapping[str, float]], tol: float) -> bool:
    """True when the last two AD readings differ by at most ``tol`` in every layer."""
    if len(history) < 2:
        return False
    last, prev = history[-1], history[-2]
    return all(abs(last[k] - prev[k]) <= tol for k in last if k in prev)


def update_due(
    epochs_done: int, epochs_at_widths: int, ad_history: Sequence[Mapping[str, float]], rule: UpdateRule
) -> bool:
    """Whether to apply the update rule now.

    ``ad_history`` holds the AD readings taken at the current widths (one per epoch,
    oldest first); ``epochs_at_widths`` is how many epochs the current widths have trained.
    """
    if epochs_done < rule.update_start or epochs_at_widths < rule.min_gap:
        return False
    if rule.max_wait is not None and epochs_at_widths >= rule.max_wait:
        return True
    return settled(ad_history, rule.settle_tol)


def integer_bits(start_integer: int, width: int, signed: bool) -> int:
    """QKeras integer bits for a quantizer of ``width`` bits, keeping the start range where possible.

    The start configuration's integer bits are kept and fraction bits are traded as the
    width shrinks; when the width cannot hold them (a signed ``quantized_bits`` needs
    ``integer <= width - 1``, ``quantized_relu`` needs ``integer <= width``), the range is
    cut to what fits (no negative fraction bits), and it is never below 0.
    """
    cap = width - 1 if signed else width
    return max(0, min(start_integer, cap))


def integer_for_range(peak: float, signed: bool, width: int) -> int:
    """QKeras integer bits whose range covers ``peak`` (``2**i >= peak``), capped to ``width``."""
    need = 0 if peak <= 0 or not math.isfinite(peak) else max(0, math.ceil(math.log2(peak) - 1e-9))
    return integer_bits(need, width, signed)
