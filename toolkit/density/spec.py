"""A network as a list of layer recipes, so it can be rebuilt at any bit-widths and channel counts.

Three sources give the same canonical form, the input quantizer then ``(MAC, [BN], ReLU,
[pool, flatten, dropout])*, MAC(logits)``, as a chain or as a graph (each recipe names the
recipes it reads, in topological order; joins ``Add``/``Subtract``/``Concatenate``, average
and global pooling, zero padding and reshapes pass through):

* a zoo recipe (``ZooEntry.build``), trained from scratch: its initial weights are kept;
* a QKeras model: its quantizers are replaced, its trained float weights carried over;
* a float Keras model: Dense/Conv1D/Conv2D become QDense/QConv1D/QConv2D, ReLUs become
  ``quantized_relu`` and an input quantizer is added if missing. The integer bits of
  the new quantizers come from the observed ranges (weights: max |w|; activations and
  input: the 99.9th percentile on the training data).

A MAC layer's ReLU (its *activation*) is the quantizer right after it (or after its
BatchNormalization) when that is its only reader. Any other quantizer of a QKeras model (a
signed ``quantized_bits`` after a MAC, a ``quantized_relu`` after a join or a pooling) is a
*fixed* recipe: it has no activation-density rule and keeps its quantizer.

A recipe holds QKeras integer bits (``quantized_bits(b, i)`` spans ``[-2^i, 2^i)``,
``quantized_relu(b, i)`` spans ``[0, 2^i)``); widths are applied at build time.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.precision import Precision

Role = Literal["input", "mac", "act", "bn", "pass", "fixed", "join"]
MAC_KINDS = {
    "Dense": "QDense",
    "Conv1D": "QConv1D",
    "Conv2D": "QConv2D",
    "DepthwiseConv2D": "QDepthwiseConv2D",
}
MAC_KINDS.update({q: q for q in ("QDense", "QConv1D", "QConv2D", "QDepthwiseConv2D")})
PASS_KINDS = ("MaxPooling1D", "MaxPooling2D", "Flatten", "Dropout", "AveragePooling1D", "AveragePooling2D",
              "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
              "ZeroPadding1D", "ZeroPadding2D", "Reshape")  # fmt: skip
JOIN_KINDS = ("Add", "Subtract", "Concatenate")
SUPPORTED = (
    "Dense/Conv1D/Conv2D/DepthwiseConv2D or QDense/QConv1D/QConv2D/QDepthwiseConv2D (channels_last, "
    "dilation 1), ReLU/Activation('relu')/QActivation(quantized_relu) after them, BatchNormalization after a "
    "MAC layer, other QActivation quantizers (kept as they are), MaxPooling/AveragePooling/GlobalAveragePooling/"
    "GlobalMaxPooling 1D/2D, ZeroPadding1D/2D, Reshape, Flatten, Dropout, Add, Subtract, Concatenate, a "
    "leading QActivation input quantizer, a trailing softmax/linear Activation"
)
MAC_KEYS = ("name", "units", "filters", "kernel_size", "strides", "padding", "use_bias", "depth_multiplier")
DEFAULT_BIAS_INTEGER = 3
INPUT = "input"  # the input quantizer's key in density readings
RANGE_QUANTILE = 99.9


@dataclass
class Node:
    """One layer recipe: role, Keras class, config, float weights, and quantizer integer bits."""

    role: Role
    cls: str
    config: dict
    weights: list[np.ndarray] | None = None
    integer: int = 0  # input quantizer / activation / kernel integer bits (QKeras convention)
    signed: bool = False  # input quantizer only: quantized_bits (True) or quantized_relu (False)
    bias_integer: int = DEFAULT_BIAS_INTEGER
    inputs: tuple[str, ...] = ()  # the recipes it reads (none: the model input)

    @property
    def name(self) -> str:
        return str(self.config["name"])


@dataclass
class Unit:
    """A quantized MAC layer with the activation that follows it (None for the logit layer)."""

    name: str
    mac: int
    act: int | None


@dataclass
class NetSpec:
    """A canonical network in topological order; ``nodes[0]`` is the input quantizer."""

    name: str
    input_shape: tuple[int, ...]
    nodes: list[Node] = field(default_factory=list)

    @property
    def is_graph(self) -> bool:
        """True unless every recipe reads the one before it (a chain, built as a Sequential)."""
        return any(node.inputs != (self.nodes[i].name,) for i, node in enumerate(self.nodes[1:]))

    def fixed(self) -> list[Node]:
        """The quantizers with no activation-density rule (they keep their quantizer)."""
        return [node for node in self.nodes if node.role == "fixed"]

    def feeding(self, unit: Unit) -> str:
        """Whose density a MAC layer without its own activation follows: the nearest measured
        activation upstream of its (first) input, through layers that do not quantize."""
        by_name = {node.name: node for node in self.nodes}
        owner = {self.nodes[u.act].name: u.name for u in self.units() if u.act is not None}
        node = by_name[self.nodes[unit.mac].inputs[0]]
        while True:
            if node.role == "input":
                return INPUT
            if node.name in owner:
                return owner[node.name]
            if node.role == "fixed" and unsigned_quantizer(node):
                return node.name
            node = by_name[node.inputs[0]]

    def units(self) -> list[Unit]:
        """The MAC layers in order, each with its own activation (the act recipe reading it or its BN)."""
        out: dict[str, Unit] = {}
        by_name = {node.name: node for node in self.nodes}
        for i, node in enumerate(self.nodes):
            if node.role == "mac":
                out[node.name] = Unit(node.name, i, None)
            elif node.role == "act":
                source = by_name[node.inputs[0]]
                if source.role == "bn":
                    source = by_name[source.inputs[0]]
                out[source.name].act = i
        return list(out.values())

    def logit(self) -> Unit:
        return self.units()[-1]

    @property
    def n_outputs(self) -> int:
        node = self.nodes[self.logit().mac]
        return int(node.config.get("units") or node.config.get("filters"))

    def channels(self) -> dict[str, int]:
        return {u.name: int(self.nodes[u.mac].weights[0].shape[-1]) for u in self.units()}

    def copy(self) -> NetSpec:
        return copy.deepcopy(self)


def spec_from_zoo(name: str, seed: int) -> NetSpec:
    """The zoo recipe's architecture with its (seeded) initial weights: trained from scratch."""
    import tensorflow as tf

    from toolkit.models.zoo import zoo_entry

    entry = zoo_entry(name)
    tf.keras.utils.set_random_seed(seed)
    return spec_from_keras(entry.build(), None)


