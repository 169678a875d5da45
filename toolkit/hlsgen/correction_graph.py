"""The control-variate (or bias-only) correction as a branch of stock hls4ml layers, exact by type.

The emulator's contract (:mod:`toolkit.emulator.control_variate`) per output ``j`` of a
corrected MAC layer ``L``, in units of one product (frac ``pf``), is::

    y_j = sum_i M(a_i, w_ij) - ((c_j V + d_j + 2^(F-1)) >> F),   V = sum_i a_i

(then aligned to the layer's accumulator type and added to the bias). The hardware here
is a side branch from L's input, built from layers hls4ml already generates for every
backend, io type and strategy, with every type derived from the IR so that nothing
rounds or wraps except the one intended floor::

    x --+-- L (approximate products, plan's policy) -----------------+
        |                                                            Subtract "L_cv" --> y
        +-- "L_cv_sum": Dense(1) / Conv(1 filter, L's kernel/strides/padding), all-ones
        |    kernel, no bias: V at every output position (one extra accumulator,
        |    shared by all of L's filters; padded zeros count 0, as in the emulator)
        +-- "L_cv_est": Dense(n_out) / 1x1 Conv on V: weight c_j, bias d_j + 2^(F-1), both
             with pf + F fraction bits, an exact accumulator and a result type with pf
             fraction bits and AP_TRN: the cast *is* the ``>> F`` floor (one multiply-add
             per output)

A corrected depthwise convolution's V is per channel (the window sum of the one channel
each output column reads, as :func:`toolkit.emulator.layers.columns_of` corrects it), so
``L_cv_sum`` is a depthwise convolution with an all-ones kernel and ``L_cv_est`` a 1x1
depthwise convolution (weight c_j, bias d_j + 2^(F-1)), both on L's input as hls4ml sees
it (channels repeated for a depth multiplier > 1: :mod:`toolkit.hlsgen.hls_graph`).

A corrected conv with ``same`` padding reads an explicit ``L_pad`` ZeroPadding layer
shared by both branches (and becomes ``valid``): one padding buffer instead of two, and
it sidesteps hls4ml 1.3's Conv1D io_stream padding pass, which pads the wrong consumer
of a shared (cloned) stream (its 2-D pass passes ``before=node``; the 1-D one does not).
A ``causal`` Conv1D always gets an explicit ``L_pad`` (k-1 zeros on the left, as Keras
pads): hls4ml 1.3 pads causal convs by its ``same`` amount, which differs for strides > 1.

A bias-only correction (every ``c_j`` = 0) needs no branch: its estimate is a constant
per output, so ``d_j``'s rounded shift is folded into L's bias (given an exact type and no
bias quantizer), as the bias-only ablation is meant to be built.

``L_cv`` returns the corrected accumulator (frac of L's accumulator, wide enough for
every corrected value), which is what the emulator's trace calls ``L``.

Names: hls4ml sees every layer under its derived name ``l<k>_<ident>`` (:func:`hls_names`,
:mod:`toolkit.models.names`), and ``L`` above stands for that name, so the branch's
names (and hls4ml's own ``<name>_linear``) never meet a name of the user's, whatever
Keras called the layers (``input_1``, ``fc_cv_sum``, ``block/conv.0``). Weights are
stored in float32 Keras layers; they are exact because every constant is checked to fit
24 bits. No C++ is generated: the branch is plain Keras layers that hls4ml converts;
:func:`with_correction` builds it while :mod:`toolkit.hlsgen.hls_graph` walks the graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.models.graph import keras_graph
from toolkit.models.names import indexed_name
from toolkit.precision import Precision

if TYPE_CHECKING:  # the plan's type only; no import cycle at run time
    from toolkit.plan import Plan

SUM_SUFFIX, EST_SUFFIX, OUT_SUFFIX, PAD_SUFFIX = "_cv_sum", "_cv_est", "_cv", "_pad"
_FLOAT32_EXACT = 1 << 24


@dataclass(frozen=True)
class CorrectionTypes:
    """Exact hls4ml types of one corrected layer's branch (see the module docstring)."""

    layer: str
    sum_weight: Precision
    sum_acc: Precision
    est_weight: Precision
    est_bias: Precision
    est_acc: Precision
    est_result: Precision
    out: Precision
    pad: Precision | None = None  # the input's type, if the layer is a conv with non-zero padding
    # c == 0 everywhere (bias-only): the estimate is a constant per output, folded into L's bias
    folded_bias: Precision | None = None
    folded_codes: tuple[int, ...] = ()  # L's new bias codes (accumulator units) when folded

    @property
    def folded(self) -> bool:
        return self.folded_bias is not None

    def config(self, name: str) -> dict[str, dict[str, Precision]]:
        """Per hls4ml layer name (the layer's own is ``name``, see :func:`hls_names`): precision keys as
        :func:`toolkit.hlsgen.config.hls_config` sets them."""
        if self.folded_bias is not None:
            return {name: {"bias": self.folded_bias, "accum": self.out, "result": self.out}}
        return {
            name + SUM_SUFFIX: {"weight": self.sum_weight, "accum": self.sum_acc, "result": self.sum_acc},
            name + EST_SUFFIX: {
                "weight": self.est_weight,
                "bias": self.est_bias,
                "accum": self.est_acc,
                "result": self.est_result,
            },
            name + OUT_SUFFIX: {"result": self.out},
        }


