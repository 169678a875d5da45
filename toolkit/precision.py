"""One frozen fixed-point precision type, shared by every stage.

The emulator's integer codes, the QKeras quantizers, the hls4ml ``ap_fixed`` types
and (later) the Verilog widths are all derived from :class:`Precision`, so a
disagreement between backends can only come from arithmetic, never from two
stages reading a quantizer differently.

Convention (the ``ap_fixed`` one): ``width`` bits in total, ``integer`` bits left
of the binary point *including* the sign bit, so the value of a code ``c`` is
``c * 2**-(width - integer)``. QKeras counts integer bits without the sign:
``quantized_bits(4, 0)`` is ``Precision(4, 1, signed=True)``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from toolkit.errors import ToolkitError

Rounding = Literal["RND_CONV", "TRN"]
Saturation = Literal["SAT", "SAT_SYM", "WRAP"]

# QKeras's quantized_bits returns x + (q - x) in float32: exact while |x| stays below 2^23 LSBs.
QKERAS_EXACT_LSBS = float(1 << 23)
_ROUNDINGS = ("RND_CONV", "TRN")
_SATURATIONS = ("SAT", "SAT_SYM", "WRAP")


@dataclass(frozen=True)
class Precision:
    """A fixed-point type: width, integer bits (sign included), signedness, rounding, saturation.

    ``RND_CONV`` is round-half-to-even, which is what QKeras (``tf.round``) and
    hls4ml's QKeras mapping (``AP_RND_CONV``) both do; ``TRN`` truncates toward
    minus infinity (the ``ap_fixed`` default).
    """

    width: int
    integer: int
    signed: bool = True
    rounding: Rounding = "RND_CONV"
    saturation: Saturation = "SAT"

    def __post_init__(self) -> None:
        if not isinstance(self.width, int) or self.width < 1 or self.width > 62:
            raise ToolkitError(f"precision width {self.width!r} is invalid: expected an integer 1..62")
        if not isinstance(self.integer, int):
            raise ToolkitError(f"precision integer bits {self.integer!r} must be an integer")
        if self.rounding not in _ROUNDINGS:
            raise ToolkitError(
                f"rounding {self.rounding!r} is unknown: expected one of {', '.join(_ROUNDINGS)}"
            )
        if self.saturation not in _SATURATIONS:
            raise ToolkitError(
                f"saturation {self.saturation!r} is unknown: expected one of {', '.join(_SATURATIONS)}"
            )

    # ---- derived facts -------------------------------------------------------------
    @property
    def frac(self) -> int:
        """Bits right of the binary point (may be negative for coarse types)."""
        return self.width - self.integer

    @property
    def scale(self) -> float:
        """Value of one code step (the LSB)."""
        return math.ldexp(1.0, -self.frac)

    @property
    def min_code(self) -> int:
        if not self.signed:
            return 0
        lowest = -(1 << (self.width - 1))
        return lowest + 1 if self.saturation == "SAT_SYM" else lowest

    @property
    def max_code(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def codes(self) -> np.ndarray:
        """Every representable code, ascending (for histograms and exhaustive tables)."""
        return np.arange(self.min_code, self.max_code + 1, dtype=np.int64)

    def describe(self) -> str:
        """Short human form, e.g. ``s4.1`` (signed, 4 bits, 1 integer bit)."""
        return f"{'s' if self.signed else 'u'}{self.width}.{self.integer}"

    # ---- arithmetic on codes --------------------------------------------------------
    def quantize(self, x: np.ndarray, what: str = "input") -> np.ndarray:
        """Float values -> integer codes, exactly as QKeras' quantizers compute them in float32.

        Values past the type's range saturate (clipped before the integer cast, so even
        1e30 gives the top code). NaN, inf and values beyond float32's range are a
        ToolkitError naming the first such sample of ``what`` (axis 0 counts samples).
        Past about 2^23 LSBs QKeras's own ``quantized_bits`` stops returning codes (its
        straight-through ``x + (q - x)`` rounds in float32, e.g. 1e7 -> 2.0 for
        ``quantized_bits(4,1)``): such inputs get a warning, since QKeras predict can
        differ from the saturated codes there.
        """
        values = finite_float32(x, what)
        scaled = values.astype(np.float64) * math.ldexp(1.0, self.frac)
        codes = np.rint(scaled) if self.rounding == "RND_CONV" else np.floor(scaled)  # rint: half to even
        if self.signed and codes.size and float(np.abs(scaled).max()) >= QKERAS_EXACT_LSBS:
            warnings.warn(
                f"{what} reaches |x| = {float(np.abs(values).max()):g}, {np.abs(scaled).max():.3g} LSBs "
                f"of {self.describe()}: past 2^23 LSBs QKeras's quantized_bits rounds x + (q - x) in "
                "float32 and no longer returns the saturated code, so QKeras predict can differ there; "
                "the toolkit saturates",
                stacklevel=2,
            )
        if self.saturation == "WRAP":  # fmod by a power of two is exact for float64 integers of any size
            span = float(1 << self.width)
            codes = np.mod(np.mod(codes, span) - self.min_code, span) + self.min_code
        else:
            codes = np.clip(codes, self.min_code, self.max_code)
        return codes.astype(np.int64)

    def requantize(self, codes: np.ndarray, source: Precision) -> np.ndarray:
        """Integer codes of ``source`` -> codes of this precision (shift, round, saturate)."""
        codes = np.asarray(codes, dtype=np.int64)
        shift = source.frac - self.frac
        if shift <= 0:
            out = codes << (-shift)
        else:
            out = codes >> shift  # floor division by 2**shift
            if self.rounding == "RND_CONV":
                rem = codes - (out << shift)
                half = 1 << (shift - 1)
                round_up = (rem > half) | ((rem == half) & ((out & 1) == 1))
                out = out + round_up
        return self._overflow(out)

    def to_float(self, codes: np.ndarray) -> np.ndarray:
        """Codes -> exact float64 values."""
        return np.asarray(codes, dtype=np.float64) * self.scale

    def _overflow(self, codes: np.ndarray) -> np.ndarray:
        if self.saturation == "WRAP":
            span = 1 << self.width
            wrapped = (codes - self.min_code) % span + self.min_code if self.signed else codes % span
            return wrapped.astype(np.int64)
        return np.clip(codes, self.min_code, self.max_code).astype(np.int64)

    # ---- type algebra for exact accumulation ----------------------------------------
    def times(self, other: Precision) -> Precision:
        """Exact type of a product of a code of ``self`` and one of ``other``."""
        # u(W1) x s(W2), s x s and u x u all fit in W1 + W2 bits.
        return Precision(
            self.width + other.width,
            self.integer + other.integer,
            self.signed or other.signed,
            rounding="TRN",
            saturation="WRAP",
        )

    @staticmethod
    def for_range(lo: int, hi: int, frac: int) -> Precision:
        """Smallest exact (TRN, WRAP) type that holds every code in ``[lo, hi]`` with ``frac`` bits."""
        signed = lo < 0
        mag = max(abs(lo), abs(hi), 1)
        bits = mag.bit_length() + (1 if signed else 0)
        return Precision(bits, bits - frac, signed, rounding="TRN", saturation="WRAP")

    # ---- conversions ----------------------------------------------------------------
    def hls_type(self) -> str:
        """The hls4ml/Vivado HLS type, e.g. ``ap_fixed<8,3,AP_RND_CONV,AP_SAT>``."""
        base = "ap_fixed" if self.signed else "ap_ufixed"
        if self.rounding == "TRN" and self.saturation == "WRAP":
            return f"{base}<{self.width},{self.integer}>"
        return f"{base}<{self.width},{self.integer},AP_{self.rounding},AP_{self.saturation}>"

    def hls4ml_config(self) -> str:
        """The same type in hls4ml's configuration syntax, e.g. ``fixed<8,3,RND_CONV,SAT>``."""
        base = "fixed" if self.signed else "ufixed"
        return f"{base}<{self.width},{self.integer},{self.rounding},{self.saturation}>"

    def to_qkeras(self) -> Any:
        """The QKeras quantizer that produces exactly this precision's codes."""
        from qkeras import quantized_bits, quantized_relu

        if self.rounding != "RND_CONV" or self.saturation == "WRAP":
            raise ToolkitError(
                f"precision {self.describe()} ({self.rounding}, {self.saturation}) has no QKeras quantizer: "
                "QKeras quantizers round half to even and saturate"
            )
        if self.signed:
            return quantized_bits(
                self.width,
                self.integer - 1,
                keep_negative=True,
                symmetric=self.saturation == "SAT_SYM",
                alpha=1,
            )
        return quantized_relu(self.width, self.integer)

    @staticmethod
    def from_qkeras(quantizer: Any, where: str = "quantizer", written: Any = None) -> Precision:
        """Read a QKeras quantizer (object, config dict or string) into a Precision.

        Only quantizers that round onto one fixed-point grid map: ``quantized_bits``
        with ``alpha`` 1 (or None) and ``quantized_relu`` without sigmoid or negative
        slope (a kernel's ``alpha='auto_po2'`` is read onto its layer's grid by
        :mod:`toolkit.models.po2`, not here). Anything else is a ToolkitError naming ``where``, the setting as QKeras
        holds it (``written``: the quantizer as the user wrote it, if known, tells a
        default apart from a written value) and what to write instead.
        """
        import qkeras

        if isinstance(quantizer, (str, dict)):
            quantizer = qkeras.get_quantizer(quantizer)
        kind = type(quantizer).__name__
        if kind == "quantized_bits":
            alpha = quantizer.alpha
            if alpha is not None and not (isinstance(alpha, (int, float)) and float(alpha) == 1.0):
                raise ToolkitError(f"{where}: {_alpha_problem(quantizer, written)}")
            reject_stochastic(quantizer, where)
            keep_negative = bool(quantizer.keep_negative)
            bits, integer = int(quantizer.bits), int(quantizer.integer)
            if bits - keep_negative < 1:
                raise ToolkitError(f"{where}: quantized_bits({bits}) is binary; expected at least 2 bits")
            return Precision(
                bits,
                integer + int(keep_negative),
                keep_negative,
                rounding="RND_CONV",
                saturation="SAT_SYM" if quantizer.symmetric else "SAT",
            )
        if kind == "quantized_relu":
            if quantizer.use_sigmoid or quantizer.negative_slope:
                raise ToolkitError(
                    f"{where}: {quantizer} has use_sigmoid or negative_slope, which do not round onto one "
                    f"fixed-point grid; the toolkit deploys {SUPPORTED_QUANTIZERS}"
                )
            if not quantizer.is_quantized_clip:
                raise ToolkitError(f"{where}: quantized_relu(is_quantized_clip=False) is not supported")
            reject_stochastic(quantizer, where)
            return Precision(int(quantizer.bits), int(quantizer.integer), False, "RND_CONV", "SAT")
        raise ToolkitError(
            f"{where}: {_describe(quantizer)} has no fixed-point deployment in the toolkit; "
            f"supported: {SUPPORTED_QUANTIZERS}"
        )