def spec_from_keras(model: Any, x_sample: np.ndarray | None) -> NetSpec:
    """Canonicalize a float or QKeras model (chain or graph); ``x_sample`` (training inputs) sets float ranges.

    ``x_sample`` may be None only when the model already has every quantizer (zoo/QKeras).
    """
    from toolkit.models.graph import keras_graph

    graph = keras_graph(model)
    readers: dict[str, int] = {}
    for _, sources in graph.nodes:
        for source in sources:
            readers[source] = readers.get(source, 0) + 1
    nodes: list[Node] = []
    alias: dict[str, str] = {}  # Keras layer -> the recipe holding its output
    shape = tuple(int(d) for d in model.input_shape[1:])
    probes: list[tuple[int, Any]] = []  # (node index, keras tensor) whose range sets integer bits
    for index, (layer, sources) in enumerate(graph.nodes):
        kind = type(layer).__name__
        cfg = layer.get_config()
        last = index == len(graph.nodes) - 1
        if (
            sources == (graph.input_name,)
            and not nodes
            and kind == "QActivation"
            and _quantizer_kind(layer)
            in (
                "quantized_bits",
                "quantized_relu",
            )
        ):
            p = Precision.from_qkeras(layer.quantizer, where=f"layer {layer.name!r}")
            nodes.append(
                Node("input", "QActivation", {"name": layer.name}, integer=_qk_integer(p), signed=p.signed)
            )
            alias[layer.name] = layer.name
            continue
        if not nodes:
            nodes.append(_input_from_data(x_sample, model))
            alias[graph.input_name] = nodes[0].name
        inputs = tuple(alias[source] for source in sources)
        producer = nodes[-1] if len(inputs) == 1 and inputs[0] == nodes[-1].name else None
        sole = len(sources) == 1 and readers.get(sources[0], 0) == 1
        if kind in MAC_KINDS:
            nodes.append(_mac_node(layer, kind, cfg, inputs))
            alias[layer.name] = layer.name
            act = layer.activation
            act_name = _act_name(act)
            if act_name == "linear" or (last and act_name == "softmax"):
                continue
            nodes.append(_act_node(f"{layer.name}_act", act, layer, probes, len(nodes), (layer.name,), True))
            alias[layer.name] = nodes[-1].name
        elif kind in ("QActivation", "ReLU", "Activation"):
            act = (
                layer.quantizer
                if kind == "QActivation"
                else ("relu" if kind == "ReLU" else cfg["activation"])
            )
            act_name = _act_name(act)
            if kind == "ReLU" and (
                cfg.get("max_value") is not None or cfg.get("negative_slope") or cfg.get("threshold")
            ):
                raise ToolkitError(
                    f"layer {layer.name!r}: ReLU with max_value/negative_slope/threshold is not supported"
                )
            if act_name == "linear" or (last and act_name == "softmax"):
                alias[layer.name] = inputs[0]
                continue
            owned = producer is not None and producer.role in ("mac", "bn") and sole
            if not owned and not act_name.startswith("quantized_"):
                raise ToolkitError(
                    f"layer {layer.name!r} ({kind}) does not follow a Dense/Conv layer: a float activation must "
                    f"come right after a MAC layer (or its BatchNormalization); elsewhere give it a QActivation "
                    f"quantizer; supported: {SUPPORTED}"
                )
            nodes.append(_act_node(layer.name, act, layer, probes, len(nodes), inputs, owned))
            alias[layer.name] = layer.name
        elif kind == "BatchNormalization":
            if producer is None or producer.role != "mac" or not sole:
                raise ToolkitError(f"BatchNormalization {layer.name!r} must follow a Dense/Conv layer")
            nodes.append(Node("bn", kind, cfg, weights=layer.get_weights(), inputs=inputs))
            alias[layer.name] = layer.name
        elif kind in PASS_KINDS or kind in JOIN_KINDS:
            nodes.append(Node("pass" if kind in PASS_KINDS else "join", kind, cfg, inputs=inputs))
            alias[layer.name] = layer.name
        else:
            raise ToolkitError(f"layer {layer.name!r} ({kind}) is not supported here; supported: {SUPPORTED}")
    spec = NetSpec(model.name, shape, nodes)
    _check_chain(spec, model.name)
    if probes:
        _set_ranges_from_data(model, probes, spec, x_sample)
    return spec


