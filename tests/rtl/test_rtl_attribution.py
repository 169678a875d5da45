"""Energy attribution per layer and sub-block (toolkit/rtlgen/attribution.py): no Verilator or yosys
run; the per-instance coverage points and cell counts are written here in the shapes Verilator and
yosys give (a real coverage build: test_rtl_activity.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from toolkit.plan import plan_from_json
from toolkit.rtlgen.activity import Activity, ModuleActivity
from toolkit.rtlgen.area import Area, summarize
from toolkit.rtlgen.attribution import attribute, block_cells, place
from toolkit.rtlgen.generate import generate
from toolkit.rtlgen.power import E_CLK, ENERGY, model_power

from .plans import plan_json

CYCLES = 1000


@pytest.fixture(scope="module")
def mlp(zoo_models):
    """digits-mlp with the same exact multiplier module in both layers (fc1: 32 lanes, fc2: 10)."""
    ir = zoo_models["digits-mlp"]["ir"]
    return generate(ir, plan_from_json(plan_json("digits-mlp", "exact"), ir))


def test_place_files_each_point_under_its_layer_and_sub_block(mlp) -> None:
    assert place("TOP.tk_accel.l2_fc1.g_mul[31].u_mul", mlp) == ("l2_fc1", "products")
    assert place("TOP.tk_accel.l4_fc2.g_mul[0].u_mul", mlp) == ("l4_fc2", "products")
    assert place("TOP.tk_accel.l4_fc2.u.u_post", mlp) == ("l4_fc2", "post")
    assert place("TOP.tk_accel.l2_fc1.u.u_buf", mlp) == ("l2_fc1", "buffer")
    assert place("TOP.tk_accel.l2_fc1.u", mlp) == ("l2_fc1", "mac")
    assert place("TOP.tk_accel.l2_fc1", mlp) == ("l2_fc1", "mac")
    assert place("TOP.tk_accel.l3_fc1_relu.u", mlp) == ("l3_fc1_relu", "logic")
    assert place("TOP.tk_accel.u_pack", mlp) == ("io", "io")
    assert place("TOP.tk_accel", mlp) == ("io", "io")


def _cells(design):
    """A yosys-shaped hierarchy: wrappers -> product units x lanes + tk_mac -> tk_mac_post, tk_line_buffer."""
    mods = {"tk_accel": {"BUFG": 1, "$paramod$a\\tk_axis_pack": 1}, "$paramod$a\\tk_axis_pack": {"FDRE": 7}}
    for s in design.stages:
        mods["tk_accel"][s.module] = 1
        if s.kind != "mac":
            mods[s.module] = {"$paramod$r\\tk_requant": 1}
            mods["$paramod$r\\tk_requant"] = {"LUT2": 3, "FDRE": 2}
            continue
        mods[s.module] = {f"$paramod$m\\{s.mult_module}": s.lanes, f"$paramod${s.index}\\tk_mac": 1}
        mods[f"$paramod$m\\{s.mult_module}"] = {"LUT6": 5, "CARRY4": 1}
        mods[f"$paramod${s.index}\\tk_mac"] = {"LUT4": 40, "FDRE": 30, "$paramod$p\\tk_mac_post": 1,
                                               "$paramod$b\\tk_line_buffer": 1}  # fmt: skip
    mods["$paramod$p\\tk_mac_post"] = {"LUT6": 9, "MUXF7": 2}
    mods["$paramod$b\\tk_line_buffer"] = {"RAM64M": 1, "FDRE": 3}
    return mods


def test_block_cells_file_sub_modules_under_their_blocks(mlp) -> None:
    cells = block_cells(mlp, _cells(mlp))
    assert cells["l2_fc1", "products"] == Counter({"LUT6": 5 * 32, "CARRY4": 32})
    assert cells["l4_fc2", "products"] == Counter({"LUT6": 50, "CARRY4": 10})
    assert cells["l2_fc1", "mac"] == Counter({"LUT4": 40, "FDRE": 30})
    assert cells["l2_fc1", "post"] == Counter({"LUT6": 9, "MUXF7": 2})
    assert cells["l2_fc1", "buffer"] == Counter({"RAM64M": 1, "FDRE": 3})
    assert cells["l3_fc1_relu", "logic"] == Counter({"LUT2": 3, "FDRE": 2})
    assert cells["io", "io"] == Counter({"BUFG": 1, "FDRE": 7})


def test_the_units_are_the_power_model(mlp) -> None:
    """One activity factor per unit: the per-unit figure is power.py's, to the last bit."""
    cells = block_cells(mlp, _cells(mlp))
    points = {"TOP.tk_accel.l2_fc1.u": (40, 9000), "TOP.tk_accel.l2_fc1.u.u_post": (20, 700),
              "TOP.tk_accel.l2_fc1.g_mul[0].u_mul": (9, 300), "TOP.tk_accel.l2_fc1.g_mul[1].u_mul": (9, 500),
              "TOP.tk_accel.l4_fc2.u": (30, 2000), "TOP.tk_accel.l3_fc1_relu.u": (10, 800),
              "TOP.tk_accel.u_pack": (16, 3000)}  # fmt: skip
    att = attribute(points, mlp, cells, CYCLES)
    flat: dict[str, Counter] = {}
    for (unit, _), c in cells.items():
        flat.setdefault(unit, Counter()).update(c)
    area = Area(
        {}, {k: summarize(v) for k, v in flat.items()}, {k: dict(v) for k, v in flat.items()}, "", 0.0
    )
    bits: dict[str, list[int]] = {}
    for hier, (b, t) in points.items():
        unit = place(hier, mlp)[0]
        bits.setdefault(unit, [0, 0])
        bits[unit][0] += b
        bits[unit][1] += t
    activity = Activity(CYCLES, {k: ModuleActivity(b, t) for k, (b, t) in bits.items()})

    class Board:
        clock_mhz, static_w = 100.0, 0.0

    power = model_power(area, activity, Board(), CYCLES)  # type: ignore[arg-type]
    for unit, joules in att["unit_j"].items():
        assert joules == pytest.approx(power.per_module[unit] * CYCLES / 100e6, rel=1e-12)


def test_a_layers_product_units_add_up_to_lanes_units(mlp) -> None:
    cells = block_cells(mlp, _cells(mlp))
    points = {f"TOP.tk_accel.l2_fc1.g_mul[{i}].u_mul": (9, 1000 + 100 * i) for i in range(32)}
    att = attribute(points, mlp, cells, CYCLES)
    block = att["blocks"]["l2_fc1"]["products"]
    toggles = sum(1000 + 100 * i for i in range(32))
    assert block["bits"] == 9 * 32 and block["toggles"] == toggles
    assert block["rate"] == pytest.approx(toggles / (9 * 32 * CYCLES))
    switched = ENERGY["lut"] * 5 * 32 + ENERGY["carry4"] * 32  # no flip-flops: no clock load
    assert att["blocks_j"]["l2_fc1"]["products"] == pytest.approx(toggles / (9 * 32) * switched)
    assert att["blocks_j"]["l2_fc1"]["mac"] == pytest.approx(E_CLK * 30 * CYCLES)  # idle: clock load only
    assert att["blocks"]["l4_fc2"]["products"]["bits"] == 0  # no points: no bits, no toggles
