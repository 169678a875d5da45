"""Approximate multiplier library: one registry maps a design name to its numpy model,
its C++ hls4ml product policy (``hls/multipliers/*.h``) and its Verilog module
(``hls/multipliers/*.v``).

>>> d = get_design("trunc2_u4s4")
>>> d.table().shape
(16, 16)
"""

from toolkit.multipliers.design import Design
from toolkit.multipliers.family import MultiplierError
from toolkit.multipliers.registry import FAMILIES, get_design, list_designs, make_design

__all__ = ["FAMILIES", "Design", "MultiplierError", "get_design", "list_designs", "make_design"]
