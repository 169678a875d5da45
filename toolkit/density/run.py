"""``quantize``: resolve the model and data, train under AD, check, and write the outputs.

This is the library function behind ``toolkit quantize``. A zoo name is trained from
scratch (the recipe's architecture and seeded initial weights); a model file keeps
its weights and gets start-width quantizers (float layers are converted).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from toolkit.density.cost import cost_summary
from toolkit.density.report import write_outputs
from toolkit.density.spec import NetSpec, spec_from_keras, spec_from_zoo
from toolkit.density.train import DensityConfig, DensityResult, train_density
from toolkit.errors import ToolkitError
from toolkit.models.datasets import Dataset, load_dataset


def resolve_model(model_spec: str, data: Dataset | None, seed: int) -> NetSpec:
    """``zoo:NAME`` or ``NAME`` (a zoo recipe, from scratch) or a .h5/.keras path (weights kept)."""
    from toolkit.models.zoo import ZOO

    name = model_spec[4:] if model_spec.startswith("zoo:") else model_spec
    if model_spec.startswith("zoo:") or (name in ZOO and not Path(model_spec).exists()):
        return spec_from_zoo(name, seed)
    from toolkit.models.loading import load_model

    model = load_model(model_spec, verbose=False)
    return spec_from_keras(model, None if data is None else data.x_train)


def resolve_data(model_spec: str, data_spec: str | None) -> Dataset:
    from toolkit.models.zoo import ZOO

    if data_spec is None:
        name = model_spec[4:] if model_spec.startswith("zoo:") else model_spec
        if name not in ZOO:
            raise ToolkitError(
                f"model {model_spec!r} is not a zoo model, so --data is needed: digits, mnist1d or an .npz path"
            )
        data_spec = ZOO[name].dataset
    return load_dataset(data_spec)


def evaluate(result: DensityResult, data: Dataset) -> dict:
    """Test accuracy (QKeras and emulator), bit-exactness of the two, cost, precisions."""
    from toolkit.emulator.engine import Emulator
    from toolkit.models.reader import read_model

    model_ir, deploy = read_model(result.model)
    qkeras_out = deploy.predict(data.x_test, verbose=0, batch_size=512).astype(np.float64)
    emulated = Emulator(model_ir).predict(data.x_test)
    precisions = {
        layer.name: {"weight": layer.weight_precision.describe(), "input": layer.in_precision.describe()}
        for layer in model_ir.mac_layers()
    }
    return {
        "accuracy": {
            "test_qkeras": float(np.mean(qkeras_out.argmax(1) == data.y_test)),
            "test_emulator": float(np.mean(emulated.argmax(1) == data.y_test)),
            "train_last_epoch": result.records[-1].accuracy if result.records else None,
            "emulator_bit_exact": bool(np.array_equal(emulated, qkeras_out)),
            # QKeras sums in float32: exact only while every accumulator fits 24 bits
            "float32_exact_accumulators": all(m.out_precision.width <= 24 for m in model_ir.mac_layers()),
            "n_test": int(len(data.y_test)),
        },
        "cost": cost_summary(model_ir, result.start_macs),
        "precisions": precisions,
        "input_precision": model_ir.input_precision.describe(),
        "model_hash": model_ir.model_hash(),
    }


def quantize(
    model_spec: str,
    data_spec: str | None,
    out_dir: str | Path,
    config: DensityConfig | None = None,
    verbose: bool = True,
) -> dict[str, Any]:
    """Train ``model_spec`` on ``data_spec`` under activation density and write ``out_dir``.

    Returns the ``precision.json`` document.
    """
    from toolkit.models.zoo import VALIDATION_FRACTION

    config = config or DensityConfig()
    # Train on the fit part of the canonical split only: the validation part stays held out for
    # the selection budget of `toolkit approx`, exactly as for the zoo models.
    data, _ = resolve_data(model_spec, data_spec).validation_split(VALIDATION_FRACTION)
    spec = resolve_model(model_spec, data, config.seed)
    result = train_density(spec, data, config, verbose=verbose, label=f"quantize {spec.name}")
    evaluation = evaluate(result, data)
    source = {
        "model": model_spec,
        "data": data.name,
        "n_train": int(len(data.x_train)),
        "held_out_validation_fraction": VALIDATION_FRACTION,
    }
    return write_outputs(Path(out_dir), result, evaluation, source)
