"""`verilator --lint-only -Wall` is clean: every leaf module under hls/rtl and every multiplier
under hls/multipliers at representative parameters, and generated tops of the zoo models (a top
with BatchNormalization stages: tests/rtl/test_rtl_batchnorm.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from toolkit.multipliers.registry import list_designs
from toolkit.plan import plan_from_json
from toolkit.rtlgen import generate
from toolkit.rtlgen.generate import RTL_DIR
from toolkit.rtlgen.netlist import Port, Sized, header, instance, value
from toolkit.rtlgen.verilator import find_verilator

from .plans import plan_json

pytestmark = pytest.mark.verilator

MAC = dict(IN_H=8, IN_W=8, IN_C=2, OUT_H=4, OUT_W=4, OUT_C=5, K_H=3, K_W=3, S_H=2, S_W=2, P_T=1, P_L=0,
           A_BITS=4, W_BITS=3, P_BITS=8, SUM_BITS=14, V_BITS=12, B_BITS=6, C_BITS=5, D_BITS=9, X_BITS=24,
           OUT_BITS=16, SHIFT=2, LANES=2, CV=1, CV_FRAC=6)  # fmt: skip
POOL = dict(IN_H=6, IN_W=7, C=3, OUT_H=2, OUT_W=3, P_H=3, P_W=2, S_H=2, S_W=2, BITS=5, SIGNED=1)
LEAVES: list[tuple[str, dict[str, int]]] = [
    ("tk_requant", dict(IN_BITS=16, IN_SIGNED=1, OUT_BITS=4, OUT_SIGNED=0, SHIFT=5, RND=1, SAT=0, RELU=1)),
    ("tk_requant", dict(IN_BITS=6, IN_SIGNED=0, OUT_BITS=8, OUT_SIGNED=1, SHIFT=-2, RND=0, SAT=2, RELU=0)),
    ("tk_requant", dict(IN_BITS=13, IN_SIGNED=1, OUT_BITS=13, OUT_SIGNED=1, SHIFT=0, RND=0, SAT=2, RELU=1)),
    (
        "tk_mac_post",
        dict(
            SUM_BITS=14,
            V_BITS=12,
            B_BITS=6,
            C_BITS=5,
            D_BITS=9,
            X_BITS=24,
            OUT_BITS=16,
            SHIFT=2,
            CV=1,
            CV_FRAC=6,
        ),
    ),  # fmt: skip
    ("tk_mac_post", dict(SUM_BITS=12, V_BITS=9, B_BITS=8, X_BITS=16, OUT_BITS=13, SHIFT=0, CV=0)),
    ("tk_mac", MAC),
    ("tk_mac", MAC | dict(LINE_DEPTH=64, CV=0)),
    ("tk_mac", MAC | dict(OUT_C=4, LANES=1, P_BITS=15, SUM_BITS=12)),  # G a power of two, a narrow sum
    (
        "tk_mac",
        MAC | dict(IN_H=1, IN_W=40, OUT_H=1, OUT_W=20, K_H=1, K_W=5, S_H=1, P_T=0, P_L=2, LINE_DEPTH=32),
    ),
    (
        "tk_mac",
        MAC
        | dict(
            IN_H=1,
            IN_W=1,
            IN_C=64,
            OUT_H=1,
            OUT_W=1,
            OUT_C=10,
            K_H=1,
            K_W=1,
            S_H=1,
            S_W=1,
            P_T=0,
            P_L=0,
            LANES=10,
            A_SIGNED=1,
        ),
    ),  # fmt: skip
    ("tk_scale", dict(C=32, IN_BITS=18, IN_SIGNED=1, S_BITS=30, H_BITS=47, OUT_BITS=47)),
    ("tk_scale", dict(C=1, IN_BITS=5, IN_SIGNED=0, S_BITS=12, H_BITS=18, OUT_BITS=18)),
    ("tk_requant", dict(IN_BITS=7, IN_SIGNED=1, OUT_BITS=6, OUT_SIGNED=1, SHIFT=1, RND=1, SAT=0, RELU=0)),
    ("tk_mac", MAC | dict(DW=1, M=3, OUT_C=6)),  # depthwise, a partial last group per channel
    ("tk_mac", MAC | dict(DW=1, M=1, OUT_C=2, LANES=1, LINE_DEPTH=64, CV=0)),
    ("tk_pool", POOL),
    ("tk_pool", POOL | dict(LINE_DEPTH=64, SIGNED=0)),
    (
        "tk_pool",
        POOL | dict(OP=1, ACC_BITS=9, OUT_BITS=17, R_BITS=12, R=Sized(2731, 64), RS=3),
    ),  # 3x2 average
    (
        "tk_global_pool",
        dict(
            P=25,
            C=2,
            IN_BITS=5,
            IN_SIGNED=1,
            OP=1,
            ACC_BITS=11,
            OUT_BITS=17,
            R_BITS=20,
            R=Sized(466034, 64),
            RS=11,
        ),
    ),  # fmt: skip
    ("tk_global_pool", dict(P=4, C=1, IN_BITS=5, IN_SIGNED=0, OP=0, ACC_BITS=6, OUT_BITS=5)),
    ("tk_div_const", dict(S_BITS=9, R_BITS=1, R=Sized(1, 64), RS=0, OUT_BITS=12)),
    ("tk_pad", dict(IN_H=10, IN_W=10, C=2, P_T=1, P_B=2, P_L=0, P_R=1, BITS=5)),
    ("tk_pad", dict(IN_H=1, IN_W=12, C=2, P_T=0, P_B=0, P_L=1, P_R=1, BITS=5)),
    ("tk_fork", dict(N=3, BITS=6, DEPTH=72)),
    ("tk_fork", dict(N=2, BITS=5, DEPTH=192)),
    ("tk_add", dict(N=2, W=15, SUB=0)),
    ("tk_add", dict(N=3, W=9, SUB=2)),
    ("tk_concat", dict(N=3, W=7, CH=Sized((2 << 32) | (2 << 16) | 2, 128))),
    ("tk_concat", dict(N=2, W=6, CH=Sized((1 << 16) | 1, 128))),
    ("tk_line_buffer", dict(BITS=4, N_IN=64, DEPTH=0)),
    ("tk_line_buffer", dict(BITS=7, N_IN=320, DEPTH=128)),
    ("tk_axis_unpack", dict(DATA_BITS=64, LANES=8, LANE_BITS=8, CODE_BITS=4, N=64)),
    ("tk_axis_unpack", dict(DATA_BITS=128, LANES=5, LANE_BITS=24, CODE_BITS=20, N=7)),
    ("tk_axis_pack", dict(DATA_BITS=64, LANES=4, LANE_BITS=16, CODE_BITS=15, SIGNED=1, N=10)),
    ("tk_axis_pack", dict(DATA_BITS=128, LANES=5, LANE_BITS=24, CODE_BITS=17, SIGNED=0, N=3)),
    ("tk_flag_fifo", dict(DEPTH_LOG=4)),
]
SUBMODULES = {"tk_mac": ["tk_line_buffer", "tk_mac_post"], "tk_pool": ["tk_line_buffer", "tk_div_const"],
              "tk_global_pool": ["tk_div_const"]}  # fmt: skip


def lint(
    files: list[Path], top: str, params: dict[str, int] | None = None, cwd: Path | None = None
) -> list[str]:
    """Warnings (and errors) of verilator --lint-only -Wall on ``files`` with ``top``'s parameters set."""
    tool = find_verilator()
    flags = [f"-G{k}={value(v)}" for k, v in (params or {}).items()]
    cmd = [tool.exe, "--lint-only", "-Wall", "--top-module", top, *flags, *map(str, files)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=os.environ | tool.env)
    found = [line for line in proc.stderr.splitlines() if line.startswith("%")]
    # a failed run that printed no %-line (a crash, a missing file) must not look clean
    assert proc.returncode == 0 or found, f"verilator exited {proc.returncode}: {proc.stderr[-2000:]}"
    return found


