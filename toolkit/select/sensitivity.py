"""FAMES sensitivity: how much the loss moves when a layer's outputs carry multiplier error.

Second-order Taylor expansion of the loss around the exact layer output y_l, with
g = dL/dy_l and H_l = d2L/dy_l2, for an output error dy whose elements have mean
``s K mu`` and second moment ``s^2 (K var + K^2 mu^2)`` (K products of independent
per-product errors with mean mu and variance var, scaled by the product LSB s):

    Omega_{l,m} = | s K mu G_l |  +  1/2 s^2 (K var + K^2 mu^2) T_l

with ``G_l = E_x[sum_j g_j]`` and ``T_l = E_x[tr H_l]`` over the calibration set. The
first-order term is taken in magnitude so that a budget bounds the loss change in
either direction. ``T_l`` comes from Hutchinson's estimator with Rademacher probes
(``v^T H v``, double backprop through the QKeras model, whose quantizers pass
gradients straight through) or the Fisher proxy ``E[sum_j g_j^2]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.models.graph import keras_graph, walk

TRACE_METHODS = ("hutchinson", "fisher")


@dataclass(frozen=True)
class LayerSensitivity:
    """Calibration-set statistics of one MAC layer's output gradient."""

    name: str
    grad_sum: float  # G_l
    hessian_trace: float  # T_l


def gradient_statistics(
    deploy_model: Any,
    mac_names: list[str],
    x: np.ndarray,
    y: np.ndarray,
    method: str = "hutchinson",
    probes: int = 8,
    batch_size: int = 256,
    seed: int = 0,
) -> dict[str, LayerSensitivity]:
    """G_l and T_l for every named layer, averaged per sample over ``x``."""
    import tensorflow as tf

    if method not in TRACE_METHODS:
        raise ToolkitError(
            f"Hessian trace method {method!r} is unknown: expected one of {', '.join(TRACE_METHODS)}"
        )
    graph = keras_graph(deploy_model)
    wanted = set(mac_names)
    rng = tf.random.Generator.from_seed(seed)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
    grad_sum = dict.fromkeys(mac_names, 0.0)
    trace = dict.fromkeys(mac_names, 0.0)
    for start in range(0, len(x), batch_size):
        xb = tf.constant(x[start : start + batch_size], tf.float32)
        yb = tf.constant(y[start : start + batch_size])
        with tf.GradientTape(persistent=True) as outer:
            with tf.GradientTape(persistent=True) as inner:
                outputs: dict[str, Any] = {}
                call = partial(_watched_call, wanted=wanted, tapes=(inner, outer), outputs=outputs)
                loss = loss_fn(yb, walk(graph, xb, call))
            grads = {n: inner.gradient(loss, outputs[n]) for n in mac_names}
            vectors = {}
            if method == "hutchinson":
                projections = {}
                for n in mac_names:
                    vs = [
                        tf.cast(rng.uniform(tf.shape(grads[n]), 0, 2, tf.int32) * 2 - 1, tf.float32)
                        for _ in range(probes)
                    ]
                    vectors[n] = vs
                    projections[n] = [tf.reduce_sum(grads[n] * v) for v in vs]
        for n in mac_names:
            g = grads[n]
            grad_sum[n] += float(tf.reduce_sum(g))
            if method == "fisher":
                trace[n] += float(tf.reduce_sum(g * g))
            else:
                total = 0.0
                for v, proj in zip(vectors[n], projections[n], strict=True):
                    hv = outer.gradient(proj, outputs[n])
                    total += float(tf.reduce_sum(v * hv)) if hv is not None else 0.0
                trace[n] += total / probes
        del outer, inner
    n_samples = float(len(x))
    return {n: LayerSensitivity(n, grad_sum[n] / n_samples, trace[n] / n_samples) for n in mac_names}


def _watched_call(
    layer: Any, h: Any, wanted: set[str], tapes: tuple[Any, ...], outputs: dict[str, Any]
) -> Any:
    """Run one layer; the output of a wanted layer is watched by both tapes and kept."""
    out = layer(h, training=False)
    if layer.name in wanted:
        for tape in tapes:
            tape.watch(out)
        outputs[layer.name] = out
    return out


def omega(sens: LayerSensitivity, fan_in: int, product_scale: float, mean: float, var: float) -> float:
    """The expected loss perturbation of one candidate (see module docstring)."""
    s, k = product_scale, fan_in
    first = abs(s * k * mean * sens.grad_sum)
    second = 0.5 * s * s * (k * var + k * k * mean * mean) * max(sens.hessian_trace, 0.0)
    return first + second
