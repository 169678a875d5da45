"""Approximate-MAC FPGA deployment toolkit: QKeras model + plan -> emulator, hls4ml, RTL, board."""

# The one version string lives in the board runtime (it is copied to boards without this
# package, and its measurements record it); pyproject.toml reads it from there too.
from toolkit_overlay import __version__

__all__ = ["__version__"]
