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
    """G_l and T_l for every named layer, averaged per sample over ``x``.

    Each batch is one compiled TensorFlow graph (:func:`batch_statistics`): the forward
    pass, the first backward pass and every layer's ``probes`` Hessian-vector products,
    so the eager overhead of 1 + layers x probes separate backward calls is paid once
    per trace instead of once per call. Probe ``p`` of layer ``l`` in batch ``b`` is
    :func:`rademacher` of ``(seed, b, l, p)``: deterministic for a fixed seed.
    """
    import tensorflow as tf

    if method not in TRACE_METHODS:
        raise ToolkitError(
            f"Hessian trace method {method!r} is unknown: expected one of {', '.join(TRACE_METHODS)}"
        )
    if method == "hutchinson" and probes < 1:
        raise ToolkitError(f"probes={probes}: the Hutchinson estimator needs at least 1 probe per sample")
    step = batch_statistics(deploy_model, mac_names, method, probes, tuple(x.shape[1:]))
    sums = np.zeros((2, len(mac_names)))
    for batch, start in enumerate(range(0, len(x), batch_size)):
        xb = tf.constant(x[start : start + batch_size], tf.float32)
        yb = tf.constant(y[start : start + batch_size], tf.int64)
        sums += np.asarray(step(xb, yb, tf.constant([seed, batch], tf.int64)), np.float64)
    sums /= float(len(x))
    return {n: LayerSensitivity(n, float(sums[0, i]), float(sums[1, i])) for i, n in enumerate(mac_names)}


def rademacher(shape: Any, seed: Any, layer: int, probe: int) -> Any:
    """The +-1 probe ``probe`` of layer number ``layer`` for the batch whose seed pair is ``seed``."""
    import tensorflow as tf

    fold = tf.random.experimental.stateless_fold_in
    bits = tf.random.stateless_uniform(shape, fold(fold(seed, layer), probe), 0, 2, tf.int32)
    return tf.cast(bits * 2 - 1, tf.float32)


def batch_statistics(
    deploy_model: Any, mac_names: list[str], method: str, probes: int, sample_shape: tuple[int, ...]
) -> Any:
    """A compiled ``(x, y, seed) -> [[sum G_l], [sum T_l estimate]]`` for one batch (sums over its samples).

    The Hutchinson term of layer ``l`` is ``1/P sum_p v_p^T H_l v_p`` with ``H_l v_p`` the
    gradient of ``dL/dy_l`` with respect to ``y_l`` alone, weighted by ``v_p``
    (``output_gradients``; H_l is symmetric): no ``v_m^T H_mn v_n`` cross-layer terms enter.
    The P products of a layer run in one ``tf.map_fn`` loop, so its second-order graph is
    traced once, not P times (measured: tracing the P-fold unrolled graph cost ~11 s on
    mnist1d-resnet, more than main's whole eager computation there).
    """
    import tensorflow as tf

    graph = keras_graph(deploy_model)
    wanted = set(mac_names)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")

    def step(xb: Any, yb: Any, seed: Any) -> Any:
        with tf.GradientTape(persistent=True) as outer:
            with tf.GradientTape() as inner:
                outputs: dict[str, Any] = {}
                call = partial(_watched_call, wanted=wanted, tapes=(inner, outer), outputs=outputs)
                loss = loss_fn(yb, walk(graph, xb, call))
            grads = inner.gradient(loss, [outputs[n] for n in mac_names])
        traces = []
        for i, (n, g) in enumerate(zip(mac_names, grads, strict=True)):
            if method == "fisher":
                traces.append(tf.reduce_sum(g * g))
                continue
            vectors = tf.stack([rademacher(tf.shape(g), seed, i, p) for p in range(probes)])

            def quadratic_form(v: Any, g: Any = g, y: Any = outputs[n]) -> Any:
                hv = outer.gradient(g, y, output_gradients=v, unconnected_gradients="zero")
                return tf.reduce_sum(v * hv)

            forms = tf.map_fn(quadratic_form, vectors, fn_output_signature=tf.float32)
            traces.append(tf.reduce_sum(forms) / probes)
        return tf.stack([tf.stack([tf.reduce_sum(g) for g in grads]), tf.stack(traces)])

    spec = [
        tf.TensorSpec([None, *sample_shape], tf.float32),
        tf.TensorSpec([None], tf.int64),
        tf.TensorSpec([2], tf.int64),
    ]
    return tf.function(step, input_signature=spec, autograph=False)


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
