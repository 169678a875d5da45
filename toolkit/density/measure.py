"""Activation density (AD): the fraction of non-zero activations after each quantized layer's ReLU.

``AD_l = sum nnz(q_relu(z_l)) / sum numel(z_l)`` over the training data. It is counted
on the *quantized* activation (what the next layer multiplies), in inference mode, in
one extra forward pass over the training set at the end of every epoch: exact counts,
independent of batch order, and deterministic. Per-channel densities are kept for
pruning, and the input quantizer's density is logged too (it is not used by the rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.density.spec import INPUT, NetSpec, unsigned_quantizer

__all__ = ["INPUT", "Density", "density_callback", "density_probe", "measure_density"]


@dataclass
class Density:
    """One AD reading: per layer (by MAC layer name, plus ``input``) and per channel."""

    layer: dict[str, float] = field(default_factory=dict)
    channel: dict[str, list[float]] = field(default_factory=dict)


def density_probe(model: Any, spec: NetSpec) -> tuple[Any, list[str]]:
    """A Keras model returning the input quantizer's output and each measured activation: every MAC
    layer's own (by the layer's name) and every fixed ReLU-like quantizer's (by its name; logged and
    followed by a MAC layer without its own activation, see :meth:`NetSpec.feeding`)."""
    import tensorflow as tf

    names, outputs = [INPUT], [model.get_layer(spec.nodes[0].name).output]
    for unit in spec.units():
        if unit.act is not None:
            names.append(unit.name)
            outputs.append(model.get_layer(spec.nodes[unit.act].name).output)
    for node in spec.fixed():
        if unsigned_quantizer(node):
            names.append(node.name)
            outputs.append(model.get_layer(node.name).output)
    return tf.keras.Model(model.inputs, outputs), names


def measure_density(model: Any, spec: NetSpec, x: np.ndarray, batch_size: int = 512) -> Density:
    """Count non-zeros after every measured activation of ``model`` on ``x``."""
    probe, names = density_probe(model, spec)
    nnz = {name: None for name in names}
    counts = dict.fromkeys(names, 0)
    for start in range(0, len(x), batch_size):
        outs = probe(x[start : start + batch_size], training=False)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        for name, out in zip(names, outs, strict=True):
            values = np.asarray(out)
            per_channel = np.count_nonzero(values.reshape(-1, values.shape[-1]), axis=0)
            nnz[name] = per_channel if nnz[name] is None else nnz[name] + per_channel
            counts[name] += values.size // values.shape[-1]
    result = Density()
    for name in names:
        per = nnz[name] / max(counts[name], 1)
        result.channel[name] = [float(v) for v in per]
        result.layer[name] = float(nnz[name].sum() / max(counts[name] * len(per), 1))
    return result


def density_callback(spec: NetSpec, x: np.ndarray, on_reading: Any) -> Any:
    """A Keras callback measuring AD on ``x`` after every epoch and passing it to ``on_reading``.

    ``on_reading(model, epoch, density, logs)`` may set ``model.stop_training`` (the
    training loop does, to rebuild the model at new widths).
    """
    import tensorflow as tf

    class ActivationDensity(tf.keras.callbacks.Callback):
        """Logs AD per quantized layer at the end of every epoch."""

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            on_reading(self.model, epoch, measure_density(self.model, spec, x), dict(logs or {}))

    return ActivationDensity()