def correction_types(layer: ir.MacLayer, correction: Any) -> CorrectionTypes:
    """The branch's types, from the layer's precisions and the correction's integer constants."""
    f = int(correction.frac_bits)
    pf = layer.product_precision.frac
    wf = layer.weight_precision.frac
    a = layer.in_precision
    c = [int(v) for v in correction.c]
    d_half = [int(v) + ((1 << (f - 1)) if f else 0) for v in correction.d]
    for what, values in (("c", c), ("d + 2^(F-1)", d_half)):
        worst = max(abs(v) for v in values)
        if worst >= _FLOAT32_EXACT:
            raise ToolkitError(
                f"layer {layer.name!r}: correction constant {what} = {worst} does not fit 24 bits; "
                "expected |c|, |d| < 2^24 (lower frac_bits)"
            )
    v_lo, v_hi = layer.fan_in * min(a.min_code, 0), layer.fan_in * max(a.max_code, 0)
    terms = [cj * v + dj for cj, dj in zip(c, d_half, strict=True) for v in (v_lo, v_hi)]
    lo, hi = min(terms), max(terms)
    est_lo, est_hi = lo >> f, hi >> f
    acc = layer.out_precision
    shift = acc.frac - pf
    out = Precision.for_range(acc.min_code - (est_hi << shift), acc.max_code - (est_lo << shift), acc.frac)
    folded: dict[str, Any] = {}
    if not any(c):
        bias = np.broadcast_to(layer.bias, (layer.n_out,))  # a depthwise layer without bias holds one 0
        codes = tuple(int(b) - ((dj >> f) << shift) for b, dj in zip(bias, d_half, strict=True))
        if max(abs(v) for v in codes) >= _FLOAT32_EXACT:
            raise ToolkitError(f"layer {layer.name!r}: bias with the folded correction does not fit 24 bits")
        folded = {"folded_bias": Precision.for_range(min(codes), max(codes), acc.frac), "folded_codes": codes}
    return CorrectionTypes(
        layer=layer.name,
        sum_weight=Precision.for_range(0, 1, 0),
        sum_acc=Precision.for_range(v_lo, v_hi, a.frac),
        est_weight=Precision.for_range(min(c), max(c), wf + f),
        est_bias=Precision.for_range(min(d_half), max(d_half), pf + f),
        est_acc=Precision.for_range(lo, hi, pf + f),
        est_result=Precision.for_range(est_lo, est_hi, pf),
        out=out,
        pad=a if layer.kernel and any(p != (0, 0) for p in layer.pad_amounts()) else None,
        **folded,
    )


def corrected_layers(model_ir: ir.ModelIR, plan: Plan | None) -> dict[str, CorrectionTypes]:
    """Types of every layer the plan corrects, by IR layer name (empty without a plan)."""
    if plan is None:
        return {}
    out = {}
    for layer in model_ir.mac_layers():
        lp = plan.layers.get(layer.name)
        if lp is not None and lp.correction is not None:
            out[layer.name] = correction_types(layer, lp.correction)
    return out


def padded_explicitly(layer: ir.Layer, types: CorrectionTypes | None) -> bool:
    """True if ``layer`` reads an explicit ``<name>_pad`` ZeroPadding layer in the hls4ml model
    (a causal conv, or a padded (depthwise) conv with a correction branch: see the module docstring)."""
    if not isinstance(layer, ir.Conv | ir.DepthwiseConv):
        return False
    return layer.padding == "causal" or (types is not None and not types.folded and types.pad is not None)


