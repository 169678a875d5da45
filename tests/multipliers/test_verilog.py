"""Verilog == numpy table under Verilator (one Verilated harness per batch), and lint."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from toolkit.multipliers import Design, get_design
from toolkit.multipliers.design import HLS_DIR
from toolkit.multipliers.registry import FAMILIES
from toolkit.rtlgen.verilator import VerilatorTool, find_verilator

from .cases import all_test_designs, assert_enough_designs

pytestmark = pytest.mark.verilator
HARNESS = Path(__file__).parent / "vl_harness.cpp"
SLOT = 18  # bits per instance in p_all (>= the widest result, 8 + 8 + 1)


@pytest.fixture(scope="module")
def verilator() -> VerilatorTool:
    """The toolkit's Verilator (the tier marker skipped this module if there is none)."""
    return find_verilator()


def batch_top(designs: list[Design]) -> tuple[str, int]:
    """Structural top with every design on a shared a/w and one 18-bit slot each of p_all."""
    slots = max(len(designs), 4)  # keep p_all wider than 64 bits (a VlWide in C++)
    lines = [
        f"module batch_top (input wire [7:0] a, input wire [7:0] w, output wire [{slots * SLOT - 1}:0] p_all);"
    ]
    for i, d in enumerate(designs):
        params = ", ".join(f".{k}({v})" for k, v in d.verilog_params.items())
        rb = d.result_bits
        lines += [
            f"  wire [{rb - 1}:0] q{i};",
            f"  {d.verilog_module} #({params}) u{i} (.a(a[{d.a_bits - 1}:0]), .w(w[{d.w_bits - 1}:0]), .p(q{i}));",
            f"  assign p_all[{SLOT * i + SLOT - 1}:{SLOT * i}] = {{{{{SLOT - rb}{{q{i}[{rb - 1}]}}}}, q{i}}};",
        ]
    lines += (
        [f"  assign p_all[{slots * SLOT - 1}:{len(designs) * SLOT}] = 0;"] if slots > len(designs) else []
    )
    return "\n".join(lines + ["endmodule"]) + "\n", slots


def simulate(
    designs: list[Design], workdir: Path, verilator: VerilatorTool, bits: int
) -> dict[str, np.ndarray]:
    """Build one harness for the batch, sweep all raw operands of `bits` bits, return each table."""
    top, slots = batch_top(designs)
    (workdir / "batch_top.v").write_text(top)
    nwords = -(-slots * SLOT // 32)
    sources = sorted({str(HLS_DIR / FAMILIES[d.family].verilog_file) for d in designs})
    cmd = [verilator.exe, "--cc", "--exe", "--build", "-j", "2", "-Wno-fatal", "-Wno-lint", "-Wno-style",
           "-MAKEFLAGS", "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O1",
           "--top-module", "batch_top", "-Mdir", str(workdir / "obj"), "-CFLAGS",
           f"-DNWORDS={nwords} -DAMAX={bits} -DWMAX={bits}", str(workdir / "batch_top.v"), *sources,
           str(HARNESS)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, text=True, env=os.environ | verilator.env)
    raw = subprocess.run([str(workdir / "obj" / "Vbatch_top")], check=True, capture_output=True).stdout
    words = np.frombuffer(raw, dtype=np.uint32).reshape(1 << (2 * bits), nwords).astype(np.uint64)
    out = {}
    for i, d in enumerate(designs):
        k, s = divmod(SLOT * i, 32)
        v = words[:, k] >> np.uint64(s)
        if s + SLOT > 32:
            v |= words[:, k + 1] << np.uint64(32 - s)
        v = (v & np.uint64((1 << SLOT) - 1)).astype(np.int64)
        v = np.where(v >= 1 << (SLOT - 1), v - (1 << SLOT), v).reshape(1 << bits, 1 << bits)
        ia = d.a_codes % (1 << d.a_bits)
        iw = d.w_codes % (1 << d.w_bits)
        out[d.name] = v[np.ix_(ia, iw)]
    return out


@pytest.mark.parametrize("small", [True, False], ids=["widths2to4", "widths8"])
def test_verilog_matches_numpy(small: bool, tmp_path: Path, verilator: VerilatorTool) -> None:
    designs = all_test_designs(small)
    assert_enough_designs(designs, small)
    tables = simulate(designs, tmp_path, verilator, 4 if small else 8)
    assert set(tables) == {d.name for d in designs}
    for d in designs:
        np.testing.assert_array_equal(tables[d.name], d.table(), err_msg=d.name)


LINT_CASES = [
    "exact_s8s8", "trunc3_u4s4", "ctrunc4_s8s8", "perfw2_u8s3", "perfa1_s2u5", "bamh1v3_u8s8",
    "mitchell_s8s8", "mitchell0_u2s2", "drum3_u8s8", "drum8_s4s4", "bxps4l1_u8s8", "bxpd2l2_s7s8", "bxpd1l3_u3u3",
    "btrunc3_u4s4", "btrunc14_s8s8", "bctrunc2_s2s2", "bctrunc6_u8s8", "bctrunc4_s4u3", "bperfw2_u8s8",
    "bperfw1_s2s2", "bperfa1_s8s8", "bperfa2_u4u4",
]  # fmt: skip


@pytest.mark.parametrize("name", LINT_CASES)
def test_verilator_lint_clean(name: str, verilator: VerilatorTool) -> None:
    """-Wall lint; the only waivers are the commented lint_off UNUSED blocks in the .v files."""
    d = get_design(name)
    gs = [f"-G{k}={v}" for k, v in d.verilog_params.items()]
    proc = subprocess.run([verilator.exe, "--lint-only", "-Wall", str(d.verilog_file), "--top-module", d.verilog_module, *gs],
                          capture_output=True, text=True, env=os.environ | verilator.env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
