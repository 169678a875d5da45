"""The AXI-Stream data format shared by the RTL top and its drivers (packing is host-side).

The one definition and implementation is the board runtime's :mod:`toolkit_overlay.stream`
(64-bit-word DMA buffers, byte-aligned little-endian lanes, TLAST per sample or per batch);
this host-side name raises :class:`~toolkit.errors.ToolkitError` instead of ``OverlayError``.
"""

from __future__ import annotations

from typing import ClassVar

from toolkit_overlay import stream

from toolkit.errors import ToolkitError

AXIS_BITS = stream.AXIS_BITS  # default TDATA width: the PYNQ-Z2 HP port / DMA width


class AxisFormat(stream.AxisFormat):
    """How ``codes`` integers of ``code_bits`` bits per sample are packed into ``data_bits``-bit beats."""

    error: ClassVar[type[Exception]] = ToolkitError


__all__ = ["AXIS_BITS", "AxisFormat"]
