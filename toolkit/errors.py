"""The one exception type for bad input: its message names the bad value and what is accepted.

The CLI turns it into a one-line ``error: ...`` and a non-zero exit, never a traceback.
"""


class ToolkitError(Exception):
    """A user-facing error (bad file, bad name, unsupported layer, inconsistent data)."""