SUPPORTED_QUANTIZERS = (
    "quantized_bits(bits, integer, alpha=1), quantized_relu(bits, integer), on QDense/QConv/QDepthwiseConv "
    "kernels also quantized_bits(bits, integer, alpha='auto_po2'), and as activations also relu and linear"
)


def _describe(quantizer: Any) -> str:
    """The user's quantizer or activation in their terms (``activation 'tanh'``, ``quantized_tanh(4,0)``)."""
    name = getattr(quantizer, "__name__", None)
    if name is not None:  # a Keras activation function (QActivation("tanh"))
        return f"activation {name!r}"
    return f"quantizer {quantizer}"


def _alpha_problem(quantizer: Any, written: Any) -> str:
    """Why a quantized_bits with this ``alpha`` does not map to fixed point, and what to write instead."""
    alpha = quantizer.alpha
    instead = f"quantized_bits({int(quantizer.bits)},{int(quantizer.integer)}"
    instead += ",keep_negative=False" if not quantizer.keep_negative else ""
    instead += ",alpha=1)"
    if isinstance(alpha, str) and alpha == "auto_po2":
        if isinstance(written, str) and "alpha" not in written:
            origin = f"{written!r} has no alpha, so QKeras gives this QDense/QConv kernel alpha='auto_po2'"
        elif isinstance(written, str):
            origin = "alpha='auto_po2'"
        else:  # a loaded model keeps QKeras's value, not what was written
            origin = (
                "alpha='auto_po2' (written, or QKeras's default for a QDense/QConv kernel quantizer "
                "written without alpha)"
            )
        what = "a power-of-two scale per output channel that QKeras picks from the weights"
    elif isinstance(alpha, str):
        origin = f"alpha={alpha!r}"
        what = (
            "a floating-point scale per output channel that QKeras picks from the weights (no power of two)"
        )
    else:
        origin = f"alpha={alpha!r}"
        scale = np.asarray(alpha, dtype=np.float64)
        what = (
            f"a constant factor {float(scale):g} applied after rounding"
            if scale.size == 1
            else f"a factor per channel ({scale.size} values) applied after rounding"
        )
    return (
        f"{origin}: {what}; the toolkit deploys quantized_bits with alpha=1 (one fixed-point type per "
        "tensor), and alpha='auto_po2' on QDense/QConv/QDepthwiseConv kernels only: write "
        f"{instead}"
    )


