"""Hardware names derived from the user's layer names, so that no two can ever clash.

Keras accepts layer names such as ``input_1``, ``q_dense_3``, ``block1/conv.0`` or
``fc_cv_sum``; the backends need identifiers (C++ comments and trace keys in hls4ml,
Verilog modules and instances) and add names of their own (the correction branch,
hls4ml's ``<layer>_linear``). Every backend therefore names the layer at position ``k``
of its own list (hls4ml: the Keras layers, 0 = the input; RTL: the stages)
``l<k>_<ident>``, where ``<ident>`` is the user's name with every character outside
``[A-Za-z0-9_]`` replaced by ``_``. The position prefix makes the names distinct even
when two user names map to the same identifier (``a/b`` and ``a.b``), and a name a
backend derives from layer ``k``'s (``l<k>_<ident>_cv_sum``) can only equal another name
with the same prefix, which belongs to the same layer.
"""

from __future__ import annotations

import re

_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]")


def ident(name: str) -> str:
    """``name`` as an identifier: every character outside ``[A-Za-z0-9_]`` becomes ``_``."""
    return _NOT_IDENT.sub("_", name)


def indexed_name(index: int, name: str) -> str:
    """The hardware name of the network's layer ``index`` (0 = the input) called ``name`` by the user."""
    return f"l{index}_{ident(name)}"
