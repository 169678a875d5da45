"""BatchNormalization (IR ``Scale``) in RTL: the ``tk_scale`` stage is bit-exact with the emulator on
every sample of every BN model (inputs that reach the rails), exact and with approximate products
plus a control-variate correction on the layers feeding a BN; Verilator's cycles lie within the
closed-form bounds; the generated top lints clean; `toolkit sim` reports area and modelled power of a BN model."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from click.testing import CliRunner

from tests.bn_models import BN_MODELS, _far_from_identity, build_bn
from tests.layer_models import build as build_layer
from toolkit.cli.main import cli
from toolkit.emulator.engine import Emulator
from toolkit.models import ir
from toolkit.models.reader import read_model
from toolkit.plan import plan_from_json
from toolkit.precision import Precision
from toolkit.rtlgen import RtlDevice, generate, interval_bound, interval_floor
from toolkit.rtlgen import build as build_rtl
from toolkit.rtlgen.widths import scale_widths

from .test_rtl_lint import lint

CASES = [*BN_MODELS, "conv2d_pool_bn", "bn_placements"]


def bn_placements():
    """A BN after an unsigned quantizer, and a BN before MaxPool -> ReLU -> Flatten -> quantizer."""
    from qkeras import QActivation, QConv2D, QDense
    from tensorflow.keras import layers, models

    inp = layers.Input((6, 6, 2))
    h = QActivation("quantized_relu(5,2)")(inp)
    h = layers.BatchNormalization()(h)
    h = QActivation("quantized_bits(5,1,alpha=1)")(h)
    h = QConv2D(4, 3, padding="same", kernel_quantizer="quantized_bits(5,0,alpha=1)",
                bias_quantizer="quantized_bits(6,2,alpha=1)")(h)  # fmt: skip
    h = layers.BatchNormalization()(h)
    h = layers.MaxPooling2D(2)(h)
    h = layers.Activation("relu")(h)
    h = layers.Flatten()(h)
    h = QActivation("quantized_bits(6,2,alpha=1)")(h)
    return models.Model(inp, QDense(3, kernel_quantizer="quantized_bits(6,0,alpha=1)", use_bias=False)(h))


def _build(name: str) -> tuple[object, np.ndarray]:
    if name in BN_MODELS:
        return build_bn(name)
    if name == "bn_placements":
        import tensorflow as tf

        tf.keras.utils.set_random_seed(3)
        model = bn_placements()
        _far_from_identity(model, 1)  # seed 1: the first BN has a negative and a positive gamma
        x = np.random.default_rng(4).normal(0.0, 3.0, (400, 6, 6, 2)).astype(np.float32)
        return model, x
    return build_layer(name)


@functools.cache
def _read(name: str) -> tuple[ir.ModelIR, np.ndarray]:
    model, x = _build(name)
    return read_model(model)[0], x


def approx_plan(model_ir: ir.ModelIR) -> dict:
    """trunc2 on every MAC layer within the library's operands; a CV correction on each layer that
    feeds a BN (or on the first one where none does)."""
    layers = model_ir.layers
    feeds_bn = {a.name for a, b in zip(layers, layers[1:], strict=False) if isinstance(b, ir.Scale)}
    entries = []
    for layer in model_ir.mac_layers():
        a, w = layer.in_precision, layer.weight_precision
        if 2 <= a.width <= 8 and 2 <= w.width <= 8:
            cv = layer.name in feeds_bn or (not feeds_bn and not entries)
            entries.append({"name": layer.name, "multiplier": "trunc2", "correction": "cv" if cv else "none"})
    return {"format": "toolkit-plan", "version": 1, "layers": entries}


def _assert_reaches_rails(emulator: Emulator, model_ir: ir.ModelIR, codes: np.ndarray) -> None:
    trace = emulator.trace(codes)
    rails = [
        (trace[q.name] == q.out_precision.max_code).any()
        and (trace[q.name] == q.out_precision.min_code).any()
        for q in model_ir.layers
        if isinstance(q, ir.Quantize)
    ]
    assert any(rails[1:]), "no requantization after the input reaches both rails"


@pytest.mark.verilator
@pytest.mark.parametrize("kind", ["exact", "approx_cv"])
@pytest.mark.parametrize("name", CASES)
def test_bn_model_rtl_equals_emulator_and_cycle_model(name: str, kind: str) -> None:
    model_ir, x = _read(name)
    plan = plan_from_json(approx_plan(model_ir), model_ir) if kind == "approx_cv" else None
    emulator = Emulator(model_ir, plan.kernels() if plan else None)
    codes = emulator.quantize_input(x)
    expected = emulator.predict_codes(codes)
    _assert_reaches_rails(emulator, model_ir, codes)
    scales = [layer.name for layer in model_ir.layers if isinstance(layer, ir.Scale)]
    if plan is not None:
        cv = {n for n, lp in plan.layers.items() if lp.correction is not None and lp.correction.mode == "cv"}
        pairs = zip(model_ir.layers, model_ir.layers[1:], strict=False)
        feeding = {a.name for a, b in pairs if isinstance(a, ir.MacLayer) and isinstance(b, ir.Scale)}
        assert cv and feeding <= cv  # a corrected layer feeds every BN that follows a MAC layer
        assert not np.array_equal(expected, Emulator(model_ir).predict_codes(codes))  # the plan matters
    design = generate(model_ir, plan, fold=None if plan is None else 3)
    assert [s.name for s in design.stages if s.kind == "scale"] == scales
    with RtlDevice(design, build_rtl(design, activity=False)) as device:
        result = device.predict_codes(codes)
        np.testing.assert_array_equal(result.codes, expected)
        assert interval_floor(design) <= result.interval <= interval_bound(design)
        assert result.violations == 0
        stalled = device.predict_codes(codes[:64], stall_in=0.3, stall_out=0.3, seed=len(name))
        np.testing.assert_array_equal(stalled.codes, expected[:64])
        assert stalled.violations == 0


@pytest.mark.verilator
def test_bn_model_top_lints_clean(tmp_path) -> None:
    model_ir, _ = _read("bn_placements")
    design = generate(model_ir, plan_from_json(approx_plan(model_ir), model_ir), 2)
    assert sum(s.kind == "scale" for s in design.stages) == 2
    top = design.write(tmp_path)
    assert lint([top, *design.sources()], "tk_accel", cwd=tmp_path) == []


def test_scale_widths_hold_every_port_code() -> None:
    """The output holds x * scale + shift for every code of the input port, which may be wider than
    the IR's input type (approximate sums); the constants take their widths from the IR's types."""
    scale, shift = np.array([-5, 300, 7]), np.array([1000, -2, 0])
    sp, op = Precision(10, 2), Precision(20, 10)
    w = scale_widths(12, True, scale, shift, sp, op)
    assert (w.s_bits, w.h_bits) == (10, 20)
    lo, hi = -(1 << (w.out_bits - 1)), (1 << (w.out_bits - 1)) - 1
    ends = [x * s + h for x in (-2048, 2047) for s, h in zip(scale, shift, strict=True)]
    assert lo <= min(ends) and max(ends) <= hi and not (lo // 2 <= min(ends) and max(ends) <= hi // 2)
    assert scale_widths(4, False, np.array([1]), np.array([0]), Precision(3, 1, False), op).s_bits == 4
    assert scale_widths(4, False, np.array([1]), np.array([0]), sp, op).out_bits == 20  # at least the IR type


@pytest.mark.verilator
@pytest.mark.yosys
def test_sim_cli_on_a_saved_bn_model_reports_scale_area_and_power(tmp_path) -> None:
    model, x = build_bn("conv1d_bn", n=200)
    model.save(tmp_path / "bn.h5")
    y = np.random.default_rng(0).integers(0, 3, len(x))
    np.savez(tmp_path / "data.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    result = CliRunner().invoke(cli, ["sim", "--model", str(tmp_path / "bn.h5"),
                                      "--data", str(tmp_path / "data.npz"), "--fold", "2", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    r = json.loads(result.stdout)
    assert r["n"] == 200 and r["bit_exact_samples"] == 200
    c = r["cycles"]
    assert c["basis"].startswith("simulated") and c["interval_floor"] <= c["interval"]
    model_ir, _ = read_model(model)
    (stage,) = [s for s in generate(model_ir, None, 2).stages if s.kind == "scale"]
    area, power = r["area"], r["power"]
    assert area["layers"][stage.instance]["lut"] > 100 and area["layers"][stage.instance]["ff"] >= 40
    for key in ("lut", "ff", "carry4"):
        assert sum(layer[key] for layer in area["layers"].values()) == pytest.approx(area["total"][key])
    assert power["label"].startswith("modelled") and power["per_module_dynamic_w"][stage.instance] > 0
    assert r["activity"]["modules"][stage.instance]["rate"] > 0
