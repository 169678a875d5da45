"""Control-variate / bias corrections in hls4ml C-simulation == the emulator, bit for bit.

Few compiles, many (family, correction, layer kind) cases: ``mac8`` has four Conv2D and
four Dense layers, and four plans rotate the registry's families over its eight MAC
layers, one plan per (strategy, io_type) combination. Every family appears with the
control-variate correction and without any, once in a Conv and once in a Dense layer
(the spare slots use the bias-only correction, which is folded into the layer's bias, as
is ``exact`` with cv: its constants are all zero). ``conv1d`` (Conv1D with signed inputs,
the Vitis backend) goes through :func:`toolkit.hlsgen.check.csim_check`. Inputs reach
several times the input range, and the random weights saturate the inner quantizers.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from toolkit.emulator.engine import Emulator
from toolkit.errors import ToolkitError
from toolkit.hlsgen.check import TRACED_SAMPLES, compare_with_emulator, csim_check
from toolkit.hlsgen.csim import HlsCSim
from toolkit.models.reader import read_model
from toolkit.multipliers import FAMILIES, MultiplierError, list_designs, make_design
from toolkit.plan import plan_from_json

pytestmark = pytest.mark.slow

FAMILY_NAMES = list(FAMILIES)
# Valid designs for families the catalogue leaves out at some widths (equal to an earlier design).
FALLBACK = {"bxps": {"k": 2, "l": 1}, "bxpd": {"k": 2, "l": 1}}
COMBOS = [
    ("Latency", "io_parallel"),
    ("Latency", "io_stream"),
    ("Resource", "io_parallel"),
    ("Resource", "io_stream"),
]


def _conv(filters, kernel, bits="quantized_bits(4,0,alpha=1)", rank=2, **kwargs):
    from qkeras import QConv1D, QConv2D

    cls = QConv2D if rank == 2 else QConv1D
    return cls(filters, kernel, kernel_quantizer=bits, bias_quantizer="quantized_bits(8,3,alpha=1)", **kwargs)


def _dense(units, bits="quantized_bits(4,0,alpha=1)", **kwargs):
    from qkeras import QDense

    return QDense(units, kernel_quantizer=bits, bias_quantizer="quantized_bits(8,3,alpha=1)", **kwargs)


def mac8():
    """Four Conv2D then four Dense layers, operand tags s5s4, u4s5, u3s4, u4s4, u4s4, u4s6, s4s4, u4s4."""
    from qkeras import QActivation
    from tensorflow.keras import layers, models

    return models.Sequential(
        [
            layers.Input((6, 6, 2)),
            QActivation("quantized_bits(5,2,alpha=1)", name="in_q"),
            _conv(4, 3, padding="same", name="c1"),
            QActivation("quantized_relu(4,2)", name="c1_q"),
            _conv(4, 2, bits="quantized_bits(5,1,alpha=1)", strides=2, name="c2"),
            QActivation("quantized_relu(3,1)", name="c2_q"),
            _conv(6, 2, padding="same", name="c3"),
            QActivation("quantized_relu(4,2)", name="c3_q"),
            _conv(4, 2, name="c4"),
            QActivation("quantized_relu(4,2)", name="c4_q"),
            layers.Flatten(name="flat"),
            _dense(8, name="d1"),
            QActivation("quantized_relu(4,2)", name="d1_q"),
            _dense(8, bits="quantized_bits(6,1,alpha=1)", name="d2"),
            QActivation("quantized_bits(4,1,alpha=1)", name="d2_q"),
            _dense(6, name="d3"),
            QActivation("quantized_relu(4,2)", name="d3_q"),
            _dense(5, name="d4"),
        ]
    )


def conv1d():
    """Conv1D (same, then strided valid) on signed inputs, then two Dense layers."""
    from qkeras import QActivation
    from tensorflow.keras import layers, models

    return models.Sequential(
        [
            layers.Input((12, 2)),
            QActivation("quantized_bits(4,1,alpha=1)", name="in_q"),
            _conv(5, 3, rank=1, padding="same", name="c1"),
            QActivation("quantized_relu(4,2)", name="c1_q"),
            _conv(4, 3, rank=1, strides=2, name="c2"),
            QActivation("quantized_relu(4,2)", name="c2_q"),
            layers.Flatten(name="flat"),
            _dense(6, name="d1"),
            QActivation("quantized_relu(4,2)", name="d1_q"),
            _dense(4, name="d2"),
        ]
    )


def _build(factory, seed=0):
    """The model with random weights (beyond the quantizers' ranges), its IR, and saturating input codes."""
    model = factory()
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights(
                [rng.uniform(-1.5, 1.5, w.shape).astype(np.float32) for w in layer.get_weights()]
            )
    model_ir, deploy = read_model(model)
    x = rng.uniform(-8, 8, (160,) + model_ir.input_shape).astype(np.float32)
    x[0], x[1] = 1e3, -1e3  # both rails
    return model_ir, deploy, Emulator(model_ir).quantize_input(x)


def _design(family, layer):
    a, w = layer.in_precision, layer.weight_precision
    designs = list_designs(
        a_bits=a.width, w_bits=w.width, a_signed=a.signed, w_signed=w.signed, family=family
    )
    if designs:
        return designs[0].name
    for params in (*FAMILIES[family].catalogue, FALLBACK.get(family, {})):
        try:
            return make_design(family, a.width, w.width, a.signed, w.signed, **params).name
        except MultiplierError:
            continue
    raise AssertionError(f"no {family} design for layer {layer.name}")


def _plan(model_ir, assignment):
    """``assignment``: (family, correction) per MAC layer, in order."""
    layers = [
        {"name": layer.name, "multiplier": _design(family, layer), "correction": mode}
        for layer, (family, mode) in zip(model_ir.mac_layers(), assignment, strict=True)
    ]
    return plan_from_json({"format": "toolkit-plan", "version": 1, "layers": layers}, model_ir)


def rotation():
    """Per combo, (family, correction) for c1..c4 and d1..d4: every family once as cv, once as none,
    once in a Conv and once in a Dense layer; its Conv and Dense slots fall in different combos."""
    conv = [(f, "cv" if i % 2 == 0 else "none") for i, f in enumerate(FAMILY_NAMES)]
    dense = [(f, "none" if i % 2 == 0 else "cv") for i, f in enumerate(FAMILY_NAMES)]
    conv += [("trunc", "bias"), ("bxpd", "bias")]
    dense += [("perfw", "bias"), ("mitchell", "bias")]
    dense = dense[4:] + dense[:4]  # shift by one combo
    return [conv[4 * k : 4 * k + 4] + dense[4 * k : 4 * k + 4] for k in range(len(COMBOS))]


def test_rotation_covers_every_family():
    seen = {f: set() for f in FAMILY_NAMES}
    for assignment in rotation():
        for slot, (family, mode) in enumerate(assignment):
            seen[family] |= {mode, "conv" if slot < 4 else "dense"}
    assert all({"cv", "none", "conv", "dense"} <= s for s in seen.values()), seen


@pytest.mark.parametrize("index", range(len(COMBOS)), ids=[f"{s}-{io}" for s, io in COMBOS])
def test_families_with_and_without_cv_in_csim(index, tmp_path):
    strategy, io_type = COMBOS[index]
    model_ir, deploy, codes = _build(mac8, seed=index)
    plan = _plan(model_ir, rotation()[index])
    emulator = Emulator(model_ir, plan.kernels())
    expected = emulator.predict_codes(codes)
    uncorrected = _plan(model_ir, [(f, "none") for f, _ in rotation()[index]])
    assert (expected != Emulator(model_ir, uncorrected.kernels()).predict_codes(codes)).any(), (
        "the corrections must change some outputs"
    )
    csim = HlsCSim(model_ir, deploy, tmp_path / "hls", io_type=io_type, strategy=strategy, plan=plan)
    np.testing.assert_array_equal(csim.predict_codes(codes), expected)


def test_csim_check_conv1d_vitis(tmp_path):
    model_ir, deploy, codes = _build(conv1d, seed=7)
    plan = _plan(model_ir, [("perfw", "cv"), ("bxps", "cv"), ("bctrunc", "bias"), ("drum", "cv")])
    result = csim_check(
        model_ir,
        deploy,
        plan,
        codes,
        tmp_path / "prj",
        backend="Vitis",
        io_type="io_stream",
        strategy="Latency",
    )
    json.dumps(result)
    assert result["n_samples"] == result["equal_samples"] == len(codes)
    assert (result["backend"], result["io_type"], result["strategy"]) == ("Vitis", "io_stream", "Latency")
    assert result["corrected_layers"] == ["c1", "c2", "d1", "d2"]
    assert (tmp_path / "prj" / "firmware" / "toolkit_accel.cpp").exists()
    assert result["project_dir"] == os.path.abspath(tmp_path / "prj")


def test_mismatch_names_first_layer_and_sample(tmp_path):
    """C-sim built from one plan, emulator from another that differs from c2 on: the error names c2."""
    model_ir, deploy, codes = _build(conv1d, seed=3)
    hls_plan = _plan(model_ir, [("trunc", "cv"), ("exact", "none"), ("exact", "none"), ("perfw", "cv")])
    emu_plan = _plan(model_ir, [("trunc", "cv"), ("mitchell", "cv"), ("exact", "none"), ("perfw", "cv")])
    csim = HlsCSim(model_ir, deploy, tmp_path / "hls", plan=hls_plan, trace=True)  # corrections accepted
    same, other = Emulator(model_ir, hls_plan.kernels()), Emulator(model_ir, emu_plan.kernels())
    out_a, out_b = same.trace(codes), other.trace(codes)
    bad = np.flatnonzero((out_a["d2"] != out_b["d2"]).any(axis=1))[:TRACED_SAMPLES]
    c2_differs = (out_a["c2"][bad] != out_b["c2"][bad]).reshape(len(bad), -1).any(axis=1)
    first = int(bad[np.argmax(c2_differs)])
    with pytest.raises(ToolkitError, match=rf"first at layer 'c2' \(Conv\), sample {first}:"):
        compare_with_emulator(csim, other, codes)


def test_vitis_gets_the_product_template_through_vivado():
    """Vitis runs vivado:apply_templates after its own flow: the template must sit on Vivado."""
    from hls4ml.model.optimizer import get_optimizer

    from toolkit.hlsgen.approx_templates import register

    register("Vitis")
    assert get_optimizer("vivado:toolkit_approx_product") is not None


def test_written_firmware_is_deterministic(tmp_path):
    """Two conversions of the same model + plan write identical firmware/ (no g++ needed)."""
    model_ir, deploy, _ = _build(conv1d, seed=5)
    plan = _plan(model_ir, [("bxpd", "cv"), ("trunc", "none"), ("perfw", "cv"), ("bam", "bias")])
    for name in ("a", "b"):
        HlsCSim(
            model_ir, deploy, tmp_path / name, io_type="io_stream", plan=plan, trace=True
        ).hls_model.write()
    a, b = tmp_path / "a" / "firmware", tmp_path / "b" / "firmware"
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    differing = [f for f in files if (a / f).read_bytes() != (b / f).read_bytes()]
    assert not differing
    assert "approx::" in (tmp_path / "a" / "firmware" / "parameters.h").read_text()


def test_csim_check_rejects_bad_inputs_before_compiling(tmp_path):
    model_ir, deploy, codes = _build(conv1d, seed=1)
    with pytest.raises(
        ToolkitError, match=r"input codes have shape \(160, 12\); model .* expects \(n, 12, 2\)"
    ):
        csim_check(model_ir, deploy, None, codes[:, :, 0], tmp_path)
    with pytest.raises(
        ToolkitError, match=r"input codes span \[-8, 99\] but the input type s4.2 holds \[-8, 7\]"
    ):
        csim_check(model_ir, deploy, None, np.where(codes == 7, 99, codes), tmp_path)
    assert not any(tmp_path.iterdir())
