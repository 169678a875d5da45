"""Calibration statistics kept on disk: operand histograms and gradient statistics are computed once.

The histograms and the Taylor-score statistics of a selection depend only on the model's
arithmetic (:meth:`ModelIR.model_hash`), the calibration samples and labels, and the trace
estimator's settings, not on the budget. Runs at several budgets, split seeds of the same
calibration set, or a benchmark's repeated runs read them from
``$TOOLKIT_CACHE/select-stats/<key>.json``. The key hashes all of those inputs (and the deployable model's weights, and the source of the
emulator that counts the operands, :func:`~toolkit.select.eval_cache.arithmetic_fingerprint`); the file
holds operand *counts* (integers) and the statistics as JSON floats (which round-trip
exactly), so a cached run scores exactly as a fresh one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.cache import cache_dir, content_hash, read_json_if_exists, write_atomic_json
from toolkit.models import ir
from toolkit.select.eval_cache import arithmetic_fingerprint
from toolkit.select.profile import LayerProfile, operand_counts, profile_model
from toolkit.select.sensitivity import LayerSensitivity, gradient_statistics

SCHEMA = 2  # bump when what is stored, or how it is computed, changes


def statistics_key(
    model_ir: ir.ModelIR,
    deploy: Any,
    x: np.ndarray,
    y: np.ndarray,
    method: str,
    seed: int,
    probes: int,
    batch_size: int,
) -> str:
    """The cache key: everything the histograms and gradient statistics depend on.

    The deployable Keras model's own weights are hashed too: the gradients run through it,
    and its float weights are not all in the integer model's hash.
    """
    weights = content_hash(*[np.asarray(w) for w in deploy.get_weights()])
    return content_hash(
        "select-stats", SCHEMA, arithmetic_fingerprint(), model_ir.model_hash(), weights, np.asarray(x),
        np.asarray(y), method, seed, probes, batch_size,
    )  # fmt: skip


def calibration_statistics(
    model_ir: ir.ModelIR,
    deploy: Any,
    x: np.ndarray,
    y: np.ndarray,
    method: str = "hutchinson",
    seed: int = 0,
    probes: int = 8,
    batch_size: int = 256,
    use_cache: bool = True,
) -> tuple[dict[str, LayerProfile], dict[str, LayerSensitivity]]:
    """Operand histograms and gradient statistics of every MAC layer on (x, y), read from or written to the cache."""
    names = [layer.name for layer in model_ir.mac_layers()]
    path = None
    if use_cache:
        key = statistics_key(model_ir, deploy, x, y, method, seed, probes, batch_size)
        path = cache_dir("select-stats") / f"{key}.json"
        stored = read_json_if_exists(path)
        if stored is not None and sorted(stored["counts"]) == sorted(names):
            counts = {n: np.asarray(stored["counts"][n], np.int64) for n in names}
            sens = {n: LayerSensitivity(n, *map(float, stored["sensitivity"][n])) for n in names}
            return profile_model(model_ir, x, counts), sens
    counts = operand_counts(model_ir, x)
    sens = gradient_statistics(
        deploy, names, x, y, method=method, probes=probes, batch_size=batch_size, seed=seed
    )
    if path is not None:
        write_atomic_json(
            path,
            {
                "schema": SCHEMA,
                "model_hash": model_ir.model_hash(),
                "counts": {n: counts[n].tolist() for n in names},
                "sensitivity": {n: [sens[n].grad_sum, sens[n].hessian_trace] for n in names},
            },
        )
    return profile_model(model_ir, x, counts), sens