@pytest.mark.parametrize("top, params", LEAVES, ids=[f"{t}-{i}" for i, (t, _) in enumerate(LEAVES)])
def test_leaf_module_lints_clean(top: str, params: dict[str, int], tmp_path) -> None:
    files = [RTL_DIR / f"{m}.v" for m in [top, *SUBMODULES.get(top, [])]]
    assert lint(files, top, params, tmp_path) == []


@pytest.mark.parametrize(
    "operands", [(4, 4, False, True), (8, 8, True, True), (6, 3, False, True), (2, 8, True, True)]
)
def test_every_multiplier_lints_clean(operands: tuple[int, int, bool, bool], tmp_path) -> None:
    """All catalogue designs at one operand configuration, instantiated side by side."""
    ab, wb = operands[:2]
    designs = list_designs(*operands)
    pw = ab + wb + 1
    lines = [
        header(
            "lint_top",
            [Port("input", "a", ab), Port("input", "w", wb), Port("output", "p", len(designs) * pw)],
        )
    ]
    for i, d in enumerate(designs):
        lines.append(
            instance(
                d.verilog_module,
                f"u{i}",
                dict(d.verilog_params),
                {"a": "a", "w": "w", "p": f"p[{i * pw}+:{pw}]"},
            )
        )
    (tmp_path / "lint_top.v").write_text("\n".join([*lines, "endmodule", ""]))
    files = [tmp_path / "lint_top.v", *sorted({d.verilog_file for d in designs})]
    assert lint(files, "lint_top", cwd=tmp_path) == []


@pytest.mark.parametrize(
    "model, kind, fold, buffer",
    [
        ("digits-cnn", "approx_cv", 3, "line"),
        ("mnist1d-cnn", "axbxp", None, "line"),
        ("digits-mlp", "exact", 7, "frame"),
    ],
)
def test_generated_top_lints_clean(zoo_models, model, kind, fold, buffer, tmp_path) -> None:
    entry = zoo_models[model]
    design = generate(entry["ir"], plan_from_json(plan_json(model, kind), entry["ir"]), fold, buffer=buffer)
    top = design.write(tmp_path)
    assert lint([top, *design.sources()], "tk_accel", cwd=tmp_path) == []
