"""Agreement of the deployed arithmetic with the user's own QKeras model.

The reference is the model the user gave us, run by Keras (``predict``), not our
deployable rewrite of it. Its outputs are compared with the emulator's output codes:
a sample agrees when every output equals the original's (its float output taken to
the nearest code of the output type, which is exact whenever the original's output is
itself fixed point), and its class agrees when the argmax does.

A deployed BatchNormalization is exact while Keras computes it in float32, so the two
can differ where Keras' float value lies within float rounding of a rounding boundary
of the next quantizer (a *near-tie*). Differing samples are checked for one: the
emulator's exact value before such a quantizer is within a few float32 ulps of a tie
point. Differences a near-tie does not explain are what a defect (or an explicit
``--fold-batchnorm``) looks like.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from toolkit.models import ir
from toolkit.models.deployable import activation_name, final_computing_layer, is_softmax
from toolkit.models.graph import keras_graph

# Keras' float32 BatchNormalization rounds up to three times (~2^-24 each); allow 8 ulps.
NEAR_TIE_RELATIVE = 2.0**-21


@dataclass(frozen=True)
class Agreement:
    """How many test samples the deployed arithmetic computes exactly as the user's model does."""

    n: int
    outputs_equal: int  # samples whose every output equals the original model's
    classes_equal: int  # samples whose argmax equals the original model's
    near_ties: int  # differing samples that a float near-tie explains

    @property
    def outputs_fraction(self) -> float:
        return self.outputs_equal / self.n if self.n else float("nan")

    @property
    def classes_fraction(self) -> float:
        return self.classes_equal / self.n if self.n else float("nan")

    @property
    def unexplained(self) -> int:
        """Differing samples that no near-tie explains."""
        return self.n - self.outputs_equal - self.near_ties

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {
            "outputs_fraction": self.outputs_fraction,
            "classes_fraction": self.classes_fraction,
            "unexplained": self.unexplained,
        }

    def describe(self) -> str:
        text = (
            f"equal to the original model on {100 * self.outputs_fraction:.2f}% of samples "
            f"({self.outputs_equal}/{self.n}), same class on {100 * self.classes_fraction:.2f}%"
        )
        differing = self.n - self.outputs_equal
        if differing:
            text += f"; of {differing} differing, {self.near_ties} at a float near-tie"
        return text


def agreement_from_json(obj: dict[str, Any]) -> Agreement:
    return Agreement(obj["n"], obj["outputs_equal"], obj["classes_equal"], obj["near_ties"])


def reference_model(model: Any) -> Any:
    """The user's model up to its logits: a trailing softmax (layer or MAC activation) removed.

    The deployed model drops that softmax (argmax-invariant), so agreement compares logits.
    """
    import tensorflow as tf

    last = model.get_layer(final_computing_layer(keras_graph(model)))
    if is_softmax(last):
        return tf.keras.Model(model.inputs, last.input)
    if hasattr(last, "activation") and activation_name(last.activation) == "softmax":
        return _without_final_activation(model, last)
    return model


def original_codes(model: Any, model_ir: ir.ModelIR, x: np.ndarray) -> np.ndarray:
    """The user's model's outputs on ``x``, as the nearest codes of the deployed output type."""
    values = np.asarray(reference_model(model).predict(x, verbose=0, batch_size=1024), dtype=np.float64)
    precision = model_ir.output_precision
    codes = np.rint(np.nan_to_num(values) * 2.0**precision.frac)
    codes = np.clip(codes, precision.min_code, precision.max_code)
    return codes.astype(np.int64).reshape((len(x),) + model_ir.output_shape)


def measure_agreement(model: Any, model_ir: ir.ModelIR, x: np.ndarray) -> Agreement:
    """Agreement of the exact emulator of ``model_ir`` with the user's ``model`` on ``x``."""
    from toolkit.emulator.engine import Emulator

    emulator = Emulator(model_ir)
    codes = emulator.quantize_input(x)
    ours = emulator.predict_codes(codes)
    theirs = original_codes(model, model_ir, x)
    flat_ours, flat_theirs = ours.reshape(len(x), -1), theirs.reshape(len(x), -1)
    equal = (flat_ours == flat_theirs).all(axis=1)
    same_class = flat_ours.argmax(axis=1) == flat_theirs.argmax(axis=1)
    ties = near_tie_samples(model_ir, emulator, codes[~equal]) if (~equal).any() else np.zeros(0, bool)
    return Agreement(len(x), int(equal.sum()), int(same_class.sum()), int(ties.sum()))


def near_tie_samples(model_ir: ir.ModelIR, emulator: Any, codes: np.ndarray) -> np.ndarray:
    """Per sample: does some quantizer after a Scale see an exact value within float rounding of a tie?"""
    trace = emulator.trace(codes)
    found = np.zeros(len(codes), dtype=bool)
    layers = model_ir.layers
    for index, layer in enumerate(layers):
        if not isinstance(layer, ir.Quantize) or index == 0:
            continue
        scale = _scale_before(layers[:index])
        if scale is None:
            continue
        values = trace[layers[index - 1].name].reshape(len(codes), -1)
        near = _near_tie(values, layer.in_precision, layer.out_precision, scale)
        if layer.relu:  # below zero everything becomes 0 on both sides
            near &= values >= 0
        found |= near.any(axis=1)
    return found


def _scale_before(before: tuple[ir.Layer, ...]) -> ir.Scale | None:
    for node in reversed(before):
        if isinstance(node, ir.Scale):
            return node
        if isinstance(node, ir.Quantize | ir.MacLayer):
            return None
    return None


def _near_tie(values: np.ndarray, source: Any, target: Any, scale: ir.Scale) -> np.ndarray:
    """Elements whose exact value (source codes) lies within float rounding of a rounding boundary."""
    shift = source.frac - target.frac
    if shift <= 0:
        return np.zeros(values.shape, dtype=bool)
    step, half = 1 << shift, 1 << (shift - 1)
    offset = np.mod(values - half, step)  # distance above the tie point below
    distance = np.minimum(offset, step - offset)
    magnitude = np.abs(values).astype(np.float64) + 2.0 * float(np.abs(scale.shift).max(initial=0))
    return distance <= magnitude * NEAR_TIE_RELATIVE + 1


def _without_final_activation(model: Any, layer: Any) -> Any:
    """A copy of ``model`` whose last layer ``layer`` has a linear activation (same weights)."""
    import tensorflow as tf

    def clone(source: Any) -> Any:
        config = source.get_config()
        if source.name == layer.name:
            config = dict(config, activation="linear")
        return type(source).from_config(config)

    copy = tf.keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy
