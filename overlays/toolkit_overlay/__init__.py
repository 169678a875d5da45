"""The board-side runtime of toolkit accelerators: needs only numpy, and pynq / pyserial lazily.

* :mod:`toolkit_overlay.manifest`  read, verify and write an overlay package's manifest
* :mod:`toolkit_overlay.stream`    the AXI-Stream packing of codes into 64-bit beats
* :mod:`toolkit_overlay.device`    the DMA view of an accelerator (``Device``) and the PYNQ one
* :mod:`toolkit_overlay.testing`   a test double that checks every buffer transfer
* :mod:`toolkit_overlay.driver`    ``Accelerator``: pack, transfer in batches, unpack, time
* :mod:`toolkit_overlay.power`     power meters, the sampler and energy per inference
* ``python -m toolkit_overlay measure PACKAGE``: the board entry point

It never imports TensorFlow or ``toolkit``: pynq cannot share an environment with them.
"""

from toolkit_overlay.errors import OverlayError

__version__ = "0.1.0"  # the one version string of the distribution (pyproject.toml reads it)
__all__ = ["OverlayError", "__version__"]
