"""Control-variate correction on real activations: error of the layer sums with no
correction, bias-only correction and the control variate, per zoo layer and design.

Constants are fitted from the activation histogram of the training split (500
samples); errors are measured on the test split against the exact sums. Prints a
table and writes ``benchmarks/results/control_variate.json``.

    python benchmarks/control_variate.py
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

from toolkit.emulator.approx import ApproxProduct  # noqa: E402
from toolkit.emulator.control_variate import CorrectedProduct, fit_correction  # noqa: E402
from toolkit.emulator.engine import Emulator  # noqa: E402
from toolkit.models.datasets import load_dataset  # noqa: E402
from toolkit.models.reader import read_model  # noqa: E402
from toolkit.models.zoo import ZOO, load_zoo_model  # noqa: E402
from toolkit.multipliers import MultiplierError, get_design  # noqa: E402
from toolkit.plan import operand_tag  # noqa: E402

FAMILIES = ["perfw1", "perfw2", "perfa1", "trunc2", "trunc4", "bamh1v3", "drum2", "mitchell"]
RESULTS = Path(__file__).parent / "results" / "control_variate.json"


def main() -> None:
    rows = []
    print(
        f"{'model':<12} {'layer':<6} {'design':<14} {'MSE none':>10} {'bias-only':>10} {'CV':>10} "
        f"{'none/CV':>8} {'bias/CV':>8}"
    )
    for name, entry in ZOO.items():
        model_ir, _ = read_model(load_zoo_model(name, verbose=False))
        data = load_dataset(entry.dataset)
        emulator = Emulator(model_ir)
        calib_codes = emulator.quantize_input(data.x_train[:500])
        test_codes = emulator.quantize_input(data.x_test)
        for layer in model_ir.mac_layers():
            calib = emulator.mac_operands(calib_codes, layer.name)
            rows_test = emulator.mac_operands(test_codes, layer.name)
            w = layer.weight_matrix()
            exact = rows_test @ w
            for family in FAMILIES:
                try:
                    design = get_design(f"{family}_{operand_tag(layer)}")
                except MultiplierError:
                    continue
                p_a = (
                    np.bincount(calib.ravel() - design.a_codes[0], minlength=len(design.a_codes)) / calib.size
                )
                mse = {}
                for mode in ("none", "bias", "cv"):
                    kernel = ApproxProduct(design)
                    if mode != "none":
                        kernel = CorrectedProduct(kernel, fit_correction(design, w, mode, p_a))
                    err = (kernel.matmul(rows_test, w) - exact).astype(np.float64)
                    mse[mode] = float(np.mean(err**2))
                row = {
                    "model": name,
                    "layer": layer.name,
                    "design": design.name,
                    "mse_none": mse["none"],
                    "mse_bias": mse["bias"],
                    "mse_cv": mse["cv"],
                }
                rows.append(row)
                print(
                    f"{name:<12} {layer.name:<6} {design.name:<14} {mse['none']:>10.1f} {mse['bias']:>10.1f} "
                    f"{mse['cv']:>10.1f} {mse['none'] / mse['cv']:>7.2f}x {mse['bias'] / mse['cv']:>7.2f}x"
                )
    none_cv = np.array([r["mse_none"] / r["mse_cv"] for r in rows])
    bias_cv = np.array([r["mse_bias"] / r["mse_cv"] for r in rows])
    print(
        f"\nMSE reduction, geometric mean over {len(rows)} (layer, design) pairs: "
        f"none/CV {np.exp(np.log(none_cv).mean()):.2f}x, bias-only/CV {np.exp(np.log(bias_cv).mean()):.2f}x"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
