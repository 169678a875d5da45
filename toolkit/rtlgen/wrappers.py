"""The per-layer wrapper modules: a stage's leaf (and, for MAC layers, its product units) behind the
stream interface of :func:`toolkit.rtlgen.netlist.stream_ports`; forks likewise."""

from __future__ import annotations

from toolkit.rtlgen.graph import Fork
from toolkit.rtlgen.netlist import Port, header, instance, stream_ports
from toolkit.rtlgen.stages import Stage

LEAF = {"requant": "tk_requant", "scale": "tk_scale", "pool": "tk_pool", "gpool": "tk_global_pool",
        "pad": "tk_pad", "add": "tk_add", "concat": "tk_concat", "mac": "tk_mac"}  # fmt: skip


def wrapper(s: Stage, rom_dir: str) -> str:
    """``module tkl_<instance>``: the stage's leaf with its parameters, ROM files and wiring."""
    ports = stream_ports([bits for bits, _ in s.in_ports], s.out_bits)
    same = {p.name: p.name for p in ports}
    body: list[str] = []
    params = dict(s.params)
    if s.kind == "scale":
        params |= {k: f"{rom_dir}/l{s.index}_{k[0].lower()}.hex" for k in ("S_FILE", "H_FILE")}
    if s.kind in ("add", "concat"):
        body += _join(s, params)
    elif s.kind == "mac":
        body += _mac(s, params, same, rom_dir)
    else:
        body.append(instance(LEAF[s.kind], "u", params, same))
    return "\n".join([header(s.module, ports), *body, "endmodule", ""])


def _join(s: Stage, params: dict) -> list[str]:
    """Align every input to the output's fraction bits (sign/zero extension and a shift: wiring)."""
    w, n = s.out_bits, len(s.in_ports)
    lines = [f"  wire [{n * w - 1}:0] lanes;", f"  wire [{n - 1}:0] valid, ready;"]
    for i, ((bits, signed), shift) in enumerate(zip(s.in_ports, s.shifts, strict=True)):
        fill = w - bits - shift
        sign = f"in{i}_data[{bits - 1}]" if signed else "1'b0"
        ext = f"{{{fill}{{{sign}}}}}, " if fill else ""
        zeros = f", {shift}'b0" if shift else ""
        lines += [
            f"  assign lanes[{i * w}+:{w}] = {{{ext}in{i}_data{zeros}}};",
            f"  assign valid[{i}] = in{i}_valid;",
            f"  assign in{i}_ready = ready[{i}];",
        ]
    conn = {"clk": "clk", "rst_n": "rst_n", "in_data": "lanes", "in_valid": "valid", "in_ready": "ready",
            "out_data": "out_data", "out_valid": "out_valid", "out_ready": "out_ready"}  # fmt: skip
    return [*lines, instance(LEAF[s.kind], "u", params, conn)]


def _mac(s: Stage, params: dict, same: dict[str, str], rom_dir: str) -> list[str]:
    p, body = s.params, []
    ab, wb, pb, lanes = p["A_BITS"], p["W_BITS"], p["P_BITS"], s.lanes
    if s.in_bits >= ab:
        din = f"in_data[{ab - 1}:0]"
        if s.in_bits > ab:  # the codes fit in A_BITS: the extra bits are left unused on purpose
            body.append(f"  wire unused_in = &{{1'b0, in_data[{s.in_bits - 1}:{ab}]}};")
    else:  # a narrower stream: extend to the multiplier's operand width
        fill = f"in_data[{s.in_bits - 1}]" if s.in_signed else "1'b0"
        din = f"{{{{{ab - s.in_bits}{{{fill}}}}}, in_data}}"
    files = {k: f"{rom_dir}/l{s.index}_{k[0].lower()}.hex" for k in ("W_FILE", "B_FILE", "C_FILE", "D_FILE")}
    if not p["CV"]:
        files["C_FILE"] = files["D_FILE"] = ""
    conn = same | {"in_data": din, "mul_a": "mul_a", "mul_w": "mul_w", "mul_p": "mul_p"}
    mul = {"a": "mul_a", "w": f"mul_w[j*{wb}+:{wb}]", "p": f"mul_p[j*{pb}+:{pb}]"}
    return body + [
        f"  wire [{ab - 1}:0] mul_a;",
        f"  wire [{lanes * wb - 1}:0] mul_w;",
        f"  wire [{lanes * pb - 1}:0] mul_p;",
        instance("tk_mac", "u", params | files, conn),
        f"  // {lanes} product units: {s.multiplier}",
        "  genvar j;",
        f"  for (j = 0; j < {lanes}; j = j + 1) begin : g_mul",
        instance(s.mult_module, "u_mul", s.mult_params, mul, indent="    "),
        "  end",
    ]


def fork_wrapper(f: Fork) -> str:
    """``module tkf_<instance>``: ``tk_fork`` with one stream port per consumer."""
    n, b = len(f.outputs), f.bits
    ports = [Port("input", "clk"), Port("input", "rst_n"), Port("input", "in_data", b), Port("input", "in_valid"),
             Port("output", "in_ready")]  # fmt: skip
    for k in range(n):
        ports += [
            Port("output", f"out{k}_data", b),
            Port("output", f"out{k}_valid"),
            Port("input", f"out{k}_ready"),
        ]
    lines = [f"  wire [{n * b - 1}:0] data;", f"  wire [{n - 1}:0] valid, ready;"]
    for k in range(n):
        lines += [f"  assign out{k}_data = data[{k * b}+:{b}];", f"  assign out{k}_valid = valid[{k}];",
                  f"  assign ready[{k}] = out{k}_ready;"]  # fmt: skip
    conn = {"clk": "clk", "rst_n": "rst_n", "in_data": "in_data", "in_valid": "in_valid", "in_ready": "in_ready",
            "out_data": "data", "out_valid": "valid", "out_ready": "ready"}  # fmt: skip
    body = [*lines, instance("tk_fork", "u", {"N": n, "BITS": b, "DEPTH": f.depth}, conn)]
    return "\n".join([header(f.module, ports), *body, "endmodule", ""])
