"""The runtime's error types and exit statuses: a message names the bad value and what is accepted.

The board runtime cannot import ``toolkit`` (no TensorFlow on a board), so it has its own
error class; the host CLI turns it into a one-line error exactly like ``ToolkitError``.

Exit statuses, the same for ``toolkit`` (every command) and ``python -m toolkit_overlay``:
``EXIT_ERROR`` (2) for bad input or a failed tool, ``EXIT_MISMATCH`` (3) when the hardware
(board, Verilated RTL, hls4ml C-sim) ran but disagrees with the emulator on some sample;
results are written before a mismatch exits.
"""

EXIT_ERROR = 2
EXIT_MISMATCH = 3


class OverlayError(Exception):
    """A user-facing error of the board runtime (bad package, unreadable meter, failed transfer)."""

    exit_status = EXIT_ERROR


class HardwareMismatch(OverlayError):
    """The hardware disagrees with the emulator: a hardware, bitstream or generator defect."""

    exit_status = EXIT_MISMATCH
