"""Activation-density (AD) mixed precision: train QKeras models to per-layer bit-widths.

METHODS.md section 1 (Vasquez et al., DATE 2021). One idea per file:

* ``rules``   the update rule ``b <- max(b_min, ceil(AD * b))``, pruning count, settling, integer bits
* ``spec``    a network as rebuildable layer recipes (zoo recipe, QKeras or float Keras model)
* ``build``   QKeras model at given widths, weights carried over, channel pruning
* ``measure`` AD per quantized layer (a Keras callback, every epoch)
* ``train``   the loop: train, measure, update when AD settles, rebuild, stop when nothing changes
* ``cost``    MAC bit-operations ``sum MACs * bw * ba`` vs uniform 16/8 bits
* ``report``  model.h5, precision.json, precision.png
* ``run``     ``quantize()``, the function behind ``toolkit quantize``
"""

from toolkit.density.rules import UpdateRule, new_bits, new_channels
from toolkit.density.train import DensityConfig, DensityResult, train_density

__all__ = ["DensityConfig", "DensityResult", "UpdateRule", "new_bits", "new_channels", "train_density"]
