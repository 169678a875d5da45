"""The bit-accurate integer emulator: the reference every hardware backend is compared with.

All backends share one interface: ``predict(x)`` on float inputs returns the
dequantized outputs, ``predict_codes(codes)`` on integer input codes returns
integer output codes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from toolkit.emulator import fast
from toolkit.emulator.layers import mac_reference, run_layer
from toolkit.emulator.products import EXACT, ProductKernel
from toolkit.errors import ToolkitError
from toolkit.models import ir

DEFAULT_BATCH = 2048


class Emulator:
    """Integer inference of a :class:`~toolkit.models.ir.ModelIR`.

    ``products`` maps a MAC layer's name to the product kernel it uses (exact for
    layers not named): this is where approximate multipliers plug in. Tensors travel between
    layers in the fast paths' carriers (:mod:`toolkit.emulator.fast`: narrow integers, float32
    integers) and come out as int64; ``reference=True`` runs every layer's reference function
    on int64 codes instead (the same codes, slower: for tests and before/after timing).
    """

    def __init__(
        self,
        model: ir.ModelIR,
        products: Mapping[str, ProductKernel] | None = None,
        batch_size: int = DEFAULT_BATCH,
        reference: bool = False,
    ) -> None:
        self.model = model
        self.products = dict(products or {})
        mac_names = {layer.name for layer in model.mac_layers()}
        unknown = sorted(set(self.products) - mac_names)
        if unknown:
            raise ToolkitError(
                f"product kernels for {', '.join(map(repr, unknown))} do not match a MAC layer of "
                f"{model.name!r}; its MAC layers are {', '.join(sorted(mac_names))}"
            )
        self.batch_size = batch_size
        self.reference = reference

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        """Float inputs -> input codes, as the model's input quantizer rounds them."""
        x = np.asarray(x)
        if tuple(x.shape[1:]) != self.model.input_shape:
            raise ToolkitError(
                f"input samples have shape {tuple(x.shape[1:])}; model {self.model.name!r} expects "
                f"{self.model.input_shape}"
            )
        return self.model.input_precision.quantize(x)

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        """Input codes -> output codes (exact accumulator codes for a final Dense)."""
        codes = np.asarray(codes, dtype=np.int64)
        outputs = [self._run(codes[i : i + self.batch_size]) for i in range(0, len(codes), self.batch_size)]
        if not outputs:
            return np.zeros((0,) + self.model.output_shape, np.int64)
        return np.concatenate(outputs)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Float inputs -> dequantized float64 outputs."""
        return self.model.output_precision.to_float(self.predict_codes(self.quantize_input(x)))

    def classify(self, x: np.ndarray) -> np.ndarray:
        return self.predict_codes(self.quantize_input(x)).argmax(axis=-1)

    def trace(self, codes: np.ndarray) -> dict[str, np.ndarray]:
        """Codes after every layer, by layer name (to find the first layer where backends differ)."""
        out = self._walk(np.asarray(codes, dtype=np.int64), keep_all=True)
        out.pop(self.model.input_name)
        return out

    def mac_operands(self, codes: np.ndarray, layer_name: str) -> np.ndarray:
        """The (rows, fan_in) activation codes a MAC layer multiplies (im2col rows for a conv).

        These are what the multiplier sees: for operand histograms (calibration) and
        for measuring a design's error on real data.
        """
        from toolkit.emulator.layers import im2col

        layer = self.model.layer(layer_name)
        if not isinstance(layer, ir.MacLayer):
            raise ToolkitError(f"layer {layer_name!r} is a {layer.kind}, not a MAC layer")
        (source,) = self.model.inputs_of(layer)
        codes = self._walk(np.asarray(codes, dtype=np.int64), stop_before=layer_name)[source]
        return codes.reshape(len(codes), -1) if isinstance(layer, ir.Dense) else im2col(codes, layer)

    def _run(self, codes: np.ndarray) -> np.ndarray:
        """Codes through every layer: the output tensor."""
        return self._walk(codes)[self.model.layers[-1].name]

    def _walk(
        self, codes: np.ndarray, stop_before: str | None = None, keep_all: bool = False
    ) -> dict[str, np.ndarray]:
        """Every tensor in topological order; a tensor is dropped once its last reader has run.

        Returns the live tensors (all of them with ``keep_all``) when the walk ends: after
        the last layer, or before ``stop_before`` (whose inputs are then live).
        """
        model = self.model
        readers = {name: len(names) for name, names in model.consumers().items()}
        values = {model.input_name: codes}
        layers = model.layers
        i = 0
        while i < len(layers) and layers[i].name != stop_before:
            layer = layers[i]
            names = model.inputs_of(layer)
            args = [values[name] for name in names]
            product = self.products.get(layer.name, EXACT)
            chain = [] if keep_all or self.reference else self._chain(i, readers, stop_before, product)
            if self.reference:
                out = run_reference(args if isinstance(layer, ir.Join) else args[0], layer, product)
            elif isinstance(layer, ir.Join):
                out = run_layer([fast.widen(arg) for arg in args], layer, product)
            elif chain:
                out = fast.run_chain(args[0], [layer, *chain], product)
            else:
                out = fast.run_layer(args[0], layer, product)
            values[(chain[-1] if chain else layer).name] = out
            if not keep_all:
                for name in names:
                    readers[name] -= 1
                    if readers[name] == 0:
                        del values[name]
            i += 1 + len(chain)
        return {name: fast.widen(value) for name, value in values.items()}

    def _chain(
        self, i: int, readers: dict[str, int], stop_before: str | None, product: ProductKernel
    ) -> list[ir.Layer]:
        """The per-sample layers a conv at ``i`` feeds alone (each the only reader of the one before),
        to run with it a block of samples at a time on several threads (:func:`fast.run_chain`); []
        for other layers, and for kernels other than the toolkit's own (a caller's kernel is called
        once per layer and batch, from the calling thread, as the protocol promises)."""
        layers = self.model.layers
        if not isinstance(layers[i], ir.Conv | ir.DepthwiseConv) or type(product) not in fast.OWN_KERNELS:
            return []
        chain: list[ir.Layer] = []
        for layer in layers[i + 1 :]:
            before = (chain[-1] if chain else layers[i]).name
            if (
                not isinstance(layer, fast.PER_SAMPLE)
                or layer.name == stop_before
                or self.model.inputs_of(layer) != (before,)
                or readers[before] != 1
            ):
                break
            chain.append(layer)
        return chain


def run_reference(
    codes: np.ndarray | list[np.ndarray], layer: ir.Layer, product: ProductKernel
) -> np.ndarray:
    """:func:`run_layer` with the reference MAC (int64 im2col rows through ``product.matmul``)."""
    if isinstance(layer, ir.MacLayer):
        return mac_reference(codes, layer, product)  # type: ignore[arg-type]
    return run_layer(codes, layer, product)


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(predicted == labels)) if len(labels) else float("nan")
