"""The RTL path: structural Verilog of a whole network, Verilator simulation, yosys area, modelled power.

``generate(model_ir, plan, fold)`` -> :class:`RtlDesign`; ``build(design)`` Verilates it into a
cached shared library; :class:`RtlDevice` drives it over AXI-Stream (``predict_codes``) and
reports cycles and toggle activity. See ``hls/rtl/README.md`` for the hardware.
"""

from toolkit.rtlgen.cycles import interval_bound, interval_floor
from toolkit.rtlgen.device import RtlDevice, SimResult
from toolkit.rtlgen.generate import RtlDesign, generate
from toolkit.rtlgen.verilator import Build, build, find_verilator

__all__ = [
    "Build",
    "RtlDesign",
    "RtlDevice",
    "SimResult",
    "build",
    "find_verilator",
    "generate",
    "interval_bound",
    "interval_floor",
]
