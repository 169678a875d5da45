"""Modelled power and energy per inference from RTL activity and synthesized cells.

This is a model, not a measurement, and every report labels it so.

    P_dyn   = f_clk * sum_m alpha_m * (E_LUT*LUT_m + E_MUXF*MUXF_m + E_CARRY*CARRY4_m
                                       + E_FF*FF_m + E_BRAM*BRAM36_m)
            + f_clk * E_CLK * FF_total
    P_total = P_dyn + P_static(board)
    E/inference = P * II / f_clk

``alpha_m`` is module m's simulated activity: Verilator toggle counts of the module's
signal bits over the run (each instance of a sub-module on its own bits:
:mod:`toolkit.rtlgen.activity`), per bit per clock cycle. Cells per module come from yosys
(``area.py``). The constants are per-toggle switching energies of a 7-series (28 nm,
VCCINT = 1.0 V) cell output including its local routing, chosen so that the model sits
in the range of the Xilinx Power Estimator's logic + signal power for small designs;
``E_CLK`` is the clock-tree load per flip-flop per cycle. They are first-order: no
glitches, no placement, one activity figure per module.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.boards import Board
from toolkit.rtlgen.activity import Activity
from toolkit.rtlgen.area import Area

PJ = 1e-12
#: switching energy per output toggle, joules (modelled constants, see the module docstring)
ENERGY = {"lut": 0.25 * PJ, "muxf": 0.10 * PJ, "carry4": 0.30 * PJ, "ff": 0.15 * PJ, "bram36": 8.0 * PJ}
E_CLK = 0.05 * PJ  # clock load per flip-flop per cycle


@dataclass(frozen=True)
class PowerModel:
    """Modelled power (watts) and energy per inference (joules); ``per_module`` is dynamic power."""

    dynamic_w: float
    static_w: float
    clock_mhz: float
    interval_cycles: float
    per_module: dict[str, float]

    @property
    def total_w(self) -> float:
        return self.dynamic_w + self.static_w

    @property
    def seconds_per_inference(self) -> float:
        return self.interval_cycles / (self.clock_mhz * 1e6)

    @property
    def dynamic_energy_j(self) -> float:
        return self.dynamic_w * self.seconds_per_inference

    @property
    def energy_j(self) -> float:
        return self.total_w * self.seconds_per_inference

    def to_json(self) -> dict:
        return {
            "label": "modelled (toggle activity x synthesized cells; not measured)",
            "dynamic_w": self.dynamic_w,
            "static_w": self.static_w,
            "total_w": self.total_w,
            "clock_mhz": self.clock_mhz,
            "energy_per_inference_j": self.energy_j,
            "dynamic_energy_per_inference_j": self.dynamic_energy_j,
            "per_module_dynamic_w": self.per_module,
        }


def model_power(area: Area, activity: Activity, board: Board, interval_cycles: float) -> PowerModel:
    """Dynamic power of each module from its toggle rate and cells, plus the board's static power."""
    f = board.clock_mhz * 1e6
    per_module: dict[str, float] = {}
    for name, cells in area.cells.items():
        alpha = activity.rate(name)
        res = area.layers[name]
        muxf = sum(n for cell, n in cells.items() if cell.startswith("MUXF"))
        switched = (
            ENERGY["lut"] * res["lut"]
            + ENERGY["muxf"] * muxf
            + ENERGY["carry4"] * res["carry4"]
            + ENERGY["ff"] * res["ff"]
            + ENERGY["bram36"] * res["bram36"]
        )
        per_module[name] = f * (alpha * switched + E_CLK * res["ff"])
    return PowerModel(sum(per_module.values()), board.static_w, board.clock_mhz, interval_cycles, per_module)
