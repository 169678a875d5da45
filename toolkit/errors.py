"""The exception types for bad input and for hardware that disagrees with the emulator.

The CLI turns them into a one-line ``error: ...`` and the exception's ``exit_status``
(2 for bad input, 3 for a mismatch: :mod:`toolkit_overlay.errors`), never a traceback.
"""

from toolkit_overlay.errors import EXIT_ERROR, EXIT_MISMATCH


class ToolkitError(Exception):
    """A user-facing error (bad file, bad name, unsupported layer, inconsistent data)."""

    exit_status = EXIT_ERROR


class HardwareMismatch(ToolkitError):
    """Hardware (Verilated RTL or HLS Verilog, hls4ml C-sim, a board) disagrees with the emulator."""

    exit_status = EXIT_MISMATCH


__all__ = ["EXIT_ERROR", "EXIT_MISMATCH", "HardwareMismatch", "ToolkitError"]
