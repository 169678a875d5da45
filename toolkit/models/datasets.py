"""Datasets that ship without a download, plus any user ``.npz``.

* ``digits``  scikit-learn's 8x8 handwritten digits, scaled to [0, 1], shape (N, 8, 8, 1).
* ``mnist1d`` the procedural MNIST-1D generator (40-sample signals), shape (N, 40, 1).
* a path to an ``.npz`` with ``x_train, y_train, x_test, y_test``.

Splits are fixed by a seed so every stage (training, calibration, selection,
measurement) sees the same samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.cache import cache_dir, write_atomic_npz
from toolkit.errors import ToolkitError
from toolkit.precision import finite_float32

BUILTIN = ("digits", "mnist1d")
SPLIT_SEED = 0


@dataclass(frozen=True)
class Dataset:
    """Train/test arrays of one dataset; labels are integer class indices."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def validation_split(self, fraction: float = 0.2, seed: int = SPLIT_SEED) -> tuple[Dataset, Dataset]:
        """Split the training set into (train, validation) deterministically."""
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(self.x_train))
        n_val = int(round(len(order) * fraction))
        val, train = order[:n_val], order[n_val:]
        fit = Dataset(self.name, self.x_train[train], self.y_train[train], self.x_test, self.y_test)
        held = Dataset(f"{self.name}-val", self.x_train[val], self.y_train[val], self.x_test, self.y_test)
        return fit, held


def load_dataset(spec: str) -> Dataset:
    """Load a built-in dataset by name or a user ``.npz`` by path."""
    if spec == "digits":
        return _digits()
    if spec == "mnist1d":
        return _mnist1d()
    path = Path(spec)
    if path.suffix == ".npz" or path.exists():
        return _npz(path)
    raise ToolkitError(
        f"dataset {spec!r} is unknown: expected one of {', '.join(BUILTIN)} "
        "or a path to an .npz with x_train, y_train, x_test, y_test"
    )


def _digits() -> Dataset:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x = (bunch.images / 16.0).astype(np.float32)[..., np.newaxis]
    y = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=SPLIT_SEED, stratify=y
    )
    return Dataset("digits", x_train, y_train, x_test, y_test)


def _mnist1d() -> Dataset:
    path = cache_dir("datasets") / "mnist1d.npz"
    if not path.exists():
        from mnist1d.data import get_dataset_args, make_dataset

        args = get_dataset_args()
        args.seed = MNIST1D_SEED
        raw = make_dataset(args)
        write_atomic_npz(
            path,
            x_train=raw["x"].astype(np.float32)[..., np.newaxis],
            y_train=raw["y"].astype(np.int64),
            x_test=raw["x_test"].astype(np.float32)[..., np.newaxis],
            y_test=raw["y_test"].astype(np.int64),
        )
    return _npz(path, name="mnist1d")


MNIST1D_SEED = 42  # the seed of the shipped split (mnist1d's own default)


def fresh_samples(name: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` new labelled samples of a procedural dataset, from the same generator as its splits.

    Only ``mnist1d`` is procedural. Its generator normalizes each dataset by that dataset's
    own mean and deviation; fresh samples are normalized by the *shipped* dataset's (raw
    moments regenerated from its seed), so they follow the distribution the test split does.
    ``seed`` must differ from the shipped one (the samples would repeat it). Cached by
    ``(n, seed)``.
    """
    if name != "mnist1d":
        raise ToolkitError(f"dataset {name!r} is not procedural: fresh samples exist only for mnist1d")
    if n < 10 or seed == MNIST1D_SEED:
        raise ToolkitError(
            f"fresh mnist1d samples: n={n}, seed={seed}; expected n >= 10 and a seed other than {MNIST1D_SEED}"
        )
    path = cache_dir("datasets") / f"mnist1d-fresh-{n}-{seed}.npz"
    if not path.exists():
        raw, _ = _mnist1d_raw(MNIST1D_SEED, 5000)
        mean, std = raw.mean(), raw.std()
        x, y = _mnist1d_raw(seed, n)
        order = np.random.default_rng(seed).permutation(len(y))
        write_atomic_npz(
            path, x=((x[order] - mean) / std).astype(np.float32)[..., np.newaxis], y=y[order].astype(np.int64)
        )
    with np.load(path) as archive:
        return archive["x"], archive["y"]


def _mnist1d_raw(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Un-normalized mnist1d signals in the generator's own order (class by class), via its public API."""
    from mnist1d.data import get_dataset_args, get_templates, set_seed, transform

    args = get_dataset_args()
    templates = get_templates()
    set_seed(seed)
    xs, ys = [], []
    per_class = n // len(templates["y"])
    for label in range(len(templates["y"])):
        for _ in range(per_class):
            x, _ = transform(templates["x"][label], templates["t"], args)
            xs.append(x)
            ys.append(templates["y"][label])
    return np.stack(xs), np.array(ys)


def open_npz(path: Path, what: str = "dataset file") -> Any:
    """The opened ``.npz`` archive (a context manager), or a ToolkitError naming ``what`` and ``path``."""
    if not path.exists():
        raise ToolkitError(f"{what} '{path}' not found")
    try:
        return np.load(path, allow_pickle=False)
    except Exception as exc:  # numpy raises several types for a non-npz file
        raise ToolkitError(f"{what} '{path}' is not a readable .npz archive ({exc})") from None


def _npz(path: Path, name: str | None = None) -> Dataset:
    with open_npz(path) as archive:
        required = ("x_train", "y_train", "x_test", "y_test")
        missing = [k for k in required if k not in archive.files]
        if missing:
            raise ToolkitError(
                f"dataset '{path}' lacks {', '.join(missing)}: an .npz needs {', '.join(required)} "
                f"(found {', '.join(archive.files) or 'nothing'})"
            )
        arrays = {k: archive[k] for k in required}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        y = _labels(y, path, split)
        if len(x) != len(y):
            raise ToolkitError(
                f"dataset '{path}': x_{split} has {len(x)} samples but y_{split} has {len(y)}; they must match"
            )
        x = finite_float32(x, f"dataset '{path}': x_{split}")  # NaN/inf would quantize to garbage
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x, y
    if arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise ToolkitError(
            f"dataset '{path}': x_train samples have shape {arrays['x_train'].shape[1:]} but x_test "
            f"samples have shape {arrays['x_test'].shape[1:]}; they must match"
        )
    return Dataset(name or path.stem, **arrays)


def _labels(y: np.ndarray, path: Path, split: str) -> np.ndarray:
    """Integer labels from class indices or one-hot rows."""
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)
    y = y.reshape(-1) if y.ndim == 2 else y
    if y.ndim != 1:
        raise ToolkitError(
            f"dataset '{path}': y_{split} has shape {y.shape}; expected (N,) or one-hot (N, C)"
        )
    if not np.issubdtype(y.dtype, np.integer) and not np.all(np.equal(np.mod(y, 1), 0)):
        raise ToolkitError(f"dataset '{path}': y_{split} holds non-integer labels; expected class indices")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise ToolkitError(f"dataset '{path}': y_{split} has negative label {int(y.min())}")
    return y
