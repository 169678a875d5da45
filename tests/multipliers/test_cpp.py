"""numpy table == C++ product policy compiled with g++ (one driver per family, all widths)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from toolkit.multipliers import Design
from toolkit.multipliers.design import HLS_DIR
from toolkit.multipliers.registry import FAMILIES

from .cases import assert_enough_designs, designs_for

DRIVER = Path(__file__).parent / "cpp_driver.cpp"


def _types(d: Design) -> tuple[str, str]:
    """Operand types with fraction bits (so the scale handling is exercised too)."""
    x = f"ap_fixed<{d.a_bits}, 2>" if d.a_signed else f"ap_ufixed<{d.a_bits}, 2>"
    w = f"ap_fixed<{d.w_bits}, 0>" if d.w_signed else f"ap_ufixed<{d.w_bits}, 0>"
    return x, w


def run_driver(designs: list[Design], workdir: Path, gxx: str, ap_include: str) -> dict[str, np.ndarray]:
    """Compile the driver for these designs and parse the printed tables."""
    lines = []
    for d in designs:
        x, w = _types(d)
        lines.append(
            f'{{ typedef {x} X; typedef {w} W; dump<X, W, {d.cpp_class}::product<X, W> >("{d.name}"); }}'
        )
    (workdir / "cases.inc").write_text("\n".join(lines) + "\n")
    exe = workdir / "driver"
    cmd = [gxx, "-std=c++11", "-O1", "-Wall", "-Wno-unknown-pragmas", "-isystem", ap_include,
           "-I", str(HLS_DIR), "-I", str(workdir), str(DRIVER), "-o", str(exe)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    tables = {}
    for line in out.splitlines():
        name, _, rest = line.partition(" ")
        assert rest != "BADSCALE", f"{name}: result value is not code * scale"
        tables[name] = np.array(rest.split(), dtype=np.int64)
    return tables


@pytest.mark.parametrize("family", list(FAMILIES))
def test_cpp_matches_numpy(family: str, tmp_path: Path, gxx: str, ap_include: str) -> None:
    small, big = designs_for(family, small=True), designs_for(family, small=False)
    assert_enough_designs(small, True, [family])
    assert_enough_designs(big, False, [family])
    designs = small + big
    tables = run_driver(designs, tmp_path, gxx, ap_include)
    assert set(tables) == {d.name for d in designs}
    for d in designs:
        np.testing.assert_array_equal(tables[d.name].reshape(d.table().shape), d.table(), err_msg=d.name)


def test_cpp_policy_with_ap_int(tmp_path: Path, gxx: str, ap_include: str) -> None:
    """Integer operand types (ap_int/ap_uint) go through the same policy."""
    from toolkit.multipliers import get_design

    d = get_design("ctrunc2_u4s3")
    (tmp_path / "cases.inc").write_text(
        f'{{ typedef ap_uint<4> X; typedef ap_int<3> W; dump<X, W, {d.cpp_product("X", "W")} >("{d.name}"); }}\n'
    )
    exe = tmp_path / "driver"
    subprocess.run([gxx, "-std=c++11", "-isystem", ap_include, "-I", str(HLS_DIR), "-I", str(tmp_path),
                    str(DRIVER), "-o", str(exe)], check=True)  # fmt: skip
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split()
    np.testing.assert_array_equal(np.array(out[1:], dtype=np.int64).reshape(16, 8), d.table())
