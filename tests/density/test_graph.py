"""Activation-density training on graph models: the recipe walks the DAG, every MAC layer (a
depthwise and a pointwise one too) gets its width from a density, the quantizers after joins
and pooling keep theirs and the report says so, the result reads back bit-exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from toolkit.density.report import PRECISION_FILE, write_outputs
from toolkit.density.rules import UpdateRule
from toolkit.density.run import evaluate
from toolkit.density.spec import spec_from_keras
from toolkit.density.train import DensityConfig, train_density
from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.models.reader import read_model

from .conftest import fake_dataset

pytestmark = pytest.mark.xdist_group("density_train")
QUICK = UpdateRule(start_bits=8, update_start=2, min_gap=2, max_wait=2)
W, B = "quantized_bits(6,0,alpha=1)", "quantized_bits(8,3,alpha=1)"


def _residual_dscnn(relu_after_add: str = "quantized_relu(4,2)"):
    """Functional API, Keras default names: a stem, a residual depthwise-separable block (Add of the
    stem's ReLU and a signed quantizer), a Concatenate with a pooled skip, global average, dense."""
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QDense, QDepthwiseConv2D

    tf.keras.backend.clear_session()  # Keras' default names restart at q_conv2d, q_activation, ...
    tf.keras.utils.set_random_seed(4)
    inp = tf.keras.Input((8, 8, 1))
    x = QActivation("quantized_relu(6,1)")(inp)
    x = QActivation("quantized_relu(6,2)")(
        QConv2D(4, 3, padding="same", kernel_quantizer=W, bias_quantizer=B)(x)
    )
    h = QDepthwiseConv2D(3, padding="same", depthwise_quantizer=W, bias_quantizer=B)(x)
    h = QActivation("quantized_relu(6,2)")(h)
    h = QConv2D(4, 1, kernel_quantizer=W, bias_quantizer=B)(h)
    h = QActivation("quantized_bits(6,2,alpha=1)")(h)
    x = tf.keras.layers.Add()([x, h])
    x = QActivation(relu_after_add)(x) if relu_after_add.startswith("q") else tf.keras.layers.ReLU()(x)
    p = tf.keras.layers.MaxPooling2D(2)(x)
    a = QActivation("quantized_relu(5,2)")(tf.keras.layers.AveragePooling2D(2)(x))
    x = tf.keras.layers.Concatenate()([p, a])
    x = QActivation("quantized_bits(8,3,alpha=1)")(tf.keras.layers.GlobalAveragePooling2D()(x))
    return tf.keras.Model(inp, QDense(10, kernel_quantizer=W, bias_quantizer=B)(x))


@pytest.fixture(scope="module")
def data():
    return fake_dataset((8, 8, 1), 10, n=96, seed=2)


@pytest.fixture(scope="module")
def graph_run(data):
    spec = spec_from_keras(_residual_dscnn(), None)
    result = train_density(
        spec, data, DensityConfig(rule=QUICK, epochs=4, seed=1, max_updates=1), verbose=False
    )
    return spec, result, evaluate(result, data)


def test_recipe_walks_the_graph(graph_run):
    spec, _, _ = graph_run
    assert spec.is_graph
    units = {u.name: u for u in spec.units()}
    assert list(units) == ["q_conv2d", "q_depthwise_conv2d", "q_conv2d_1", "q_dense"]
    assert units["q_conv2d"].act is not None and units["q_depthwise_conv2d"].act is not None
    # the pointwise conv feeds a signed quantizer before the Add: it follows its input's density
    assert units["q_conv2d_1"].act is None and spec.feeding(units["q_conv2d_1"]) == "q_depthwise_conv2d"
    fixed = {node.name for node in spec.fixed()}
    assert fixed == {"q_activation_3", "q_activation_4", "q_activation_5", "q_activation_6"}
    assert spec.feeding(units["q_dense"]) == "q_activation_4"  # the nearest measured ReLU upstream
    joins = [node for node in spec.nodes if node.role == "join"]
    assert [(j.cls, len(j.inputs)) for j in joins] == [("Add", 2), ("Concatenate", 2)]


def test_every_mac_layer_gets_its_density_width_and_reads_back_exactly(graph_run, data):
    _, result, evaluation = graph_run
    (update,) = result.updates
    assert update["bits_before"] == dict.fromkeys(result.bits, 8)
    assert result.bits != update["bits_before"], "the densities must move some width"
    model_ir, deploy = read_model(result.model)
    macs = {layer.name: layer for layer in model_ir.mac_layers()}
    for name, bits in result.bits.items():
        assert macs[name].weight_precision.width == bits
    assert isinstance(macs["q_depthwise_conv2d"], ir.DepthwiseConv)
    add = next(layer for layer in model_ir.layers if isinstance(layer, ir.Add))
    assert {p.describe() for p in add.input_precisions} == {
        f"u{result.bits['q_conv2d']}.2",
        "s6.3",
    }  # the join combines the stem's (density) width and the fixed signed quantizer, exactly
    fixed = {node.name: node.config["activation"] for node in result.spec.fixed()}
    assert fixed["q_activation_3"].startswith("quantized_bits(6,2")  # kept as written
    assert evaluation["accuracy"]["emulator_bit_exact"]
    np.testing.assert_array_equal(
        Emulator(model_ir).predict(data.x_test), deploy.predict(data.x_test, verbose=0).astype(np.float64)
    )


def test_report_names_the_rule_of_every_layer(graph_run, tmp_path):
    _, result, evaluation = graph_run
    write_outputs(tmp_path, result, evaluation, {"model": "residual", "data": "fake"})
    doc = json.loads((tmp_path / PRECISION_FILE).read_text())
    rules = {layer["name"]: layer["width_rule"] for layer in doc["layers"]}
    assert rules["q_depthwise_conv2d"].startswith("activation density of its own activation")
    assert rules["q_conv2d_1"] == "activation density of the activation feeding it ('q_depthwise_conv2d')"
    fixed = {row["name"]: row for row in doc["fixed"]}
    assert set(fixed) == {"q_activation_3", "q_activation_4", "q_activation_5", "q_activation_6"}
    assert all(row["rule"].startswith("none: not a MAC layer's own ReLU") for row in fixed.values())
    assert fixed["q_activation_4"]["after"] == "add" and all(
        v is not None for v in fixed["q_activation_4"]["ad"]
    )
    assert all(v is None for v in fixed["q_activation_3"]["ad"])  # signed: no density


def test_pruning_a_graph_is_refused(data):
    spec = spec_from_keras(_residual_dscnn(), None)
    with pytest.raises(ToolkitError, match="is a graph: pruning removes channels along a chain"):
        train_density(spec, data, DensityConfig(rule=QUICK, epochs=2, prune=True), verbose=False)


def test_a_float_relu_after_a_join_is_refused_naming_it():
    with pytest.raises(ToolkitError, match=r"layer 're_lu' \(ReLU\) does not follow a Dense/Conv layer"):
        spec_from_keras(_residual_dscnn(relu_after_add="relu"), None)
