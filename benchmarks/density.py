"""Activation-density mixed precision vs uniform 8/4-bit training vs AutoQKeras.

For each model (the zoo recipes digits-cnn and mnist1d-cnn, trained from scratch, same
epochs and seed for every row):

* ``AD (settled)``: ``toolkit.density`` from 16 bits, ``b <- max(2, ceil(AD * b))``
  repeated until no width changes (the defaults);
* ``AD (1 update)`` / ``AD (2 updates)``: the same schedule capped at one / two updates;
* ``AD+prune``: the same with AD channel pruning (once);
* ``uniform 8`` / ``uniform 4``: the same training at fixed widths (input included);
* ``AutoQKeras``: QKeras' own search (random mode, bits goal) over power-of-two
  quantizers of 2..8 bits per layer, with a search budget of trials x epochs equal to
  the AD run's epochs; the best configuration is then trained like the other rows.
  Its input quantizer is fixed at 8 bits (AutoQKeras does not search it).

Reported: test accuracy (the integer emulator, i.e. the hardware's), MAC bit-operations
and their reduction vs uniform 16-bit, and training time (AutoQKeras: search + final).
Prints a table and writes ``benchmarks/results/density.json``. Needs keras-tuner for
the AutoQKeras rows (skipped with a note when it is missing).

    python benchmarks/density.py [--epochs 40] [--models digits-cnn,mnist1d-cnn] [--trial-epochs 8]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

from toolkit.density.cost import cost_summary  # noqa: E402
from toolkit.density.rules import UpdateRule  # noqa: E402
from toolkit.density.run import evaluate  # noqa: E402
from toolkit.density.spec import NetSpec, spec_from_zoo  # noqa: E402
from toolkit.density.train import DensityConfig, train_density  # noqa: E402
from toolkit.emulator.engine import Emulator  # noqa: E402
from toolkit.models.datasets import Dataset, load_dataset  # noqa: E402
from toolkit.models.reader import read_model  # noqa: E402
from toolkit.models.zoo import zoo_entry  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "density.json"
SEED = 1


def density_row(label: str, spec: NetSpec, data: Dataset, config: DensityConfig) -> dict:
    result = train_density(spec, data, config, verbose=True, label=f"{label}")
    ev = evaluate(result, data)
    return {
        "method": label,
        "test_accuracy": ev["accuracy"]["test_emulator"],
        "test_accuracy_qkeras": ev["accuracy"]["test_qkeras"],
        "bit_exact": ev["accuracy"]["emulator_bit_exact"],
        "bitops": ev["cost"]["bitops"],
        "reduction_vs_16": ev["cost"]["reduction_vs_uniform16"],
        "train_seconds": result.seconds,
        "epochs_run": len(result.records),
        "stop_reason": result.stop_reason,
        "bits": dict(result.bits),
        "input_bits": result.input_bits,
        "channels": result.spec.channels(),
        "updates": len(result.updates),
        "start_macs": result.start_macs,
    }


def _float_model(spec: NetSpec, input_q: str):
    """The recipe as a float Keras model (fixed input quantizer) for AutoQKeras to quantize."""
    import tensorflow as tf
    from qkeras import QActivation

    model = tf.keras.Sequential(name=f"{spec.name}_float")
    model.add(tf.keras.layers.Input(spec.input_shape))
    model.add(QActivation(input_q, name="input_q"))
    for node in spec.nodes[1:]:
        if node.role == "mac":
            cls = {"QDense": "Dense", "QConv1D": "Conv1D", "QConv2D": "Conv2D"}[node.cls]
            model.add(getattr(tf.keras.layers, cls)(**node.config))
        elif node.role == "act":
            model.add(tf.keras.layers.Activation("relu", name=node.name))
        else:
            model.add(getattr(tf.keras.layers, node.cls).from_config(node.config))
    return model


def _patch_qkeras_json() -> None:
    """QKeras 0.9.0's ``model_quantize`` renames Conv2D -> QConv2D in the JSON but leaves
    ``module: keras.layers``, which Keras 2.14's deserializer then looks up there and fails.
    Point every QKeras class at its registered name instead (benchmark-only workaround)."""
    import qkeras.utils as qutils

    if getattr(qutils, "_density_patched", False):
        return
    original = qutils.quantized_model_from_json
    objects: dict = {}
    qutils._add_supported_quantized_objects(objects)

    def fix(node):
        if isinstance(node, dict):
            if node.get("class_name") in objects:
                node["module"] = None
                node["registered_name"] = node["class_name"]
            for value in node.values():
                fix(value)
        elif isinstance(node, list):
            for value in node:
                fix(value)
        return node

    def patched(json_string, custom_objects=None):
        return original(json.dumps(fix(json.loads(json_string))), custom_objects=custom_objects)

    qutils.quantized_model_from_json = patched
    qutils._density_patched = True


def autoqkeras_row(
    spec: NetSpec, data: Dataset, epochs: int, trial_epochs: int, lr: float, batch: int
) -> dict:
    import tensorflow as tf
    from qkeras.autoqkeras import AutoQKeras

    _patch_qkeras_json()
    tf.keras.utils.set_random_seed(SEED)
    model = _float_model(
        spec, "quantized_relu(8,0)" if not spec.nodes[0].signed else "quantized_bits(8,2,alpha=1)"
    )
    # AutoQKeras reuses this optimizer for every trial's model: only the legacy Adam allows that
    model.compile(
        optimizer=tf.keras.optimizers.legacy.Adam(lr),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    kernel = {f"quantized_bits({b},0,1,alpha=1)": b for b in (2, 3, 4, 6, 8)}
    acts = {f"quantized_relu({b},2)": b for b in (2, 3, 4, 6, 8)}
    config = {
        "kernel": kernel,
        "bias": {"quantized_bits(8,3,1,alpha=1)": 8},
        "activation": acts,
        "linear": {"quantized_bits(8,3,1,alpha=1)": 8},
    }
    goal = {
        "type": "bits",
        "params": {
            "delta_p": 8.0,
            "delta_n": 8.0,
            "rate": 2.0,
            "stress": 1.0,
            "input_bits": 8,
            "output_bits": 8,
            "ref_bits": 8,
            "config": {"default": ["parameters", "activations"]},
        },
    }
    indexes = [
        i
        for i, layer in enumerate(model.layers)
        if type(layer).__name__ in ("Dense", "Conv1D", "Conv2D", "Activation")
    ]
    trials = max(1, epochs // trial_epochs)
    from qkeras.utils import _add_supported_quantized_objects

    objects: dict = {}
    _add_supported_quantized_objects(objects)
    fit, held = data.validation_split()
    work = Path(tempfile.mkdtemp(prefix="autoqk-"))
    start = time.perf_counter()
    cwd = os.getcwd()
    try:
        os.chdir(work)
        with tf.keras.utils.custom_object_scope(objects):
            search = AutoQKeras(
                model,
                metrics=["accuracy"],
                custom_objects=objects,
                goal=goal,
                output_dir=str(work / "search"),
                mode="random",
                quantization_config=config,
                layer_indexes=indexes,
                tune_filters_exceptions="^$",
                limit={"Dense": [8, 8, 8], "Conv1D": [8, 8, 8], "Conv2D": [8, 8, 8], "Activation": [8]},
                max_trials=trials,
                seed=SEED,
            )
            search.fit(
                fit.x_train,
                fit.y_train,
                validation_data=(held.x_train, held.y_train),
                epochs=trial_epochs,
                batch_size=batch,
                verbose=0,
            )
            search_seconds = time.perf_counter() - start
            completed = sum(1 for t in search.tuner.oracle.trials.values() if t.status == "COMPLETED")
            best = search.get_best_model()
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)
    tf.keras.utils.set_random_seed(SEED)
    with tf.keras.utils.custom_object_scope(objects):
        best = tf.keras.models.clone_model(best)  # fresh weights: train like the other rows
    best.compile(
        optimizer=tf.keras.optimizers.Adam(lr),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    from toolkit.progress import keras_epochs_callback

    t_final = time.perf_counter()
    best.fit(
        data.x_train,
        data.y_train,
        epochs=epochs,
        batch_size=batch,
        shuffle=True,
        verbose=0,
        callbacks=[keras_epochs_callback("AutoQKeras best", epochs)],
    )
    final_seconds = time.perf_counter() - t_final
    model_ir, deploy = read_model(best)
    emulated = Emulator(model_ir).predict(data.x_test)
    qk = deploy.predict(data.x_test, verbose=0).astype(np.float64)
    start_macs = {layer.name: layer.macs for layer in model_ir.mac_layers()}
    cost = cost_summary(model_ir, start_macs)
    return {
        "method": "AutoQKeras",
        "test_accuracy": float(np.mean(emulated.argmax(1) == data.y_test)),
        "test_accuracy_qkeras": float(np.mean(qk.argmax(1) == data.y_test)),
        "bit_exact": bool(np.array_equal(emulated, qk)),
        "bitops": cost["bitops"],
        "reduction_vs_16": cost["reduction_vs_uniform16"],
        "train_seconds": search_seconds + final_seconds,
        "search_seconds": search_seconds,
        "final_train_seconds": final_seconds,
        "trials": trials,
        "completed_trials": completed,
        "trial_epochs": trial_epochs,
        "epochs_run": epochs,
        "bits": {r["name"]: f"w{r['bw']}/a{r['ba']}" for r in cost["layers"]},
    }


def _save(out: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=2) + "\n")
    os.replace(tmp, RESULTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--models", default="digits-cnn,mnist1d-cnn")
    parser.add_argument("--trial-epochs", type=int, default=8)
    parser.add_argument("--skip-autoqkeras", action="store_true")
    args = parser.parse_args()
    out: dict = {"machine": platform.platform(), "epochs": args.epochs, "seed": SEED, "models": {}}
    for name in args.models.split(","):
        entry = zoo_entry(name)
        data = load_dataset(entry.dataset)
        spec = spec_from_zoo(name, SEED)
        base = {
            "epochs": args.epochs,
            "seed": SEED,
            "learning_rate": entry.learning_rate,
            "batch_size": entry.batch_size,
        }
        rows: list[dict] = []
        out["models"][name] = rows
        runs = [
            ("AD (settled)", DensityConfig(**base)),
            ("AD (1 update)", DensityConfig(max_updates=1, **base)),
            ("AD (2 updates)", DensityConfig(max_updates=2, **base)),
            ("AD+prune", DensityConfig(prune=True, **base)),
            ("uniform 8", DensityConfig(rule=UpdateRule(start_bits=8), adapt=False, **base)),
            ("uniform 4", DensityConfig(rule=UpdateRule(start_bits=4), adapt=False, **base)),
        ]
        for label, config in runs:
            rows.append(density_row(label, spec, data, config))
            _save(out)
        if not args.skip_autoqkeras:
            try:
                import keras_tuner  # noqa: F401

                rows.append(
                    autoqkeras_row(
                        spec, data, args.epochs, args.trial_epochs, entry.learning_rate, entry.batch_size
                    )
                )
            except ImportError:
                rows.append({"method": "AutoQKeras", "skipped": "keras-tuner is not installed"})
            except Exception as exc:  # a failed search is a result to report, not a crash
                rows.append({"method": "AutoQKeras", "skipped": f"failed: {type(exc).__name__}: {exc}"[:300]})
            _save(out)
    header = (
        f"{'model':<12} {'method':<15} {'test acc':>9} {'bit-ops':>11} {'x vs 16b':>9} {'train s':>8}  bits"
    )
    print(header)
    print("-" * len(header))
    for name, rows in out["models"].items():
        for r in rows:
            if "skipped" in r:
                print(f"{name:<12} {r['method']:<15} skipped: {r['skipped']}")
                continue
            bits = " ".join(f"{k}={v}" for k, v in r["bits"].items())
            print(
                f"{name:<12} {r['method']:<15} {100 * r['test_accuracy']:>8.2f}% {r['bitops']:>11,} "
                f"{r['reduction_vs_16']:>8.2f}x {r['train_seconds']:>8.1f}  {bits}"
            )


if __name__ == "__main__":
    main()
