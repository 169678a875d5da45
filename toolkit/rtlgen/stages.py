"""One hardware stage per IR layer: its leaf module, parameters, stream widths and ROM contents.

MAC layers (Dense, Conv, DepthwiseConv) map to ``hls/rtl/tk_mac.v`` plus the plan's product
units; Quantize/ReLU to ``tk_requant.v``; Scale to ``tk_scale.v``. Pooling, padding and the
joins of graphs live in :mod:`toolkit.rtlgen.pooling` and :mod:`toolkit.rtlgen.graph`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.models.names import indexed_name
from toolkit.multipliers.design import HLS_DIR as MULT_DIR
from toolkit.plan import Plan
from toolkit.rtlgen.widths import mac_widths, product_range, scale_widths

MAX_FRAME_CODES = 1 << 16  # frame buffer codes per bank
MAX_ROM_WORDS = 1 << 16
Fold = int | dict[str, int] | None


@dataclass(eq=False)
class Stage:
    """One layer's hardware: its wrapper module, leaf, parameters and stream widths.

    ``in_ports`` holds (bits, signed) of every input stream (several for a join).
    """

    index: int
    layer: ir.Layer
    kind: str  # mac | requant | scale | pool | gpool | pad | add | concat
    in_ports: list[tuple[int, bool]]
    out_bits: int
    out_signed: bool
    params: dict[str, Any]
    lanes: int = 0
    multiplier: str = ""
    mult_module: str = ""
    mult_params: dict[str, int] = field(default_factory=dict)
    mult_file: Path | None = None
    roms: dict[str, str] = field(default_factory=dict)
    shifts: list[int] = field(default_factory=list)  # joins: each input's alignment (left shift)

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def in_bits(self) -> int:
        return self.in_ports[0][0]

    @property
    def in_signed(self) -> bool:
        return self.in_ports[0][1]

    @property
    def instance(self) -> str:
        """Instance name in the top (the hierarchy name used for activity and area)."""
        return indexed_name(self.index, self.layer.name)

    @property
    def module(self) -> str:
        return f"tkl_{self.instance}"

    @property
    def n_in(self) -> int:
        return int(np.prod(self.layer.in_shape))

    @property
    def n_out(self) -> int:
        return int(np.prod(self.layer.out_shape))


def spatial(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(H, W, C) of a channels-last shape; 1-D is H = 1, a vector is H = W = 1."""
    if len(shape) == 1:
        return 1, 1, shape[0]
    if len(shape) == 2:
        return 1, shape[0], shape[1]
    return shape[0], shape[1], shape[2]


def line_depth(in_shape: tuple[int, ...], window: tuple[int, int]) -> int:
    """Ring size of a line buffer, or 0 where a line buffer would not be smaller than one frame.

    The window's span ((K_H-1) rows + K_W samples, x C) plus slack so the producer can run
    ahead while the engine works through a row: one more row (2-D) or one more span (1-D),
    rounded up to a power of two (the ring's index is then a plain wrap-around).
    """
    ih, iw, ic = spatial(in_shape)
    span = ((window[0] - 1) * iw + window[1]) * ic
    need = span + (iw * ic if ih > 1 else span)
    depth = 1 << (need - 1).bit_length()
    return depth if depth < ih * iw * ic else 0


def lanes_for(layer: ir.MacLayer, fold: Fold) -> int:
    """Parallel multipliers of a MAC layer: ``fold`` (int or per-layer dict), capped at its outputs
    (for a depthwise layer at its filters per channel: lanes share one activation)."""
    want = fold.get(layer.name) if isinstance(fold, dict) else fold
    most = layer.multiplier if isinstance(layer, ir.DepthwiseConv) else layer.n_out
    if want is None:
        return most
    if not isinstance(want, int) or want < 1:
        raise ToolkitError(f"layer {layer.name!r}: fold {want!r} is invalid; expected a positive integer")
    return min(want, most)