def hls_names(deploy_model: Any) -> dict[str, str]:
    """The hls4ml name of every layer of ``deploy_model``, the input included, by its Keras name
    (position ``k`` in the graph's topological order)."""
    graph = keras_graph(deploy_model)
    names = {graph.input_name: indexed_name(0, graph.input_name)}
    names.update({layer.name: indexed_name(k, layer.name) for k, layer in enumerate(graph.layers, 1)})
    return names


def output_name(model_ir_layer: str, corrected: dict[str, CorrectionTypes], names: dict[str, str]) -> str:
    """The hls4ml layer whose output holds the codes the emulator traces as ``model_ir_layer``."""
    types = corrected.get(model_ir_layer)
    name = names[model_ir_layer]
    return name + OUT_SUFFIX if types is not None and not types.folded else name


def with_correction(
    cls: type, config: dict, weights: list, x: Any, types: CorrectionTypes, mac: ir.MacLayer, correction: Any
) -> Any:
    """The corrected layer ``cls.from_config(config)`` (weights ``weights``) called on ``x``, with its branch.

    ``config`` carries the layer's hls4ml name (``L``), from which the branch is named;
    ``x`` is already explicitly padded where :func:`padded_explicitly` says so
    (:func:`toolkit.hlsgen.hls_graph.hls_keras_model` walks the graph).
    """

    if types.folded:
        # bias-only: L's bias becomes bias - estimate, exact in the type hls_config gives it
        bias = np.asarray(types.folded_codes, dtype=np.float64) * types.out.scale
        config = dict(config, use_bias=True, bias_quantizer=None, bias_constraint=None)
        weights = [weights[0], bias.astype(np.float32)]
    clone = cls.from_config(config)
    y = clone(x)
    clone.set_weights(weights)
    return y if types.folded else _branch(x, y, mac, correction, config["name"])


def _branch(x: Any, main: Any, layer: ir.MacLayer, correction: Any, name: str) -> Any:
    """Add ``L_cv_sum`` -> ``L_cv_est`` and the ``L_cv`` subtraction after ``main`` (``L`` = ``name``)."""
    import tensorflow as tf

    f = int(correction.frac_bits)
    pf, wf = layer.product_precision.frac, layer.weight_precision.frac
    half = (1 << (f - 1)) if f else 0
    c = np.asarray(correction.c, dtype=np.float64) * 2.0 ** -(wf + f)
    bias = (np.asarray(correction.d, dtype=np.float64) + half) * 2.0 ** -(pf + f)
    n_out = layer.n_out
    if isinstance(layer, ir.DepthwiseConv):
        # V per channel (the window sum of the one channel a column reads) and one estimate per
        # column: depthwise layers on x, whose channels are the columns' (repeated when M > 1)
        channels = int(x.shape[-1])
        total = tf.keras.layers.DepthwiseConv2D(layer.kernel, strides=layer.strides, padding="valid",
                                                use_bias=False, name=name + SUM_SUFFIX)  # fmt: skip
        estimate = tf.keras.layers.DepthwiseConv2D(1, name=name + EST_SUFFIX)
        sum_shape, est_shape = (*layer.kernel, channels, 1), (1, 1, channels, 1)
    elif isinstance(layer, ir.Dense):
        total = tf.keras.layers.Dense(1, use_bias=False, name=name + SUM_SUFFIX)
        estimate = tf.keras.layers.Dense(n_out, name=name + EST_SUFFIX)
        sum_shape, est_shape = (layer.fan_in, 1), (1, n_out)
    else:
        conv = {1: tf.keras.layers.Conv1D, 2: tf.keras.layers.Conv2D}[len(layer.kernel)]
        total = conv(
            1,
            layer.kernel,
            strides=layer.strides,
            padding="valid",  # padded explicitly by hls_graph
            use_bias=False,
            name=name + SUM_SUFFIX,
        )
        estimate = conv(n_out, 1, name=name + EST_SUFFIX)
        sum_shape = (*layer.kernel, layer.in_shape[-1], 1)
        est_shape = (*(1,) * len(layer.kernel), 1, n_out)
    v = total(x)
    total.set_weights([np.ones(sum_shape, np.float32)])
    e = estimate(v)
    estimate.set_weights([c.reshape(est_shape).astype(np.float32), bias.astype(np.float32)])
    return tf.keras.layers.Subtract(name=name + OUT_SUFFIX)([main, e])
