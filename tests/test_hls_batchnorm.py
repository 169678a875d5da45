"""BatchNormalization in hls4ml C-simulation computes the IR's exact Scale, bit for bit with the emulator.

Models from :mod:`tests.bn_models` (functional, Keras default names, BN statistics far from
identity, a BN feeding the logits, QConv2DBatchnorm) on inputs several times the input
range. hls4ml's own BN arithmetic (float scale/bias from gamma/beta/mean/var, optional
fusion into the layer before) is replaced by the IR's codes and types
(:mod:`toolkit.hlsgen.scale`). Compiles: each model in io_parallel and io_stream (Vivado,
Latency), one control-variate plan on layers feeding BNs (Resource, io_stream), and
``toolkit build --to hls`` on a saved model (.h5: Vitis io_stream with a CV plan; .keras:
Vitis io_parallel Resource).
"""

from __future__ import annotations

import json
import types

import numpy as np
import pytest
from click.testing import CliRunner

from tests.bn_models import BN_MODELS, build_bn
from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.hlsgen.correction_graph import corrected_layers
from toolkit.hlsgen.csim import HlsCSim
from toolkit.hlsgen.scale import scale_types, set_exact_scales
from toolkit.models import ir
from toolkit.models.reader import read_model
from toolkit.plan import plan_from_json
from toolkit.precision import Precision

EXACT_PRODUCT = "using product = nnet::product::mult<x_T, y_T>;"


def _read(name: str, n: int = 600):
    model, x = build_bn(name, n=n)
    model_ir, deploy = read_model(model)
    emulator = Emulator(model_ir)
    return model_ir, deploy, emulator, emulator.quantize_input(x)


def _assert_saturating(model_ir: ir.ModelIR, emulator: Emulator, codes: np.ndarray) -> None:
    """The inputs reach both rails of the input type, and some quantizer after a Scale saturates."""
    p = model_ir.input_precision
    assert codes.min() == p.min_code and codes.max() == p.max_code
    trace = emulator.trace(codes)
    after_scale = [
        layer
        for prev, layer in zip(model_ir.layers, model_ir.layers[1:], strict=False)
        if isinstance(prev, ir.Scale) and isinstance(layer, ir.Quantize)
    ]
    if after_scale:
        assert any((trace[q.name] == q.out_precision.max_code).any() for q in after_scale)


@pytest.mark.slow
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("name", sorted(BN_MODELS))
def test_bn_model_csim_matches_emulator(name, io_type, tmp_path):
    model_ir, deploy, emulator, codes = _read(name)
    assert any(isinstance(layer, ir.Scale) for layer in model_ir.layers) == (name != "qconv2d_batchnorm")
    _assert_saturating(model_ir, emulator, codes)
    csim = HlsCSim(model_ir, deploy, tmp_path / "hls", io_type=io_type)
    np.testing.assert_array_equal(csim.predict_codes(codes), emulator.predict_codes(codes))


@pytest.mark.slow
def test_cv_correction_on_layers_feeding_batchnorms(tmp_path):
    """conv2d_bn with a CV correction on both layers that feed a BN (one of them the logits' BN)
    and a bias-only (folded) one on the third: the BNs read the corrected, wider accumulators."""
    model_ir, deploy, _, codes = _read("conv2d_bn", n=300)
    conv, conv_1, dense = (layer.name for layer in model_ir.mac_layers())  # Keras default names
    layers = [
        {"name": conv, "multiplier": "trunc3", "correction": "cv"},
        {"name": conv_1, "multiplier": "trunc3", "correction": "bias"},
        {"name": dense, "multiplier": "trunc3", "correction": "cv"},
    ]
    plan = plan_from_json({"format": "toolkit-plan", "version": 1, "layers": layers}, model_ir)
    uncorrected = plan_from_json(
        {"format": "toolkit-plan", "version": 1, "layers": [dict(e, correction="none") for e in layers]},
        model_ir,
    )
    expected = Emulator(model_ir, plan.kernels()).predict_codes(codes)
    assert (expected != Emulator(model_ir, uncorrected.kernels()).predict_codes(codes)).any()
    corrected = corrected_layers(model_ir, plan)
    scales = scale_types(model_ir, corrected)
    first_bn = model_ir.layers[model_ir.layers.index(model_ir.layer(conv)) + 1].name
    assert scales[first_bn].input == corrected[conv].out != model_ir.layer(conv).out_precision
    csim = HlsCSim(model_ir, deploy, tmp_path / "hls", io_type="io_stream", strategy="Resource", plan=plan)
    for bn in scales:
        assert EXACT_PRODUCT in csim.hls_model.graph[csim.names[bn]].get_attr("config_cpp")
    np.testing.assert_array_equal(csim.predict_codes(codes), expected)


