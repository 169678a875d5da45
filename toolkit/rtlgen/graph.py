"""The graph's own hardware: joins (``tk_add.v``, ``tk_concat.v``) and forks (``tk_fork.v``).

A join takes one code from each input at once (Add) or a position's channels from each input in
turn (Concatenate); the wrapper aligns every input to the output's fraction bits (wiring only).
Widths hold every value the input *ports* can carry, which after approximate products may
exceed the IR's types, so the sum is exact whatever reaches it (as the emulator's int64 sum).

A tensor read by several layers gets a fork: one ring of ``depth`` codes with a read pointer
per consumer (a broadcast FIFO). Depth, by a closed form: **one frame of the forked tensor**.
Why that is enough under any backpressure: the fork stalls only when some consumer is
``depth`` codes behind the writer; those codes then include the whole frame that consumer is
in, so every other consumer has been given all of that frame. Every stage produces a frame's
outputs from that frame's inputs alone (window engines, poolings, element-wise stages, joins),
so no consumer waits on data the fork is withholding: each branch can finish the frame, every
join downstream gets both its operands of that frame, and the consumer that was behind drains.
(Without the ring, a skip connection deadlocks: the join waits for the convolution branch,
which waits for codes the fork cannot hand over because the skip side is full.) The bound is
tight when a branch buffers whole frames (residual_add with ``buffer="frame"``: 192 codes run,
191 deadlock); with line buffers the branches' look-ahead would do (there 64 codes run, 56
deadlock), a tighter closed form left for large tensors.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.rtlgen.netlist import Sized
from toolkit.rtlgen.pooling import port_range
from toolkit.rtlgen.stages import Stage
from toolkit.rtlgen.widths import signed_bits

MAX_JOIN_INPUTS = 8
MAX_CONCAT_CHANNELS = (1 << 16) - 1


@dataclass(eq=False)
class Fork:
    """A stream read by several consumers: ``source`` net in, one ``outputs`` net per consumer."""

    producer: int  # stage index of the producer (0 = the input unpacker)
    source: str
    bits: int
    depth: int
    outputs: list[str]

    @property
    def instance(self) -> str:
        return f"f{self.producer}_fork"

    @property
    def module(self) -> str:
        return f"tkf_{self.instance}"


def fork_depth(shape: tuple[int, ...]) -> int:
    """Ring depth of a fork of a tensor of ``shape``: one frame (see the module docstring)."""
    depth = 1
    for n in shape:
        depth *= n
    return depth


def _aligned(layer: ir.Join, ports: list[tuple[int, bool]]) -> tuple[list[int], list[tuple[int, int]]]:
    if len(ports) > MAX_JOIN_INPUTS:
        raise ToolkitError(f"layer {layer.name!r} joins {len(ports)} tensors; the RTL joins at most "
                           f"{MAX_JOIN_INPUTS}")  # fmt: skip
    shifts = [layer.out_precision.frac - p.frac for p in layer.input_precisions]
    if min(shifts) < 0:
        raise ToolkitError(f"layer {layer.name!r}: an input has more fraction bits than the join's output")
    ranges = [(lo << s, hi << s) for (lo, hi), s in zip((port_range(*p) for p in ports), shifts, strict=True)]
    return shifts, ranges


def add_stage(index: int, layer: ir.Add, ports: list[tuple[int, bool]]) -> Stage:
    """Add / Subtract -> ``tk_add``: exact signed sum of the aligned inputs."""
    shifts, ranges = _aligned(layer, ports)
    lo = hi = 0
    for (a, b), sign in zip(ranges, layer.signs, strict=True):
        lo, hi = lo + min(sign * a, sign * b), hi + max(sign * a, sign * b)
    width = signed_bits(lo, hi)
    sub = sum(1 << i for i, sign in enumerate(layer.signs) if sign < 0)
    params = {"N": len(ports), "W": width, "SUB": sub}
    return Stage(index, layer, "add", list(ports), width, True, params, shifts=shifts)


def concat_stage(index: int, layer: ir.Concatenate, ports: list[tuple[int, bool]]) -> Stage:
    """Concatenate (channel axis) -> ``tk_concat``: each position's channels from each input in turn."""
    shifts, ranges = _aligned(layer, ports)
    width = signed_bits(min(a for a, _ in ranges), max(b for _, b in ranges))
    channels = [shape[-1] for shape in layer.input_shapes]
    if max(channels) > MAX_CONCAT_CHANNELS:
        raise ToolkitError(f"layer {layer.name!r}: {max(channels)} channels exceed {MAX_CONCAT_CHANNELS}")
    packed = sum(c << (16 * i) for i, c in enumerate(channels))
    params = {"N": len(ports), "W": width, "CH": Sized(packed, 128)}
    return Stage(index, layer, "concat", list(ports), width, True, params, shifts=shifts)