def reject_stochastic(quantizer: Any, where: str) -> None:
    if getattr(quantizer, "use_stochastic_rounding", False):
        raise ToolkitError(f"{where}: stochastic rounding cannot be reproduced in hardware; disable it")
    if float(getattr(quantizer, "qnoise_factor", 1.0)) != 1.0:
        raise ToolkitError(f"{where}: qnoise_factor must be 1.0 for a deployable model")


def finite_float32(x: np.ndarray, what: str = "input") -> np.ndarray:
    """``x`` as float32 (the type QKeras computes in); NaN, inf or a value float32 cannot hold is a
    ToolkitError naming the first bad sample of ``what`` (axis 0) and the element within it."""
    original = np.asarray(x)
    with np.errstate(over="ignore"):
        values = original.astype(np.float32)
    bad = ~np.isfinite(values)
    if not bad.any():
        return values
    index = np.unravel_index(int(np.argmax(bad)), bad.shape)
    value = original[index]
    if np.isnan(value):
        kind = "NaN"
    elif np.isinf(value):
        kind = f"{value}"
    else:
        kind = f"{float(value):g}, beyond float32's range (QKeras quantizes in float32)"
    if not index:
        where, count = "the value", 1
    else:
        where = f"sample {index[0]}" + (
            f" (element {tuple(int(i) for i in index[1:])})" if len(index) > 1 else ""
        )
        count = int(bad.reshape(len(bad), -1).any(axis=1).sum())
    raise ToolkitError(
        f"{what}: {where} holds {kind} ({count} sample(s) hold NaN, inf or values beyond float32); "
        "inputs must be finite float32 values: drop or clean those samples (finite values past the "
        "input type's range saturate)"
    )
