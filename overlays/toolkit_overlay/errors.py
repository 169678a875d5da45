"""The runtime's one error type: its message names the bad value and what is accepted.

The board runtime cannot import ``toolkit`` (no TensorFlow on a board), so it has its own
error class; the host CLI turns it into a one-line error exactly like ``ToolkitError``.
"""


class OverlayError(Exception):
    """A user-facing error of the board runtime (bad package, unreadable meter, failed transfer)."""
