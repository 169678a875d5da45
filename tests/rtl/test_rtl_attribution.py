"""Instance-aware energy attribution (toolkit/rtlgen/attribution.py): no Verilator or yosys run;
the coverage points and cell counts are written here in the shapes Verilator and yosys give."""

from __future__ import annotations

from collections import Counter

import pytest

from toolkit.errors import ToolkitError
from toolkit.plan import plan_from_json
from toolkit.rtlgen.activity import Activity, ModuleActivity
from toolkit.rtlgen.area import Area, summarize
from toolkit.rtlgen.attribution import attribute, block_cells, place, unshared
from toolkit.rtlgen.generate import generate
from toolkit.rtlgen.power import E_CLK, ENERGY, model_power

from .plans import plan_json

CYCLES = 1000


@pytest.fixture(scope="module")
def mlp(zoo_models):
    """digits-mlp with the same exact multiplier module in both layers (fc1: 32 lanes, fc2: 10)."""
    ir = zoo_models["digits-mlp"]["ir"]
    return generate(ir, plan_from_json(plan_json("digits-mlp", "exact"), ir))


def test_unshared_gives_each_layer_its_own_product_module(mlp, tmp_path) -> None:
    macs = mlp.mac_stages()
    assert len({s.mult_module for s in macs}) == 1  # shared: Verilator would merge its counters
    twin = unshared(mlp, tmp_path)
    names = [s.mult_module for s in twin.mac_stages()]
    assert names == [f"{s.mult_module}__{s.instance}" for s in macs]
    for old, new in zip(macs, twin.mac_stages(), strict=True):
        text = new.mult_file.read_text()
        assert f"module {new.mult_module}" in text
        assert text.replace(new.mult_module, old.mult_module) == old.mult_file.read_text()  # same logic
        assert f"{new.mult_module} #(" in twin.verilog("rom")
    assert [s.module for s in twin.stages] == [s.module for s in mlp.stages]


def test_place_counts_a_layers_merged_product_units_once_per_lane(mlp) -> None:
    assert place("TOP.tk_accel.l2_fc1.g_mul[*].u_mul", mlp) == ("l2_fc1", "products", 32)
    assert place("TOP.tk_accel.l4_fc2.g_mul[*].u_mul", mlp) == ("l4_fc2", "products", 10)
    assert place("TOP.tk_accel.l4_fc2.u.u_post", mlp) == ("l4_fc2", "post", 1)
    assert place("TOP.tk_accel.l2_fc1.u.u_buf", mlp) == ("l2_fc1", "buffer", 1)
    assert place("TOP.tk_accel.l2_fc1.u", mlp) == ("l2_fc1", "mac", 1)
    assert place("TOP.tk_accel.l2_fc1", mlp) == ("l2_fc1", "mac", 1)
    assert place("TOP.tk_accel.l3_fc1_relu.u", mlp) == ("l3_fc1_relu", "logic", 1)
    assert place("TOP.tk_accel.u_pack", mlp) == ("io", "io", 1)
    with pytest.raises(ToolkitError, match=r"'TOP.tk_accel.l\*\].u_mul' is merged across layers"):
        place("TOP.tk_accel.l*].u_mul", mlp)  # both layers' counters in one: cannot be split


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


def test_without_merged_points_the_units_are_the_power_model(mlp) -> None:
    """Every point one instance: the per-unit figure is power.py's, to the last bit."""
    cells = block_cells(mlp, _cells(mlp))
    points = {"TOP.tk_accel.l2_fc1.u": (40, 9000), "TOP.tk_accel.l2_fc1.u.u_post": (20, 700),
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


def test_a_merged_product_point_counts_every_lanes_bits(mlp) -> None:
    cells = block_cells(mlp, _cells(mlp))
    att = attribute({"TOP.tk_accel.l2_fc1.g_mul[*].u_mul": (9, 64000)}, mlp, cells, CYCLES)
    block = att["blocks"]["l2_fc1"]["products"]
    assert block["bits"] == 9 * 32 and block["rate"] == pytest.approx(64000 / (9 * 32 * CYCLES))
    switched = ENERGY["lut"] * 5 * 32 + ENERGY["carry4"] * 32  # no flip-flops: no clock load
    assert att["blocks_j"]["l2_fc1"]["products"] == pytest.approx(64000 / (9 * 32) * switched)
    assert att["blocks_j"]["l2_fc1"]["mac"] == pytest.approx(E_CLK * 30 * CYCLES)  # idle: clock load only
