"""User layer names never clash with the names the backends derive (issue 12).

One functional model whose layers are named like the correction branch (``fc_cv``,
``fc_cv_sum``, ``fc_pad``, ``fc_cv_est``), like hls4ml's own linear layer
(``fc_linear``), like the derived hardware names (``l2_fc``), with ``/`` and ``.``, and
two names that map to the same identifier (``block/dense.1``, ``block.dense/1``). Saved
as .h5 and .keras it reads back with the same names; the emulator equals QKeras; with a
control-variate plan on three layers (a ``same`` and a strided ``causal`` Conv1D among
them) the hls4ml C-sim (one compile, io_stream: the padded convs' shared streams) and the Verilator RTL equal the emulator bit for bit.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator
from toolkit.models.loading import load_keras_file
from toolkit.models.names import ident, indexed_name
from toolkit.models.reader import read_model
from toolkit.plan import plan_from_json

NAMES = ["x.in/0", "fc_pad", "fc", "fc_cv_sum", "fc_cv", "fc_linear", "fc_cv_est", "block/dense.1",
         "block.dense/1", "l2_fc"]  # fmt: skip
PLAN = [("fc", "trunc2", "cv"), ("fc_cv", "drum2", "cv"), ("block/dense.1", "trunc2", "cv"),
        ("l2_fc", "perfw1", "bias")]  # fmt: skip


def clash_model():
    import tensorflow as tf
    from qkeras import QActivation, QConv1D, QDense

    q = {"kernel_quantizer": "quantized_bits(4,0,alpha=1)", "bias_quantizer": "quantized_bits(8,3,alpha=1)"}
    inputs = tf.keras.Input((9, 2), name=NAMES[0])
    x = QActivation("quantized_bits(4,1,alpha=1)", name=NAMES[1])(inputs)
    x = QConv1D(3, 3, padding="same", name=NAMES[2], **q)(x)
    x = QActivation("quantized_relu(4,2)", name=NAMES[3])(x)
    x = QConv1D(4, 3, strides=2, padding="causal", name=NAMES[4], **q)(x)
    x = QActivation("quantized_relu(4,2)", name=NAMES[5])(x)
    x = tf.keras.layers.Flatten(name=NAMES[6])(x)
    x = QDense(6, name=NAMES[7], **q)(x)
    x = QActivation("quantized_relu(3,1)", name=NAMES[8])(x)
    model = tf.keras.Model(inputs, QDense(4, name=NAMES[9], **q)(x))
    rng = np.random.default_rng(4)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights(
                [rng.uniform(-1.5, 1.5, w.shape).astype(np.float32) for w in layer.get_weights()]
            )
    x = rng.uniform(-6, 6, (96, 9, 2)).astype(np.float32)  # beyond the input range: both rails
    return model, x


@pytest.fixture(scope="module")
def clash(tmp_path_factory):
    model, x = clash_model()
    assert [layer.name for layer in model.layers] == NAMES
    model_ir, deploy = read_model(model)
    spec = {"format": "toolkit-plan", "version": 1,
            "layers": [{"name": n, "multiplier": m, "correction": c} for n, m, c in PLAN]}  # fmt: skip
    plan = plan_from_json(spec, model_ir)
    return {"model": model, "x": x, "ir": model_ir, "deploy": deploy, "plan": plan,
            "dir": tmp_path_factory.mktemp("clash")}  # fmt: skip


def test_derived_names_are_identifiers_and_distinct():
    assert ident("block/dense.1") == ident("block.dense/1") == "block_dense_1"
    assert indexed_name(7, "block/dense.1") != indexed_name(8, "block.dense/1")
    assert indexed_name(0, "input_1") == "l0_input_1"


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_names_survive_saving_and_the_emulator_equals_qkeras(clash, suffix):
    path = clash["dir"] / f"model{suffix}"
    clash["model"].save(path, **({"save_format": "h5"} if suffix == ".h5" else {}))
    loaded = load_keras_file(path)
    assert [layer.name for layer in loaded.layers] == NAMES
    model_ir, _ = read_model(loaded)
    assert model_ir.model_hash() == clash["ir"].model_hash()
    expected = loaded.predict(clash["x"], verbose=0).astype(np.float64)
    np.testing.assert_array_equal(Emulator(model_ir).predict(clash["x"]), expected)


@pytest.mark.slow
def test_hls4ml_csim_with_clashing_names_equals_the_emulator(clash):
    from toolkit.hlsgen.check import csim_check
    from toolkit.hlsgen.csim import HlsCSim

    model_ir, plan = clash["ir"], clash["plan"]
    codes = Emulator(model_ir).quantize_input(clash["x"])
    result = csim_check(model_ir, clash["deploy"], plan, codes, clash["dir"] / "hls", io_type="io_stream")
    assert result["equal_samples"] == result["n_samples"] == len(codes)
    assert result["corrected_layers"] == sorted(n for n, _, _ in PLAN)
    # every hls4ml layer carries a derived identifier, the branches included
    csim = HlsCSim(model_ir, clash["deploy"], clash["dir"] / "hls2", io_type="io_stream", plan=plan)
    names = [layer.name for layer in csim.hls_model.get_layers()]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"l\d+_\w+|\w+_l\d+_\w+", n) for n in names), names
    for suffix in ("", "_pad", "_cv_sum", "_cv_est", "_cv"):
        assert f"l2_fc{suffix}" in names
    assert "l4_fc_cv_pad" in names  # the causal conv's explicit left padding


@pytest.mark.verilator
def test_rtl_with_clashing_names_equals_the_emulator(clash):
    from toolkit.rtlgen import RtlDevice, generate
    from toolkit.rtlgen import build as build_rtl

    model_ir, plan = clash["ir"], clash["plan"]
    emulator = Emulator(model_ir, plan.kernels())
    codes = emulator.quantize_input(clash["x"])
    design = generate(model_ir, plan, fold=2)
    instances = [s.instance for s in design.stages]
    assert len(set(instances)) == len(instances) and all(re.fullmatch(r"l\d+_\w+", i) for i in instances)
    with RtlDevice(design, build_rtl(design, activity=False)) as device:
        result = device.predict_codes(codes, stall_in=0.2, stall_out=0.2, seed=3)
    np.testing.assert_array_equal(result.codes, emulator.predict_codes(codes))
