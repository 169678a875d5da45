"""Emulating many plans on one sample set without recomputing what two plans share.

A tensor of the network depends only on the product kernels of the MAC layers upstream
of it (its MAC ancestors, itself included). :class:`IncrementalEmulator` keys every
tensor by the kernels of those layers: when a plan differs from one emulated before in one
layer's multiplier, only the layers reachable from that layer are run again (downstream on
a chain; on a graph, a branch the changed layer does not feed is reused). Bisection steps,
greedy refinement and GA offspring mostly differ from an earlier plan in one layer.

What is kept: the tensors a restart can begin from, i.e. those read by a layer with more
MAC ancestors than the tensor has (every MAC layer's input; a join's input when another
branch brings other MAC layers), and the output. They are stored in the narrowest integer
type that holds them (activation codes fit in int8 or int16), least recently used first out
when the store exceeds ``max_bytes``. Each stored tensor is the very array the full walk
computes, so a restarted walk is bit-exact with :meth:`Emulator.predict_codes`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping

import numpy as np

from toolkit.emulator.engine import DEFAULT_BATCH
from toolkit.emulator.layers import run_layer
from toolkit.emulator.products import EXACT, ProductKernel
from toolkit.errors import ToolkitError
from toolkit.models import ir

DEFAULT_MAX_BYTES = 768 << 20
BATCH_BYTES = 16 << 20  # working set of one batch's largest operand matrix (see :func:`batch_size_for`)
EXACT_KEY = "exact"
_NARROW = (np.int8, np.int16, np.int32, np.int64)


def narrow(codes: np.ndarray) -> np.ndarray:
    """``codes`` in the narrowest signed integer type that holds every value (a lossless copy)."""
    if not codes.size:
        return codes.astype(np.int8)
    lo, hi = int(codes.min()), int(codes.max())
    for dtype in _NARROW:
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return codes.astype(dtype)
    return codes  # pragma: no cover - int64 input always fits int64


class IncrementalEmulator:
    """Output codes of many plans on fixed input ``codes``, each layer run only when its inputs changed.

    A plan is given as ``keys``: MAC layer name -> a hashable identity of its product kernel
    (layers not named are exact; the caller must give two kernels with different arithmetic
    different keys), and ``kernel(name)``, called only for the layers that are run.
    """

    def __init__(
        self,
        model: ir.ModelIR,
        codes: np.ndarray,
        max_bytes: int = DEFAULT_MAX_BYTES,
        batch_size: int | None = None,
    ) -> None:
        self.model = model
        codes = np.asarray(codes)
        if tuple(codes.shape[1:]) != model.input_shape or not np.issubdtype(codes.dtype, np.integer):
            raise ToolkitError(
                f"input codes of shape {tuple(codes.shape[1:])} and type {codes.dtype}; model {model.name!r} "
                f"expects integer codes of shape {model.input_shape}"
            )
        self.codes = narrow(codes)
        self.max_bytes = int(max_bytes)
        self.batch_size = batch_size_for(model) if batch_size is None else int(batch_size)
        self._mac = [layer.name for layer in model.mac_layers()]
        self._ancestors = _mac_ancestors(model)
        self._restart = _restart_points(model, self._ancestors)
        self._store: OrderedDict[tuple[str, tuple[Hashable, ...]], np.ndarray] = OrderedDict()
        self._bytes = 0
        self.layers_run = 0  # layer executions over the whole sample set, for tests and benchmarks
        self.layers_reused = 0  # stored tensors (other than the input) walks started from

    def predict_codes(
        self, keys: Mapping[str, Hashable], kernel: Callable[[str], ProductKernel]
    ) -> np.ndarray:
        """Output codes of the plan ``keys`` (see class docstring); equal to a full emulator walk."""
        unknown = sorted(set(keys) - set(self._mac))
        if unknown:
            raise ToolkitError(
                f"plan keys {', '.join(map(repr, unknown))} do not name a MAC layer of {self.model.name!r}; "
                f"its MAC layers are {', '.join(self._mac)}"
            )
        tensor_key = {
            name: tuple(keys.get(mac, EXACT_KEY) for mac in macs) for name, macs in self._ancestors.items()
        }
        output = self.model.layers[-1].name
        stored = (output, tensor_key[output])
        if stored in self._store:
            self._store.move_to_end(stored)
            return self._store[stored].astype(np.int64)
        run, sources = self._schedule(output, tensor_key)
        products = {
            layer.name: kernel(layer.name) if layer.name in keys else EXACT
            for layer in run
            if isinstance(layer, ir.MacLayer)
        }
        keep = [layer.name for layer in run if layer.name in self._restart or layer.name == output]
        parts: dict[str, list[np.ndarray]] = {name: [] for name in keep}
        last_read = {name: i for i, layer in enumerate(run) for name in self.model.inputs_of(layer)}
        for start in range(0, len(self.codes), self.batch_size):
            rows = slice(start, start + self.batch_size)
            values = {name: self._source(name, tensor_key, rows) for name in sources}
            for i, layer in enumerate(run):
                names = self.model.inputs_of(layer)
                args = [values[name] for name in names]
                values[layer.name] = run_layer(
                    args if isinstance(layer, ir.Join) else args[0], layer, products.get(layer.name, EXACT)
                )
                if layer.name in parts:
                    parts[layer.name].append(narrow(values[layer.name]))
                for name in set(names):  # a tensor is dropped once its last reader has run
                    if last_read[name] == i:
                        del values[name]
        self.layers_run += len(run)
        self.layers_reused += len(set(sources) - {self.model.input_name})
        for name in keep:
            empty = np.zeros((0,) + _shape(self.model, name), np.int8)
            self._put((name, tensor_key[name]), np.concatenate(parts[name]) if parts[name] else empty)
        return self._store[stored].astype(np.int64)  # the newest entry outlives any eviction

    def stored_input(self, layer_name: str, keys: Mapping[str, Hashable] | None = None) -> np.ndarray | None:
        """The stored (narrowed) input tensor of MAC layer ``layer_name`` under plan ``keys``, if kept."""
        layer = self.model.layer(layer_name)
        (source,) = self.model.inputs_of(layer)
        key = tuple((keys or {}).get(mac, EXACT_KEY) for mac in self._ancestors[source])
        return self._store.get((source, key))

    def _schedule(
        self, output: str, tensor_key: dict[str, tuple[Hashable, ...]]
    ) -> tuple[list[ir.Layer], list[str]]:
        """Layers to run (topological order) and stored tensors to start from, for ``output``."""
        needed: set[str] = set()
        sources: set[str] = set()
        pending = [output]
        while pending:
            name = pending.pop()
            if name in needed or name in sources:
                continue
            if name == self.model.input_name:
                sources.add(name)
            elif (name, tensor_key[name]) in self._store:
                sources.add(name)
                self._store.move_to_end((name, tensor_key[name]))
            else:
                needed.add(name)
                pending.extend(self.model.inputs_of(self.model.layer(name)))
        run = [layer for layer in self.model.layers if layer.name in needed]
        return run, sorted(sources)

    def _source(self, name: str, tensor_key: dict[str, tuple[Hashable, ...]], rows: slice) -> np.ndarray:
        if name == self.model.input_name:
            return self.codes[rows].astype(np.int64)
        return self._store[(name, tensor_key[name])][rows].astype(np.int64)

    def _put(self, key: tuple[str, tuple[Hashable, ...]], value: np.ndarray) -> None:
        if key in self._store:
            self._store.move_to_end(key)
            return
        self._store[key] = value
        self._bytes += value.nbytes
        while self._bytes > self.max_bytes and len(self._store) > 1:
            _, old = self._store.popitem(last=False)
            self._bytes -= old.nbytes


def batch_size_for(model: ir.ModelIR, budget: int = BATCH_BYTES) -> int:
    """Samples per batch such that the largest int64 matrix of one layer (a conv's im2col rows, or an
    output) fits in ``budget`` bytes, at most ``DEFAULT_BATCH``.

    Results do not depend on the batch (every sample is computed alone); the time does: on
    cifar-cnn (conv1 im2col 1024 x 27 codes per sample) a full walk of 1024 samples took
    2.5 s at 1024 samples per batch and 0.45-0.6 s at 64-256 (measured, one core), the
    larger batches' temporaries no longer fitting in the caches.
    """
    per_sample = int(np.prod(model.input_shape))
    for layer in model.layers:
        size = int(np.prod(layer.out_shape))
        if isinstance(layer, ir.MacLayer):
            size = max(size, size // layer.n_out * layer.fan_in)
        per_sample = max(per_sample, size)
    return int(max(1, min(DEFAULT_BATCH, budget // (8 * per_sample))))


def _shape(model: ir.ModelIR, name: str) -> tuple[int, ...]:
    return model.input_shape if name == model.input_name else model.layer(name).out_shape


def _mac_ancestors(model: ir.ModelIR) -> dict[str, tuple[str, ...]]:
    """Tensor name -> the MAC layers its value depends on (itself included), in topological order."""
    order = {layer.name: i for i, layer in enumerate(model.layers)}
    out: dict[str, tuple[str, ...]] = {model.input_name: ()}
    for layer in model.layers:
        macs = set().union(*(out[name] for name in model.inputs_of(layer)))
        if isinstance(layer, ir.MacLayer):
            macs.add(layer.name)
        out[layer.name] = tuple(sorted(macs, key=order.__getitem__))
    return out


def _restart_points(model: ir.ModelIR, ancestors: dict[str, tuple[str, ...]]) -> set[str]:
    """Tensors read by a layer that depends on more MAC layers than they do: where a walk can restart."""
    points = set()
    for layer in model.layers:
        for name in model.inputs_of(layer):
            if name != model.input_name and len(ancestors[layer.name]) > len(ancestors[name]):
                points.add(name)
    return points