def mac_stage(
    index: int, layer: ir.MacLayer, in_bits: int, in_signed: bool, plan: Plan | None, fold: Fold, buffer: str
) -> Stage:
    """Dense / Conv / DepthwiseConv -> ``tk_mac`` (DW = 1 for depthwise) with the plan's product units."""
    a, w = layer.in_precision, layer.weight_precision
    lp = plan.layers.get(layer.name) if plan is not None else None
    design = lp.design if lp is not None else None
    correction = lp.correction if lp is not None else None
    shift = layer.out_precision.frac - layer.product_precision.frac
    if shift < 0:
        raise ToolkitError(f"layer {layer.name!r}: accumulator has fewer fraction bits than its products")
    lanes = lanes_for(layer, fold)
    dw = isinstance(layer, ir.DepthwiseConv)
    ih, iw, ic = spatial(layer.in_shape)
    oh, ow, oc = spatial(layer.out_shape)
    kernel = tuple(layer.kernel) or (1,)
    strides = tuple(layer.strides) or (1,)
    pads = layer.pad_amounts() if layer.kernel else ((0, 0),)
    if len(kernel) == 1:
        kernel, strides, pads = (1, kernel[0]), (1, strides[0]), ((0, 0), pads[0])
    if isinstance(layer, ir.Dense):
        kernel, strides, pads = (1, 1), (1, 1), ((0, 0), (0, 0))
    depth = line_depth(layer.in_shape, kernel) if buffer == "line" and not isinstance(layer, ir.Dense) else 0
    if (depth or ih * iw * ic) > MAX_FRAME_CODES:
        raise ToolkitError(f"layer {layer.name!r}: input of {ih * iw * ic} codes exceeds the frame buffer "
                           f"limit of {MAX_FRAME_CODES}")  # fmt: skip
    mult = layer.multiplier if dw else oc
    per_channel = -(-mult // lanes)  # groups of one input channel (depthwise) or of all outputs
    groups = per_channel * (ic if dw else 1)
    fan = layer.fan_in
    if groups * fan > MAX_ROM_WORDS:
        raise ToolkitError(f"layer {layer.name!r}: {groups * fan} weight ROM words exceed {MAX_ROM_WORDS}; "
                           "use a larger fold (more lanes)")  # fmt: skip
    c = correction.c if correction is not None else None
    d = correction.d if correction is not None else None
    cv_frac = correction.frac_bits if correction is not None else 0
    bias = np.asarray(layer.bias, dtype=np.int64).reshape(-1)
    if bias.size in (0, 1):  # none, or one value for every channel (the emulator broadcasts it)
        bias = np.full(oc, int(bias[0]) if bias.size else 0, np.int64)
    widths = mac_widths(
        fan, a, product_range(design, a, w), bias, shift, c, d, cv_frac, layer.out_precision.width
    )
    name = f"l{index}"
    params: dict[str, Any] = {
        "IN_H": ih, "IN_W": iw, "IN_C": ic, "OUT_H": oh, "OUT_W": ow, "OUT_C": oc,
        "K_H": kernel[0], "K_W": kernel[1], "S_H": strides[0], "S_W": strides[1],
        "P_T": pads[0][0], "P_L": pads[1][0],
        "A_BITS": a.width, "W_BITS": w.width, "P_BITS": a.width + w.width + 1, "A_SIGNED": int(a.signed),
        "SUM_BITS": widths.sum_bits, "V_BITS": widths.v_bits, "B_BITS": widths.b_bits,
        "C_BITS": widths.c_bits, "D_BITS": widths.d_bits, "X_BITS": widths.x_bits,
        "OUT_BITS": widths.out_bits, "SHIFT": shift, "LANES": lanes, "LINE_DEPTH": depth,
        "CV": int(correction is not None), "CV_FRAC": cv_frac,
    }  # fmt: skip
    if dw:
        params |= {"DW": 1, "M": mult}
    # output channel of (group, lane): group = channel * per_channel + g, lane j -> channel * M + g * lanes + j
    slots = np.full((groups, lanes), -1, np.int64)
    for group in range(groups):
        channel, g = divmod(group, per_channel)
        for j in range(lanes):
            if g * lanes + j < mult:
                slots[group, j] = channel * mult + g * lanes + j
    wm = layer.weight_matrix()  # (fan, oc)
    weights = np.where(slots[:, :, None] >= 0, wm.T[np.maximum(slots, 0)], 0)  # (groups, lanes, fan)
    roms = {
        f"{name}_w.hex": hex_rom(weights.transpose(0, 2, 1).reshape(-1, lanes), w.width),
        f"{name}_b.hex": hex_rom(_slotted(bias, slots), widths.b_bits),
    }
    if correction is not None:
        roms[f"{name}_c.hex"] = hex_rom(_slotted(c, slots), widths.c_bits)
        roms[f"{name}_d.hex"] = hex_rom(_slotted(d, slots), widths.d_bits)
    if design is not None:
        mmod, mparams, mfile = design.verilog_module, dict(design.verilog_params), design.verilog_file
        label = design.name + (f"+{correction.mode}" if correction is not None else "")
    else:
        mmod, mfile = "approx_exact", MULT_DIR / "approx_exact.v"
        mparams = {"AW": a.width, "WW": w.width, "AS": int(a.signed), "WS": int(w.signed)}
        label = "exact"
    return Stage(index, layer, "mac", [(in_bits, in_signed)], widths.out_bits, True, params, lanes, label,
                 mmod, mparams, mfile, roms)  # fmt: skip


def _slotted(values: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Per-output-channel constants laid out as (group, lane) ROM words (0 in unused lanes)."""
    return np.where(slots >= 0, np.asarray(values, np.int64)[np.maximum(slots, 0)], 0)


def hex_rom(words: np.ndarray, bits: int) -> str:
    """Rows of lane values -> one hex word per row, lane 0 in the low bits (two's complement)."""
    lanes = words.shape[1]
    digits = -(-lanes * bits // 4)
    mask = (1 << bits) - 1
    lines = []
    for row in words.tolist():
        word = 0
        for j, v in enumerate(row):
            word |= (int(v) & mask) << (j * bits)
        lines.append(f"{word:0{digits}x}")
    return "\n".join(lines) + "\n"


def requant_stage(index: int, layer: ir.Layer, in_bits: int, in_signed: bool) -> Stage:
    """Quantize / ReLU -> ``tk_requant``."""
    if isinstance(layer, ir.ReLU):  # max(x, 0) on the incoming stream, nothing else
        out_bits, out_signed, shift, rnd, sat, relu = in_bits, in_signed, 0, 0, 2, 1
    else:
        assert isinstance(layer, ir.Quantize)
        out = layer.out_precision
        out_bits, out_signed = out.width, out.signed
        shift = layer.in_precision.frac - out.frac
        rnd = int(out.rounding == "RND_CONV")
        sat = {"SAT": 0, "SAT_SYM": 1, "WRAP": 2}[out.saturation]
        relu = int(layer.relu)
    params = {"IN_BITS": in_bits, "IN_SIGNED": int(in_signed), "OUT_BITS": out_bits,
              "OUT_SIGNED": int(out_signed), "SHIFT": shift, "RND": rnd, "SAT": sat, "RELU": relu}  # fmt: skip
    return Stage(index, layer, "requant", [(in_bits, in_signed)], out_bits, out_signed, params)


def scale_stage(index: int, layer: ir.Scale, in_bits: int, in_signed: bool) -> Stage:
    """Per-channel ``x * scale + shift`` as its own element-wise stage (``tk_scale.v``), wherever it sits."""
    c = layer.in_shape[-1]
    scale = np.asarray(layer.scale, np.int64).reshape(-1)
    shift = np.asarray(layer.shift, np.int64).reshape(-1)
    sp, op = layer.scale_precision, layer.out_precision
    if scale.size != c or shift.size != c:
        raise ToolkitError(
            f"layer {layer.name!r}: {scale.size} scale and {shift.size} shift codes for {c} channels"
        )
    for what, codes, p in (("scale", scale, sp), ("shift", shift, op)):
        if codes.min() < p.min_code or codes.max() > p.max_code:
            raise ToolkitError(f"layer {layer.name!r}: {what} codes [{codes.min()}, {codes.max()}] do not fit "
                               f"its type {p.describe()}")  # fmt: skip
    widths = scale_widths(in_bits, in_signed, scale, shift, sp, op)
    params: dict[str, Any] = {"C": c, "IN_BITS": in_bits, "IN_SIGNED": int(in_signed), "S_BITS": widths.s_bits,
                              "H_BITS": widths.h_bits, "OUT_BITS": widths.out_bits}  # fmt: skip
    roms = {
        f"l{index}_s.hex": hex_rom(scale.reshape(-1, 1), widths.s_bits),
        f"l{index}_h.hex": hex_rom(shift.reshape(-1, 1), widths.h_bits),
    }
    return Stage(index, layer, "scale", [(in_bits, in_signed)], widths.out_bits, True, params, roms=roms)
