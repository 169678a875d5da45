"""Emulate a model spec on a dataset spec: the library function behind ``toolkit emulate``."""

from __future__ import annotations

import time
from typing import Any

from toolkit.emulator.engine import Emulator, accuracy
from toolkit.errors import ToolkitError
from toolkit.models.agreement import measure_agreement
from toolkit.models.datasets import load_dataset
from toolkit.models.loading import default_dataset_for, load_model
from toolkit.models.reader import read_model
from toolkit.plan import load_plan


def emulate_dataset(
    model_spec: str,
    data_spec: str | None,
    limit: int | None = None,
    verbose: bool = True,
    plan_path: str | None = None,
    method: str = "auto",
    fold_batchnorm: bool = False,
) -> dict[str, Any]:
    """Accuracy of the integer emulator on the test split (with a plan's multipliers), and what identifies it.

    ``method`` chooses how approximate products are emulated (``auto`` picks the
    cheapest exact path per layer; ``gather`` is the slow reference). ``agreement`` is the
    exact arithmetic's agreement with the user's own model on the same samples.
    """
    data_spec = data_spec or default_dataset_for(model_spec)
    data = load_dataset(data_spec) if data_spec else None  # bad data fails before a slow model load
    model = load_model(model_spec, verbose=verbose)
    if data is None or data_spec is None:
        raise ToolkitError(f"--data is required for model {model_spec!r} (digits, mnist1d or an .npz path)")
    model_ir, _ = read_model(model, fold_batchnorm=fold_batchnorm)
    check_labels(model_ir.output_shape, data.n_classes, model_spec, data_spec)
    x, y = data.x_test[:limit], data.y_test[:limit]
    plan = load_plan(plan_path, model_ir) if plan_path else None
    emulator = Emulator(model_ir, products=plan.kernels(method) if plan else None)
    start = time.perf_counter()
    predicted = emulator.classify(x)
    seconds = time.perf_counter() - start
    agreement = measure_agreement(model, model_ir, x)
    return {
        "model": model_spec,
        "data": data_spec,
        "accuracy": accuracy(predicted, y),
        "correct": int((predicted == y).sum()),
        "agreement": agreement.to_json(),
        "n": int(len(y)),
        "mac_layers": len(model_ir.mac_layers()),
        "macs_per_inference": sum(layer.macs for layer in model_ir.mac_layers()),
        "model_hash": model_ir.model_hash(),
        "seconds": seconds,
        "notes": list(model_ir.notes),
        "plan": plan_path,
        "multipliers": {name: kernel.name for name, kernel in emulator.products.items()},
    }


def check_labels(output_shape: tuple[int, ...], n_classes: int, model_spec: str, data_spec: str) -> None:
    """The model's output width must cover the dataset's labels."""
    if len(output_shape) != 1 or output_shape[0] < n_classes:
        raise ToolkitError(
            f"model {model_spec!r} outputs shape {output_shape} but dataset {data_spec!r} has {n_classes} "
            "classes; expected one output per class"
        )
