"""Which samples the selection uses for what: calibration, search and certification never overlap.

* The training split minus the held-out validation part (``VALIDATION_FRACTION``, the part
  zoo and AD training never fit) is the **calibration** set: operand histograms, gradient
  statistics, and together with the search part below, the search. A user ``--calibration
  FILE.npz`` replaces it (labels optional: without ``y`` the exact model's own predictions
  stand in, so the search measures disagreement with the exact model).
* The held-out part is shuffled by ``split_seed`` and split: ``certify_fraction`` of it is
  the **certification** set, on which only the final acceptance rule runs; the rest joins
  the search set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError

CERTIFY_FRACTION = 0.75
MAX_CALIBRATION = 4096  # histograms, gradients and the search use at most this many calibration samples


@dataclass(frozen=True)
class SelectionData:
    """The three disjoint sample sets of one selection (labels as class indices, or None)."""

    x_calibration: np.ndarray
    y_calibration: np.ndarray | None
    x_search: np.ndarray  # the calibration samples, then the held-out search part
    y_search: np.ndarray | None  # None when the calibration samples are unlabelled
    y_held_search: np.ndarray  # labels of the held-out search part (the tail of x_search)
    x_certify: np.ndarray
    y_certify: np.ndarray
    source: str
    split_seed: int

    def counts(self) -> dict[str, Any]:
        return {
            "calibration": len(self.x_calibration),
            "search": len(self.x_search),
            "certify": len(self.x_certify),
            "calibration_source": self.source,
            "split_seed": self.split_seed,
        }


def split_selection_data(
    data: Any,
    calibration_file: str | Path | None = None,
    certify_fraction: float = CERTIFY_FRACTION,
    split_seed: int = 0,
) -> SelectionData:
    """Calibration / search / certification sets from a dataset (see module docstring)."""
    from toolkit.models.zoo import VALIDATION_FRACTION

    if not 0.0 < certify_fraction < 1.0:
        raise ToolkitError(
            f"certification fraction {certify_fraction!r}: expected a fraction strictly between 0 and 1"
        )
    fit, held = data.validation_split(VALIDATION_FRACTION)
    order = np.random.default_rng(split_seed).permutation(len(held.x_train))
    n_cert = int(round(certify_fraction * len(order)))
    if n_cert < 1 or n_cert == len(order):
        raise ToolkitError(
            f"the held-out split has {len(order)} samples: too few to split into search and certification parts"
        )
    cert, search = order[:n_cert], order[n_cert:]
    if calibration_file is not None:
        x_cal, y_cal = load_calibration(calibration_file, data.sample_shape)
        source = str(calibration_file)
    else:
        x_cal, y_cal = fit.x_train, fit.y_train
        source = "training split minus the held-out part"
    if len(x_cal) > MAX_CALIBRATION:
        keep = np.sort(np.random.default_rng(split_seed).permutation(len(x_cal))[:MAX_CALIBRATION])
        x_cal, y_cal = x_cal[keep], None if y_cal is None else y_cal[keep]
    x_search = np.concatenate([x_cal, held.x_train[search]])
    y_search = None if y_cal is None else np.concatenate([y_cal, held.y_train[search]])
    return SelectionData(
        x_cal, y_cal, x_search, y_search, held.y_train[search], held.x_train[cert], held.y_train[cert], source,
        split_seed,
    )  # fmt: skip


def load_calibration(path: str | Path, sample_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray | None]:
    """``x`` (or ``x_train``) and optional ``y`` (or ``y_train``) from a user ``.npz``."""
    path = Path(path)
    if not path.exists():
        raise ToolkitError(f"calibration file '{path}' not found")
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as exc:  # numpy raises several types for a non-npz file
        raise ToolkitError(f"calibration file '{path}' is not a readable .npz archive ({exc})") from None
    with archive:
        x_key = next((k for k in ("x", "x_train") if k in archive.files), None)
        if x_key is None:
            raise ToolkitError(
                f"calibration file '{path}' has no samples: expected an array 'x' (or 'x_train'), "
                f"optionally with labels 'y' (or 'y_train'); found {', '.join(archive.files) or 'nothing'}"
            )
        x = archive[x_key].astype(np.float32)
        y_key = next((k for k in ("y", "y_train") if k in archive.files), None)
        y = archive[y_key] if y_key else None
    if tuple(x.shape[1:]) != tuple(sample_shape) or not len(x):
        raise ToolkitError(
            f"calibration file '{path}': samples of shape {tuple(x.shape[1:])} (n={len(x)}), "
            f"expected at least one sample of the dataset's shape {tuple(sample_shape)}"
        )
    if y is not None:
        if y.ndim == 2:  # one-hot
            y = y.argmax(axis=1)
        if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.number):
            raise ToolkitError(
                f"calibration file '{path}': labels '{y_key}' of shape {y.shape}, expected {len(x)} class "
                "indices (or one-hot rows)"
            )
        y = y.astype(np.int64)
    return x, y
