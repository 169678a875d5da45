"""The layer IR: a sequential network over integer codes with a static precision per tensor.

Every tensor's :class:`~toolkit.precision.Precision` is fixed when the model is
read, so the emulator, the hls4ml configuration and the RTL generator derive
their types from the same objects. Weights are stored as integer codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from toolkit.cache import content_hash
from toolkit.precision import Precision


@dataclass(frozen=True)
class Layer:
    """Common fields: the Keras layer name, input/output shapes (no batch) and precisions."""

    name: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    in_precision: Precision
    out_precision: Precision

    @property
    def kind(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class Quantize(Layer):
    """Requantize to ``out_precision`` (QActivation / the input quantizer); ``relu`` clamps at zero first."""

    relu: bool = False


@dataclass(frozen=True)
class ReLU(Layer):
    """max(code, 0); the precision is unchanged."""


@dataclass(frozen=True)
class MaxPool(Layer):
    """Max pooling over ``pool`` windows with ``strides`` (valid padding), 1-D or 2-D."""

    pool: tuple[int, ...] = ()
    strides: tuple[int, ...] = ()


@dataclass(frozen=True)
class Flatten(Layer):
    """Reshape to 1-D in channels-last order (Keras' and hls4ml's order)."""


@dataclass(frozen=True, eq=False)
class MacLayer(Layer):
    """A layer whose work is multiply-accumulate: Dense or Conv1D/Conv2D.

    ``weights`` are integer codes of ``weight_precision`` shaped
    ``(*kernel, c_in, c_out)`` (Dense: ``(c_in, c_out)``); ``bias`` codes are
    already aligned to ``out_precision`` (the exact accumulator type). The
    output is the exact accumulation: requantization happens in the next
    :class:`Quantize` layer.
    """

    weights: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    weight_precision: Precision = Precision(8, 1)
    bias: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    bias_precision: Precision = Precision(8, 1)
    kernel: tuple[int, ...] = ()
    strides: tuple[int, ...] = ()
    padding: str = "valid"
    # The precision of one product a*w: the product hook returns codes in this unit.
    product_precision: Precision = Precision(16, 2)

    @property
    def fan_in(self) -> int:
        return int(np.prod(self.weights.shape[:-1]))

    @property
    def n_out(self) -> int:
        return int(self.weights.shape[-1])

    @property
    def macs(self) -> int:
        """Multiply-accumulates per inference."""
        positions = int(np.prod(self.out_shape[:-1])) if self.kernel else 1
        return positions * self.fan_in * self.n_out

    def weight_matrix(self) -> np.ndarray:
        """Weights as a (fan_in, c_out) matrix in im2col order (kernel positions, then channels)."""
        return self.weights.reshape(self.fan_in, self.n_out)

    def pad_amounts(self) -> tuple[tuple[int, int], ...]:
        """Zero padding (before, after) per spatial axis, as Keras computes it for ``same`` and ``causal``."""
        if self.padding == "valid":
            return tuple((0, 0) for _ in self.kernel)
        if self.padding == "causal":  # Conv1D only, dilation 1: k-1 zeros before, none after
            return tuple((k - 1, 0) for k in self.kernel)
        pads = []
        for size, k, s in zip(self.in_shape[:-1], self.kernel, self.strides, strict=True):
            out = -(-size // s)
            total = max((out - 1) * s + k - size, 0)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)


@dataclass(frozen=True, eq=False)
class Dense(MacLayer):
    """Fully connected layer on a 1-D input."""


@dataclass(frozen=True, eq=False)
class Conv(MacLayer):
    """Convolution, 1-D or 2-D (``len(kernel)``), channels last, dilation 1."""


@dataclass(frozen=True, eq=False)
class ModelIR:
    """A sequential network: input precision, ordered layers, and what reading it changed."""

    name: str
    input_shape: tuple[int, ...]
    input_precision: Precision
    layers: tuple[Layer, ...]
    notes: tuple[str, ...] = ()

    @property
    def output_precision(self) -> Precision:
        return self.layers[-1].out_precision

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.layers[-1].out_shape

    def mac_layers(self) -> list[MacLayer]:
        return [layer for layer in self.layers if isinstance(layer, MacLayer)]

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def model_hash(self) -> str:
        """Hash of everything that defines the arithmetic: structure, precisions, weight codes."""
        parts: list = [self.input_shape, repr(self.input_precision)]
        for layer in self.layers:
            parts.append([layer.kind, layer.name, layer.out_shape, repr(layer.out_precision)])
            if isinstance(layer, MacLayer):
                parts.extend(
                    [layer.weights, layer.bias, repr(layer.weight_precision), layer.strides, layer.padding]
                )
        return content_hash(*parts)
