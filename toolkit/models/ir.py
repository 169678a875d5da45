"""The layer IR: a graph of layers over integer codes with a static precision per tensor.

Every tensor's :class:`~toolkit.precision.Precision` is fixed when the model is
read, so the emulator, the hls4ml configuration and the RTL generator derive
their types from the same objects. Weights are stored as integer codes.

The network is a DAG of tensors: each layer produces one tensor (named by the layer)
and reads the tensors named in ``inputs`` (the model input is ``ModelIR.input_name``).
``ModelIR.layers`` is in topological order and the last layer is the output. A chain
(every layer reading the one before it) is the common case, and its layers may leave
``inputs`` empty: :meth:`ModelIR.inputs_of` fills in the previous layer.
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
    inputs: tuple[str, ...] = ()  # producers' names; () = the previous layer (a chain)

    @property
    def kind(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class Join(Layer):
    """A layer of several inputs; ``in_shape``/``in_precision`` are the first input's."""

    input_shapes: tuple[tuple[int, ...], ...] = ()
    input_precisions: tuple[Precision, ...] = ()


@dataclass(frozen=True)
class Add(Join):
    """Elementwise ``sum_i sign_i * x_i``, exact: inputs aligned to the output's fraction bits.

    Keras' ``Add`` has every sign +1, ``Subtract`` (two inputs) ``(1, -1)``.
    """

    signs: tuple[int, ...] = ()


@dataclass(frozen=True)
class Concatenate(Join):
    """Concatenation on the channel (last) axis, each input aligned to the output's fraction bits."""


@dataclass(frozen=True)
class Pad(Layer):
    """Zero padding of the spatial axes: ``pads`` is ``(before, after)`` per spatial axis."""

    pads: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Reshape(Layer):
    """A reshape of the codes in channels-last order (Keras' ``Reshape``); no arithmetic."""


@dataclass(frozen=True)
class GlobalPool(Layer):
    """Max or average over every spatial position, per channel (``op``: ``max`` or ``avg``).

    The average is the exact sum divided by the window and floored at ``out_precision``'s
    fraction bits, which carry enough guard bits that the next quantizer's rounding of it
    equals the rounding of the exact mean (see :mod:`toolkit.models.pooling`).
    """

    op: str = "max"


@dataclass(frozen=True)
class AvgPool(Layer):
    """Average pooling over ``pool`` windows with ``strides`` (valid padding), 1-D or 2-D.

    Same arithmetic as :class:`GlobalPool`'s average: exact sum, floored division by the
    window, ``out_precision`` with guard bits, rounded once by the next quantizer.
    """

    pool: tuple[int, ...] = ()
    strides: tuple[int, ...] = ()


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
class Scale(Layer):
    """Per-channel fixed-point ``y = x * scale + shift``: an inference-time BatchNormalization.

    ``scale`` holds one code of ``scale_precision`` per channel (the last axis);
    ``shift`` one code per channel in ``out_precision`` units. The output type is
    exact: ``out_precision.frac == in_precision.frac + scale_precision.frac`` and its
    width holds every value, so nothing rounds here; the next :class:`Quantize` rounds
    once, as QKeras' quantizer after a float BatchNormalization does.
    """

    scale: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    scale_precision: Precision = Precision(8, 1)
    shift: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def channels(self) -> int:
        return int(self.scale.shape[0])

    def to_float(self) -> tuple[np.ndarray, np.ndarray]:
        """(scale, shift) as float64 values (exact for widths up to 53 bits)."""
        return self.scale_precision.to_float(self.scale), self.out_precision.to_float(self.shift)


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
class DepthwiseConv(MacLayer):
    """Depthwise convolution: each input channel convolved with its own ``multiplier`` filters.

    ``weights`` are shaped ``(*kernel, c_in, multiplier)``; output channel
    ``c * multiplier + m`` reads input channel ``c`` only (Keras' order). The fan-in is
    the kernel's size.
    """

    multiplier: int = 1

    @property
    def fan_in(self) -> int:
        return int(np.prod(self.kernel))

    @property
    def n_out(self) -> int:
        return int(self.weights.shape[-2] * self.weights.shape[-1])

    def weight_matrix(self) -> np.ndarray:
        """Weights as (fan_in, c_in * multiplier): column ``c * multiplier + m`` is channel c's filter m."""
        return self.weights.reshape(self.fan_in, self.n_out)


@dataclass(frozen=True, eq=False)
class ModelIR:
    """A network: input precision, layers in topological order, and what reading it changed."""

    name: str
    input_shape: tuple[int, ...]
    input_precision: Precision
    layers: tuple[Layer, ...]
    notes: tuple[str, ...] = ()
    input_name: str = "input"

    def inputs_of(self, layer: Layer) -> tuple[str, ...]:
        """The names of the tensors ``layer`` reads (the previous layer's for a chain)."""
        if layer.inputs:
            return layer.inputs
        index = self.layers.index(layer)
        return (self.layers[index - 1].name,) if index else (self.input_name,)

    def consumers(self) -> dict[str, list[str]]:
        """Tensor name -> the layers that read it, in topological order."""
        out: dict[str, list[str]] = {self.input_name: []} | {layer.name: [] for layer in self.layers}
        for layer in self.layers:
            for name in self.inputs_of(layer):
                out[name].append(layer.name)
        return out

    def is_chain(self) -> bool:
        """True when every layer reads exactly the previous one (a sequential network)."""
        previous = self.input_name
        for layer in self.layers:
            if self.inputs_of(layer) != (previous,):
                return False
            previous = layer.name
        return True

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
        previous = self.input_name
        for layer in self.layers:
            parts.append([layer.kind, layer.name, layer.out_shape, repr(layer.out_precision)])
            if self.inputs_of(layer) != (previous,):  # chains hash as they did before graphs existed
                parts.append(["inputs", *self.inputs_of(layer)])
            previous = layer.name
            for key in ("pads", "pool", "strides", "op", "signs", "multiplier"):
                if key in layer.__dataclass_fields__ and not isinstance(layer, MacLayer | MaxPool):
                    parts.append([key, repr(getattr(layer, key))])
            if isinstance(layer, MacLayer):
                parts.extend(
                    [layer.weights, layer.bias, repr(layer.weight_precision), layer.strides, layer.padding]
                )
            elif isinstance(layer, Scale):
                parts.extend([layer.scale, layer.shift, repr(layer.scale_precision)])
        return content_hash(*parts)
