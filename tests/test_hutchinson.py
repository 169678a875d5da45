"""The compiled Hutchinson statistics against an explicit dense Hessian on a tiny model."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.errors import ToolkitError
from toolkit.select.sensitivity import gradient_statistics, rademacher


def _tiny_model():
    """QDense 5 -> tanh -> QDense 3: a curved loss in both MAC layers' outputs."""
    import tensorflow as tf
    from qkeras import QDense

    tf.keras.utils.set_random_seed(3)
    inputs = tf.keras.layers.Input((4,))
    h = QDense(5, kernel_quantizer="quantized_bits(4,0,alpha=1)", name="fc1")(inputs)
    h = tf.keras.layers.Activation("tanh", name="act")(h)
    outputs = QDense(3, kernel_quantizer="quantized_bits(4,0,alpha=1)", name="fc2")(h)
    return tf.keras.Model(inputs, outputs)


def _dense_statistics(model, names, x, y, probes, seed, batch_size):
    """G_l and v^T H_l v with H_l the full (samples x units)^2 Hessian from a Jacobian of the gradient."""
    import tensorflow as tf

    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
    g_sum, t_sum = np.zeros(len(names)), np.zeros(len(names))
    for batch, start in enumerate(range(0, len(x), batch_size)):
        xb, yb = tf.constant(x[start : start + batch_size]), tf.constant(y[start : start + batch_size])
        for i, name in enumerate(names):
            fc1, act, fc2 = (model.get_layer(n) for n in ("fc1", "act", "fc2"))
            with tf.GradientTape(persistent=True) as outer:
                h1 = fc1(xb)
                outer.watch(h1)
                with tf.GradientTape() as inner:
                    inner.watch(h1)
                    h2 = fc2(act(h1))
                    if name == "fc2":
                        inner.watch(h2)
                    out = h1 if name == "fc1" else h2
                    loss = loss_fn(yb, fc2(act(h1)) if name == "fc1" else h2)
                g = inner.gradient(loss, out)
            hessian = (
                outer.jacobian(g, out, experimental_use_pfor=False)
                .numpy()
                .reshape(g.shape.num_elements(), -1)
            )
            g_sum[i] += g.numpy().sum()
            seed_pair = tf.constant([seed, batch], tf.int64)
            for p in range(probes):
                v = rademacher(tf.shape(g), seed_pair, i, p).numpy().ravel()
                t_sum[i] += v @ hessian @ v / probes
    return g_sum / len(x), t_sum / len(x)


def test_hutchinson_equals_dense_hessian_for_the_same_probes():
    model = _tiny_model()
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (10, 4)).astype(np.float32)
    y = rng.integers(0, 3, 10)
    names = ["fc1", "fc2"]
    got = gradient_statistics(model, names, x, y, probes=3, batch_size=4, seed=5)
    g_want, t_want = _dense_statistics(model, names, x, y, probes=3, seed=5, batch_size=4)
    for i, name in enumerate(names):
        assert got[name].grad_sum == pytest.approx(g_want[i], rel=1e-5, abs=1e-7)
        assert got[name].hessian_trace == pytest.approx(t_want[i], rel=1e-5, abs=1e-7)
    assert all(got[n].hessian_trace != 0 for n in names)
    again = gradient_statistics(model, names, x, y, probes=3, batch_size=4, seed=5)
    assert again == got  # deterministic for a fixed seed


def test_hutchinson_rejects_zero_probes():
    model = _tiny_model()
    x, y = np.zeros((2, 4), np.float32), np.zeros(2, np.int64)
    with pytest.raises(ToolkitError, match="probes=0"):
        gradient_statistics(model, ["fc1"], x, y, probes=0)
