"""hls4ml configuration derived from the IR, so the C-simulation computes what the emulator computes.

hls4ml's defaults are not exact: its input layer is ``fixed<16,6>`` (a float input
is truncated there and rounded again by the first quantizer), and default result
types can be narrower than the sums. Here every type comes from the IR's
:class:`~toolkit.precision.Precision` objects: the input is the input quantizer's
type (fed exactly representable values), each MAC layer accumulates and returns
the exact accumulator type, a BatchNormalization (the IR's Scale) multiplies and
adds exactly with the IR's codes (:mod:`toolkit.hlsgen.scale`), and requantization
happens only in the quantizer layers, with round-half-even and saturation. A control-variate/bias correction's
branch (:mod:`toolkit.hlsgen.correction_graph`) gets types that are exact by
construction, except the one ``AP_TRN`` cast that implements its ``>> F``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit.errors import ToolkitError
from toolkit.hlsgen.correction_graph import PAD_SUFFIX, corrected_layers, padded_explicitly
from toolkit.hlsgen.scale import scale_types
from toolkit.models import ir
from toolkit.models.graph_layers import average_window
from toolkit.precision import Precision

if TYPE_CHECKING:  # the plan's type only; no import cycle at run time
    from toolkit.plan import Plan

BACKENDS = ("Vivado", "Vitis")
STRATEGIES = ("Latency", "Resource")
IO_TYPES = ("io_parallel", "io_stream")


def hls_config(
    model_ir: ir.ModelIR,
    keras_model: Any,
    names: dict[str, str],
    backend: str = "Vivado",
    strategy: str = "Latency",
    plan: Plan | None = None,
    trace: bool = False,
    io_type: str = "io_parallel",
    extra_types: dict[str, dict[str, Precision]] | None = None,
) -> dict:
    """A granularity='name' hls4ml config whose every precision comes from ``model_ir``.

    ``keras_model`` is the model hls4ml converts (:func:`toolkit.hlsgen.hls_graph.hls_keras_model`),
    whose layers carry the derived ``names`` (Keras name -> hls4ml name,
    :func:`toolkit.hlsgen.correction_graph.hls_names`); ``extra_types`` are the precisions of
    the layers that rewrite added, by hls4ml name. With a ``plan``, each approximated layer
    also gets its multiplier's C++ policy under the ``ApproxProduct`` key (see
    :mod:`toolkit.hlsgen.approx_templates`), and each corrected layer's branch gets its exact
    types. ``trace`` marks every layer for hls4ml's ``trace()``. Layers hls4ml cannot compute
    exactly in ``io_type`` are refused.
    """
    import hls4ml

    _check_supported(model_ir, io_type, strategy)
    config = hls4ml.utils.config_from_keras_model(keras_model, granularity="name", backend=backend)
    config["Model"]["Strategy"] = strategy
    layers = config["LayerName"]
    input_name = keras_model.get_config()["layers"][0]["config"]["name"]
    _set(layers, input_name, result=model_ir.input_precision)
    corrected = corrected_layers(model_ir, plan)
    scales = scale_types(model_ir, corrected)
    for layer in model_ir.layers:
        name = names[layer.name]
        if isinstance(layer, ir.MacLayer):
            _set(
                layers,
                name,
                weight=layer.weight_precision,
                bias=layer.bias_precision,
                accum=layer.out_precision,
                result=layer.out_precision,
            )
            # hls4ml adds a linear activation after a Dense/Conv; it must not requantize.
            _set(layers, f"{name}_linear", result=layer.out_precision, required=False)
            if padded_explicitly(layer, corrected.get(layer.name)):
                _set(layers, name + PAD_SUFFIX, result=layer.in_precision)
        elif isinstance(layer, ir.MaxPool | ir.AvgPool | ir.GlobalPool):
            _set(layers, name, accum=pool_accumulator(layer), result=layer.out_precision)
        elif isinstance(layer, ir.Scale):
            # the exact scale/shift codes are written by scale.set_exact_scales after conversion
            _set(layers, name, **scales[layer.name].config())
        else:
            _set(layers, name, result=layer.out_precision)
        if strategy == "Resource" and name in layers:
            layers[name]["Strategy"] = "Resource"
    if plan is not None:
        from toolkit.hlsgen.approx_templates import CONFIG_KEY

        for ir_name, layer_plan in plan.layers.items():
            layers[names[ir_name]][CONFIG_KEY] = layer_plan.design.cpp_product("x_T", "y_T")
    for name, precisions in (extra_types or {}).items():
        _set(layers, name, **precisions)
    for ir_name, types in corrected.items():
        for name, precisions in types.config(names[ir_name]).items():
            _set(layers, name, **precisions)
            if "accum" in precisions:
                _set(layers, f"{name}_linear", result=precisions["result"], required=False)
            if strategy == "Resource":
                layers[name]["Strategy"] = "Resource"
    if trace:
        for name in layers:
            layers[name]["Trace"] = True
    return config


HLS_LAYERS = (ir.Dense, ir.Conv, ir.DepthwiseConv, ir.Quantize, ir.ReLU, ir.MaxPool, ir.AvgPool, ir.GlobalPool,
              ir.Flatten, ir.Reshape, ir.Pad, ir.Scale, ir.Add, ir.Concatenate)  # fmt: skip


def pool_accumulator(layer: ir.MaxPool | ir.AvgPool | ir.GlobalPool) -> Precision:
    """hls4ml's pooling ``accum_t``: the max itself, or the exact window sum at the mean's fraction bits.

    hls4ml averages as ``accum_t y = sum; y /= window`` (io_parallel) or ``sum / window`` in
    ``accum_t`` (io_stream); ap_fixed division keeps the dividend's fraction bits and
    truncates toward zero, so with ``accum_t`` at the IR's guard bits it is the emulator's
    :func:`~toolkit.emulator.layers.truncated_mean`.
    """
    if isinstance(layer, ir.MaxPool) or getattr(layer, "op", "avg") == "max":
        return layer.out_precision
    out, window = layer.out_precision, average_window(layer)
    return Precision.for_range(out.min_code * window, out.max_code * window, out.frac)


def _check_supported(model_ir: ir.ModelIR, io_type: str, strategy: str = "Latency") -> None:
    """Layers whose exact hls4ml types are derived here; anything else is refused before converting.

    Two combinations hls4ml 1.3 asserts against at run time (the C-sim would abort the
    process) are refused here: io_stream 2-D pooling whose strides differ from the pool
    size, and the Resource strategy for a depthwise convolution in io_parallel.
    """
    for layer in model_ir.layers:
        if type(layer) not in HLS_LAYERS:
            raise ToolkitError(
                f"layer {layer.name!r} ({layer.kind}) has no exact hls4ml mapping yet; the hls step maps "
                f"{', '.join(kind.__name__ for kind in HLS_LAYERS)}"
            )
        if (
            io_type == "io_stream"
            and isinstance(layer, ir.MaxPool | ir.AvgPool)
            and len(layer.pool) == 2
            and layer.strides != layer.pool
        ):
            raise ToolkitError(
                f"layer {layer.name!r} ({layer.kind}, pool {layer.pool}, strides {layer.strides}): hls4ml's "
                "io_stream 2-D pooling needs strides equal to the pool size; use io_parallel, or strides=pool_size"
            )
        if io_type == "io_parallel" and strategy == "Resource" and isinstance(layer, ir.DepthwiseConv):
            raise ToolkitError(
                f"layer {layer.name!r} (DepthwiseConv): hls4ml has no Resource strategy for depthwise "
                "convolutions in io_parallel; use strategy Latency, or io_stream"
            )


def _set(layers: dict, name: str, required: bool = True, **types: Any) -> None:
    if name not in layers:
        if required:
            raise KeyError(f"hls4ml config has no layer {name!r} (known: {', '.join(layers)})")
        return
    precision = layers[name].setdefault("Precision", {})
    if not isinstance(precision, dict):
        precision = layers[name]["Precision"] = {}
    for key, value in types.items():
        precision[key] = value.hls4ml_config()
