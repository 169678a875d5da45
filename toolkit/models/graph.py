"""The Keras model as a graph: its layers in topological order, each with the layers it reads.

Sequential models are chains; functional ones are read from their configuration
(``inbound_nodes``), the public description Keras saves in ``.h5``/``.keras`` files. The
toolkit deploys graphs with one input and one output in which every layer is called
once and contributes to the output; anything else is refused here, naming the layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from toolkit.errors import ToolkitError


@dataclass(frozen=True)
class KerasGraph:
    """``nodes`` in topological order: (Keras layer, names of the layers it reads)."""

    input_name: str
    nodes: tuple[tuple[Any, tuple[str, ...]], ...]

    @property
    def output_name(self) -> str:
        return self.nodes[-1][0].name

    @property
    def layers(self) -> list[Any]:
        return [layer for layer, _ in self.nodes]


def keras_graph(model: Any) -> KerasGraph:
    """The graph of a Sequential or functional Keras model (see the module docstring for what is refused)."""
    import tensorflow as tf

    layers = [layer for layer in model.layers if not isinstance(layer, tf.keras.layers.InputLayer)]
    if not layers:
        raise ToolkitError(f"model {model.name!r} has no layers")
    for layer in layers:
        if isinstance(layer, tf.keras.Model):
            raise ToolkitError(
                f"layer {layer.name!r} is a nested model; flatten it into one Sequential or functional model"
            )
    if isinstance(model, tf.keras.Sequential):
        first = model.get_config()["layers"][0]
        input_name = first["config"]["name"] if first["class_name"] == "InputLayer" else f"{model.name}_input"
        if input_name in {layer.name for layer in layers}:
            input_name = f"{model.name}_input"
        names = [input_name] + [layer.name for layer in layers]
        return KerasGraph(input_name, tuple((layer, (names[i],)) for i, layer in enumerate(layers)))
    config = model.get_config()
    inputs, outputs = config["input_layers"], config["output_layers"]
    if len(inputs) != 1 or len(outputs) != 1:
        raise ToolkitError(
            f"model {model.name!r} has {len(inputs)} inputs ({', '.join(i[0] for i in inputs)}) and "
            f"{len(outputs)} outputs ({', '.join(o[0] for o in outputs)}); the toolkit deploys models with "
            "exactly one input and one output"
        )
    by_name = {layer.name: layer for layer in layers}
    nodes = []
    for entry in config["layers"]:
        name = entry["name"] if "name" in entry else entry["config"]["name"]
        if name not in by_name:
            continue  # the InputLayer
        inbound = entry.get("inbound_nodes") or []
        if len(inbound) != 1:
            raise ToolkitError(
                f"layer {name!r} is called {len(inbound)} times (a shared layer); the toolkit deploys each "
                "layer once: give every call its own layer"
            )
        nodes.append((by_name[name], tuple(_inbound_names(inbound[0]))))
    graph = KerasGraph(inputs[0][0], tuple(_topological(nodes, inputs[0][0])))
    if graph.output_name != outputs[0][0]:
        raise ToolkitError(f"model {model.name!r}: layer {graph.output_name!r} does not lead to the output")
    _check_all_used(graph)
    return graph


def walk(graph: KerasGraph, x: Any, call: Callable[[Any, Any], Any]) -> Any:
    """Evaluate the graph on ``x`` with ``call(layer, inputs)`` (inputs: one tensor or a list); the output."""
    values = {graph.input_name: x}
    for layer, names in graph.nodes:
        args = [values[name] for name in names]
        values[layer.name] = call(layer, args if len(args) > 1 else args[0])
    return values[graph.output_name]


def _inbound_names(node: Any) -> list[str]:
    """Names of the layers one call reads: Keras writes ``[[name, node, tensor, kwargs], ...]``
    (or, in newer formats, ``{"args": [...]}``)."""
    if isinstance(node, dict):
        found: list[str] = []
        _collect_history(node.get("args", []), found)
        return found
    return [entry[0] for entry in node]


def _collect_history(obj: Any, found: list[str]) -> None:
    if isinstance(obj, dict):
        if "keras_history" in obj.get("config", {}):
            found.append(obj["config"]["keras_history"][0])
            return
        for value in obj.values():
            _collect_history(value, found)
    elif isinstance(obj, list | tuple):
        for value in obj:
            _collect_history(value, found)


def _topological(
    nodes: list[tuple[Any, tuple[str, ...]]], input_name: str
) -> list[tuple[Any, tuple[str, ...]]]:
    """Kahn's order, stable in the model's own layer order."""
    done, ordered, pending = {input_name}, [], list(nodes)
    while pending:
        ready = [node for node in pending if all(name in done for name in node[1])]
        if not ready:
            missing = sorted({name for _, names in pending for name in names} - done)
            raise ToolkitError(f"layers read tensors no layer produces: {', '.join(missing)}")
        for node in ready:
            ordered.append(node)
            done.add(node[0].name)
            pending.remove(node)
    return ordered


def _check_all_used(graph: KerasGraph) -> None:
    read = {name for _, names in graph.nodes for name in names}
    for layer, _ in graph.nodes[:-1]:
        if layer.name not in read:
            raise ToolkitError(
                f"layer {layer.name!r}'s output is not used by any layer and is not the model's output; "
                "remove it (the toolkit deploys one output)"
            )
