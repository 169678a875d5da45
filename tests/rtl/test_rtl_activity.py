"""Toggle activity per instance (toolkit/rtlgen/activity.py): the coverage file's parser, and a real
coverage build in which one multiplier module serves several layers with several lanes each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import toolkit.rtlgen.device as device_module
from toolkit.errors import ToolkitError
from toolkit.rtlgen.activity import read_activity, read_points


def _point(hier: str, signal: str, count: int, page: str = "v_toggle/approx_exact") -> str:
    """One line of Verilator's coverage.dat (keys joined by \\x01, key and value by \\x02)."""
    keys = {"f": "approx_exact.v", "l": "3", "n": "5", "page": page, "o": signal, "h": hier}
    return "C '" + "".join(f"\x01{k}\x02{v}" for k, v in keys.items()) + f"' {count}"


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("# SystemC::Coverage-3\n" + "\n".join(lines) + "\n")
    return path


def test_points_and_activity_count_every_instance(tmp_path) -> None:
    lane = "TOP.tk_accel.l2_fc1.g_mul[{}].u_mul"
    path = _write(tmp_path / "coverage.dat", [
        _point(lane.format(0), "a[0]", 99), _point(lane.format(0), "a[1]", 7),
        _point(lane.format(1), "a[0]", 100), _point(lane.format(1), "a[1]", 0),
        _point("TOP.tk_accel.l2_fc1.u", "ap_clk", 500, "v_toggle/tk_mac"),  # the clock: not activity
        _point("TOP.tk_accel.l2_fc1.u", "acc[0]", 40, "v_line/tk_mac"),  # not a toggle point
        _point("TOP.tk_accel.u_out", "tdata[0]", 12, "v_toggle/tk_axis_pack"),
    ])  # fmt: skip
    assert read_points(path) == {
        lane.format(0): (2, 106),
        lane.format(1): (2, 100),
        "TOP.tk_accel.u_out": (1, 12),
    }
    activity = read_activity(path, cycles=50)
    assert {k: (m.bits, m.toggles) for k, m in activity.modules.items()} == {
        "l2_fc1": (4, 206),
        "io": (1, 12),
    }
    assert activity.rate("l2_fc1") == pytest.approx(206 / (4 * 50))


def test_a_point_merged_over_instances_is_an_error_naming_it(tmp_path) -> None:
    """Verilator's default writer: both layers' units summed in one point that no layer can own."""
    path = _write(tmp_path / "coverage.dat", [_point("TOP.tk_accel.l*].u_mul", "a[0]", 199)])
    with pytest.raises(ToolkitError, match=r"'TOP.tk_accel.l\*\]\.u_mul' \(signal 'a\[0\]'\) merges several"):
        read_activity(path, cycles=10)


@pytest.mark.verilator
@pytest.mark.xdist_group("sampled_power")  # the coverage build of test_rtl_sampled_power.py: built once
def test_a_coverage_build_counts_each_product_unit_in_its_own_layer(
    zoo_models, tmp_path, monkeypatch
) -> None:
    """digits-cnn exact: one multiplier module at the same widths in three layers of 8, 16 and 10
    lanes, which Verilator's default writer merges into one point per bit (``l*].u_mul``)."""
    from toolkit.boards import load_board
    from toolkit.emulator.engine import Emulator
    from toolkit.rtlgen import RtlDevice, build, generate
    from toolkit.rtlgen.attribution import place

    entry = zoo_models["digits-cnn"]
    design = generate(entry["ir"], None, axis_bits=load_board("pynq-z2").dma_data_bits)  # as `toolkit sim`
    macs = design.mac_stages()
    assert len({s.mult_file for s in macs}) == 1 and [s.lanes for s in macs] == [8, 16, 10]
    kept: list[Path] = []

    def keep(path: Path, cycles: int):
        kept.append(Path(shutil.copy(path, tmp_path / f"coverage{len(kept)}.dat")))
        return read_activity(path, cycles)

    monkeypatch.setattr(device_module, "read_activity", keep)
    codes = Emulator(entry["ir"]).quantize_input(entry["data"].x_test[:4])
    with RtlDevice(design, build(design, activity=True)) as device:
        result = device.predict_codes(codes)
    points = read_points(kept[0])  # raises on a merged point
    unit_bits = set()
    for s in macs:
        units = {h: bt for h, bt in points.items() if place(h, design) == (s.instance, "products")}
        assert set(units) == {f"TOP.tk_accel.{s.instance}.g_mul[{i}].u_mul" for i in range(s.lanes)}
        assert all(t > 0 for _, t in units.values())  # every lane has its own count
        unit_bits |= {b for b, _ in units.values()}
        assert sum(b for b, _ in units.values()) == s.lanes * min(unit_bits)
    assert len(unit_bits) == 1  # the same module at the same widths: one unit's bits everywhere
    io = [h for h in points if place(h, design)[0] == "io"]
    assert io and not any("g_mul" in h or "u_mul" in h for h in io)  # no product unit filed under io
    per_unit: dict[str, int] = {}
    for h, (b, _) in points.items():
        per_unit[place(h, design)[0]] = per_unit.get(place(h, design)[0], 0) + b
    assert {k: m.bits for k, m in result.activity.modules.items()} == per_unit  # activity.py agrees
