"""The one emitter of structural Verilog: module headers and instances from port and parameter maps.

Every generated netlist (the layer wrappers and the top of :mod:`toolkit.rtlgen.generate`, the
synthesis batches of :mod:`toolkit.multipliers.costgen`) is written through these two functions,
so a stage interface is spelled once, as data (:func:`stream_ports`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Port:
    """One port of a module: ``direction`` is ``input`` or ``output``; ``bits`` its width."""

    direction: str
    name: str
    bits: int = 1
    attributes: tuple[str, ...] = ()  # Verilog attributes written before the port, e.g. Vivado's X_INTERFACE


def header(module: str, ports: list[Port]) -> str:
    """``module name (...);`` with one port per line."""
    lines = []
    for p in ports:
        width = f"[{p.bits - 1}:0] " if p.bits > 1 else ""
        attributes = "".join(f"(* {a} *) " for a in p.attributes)
        lines.append(f"    {attributes}{p.direction + ' ':<7}wire {width}{p.name}")
    return f"module {module} (\n" + ",\n".join(lines) + "\n);"


def instance(
    module: str, name: str, params: dict[str, Any], connections: dict[str, str], indent: str = "  "
) -> str:
    """``module #(.P(v), ...) name (.port(net), ...);`` (no parameter list when ``params`` is empty)."""
    head = f"{indent}{module} "
    if params:
        head += "#(" + ", ".join(f".{k}({value(v)})" for k, v in params.items()) + ") "
    ports = ", ".join(f".{k}({v})" for k, v in connections.items())
    return f"{head}{name} ({ports});"


class Sized(int):
    """An integer parameter of a declared width (``Sized(5, 64)`` -> ``64'd5``), for vector parameters."""

    bits: int

    def __new__(cls, v: int, bits: int) -> Sized:
        if not 0 <= v < (1 << bits):
            raise ValueError(f"{v} does not fit {bits} unsigned bits")
        out = super().__new__(cls, v)
        out.bits = bits
        return out


def value(v: Any) -> str:
    """A parameter value: a string or path in quotes, an integer (sized when it needs more than 32 bits)."""
    if isinstance(v, Sized):
        return f"{v.bits}'d{int(v)}"
    if isinstance(v, (str, Path)):
        return f'"{v}"'
    v = int(v)
    if -(1 << 31) <= v < (1 << 31):
        return str(v)
    if v < 0:
        raise ValueError(f"parameter {v} does not fit 32 bits")
    return f"{max(v.bit_length(), 33)}'d{v}"


def stream_ports(in_bits: list[int], out_bits: int, clock: tuple[str, str] = ("clk", "rst_n")) -> list[Port]:
    """The stage interface: clock, reset, one valid/ready stream in per input, one out.

    A single input is ``in_*``; several (a join) are ``in0_*``, ``in1_*``, ...
    """
    names = ["in"] if len(in_bits) == 1 else [f"in{i}" for i in range(len(in_bits))]
    ports = [Port("input", clock[0]), Port("input", clock[1])]
    for name, bits in zip(names, in_bits, strict=True):
        ports += [
            Port("input", f"{name}_data", bits),
            Port("input", f"{name}_valid"),
            Port("output", f"{name}_ready"),
        ]
    return ports + [Port("output", "out_data", out_bits), Port("output", "out_valid"),
                    Port("input", "out_ready")]  # fmt: skip


def stream_connections(
    inputs: list[str], output: str, clock: tuple[str, str] = ("clk", "rst_n")
) -> dict[str, str]:
    """Connections of :func:`stream_ports` to stream nets: ``<s>_data``, ``<s>_valid``, ``<s>_ready``."""
    names = ["in"] if len(inputs) == 1 else [f"in{i}" for i in range(len(inputs))]
    out = {"clk": clock[0], "rst_n": clock[1]}
    for name, net in zip(names, inputs, strict=True):
        out |= {
            f"{name}_data": f"{net}_data",
            f"{name}_valid": f"{net}_valid",
            f"{name}_ready": f"{net}_ready",
        }
    return out | {
        "out_data": f"{output}_data",
        "out_valid": f"{output}_valid",
        "out_ready": f"{output}_ready",
    }
