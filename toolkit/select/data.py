"""Which samples the selection uses for what: calibration, search and certification never overlap.

* The training split minus the held-out validation part (``VALIDATION_FRACTION``, the part
  zoo and AD training never fit) is the **calibration** set: operand histograms, gradient
  statistics, and together with the search part below, the search. A user ``--calibration
  FILE.npz`` replaces it (labels optional: without ``y`` the exact model's own predictions
  stand in, so the search measures disagreement with the exact model).
* The held-out part is shuffled by ``split_seed`` and split: ``certify_fraction`` of it is
  the **certification** set, on which only the final acceptance rule runs; the rest joins
  the search set. The default, 1, certifies on all of it and searches on the calibration
  set alone: the bound's floor falls with the certification size (digits: 1.14 points at
  202 samples, 0.85 at 270), and the benchmark found the search no worse for it (see
  ``benchmarks/budget_holds.py``).
* For a procedural dataset (mnist1d) ``extra_certify`` fresh samples from the same generator
  (:func:`toolkit.models.datasets.fresh_samples`, a seed the splits never used) join the
  certification set: 800 held-out samples certify no less than 0.29 points, 4800 no less than 0.05.
  ``fresh_seed`` picks the generator seed (benchmarks draw independent certification sets with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError

CERTIFY_FRACTION = 1.0
EXTRA_CERTIFY = {"mnist1d": 4000}  # fresh certification samples per procedural dataset
FRESH_SEED = 1_000_003  # generator seed of those samples (the shipped split uses 42)
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
    fresh_certify: int = 0  # how many of the certification samples are fresh generator samples

    def counts(self) -> dict[str, Any]:
        return {
            "calibration": len(self.x_calibration),
            "search": len(self.x_search),
            "certify": len(self.x_certify),
            "certify_fresh": self.fresh_certify,
            "calibration_source": self.source,
            "split_seed": self.split_seed,
        }


def split_selection_data(
    data: Any,
    calibration_file: str | Path | None = None,
    certify_fraction: float = CERTIFY_FRACTION,
    split_seed: int = 0,
    extra_certify: int | None = None,
    fresh_seed: int = FRESH_SEED,
) -> SelectionData:
    """Calibration / search / certification sets from a dataset (see module docstring)."""
    from toolkit.models.zoo import VALIDATION_FRACTION

    if not 0.0 < certify_fraction <= 1.0:
        raise ToolkitError(f"certification fraction {certify_fraction!r}: expected a fraction in (0, 1]")
    fit, held = data.validation_split(VALIDATION_FRACTION)
    order = np.random.default_rng(split_seed).permutation(len(held.x_train))
    n_cert = int(round(certify_fraction * len(order)))
    if n_cert < 1 or (n_cert == len(order) and certify_fraction < 1.0):
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
    x_cert, y_cert = held.x_train[cert], held.y_train[cert]
    extra = EXTRA_CERTIFY.get(data.name, 0) if extra_certify is None else extra_certify
    if extra and not _is_builtin(data):
        if extra_certify:
            raise ToolkitError(
                f"fresh certification samples need the built-in procedural dataset, not {data.name!r}: "
                f"expected one of {', '.join(EXTRA_CERTIFY)}"
            )
        extra = 0  # a user file that happens to be called mnist1d.npz
    if extra:
        from toolkit.models.datasets import fresh_samples

        x_new, y_new = fresh_samples(data.name, extra, fresh_seed)
        x_cert, y_cert = np.concatenate([x_cert, x_new]), np.concatenate([y_cert, y_new])
    return SelectionData(
        x_cal, y_cal, x_search, y_search, held.y_train[search], x_cert, y_cert, source, split_seed, len(x_new) if extra else 0,
    )  # fmt: skip


def _is_builtin(data: Any) -> bool:
    """Whether ``data`` is the shipped built-in dataset of its name (a user .npz may share the name)."""
    from toolkit.models.datasets import BUILTIN, load_dataset

    if data.name not in BUILTIN:
        return False
    shipped = load_dataset(data.name)
    return np.array_equal(shipped.x_test, data.x_test) and np.array_equal(shipped.x_train, data.x_train)


def load_calibration(path: str | Path, sample_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray | None]:
    """``x`` (or ``x_train``) and optional ``y`` (or ``y_train``) from a user ``.npz``."""
    from toolkit.models.datasets import open_npz

    with open_npz(Path(path), "calibration file") as archive:
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
