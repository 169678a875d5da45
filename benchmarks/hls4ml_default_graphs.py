"""hls4ml's default configuration vs the emulator (== QKeras) on the graph test models.

What a user gets converting their own QKeras model with hls4ml 1.3 as documented:
``config_from_keras_model(model, granularity="name")`` (default types), io_parallel,
Vivado, float inputs. Per model: the fraction of samples whose outputs are bit-identical
to the emulator's (which equals QKeras ``predict`` exactly), and argmax agreement with
QKeras ``predict``; beside it, the same with the toolkit's IR-derived types. Each model
runs in its own process: hls4ml's C-sim aborts the process on layers it asserts against
(a depthwise convolution with depth multiplier > 1). Prints a table and writes
``benchmarks/results/hls4ml_default_graphs.json``.

    python benchmarks/hls4ml_default_graphs.py [--samples 400]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

RESULTS = Path(__file__).parent / "results" / "hls4ml_default_graphs.json"
ROOT = Path(__file__).resolve().parent.parent
FAILURE = re.compile(r"Assertion|^\w*(Error|Exception)\b")


def measure(name: str, samples: int) -> dict:
    """One model: hls4ml default and toolkit types against the emulator and QKeras."""
    import hls4ml
    import numpy as np

    from tests.graph_models import build_graph
    from toolkit.emulator.engine import Emulator
    from toolkit.hlsgen.csim import HlsCSim
    from toolkit.models.reader import read_model

    model, x = build_graph(name, n=samples)
    reference = model.predict(x, verbose=0).astype(np.float64).reshape(len(x), -1)
    model_ir, deploy = read_model(model)
    emulator = Emulator(model_ir)
    exact = emulator.predict(x).reshape(len(x), -1)
    row: dict = {"model": name, "samples": len(x)}
    with tempfile.TemporaryDirectory() as tmp:
        config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado")
        hls_model = hls4ml.converters.convert_from_keras_model(
            model, hls_config=config, output_dir=f"{tmp}/default", backend="Vivado", io_type="io_parallel"
        )
        hls_model.compile()
        default = np.asarray(hls_model.predict(np.ascontiguousarray(x)), np.float64).reshape(len(x), -1)
        csim = HlsCSim(model_ir, deploy, Path(tmp) / "toolkit")
        codes = emulator.quantize_input(x)
        ours = model_ir.output_precision.to_float(csim.predict_codes(codes)).reshape(len(x), -1)
    for key, y in (("default", default), ("toolkit", ours)):
        row[f"{key}_bit_identical"] = float((y == exact).all(axis=1).mean())
        row[f"{key}_argmax_agreement"] = float((y.argmax(axis=1) == reference.argmax(axis=1)).mean())
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.samples)))
        return
    from tests.graph_models import GRAPH_MODELS

    rows = []
    for name in GRAPH_MODELS:
        done = subprocess.run(
            [sys.executable, __file__, "--one", name, "--samples", str(args.samples)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "overlays")])},
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode == 0 and lines:
            rows.append(json.loads(lines[-1]))
        else:
            failure = [line for line in done.stderr.splitlines() if FAILURE.search(line)]
            rows.append({"model": name, "failed": (failure or [f"exit code {done.returncode}"])[-1][-300:]})
    print(
        f"{'model':22s} {'default bit-identical':>22s} {'default argmax':>15s} {'toolkit bit-identical':>22s}"
    )
    for row in rows:
        if "failed" in row:
            print(f"{row['model']:22s} failed: {row['failed']}")
        else:
            print(f"{row['model']:22s} {row['default_bit_identical']:22.3f} {row['default_argmax_agreement']:15.3f} "
                  f"{row['toolkit_bit_identical']:22.3f}")  # fmt: skip
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps({"hls4ml": "1.3.0", "io_type": "io_parallel", "rows": rows}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
