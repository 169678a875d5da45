"""Approximate-MAC FPGA deployment toolkit: QKeras model + plan -> emulator, hls4ml, RTL, board."""

__version__ = "0.1.0"
