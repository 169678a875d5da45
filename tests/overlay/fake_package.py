"""A small overlay package made without the build pipeline: a random 'model' whose expected
outputs are a fixed function of the inputs, for the runtime's tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

RUNTIME = Path(__file__).resolve().parents[2] / "overlays" / "toolkit_overlay"
BOARD = {
    "name": "pynq-z2",
    "part": "xc7z020clg400-1",
    "sensing": "external",
    "static_w": 1.4,
    "pl_rails": [],
    "clock_mhz": 100.0,
}


def reference(codes: np.ndarray) -> np.ndarray:
    """(n, 12) 6-bit signed inputs -> (n, 4) 10-bit signed outputs (any deterministic function)."""
    codes = np.asarray(codes, dtype=np.int64).reshape(len(codes), 12)
    w = np.arange(48).reshape(12, 4) % 7 - 3
    return np.clip(codes @ w, -512, 511)


def make_vectors(n: int = 40) -> np.ndarray:
    """The package's input codes (n, 3, 4), 6-bit signed, the same for every package of n samples."""
    return np.random.default_rng(0).integers(-32, 32, (n, 3, 4))


def make_package(root: Path, n: int = 40, board: str = "pynq-z2", bitstream: bool = False,
                 data_bits: int = 64, runtime: bool = True, extra: dict | None = None) -> Path:  # fmt: skip
    """PKG with manifest, board.json, plan.json, vectors.npz (and a fake .bit/.hwh, the runtime copy).

    ``extra``: more manifest fields (e.g. ``plan_exact``)."""
    from toolkit_overlay.manifest import write_manifest

    pkg = Path(root) / "package"
    pkg.mkdir(parents=True)
    x = make_vectors(n)
    y = reference(x)
    labels = y.argmax(axis=1)
    labels[: n // 4] = (labels[: n // 4] + 1) % 4  # 75 % accuracy
    np.savez(pkg / "vectors.npz", x_codes=x, expected_codes=y, labels=labels)
    (pkg / "plan.json").write_text(json.dumps({"format": "toolkit-plan", "version": 1, "layers": []}) + "\n")
    (pkg / "board.json").write_text(json.dumps({**BOARD, "name": board}) + "\n")
    if runtime:
        shutil.copytree(RUNTIME, pkg / "toolkit_overlay", ignore=shutil.ignore_patterns("__pycache__"))
    if bitstream:
        from toolkit_overlay.bitstream import write_synthetic_bitstream

        write_synthetic_bitstream(pkg / "toolkit_accel.bit", BOARD["part"])
        (pkg / "toolkit_accel.hwh").write_text("<hwh/>")
    write_manifest(pkg, {
        "board": board, "model": "fake", "model_hash": "0123456789abcdef",
        "bitstream": "toolkit_accel.bit" if bitstream else None, "hwh": "toolkit_accel.hwh" if bitstream else None,
        "tools": {"vivado": "2023.2"} if bitstream else {}, "clock_mhz": 100.0,
        "stream": {"data_bits": data_bits, "in": {"code_bits": 6, "signed": True, "codes": 12},
                   "out": {"code_bits": 10, "signed": True, "codes": 4}},
        "input_shape": [3, 4], "output_shape": [4], **(extra or {}),
    })  # fmt: skip
    return pkg