def test_written_scale_and_shift_are_the_ir_codes(tmp_path):
    """The firmware's BN weights (headers and the .txt files C-sim loads) print the IR's values exactly,
    in the IR's types, and the BN multiply is hls4ml's exact product (no g++ needed)."""
    model_ir, deploy, _, _ = _read("dense_bn", n=8)
    csim = HlsCSim(model_ir, deploy, tmp_path / "hls")
    csim.hls_model.write()
    defines = (tmp_path / "hls" / "firmware" / "defines.h").read_text()
    for layer in (x for x in model_ir.layers if isinstance(x, ir.Scale)):
        node = csim.hls_model.graph[csim.names[layer.name]]
        assert EXACT_PRODUCT in node.get_attr("config_cpp")
        for key, values, precision in zip(
            ("scale", "bias"), layer.to_float(), (layer.scale_precision, layer.out_precision), strict=True
        ):
            var = node.weights[key]
            assert f"typedef {precision.hls_type()} {var.type.name};" in defines
            text = (tmp_path / "hls" / "firmware" / "weights" / f"{var.name}.txt").read_text()
            np.testing.assert_array_equal(np.array([float(v) for v in text.split(",")]), values)


def test_scale_after_a_corrected_layer_is_widened():
    """A Scale reading a corrected accumulator wider than the layer's own gets a result type holding
    every value (the emulator's int64 arithmetic), at the IR's fraction bits."""
    acc = Precision.for_range(-100, 100, 4)
    scale = ir.Scale(
        name="bn", in_shape=(2,), out_shape=(2,), in_precision=acc,
        out_precision=Precision.for_range(-100 * 3 - 5, 100 * 3 + 7, 6),
        scale=np.array([3, -2]), scale_precision=Precision.for_range(-2, 3, 2), shift=np.array([-5, 7]),
    )  # fmt: skip
    model_ir = ir.ModelIR("m", (2,), acc, (scale,))
    assert scale_types(model_ir, {})["bn"].result == scale.out_precision
    wide = Precision.for_range(-1000, 900, 4)
    prev = ir.Dense(name="d", in_shape=(2,), out_shape=(2,), in_precision=acc, out_precision=acc)
    model_ir = ir.ModelIR("m", (2,), acc, (prev, scale))
    got = scale_types(model_ir, {"d": types.SimpleNamespace(out=wide)})["bn"]
    assert got.input == wide and got.result.frac == 6
    assert got.result.min_code <= min(3 * -1000 - 5, -2 * 900 + 7) and got.result.max_code >= 3 * 900 - 5
    assert got.config() == {"scale": scale.scale_precision, "bias": got.result, "result": got.result}


def test_a_removed_batchnorm_is_an_error():
    model_ir, _, _, _ = _read("conv1d_bn", n=8)
    (bn,) = (layer.name for layer in model_ir.layers if isinstance(layer, ir.Scale))
    with pytest.raises(ToolkitError, match=rf"hls4ml removed or fused BatchNormalization '{bn}'; "):
        names = {layer.name: layer.name for layer in model_ir.layers}
        set_exact_scales(types.SimpleNamespace(graph={}), model_ir, scale_types(model_ir, {}), names)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_build_to_hls_on_a_saved_bn_model(suffix, tmp_path):
    """``toolkit build --to hls`` on the user's saved file: the hls step's C-sim check passes."""
    from toolkit.cli.main import cli

    model, x = build_bn("conv2d_bn", n=160)
    path = tmp_path / f"model{suffix}"
    model.save(str(path), **({"save_format": "h5"} if suffix == ".h5" else {}))
    y = model.predict(x, verbose=0).argmax(axis=1)
    data = tmp_path / "data.npz"
    np.savez(data, x_train=x[:60], y_train=y[:60], x_test=x[60:], y_test=y[60:])
    args = ["build", "--model", str(path), "--data", str(data), "--quantize", "keep", "--to", "hls"]
    args += ["--out", str(tmp_path / "b"), "--backend", "Vitis"]
    macs = [layer.name for layer in model.layers if type(layer).__name__ in ("QConv2D", "QDense")]
    corrected = [macs[0], macs[-1]] if suffix == ".h5" else []  # both feed a BatchNormalization
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"format": "toolkit-plan", "version": 1, "layers": [
        {"name": name, "multiplier": "trunc3", "correction": "cv"} for name in corrected
    ]}))  # fmt: skip
    args += ["--plan", str(plan)]
    args += ["--io-type", "io_stream"] if suffix == ".h5" else ["--strategy", "Resource"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    csim = json.loads((tmp_path / "b" / "csim.json").read_text())
    assert csim["n_samples"] == csim["equal_samples"] == 100
    expected = ("io_stream", "Latency") if suffix == ".h5" else ("io_parallel", "Resource")
    assert (csim["backend"], csim["io_type"], csim["strategy"]) == ("Vitis", *expected)
    assert csim["corrected_layers"] == sorted(corrected)
