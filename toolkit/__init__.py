"""Approximate-MAC FPGA deployment toolkit: QKeras model + plan -> emulator, hls4ml, RTL, board.

The Python API (:mod:`toolkit.api`), importable from here::

    toolkit.emulate(model, data)          toolkit.quantize(model, data, out=...)
    toolkit.select(model, data, budget=)  toolkit.sim(model, data, plan=...)
    toolkit.build(model, data, board=...) -> Build (.measure(target="sim"), .report(), .sim())
    toolkit.open_build(path)              toolkit.ToolkitError (every bad input)

``toolkit.select`` is also the selection's subpackage; calling it runs :func:`toolkit.api.select`.
"""

from typing import Any

# The one version string lives in the board runtime (it is copied to boards without this
# package, and its measurements record it); pyproject.toml reads it from there too.
from toolkit_overlay import __version__

from toolkit.errors import HardwareMismatch, ToolkitError

_API = ("Build", "build", "emulate", "measure_build", "open_build", "quantize", "report_build", "sim")
_RENAMED = {"measure_build": "measure", "report_build": "report"}  # toolkit.measure/.report are subpackages


def __getattr__(name: str) -> Any:
    """The API functions, imported on first use (``import toolkit`` stays light for the CLI)."""
    if name in _API:
        import toolkit.api

        return getattr(toolkit.api, _RENAMED.get(name, name))
    if name == "select":  # the subpackage, callable as toolkit.api.select (toolkit/select/__init__.py)
        import importlib

        return importlib.import_module("toolkit.select")
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")


__all__ = ["HardwareMismatch", "ToolkitError", "__version__", "select", *_API]
