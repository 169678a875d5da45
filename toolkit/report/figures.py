"""Figures that never touch matplotlib's global state.

Every plot in the toolkit is drawn on a :class:`matplotlib.figure.Figure` made here, not through
``pyplot``: no backend is selected (a notebook user keeps theirs, ``%matplotlib inline`` or
widget), no figure is registered with pyplot's manager (nothing to close, nothing leaks into the
user's next ``plt.show()``), and saving to PNG works on any backend through the Agg canvas.
"""

from __future__ import annotations

from typing import Any


def new_figure(figsize: tuple[float, float]) -> Any:
    """A stand-alone Figure of ``figsize`` inches (draw with ``fig.subplots(...)``, write with ``fig.savefig``)."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)