def unsigned_quantizer(node: Node) -> bool:
    """True for a fixed recipe that quantizes like a ReLU (its output's density is measured)."""
    return str(node.config.get("activation", "")).startswith("quantized_relu")


def _quantizer_kind(layer: Any) -> str:
    return type(getattr(layer, "quantizer", None)).__name__


def _qk_integer(p: Precision) -> int:
    """Precision integer bits (sign included) -> QKeras ``integer`` argument."""
    return p.integer - 1 if p.signed else p.integer


def _input_from_data(x: np.ndarray | None, model: Any) -> Node:
    if x is None:
        raise ToolkitError(f"model {model.name!r} has no input quantizer and no data was given to add one")
    signed = bool(np.min(x) < 0)
    peak = float(np.max(np.abs(x))) if x.size else 1.0
    from toolkit.density.rules import integer_for_range

    return Node(
        "input",
        "QActivation",
        {"name": "input_q"},
        integer=integer_for_range(peak, signed, 64),
        signed=signed,
    )


def _mac_node(layer: Any, kind: str, cfg: dict, inputs: tuple[str, ...]) -> Node:
    where = f"layer {layer.name!r}"
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise ToolkitError(f"{where}: data_format={cfg['data_format']!r}; expected 'channels_last'")
    dilation = cfg.get("dilation_rate", 1)
    if any(int(d) != 1 for d in (dilation if isinstance(dilation, (list, tuple)) else [dilation])):
        raise ToolkitError(f"{where}: dilation_rate={dilation!r}; expected 1")
    if int(cfg.get("groups", 1)) != 1:
        raise ToolkitError(f"{where}: groups={cfg['groups']}; expected 1")
    config = {k: cfg[k] for k in MAC_KEYS if k in cfg}
    weights = [w.astype(np.float32) for w in layer.get_weights()]
    node = Node("mac", MAC_KINDS[kind], config, weights=weights, inputs=inputs)
    if kind.startswith("Q"):
        kernel_q, bias_q = layer.get_quantizers()[:2]
        if kernel_q is not None:
            node.integer = _qk_integer(Precision.from_qkeras(kernel_q, where=f"{where} kernel"))
        else:
            node.integer = _weight_integer(weights[0])
        if bias_q is not None:
            node.bias_integer = _qk_integer(Precision.from_qkeras(bias_q, where=f"{where} bias"))
    else:
        node.integer = _weight_integer(weights[0])
        if len(weights) > 1:
            from toolkit.density.rules import integer_for_range

            node.bias_integer = max(
                DEFAULT_BIAS_INTEGER, integer_for_range(float(np.abs(weights[1]).max()), True, 64)
            )
    return node


