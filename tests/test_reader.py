"""Reading QKeras models into the IR: what is supported, and the errors for what is not."""

from __future__ import annotations

import pytest

from toolkit.errors import ToolkitError
from toolkit.models import ir
from toolkit.models.reader import read_model


def _seq(*layers):
    from tensorflow.keras import models

    return models.Sequential(list(layers))


def test_zoo_ir_shapes_and_macs(zoo_models):
    model_ir = zoo_models["digits-cnn"]["ir"]
    kinds = [layer.kind for layer in model_ir.layers]
    assert kinds == ["Quantize", "Conv", "Quantize", "MaxPool", "Conv", "Quantize", "Flatten", "Dense"]
    conv1 = model_ir.layer("conv1")
    assert isinstance(conv1, ir.Conv) and conv1.fan_in == 9 and conv1.macs == 8 * 8 * 9 * 8
    assert model_ir.output_shape == (10,)
    assert len(model_ir.model_hash()) == 16


def test_unsupported_layer_names_layer_type_and_supported_list():
    from qkeras import QActivation
    from tensorflow.keras import layers

    model = _seq(
        layers.Input((6,)),
        QActivation("quantized_bits(4,0,alpha=1)", name="q"),
        layers.LayerNormalization(name="ln"),
    )
    with pytest.raises(
        ToolkitError, match=r"layer 'ln' \(LayerNormalization\) is not supported; supported layers: "
    ):
        read_model(model)


def test_float_dense_is_rejected_with_hint():
    from qkeras import QActivation
    from tensorflow.keras import layers

    model = _seq(
        layers.Input((6,)), QActivation("quantized_bits(4,0,alpha=1)", name="q"), layers.Dense(3, name="d")
    )
    with pytest.raises(ToolkitError, match=r"layer 'd' \(Dense\) is not supported"):
        read_model(model)


def test_model_must_start_with_input_quantizer():
    from qkeras import QDense
    from tensorflow.keras import layers

    model = _seq(layers.Input((6,)), QDense(3, kernel_quantizer="quantized_bits(4,0,alpha=1)", name="d"))
    with pytest.raises(
        ToolkitError,
        match=r"the model input is read by 'd' \(QDense\); it must be read by one input quantizer",
    ):
        read_model(model)


def test_missing_bias_quantizer_is_named():
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers

    model = _seq(
        layers.Input((6,)),
        QActivation("quantized_relu(4,0)", name="q"),
        QDense(3, kernel_quantizer="quantized_bits(4,0,alpha=1)", name="d"),
    )
    with pytest.raises(ToolkitError, match="layer 'd': has a bias but no bias_quantizer"):
        read_model(model)


def test_auto_alpha_is_named():
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers

    model = _seq(
        layers.Input((6,)),
        QActivation("quantized_relu(4,0)", name="q"),
        QDense(3, kernel_quantizer="quantized_bits(4,0,alpha='auto')", use_bias=False, name="d"),
    )
    with pytest.raises(
        ToolkitError, match="layer 'd' kernel: alpha='auto': a floating-point scale per output channel"
    ):
        read_model(model)


def test_branching_model_reads_into_a_graph():
    import tensorflow as tf
    from qkeras import QActivation

    inp = tf.keras.Input((4,))
    q = QActivation("quantized_relu(4,0)", name="q")(inp)
    a = tf.keras.layers.ReLU(name="a")(q)
    b = tf.keras.layers.Add(name="add")([q, a])
    model_ir, _ = read_model(tf.keras.Model(inp, b))
    assert model_ir.layers[-1].kind == "Add" and model_ir.layers[-1].inputs == ("q", "a")
    assert not model_ir.is_chain()


def test_batchnorm_after_activation_cannot_fold():
    from qkeras import QActivation
    from tensorflow.keras import layers

    model = _seq(
        layers.Input((6,)), QActivation("quantized_relu(4,0)", name="q"), layers.BatchNormalization(name="bn")
    )
    with pytest.raises(ToolkitError, match="BatchNormalization 'bn' follows QActivation; --fold-batchnorm"):
        read_model(model, fold_batchnorm=True)
    model_ir, _ = read_model(model)  # deployed unfolded: a scale, then the 16-bit output type
    assert [layer.kind for layer in model_ir.layers] == ["Quantize", "Scale", "Quantize"]


def test_notes_say_what_deployment_changed():
    from tests.layer_models import build

    model, _ = build("conv2d_pool_bn")
    notes = " | ".join(read_model(model)[0].notes)
    assert "BatchNormalization 'bn1' deployed as a per-channel fixed-point scale and shift" in notes
    assert "removed Dropout 'drop'" in notes and "dropped the trailing softmax of 'softmax'" in notes
    folded = " | ".join(read_model(model, fold_batchnorm=True)[0].notes)
    assert "folded BatchNormalization 'bn1' into 'conv1' and re-quantized" in folded