def _weight_integer(kernel: np.ndarray) -> int:
    from toolkit.density.rules import integer_for_range

    return integer_for_range(float(np.abs(kernel).max(initial=0.0)), True, 64)


def _act_name(act: Any) -> str:
    """'relu', 'linear', 'softmax', 'quantized_relu', ... for a string, function or quantizer object."""
    if isinstance(act, str):
        return act.split("(")[0]
    if type(act).__name__.startswith("quantized_"):
        return type(act).__name__
    return str(getattr(act, "__name__", None) or type(act).__name__)


def _act_node(
    name: str, act: Any, layer: Any, probes: list, index: int, inputs: tuple[str, ...], owned: bool
) -> Node:
    """An activation recipe from a quantized_relu (its integer bits) or a float relu (range from data);
    a QKeras quantizer that is not a MAC layer's own ReLU is a fixed recipe (kept as written)."""
    where = f"layer {layer.name!r}"
    act_name = _act_name(act)
    if act_name in ("quantized_relu", "quantized_bits") and not (owned and act_name == "quantized_relu"):
        Precision.from_qkeras(act, where=where)  # deployable as it is
        return Node("fixed", "QActivation", {"name": name, "activation": str(act)}, inputs=inputs)
    if act_name == "quantized_relu":
        p = Precision.from_qkeras(act, where=where)
        return Node("act", "QActivation", {"name": name}, integer=p.integer, inputs=inputs)
    if act_name == "relu":
        probes.append((index, layer))
        return Node("act", "QActivation", {"name": name}, integer=0, inputs=inputs)
    raise ToolkitError(
        f"{where}: activation {act_name!r} has no activation density; expected relu or "
        "quantized_relu(bits, integer) after a Dense/Conv layer"
    )


def _check_chain(spec: NetSpec, name: str) -> None:
    macs = [n for n in spec.nodes if n.role == "mac"]
    if not macs:
        raise ToolkitError(
            f"model {name!r} has no quantizable layer: expected at least one Dense, Conv1D or Conv2D "
            "(or QDense/QConv1D/QConv2D) layer"
        )
    tail = spec.nodes[spec.nodes.index(macs[-1]) + 1 :]
    if any(n.cls not in ("Flatten", "Dropout") for n in tail):
        raise ToolkitError(
            f"model {name!r}: the last Dense/Conv layer {macs[-1].name!r} must produce the logits (nothing "
            "but Flatten/Dropout or a softmax/linear activation after it)"
        )


def _set_ranges_from_data(model: Any, probes: list, spec: NetSpec, x: np.ndarray | None) -> None:
    """Integer bits of float ReLUs from the 99.9th percentile of their outputs on training data."""
    import tensorflow as tf

    from toolkit.density.rules import integer_for_range

    if x is None:
        raise ToolkitError(f"model {model.name!r} has float activations; data is needed to size their ranges")
    probe = tf.keras.Model(model.inputs, [layer.output for _, layer in probes])
    outs = probe.predict(x[:2048], verbose=0, batch_size=256)
    outs = outs if isinstance(outs, list) else [outs]
    for (index, _), values in zip(probes, outs, strict=True):
        positive = values[values > 0]
        peak = float(np.percentile(positive, RANGE_QUANTILE)) if positive.size else 1.0
        spec.nodes[index].integer = integer_for_range(peak, False, 64)
