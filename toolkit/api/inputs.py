"""What the Python API accepts as a model or data, turned into the specs the CLI takes (one code path).

A model is a ``zoo:NAME``, a path to a ``.h5``/``.keras`` file, or an in-memory Keras/QKeras
model. Data is ``None`` (the zoo model's own dataset), a dataset name (``digits``,
``mnist1d``), an ``.npz`` path, a :class:`~toolkit.models.datasets.Dataset`, an array pair
``(x, y)`` (split 75/25, stratified, seed 0, the way ``digits`` is), a pair of pairs
``((x_train, y_train), (x_test, y_test))`` (what ``keras.datasets.*.load_data()`` returns) or a
mapping with ``x_train, y_train, x_test, y_test``.

In-memory objects are written once to content-named files (``<name>-<hash>.h5``,
``data-<hash>.npz``): the same model or arrays always give the same file, so a build reuses
its steps, and every later stage reads exactly what the CLI would read from the same file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.cache import atomic_path, cache_dir, content_hash, write_atomic_npz
from toolkit.errors import ToolkitError

ModelLike = Any  # str | os.PathLike | keras.Model
DataLike = Any  # None | str | os.PathLike | Dataset | (x, y) | ((x, y), (x, y)) | Mapping
SPLIT_KEYS = ("x_train", "y_train", "x_test", "y_test")


def inputs_dir(kind: str) -> Path:
    """Where in-memory inputs of API calls without a build folder are written (in the toolkit cache)."""
    return cache_dir("api", kind)


def model_spec(model: ModelLike, folder: Path | None = None) -> str:
    """A model spec string for ``model``; an in-memory model is saved into ``folder`` (default: the cache)."""
    if isinstance(model, str | os.PathLike):
        return os.fspath(model)
    if not _is_keras_model(model):
        raise ToolkitError(
            f"model {_describe(model)}: expected zoo:NAME, a path to a .h5/.keras file or a Keras/QKeras model"
        )
    folder = Path(folder) if folder is not None else inputs_dir("models")
    folder.mkdir(parents=True, exist_ok=True)
    key = content_hash(model.to_json(), *[np.asarray(w) for w in model.get_weights()])
    target = folder / f"{_safe(model.name)}-{key}.h5"
    if not target.exists():  # HDF5 bytes differ per save: the first file of this content is kept
        with atomic_path(target) as tmp:
            model.save(os.fspath(tmp), include_optimizer=False, save_format="h5")
    return str(target)


def data_spec(data: DataLike, folder: Path | None = None) -> str | None:
    """A data spec string for ``data`` (None stays None: the zoo model's dataset); arrays go to an .npz."""
    if data is None or isinstance(data, str | os.PathLike):
        return None if data is None else os.fspath(data)
    arrays = _split_arrays(data)
    folder = Path(folder) if folder is not None else inputs_dir("data")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"data-{content_hash(*arrays.values())}.npz"
    if not target.exists():
        write_atomic_npz(target, **arrays)
    return str(target)


def _split_arrays(data: Any) -> dict[str, np.ndarray]:
    from toolkit.models.datasets import Dataset

    if isinstance(data, Dataset):
        return {k: getattr(data, k) for k in SPLIT_KEYS}
    if isinstance(data, Mapping):
        missing = [k for k in SPLIT_KEYS if k not in data]
        if missing:
            raise ToolkitError(
                f"data mapping lacks {', '.join(missing)}: expected the keys {', '.join(SPLIT_KEYS)}"
            )
        return {k: _array(data[k], k) for k in SPLIT_KEYS}
    if isinstance(data, tuple | list) and len(data) == 2:
        first, second = data
        if isinstance(first, tuple | list) and isinstance(second, tuple | list):
            if len(first) != 2 or len(second) != 2:
                raise ToolkitError("data ((x_train, y_train), (x_test, y_test)): each part must be a pair")
            x_train, y_train, x_test, y_test = (*first, *second)
            return {
                k: _array(v, k) for k, v in zip(SPLIT_KEYS, (x_train, y_train, x_test, y_test), strict=True)
            }
        return _split_pair(_array(first, "x"), _array(second, "y"))
    raise ToolkitError(
        f"data {_describe(data)}: expected digits, mnist1d, an .npz path, (x, y), ((x_train, y_train), "
        "(x_test, y_test)) or a mapping with x_train, y_train, x_test, y_test"
    )


def _split_pair(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """(x, y) -> a 75/25 split stratified by label, seed 0 (the split the built-in digits uses)."""
    from sklearn.model_selection import train_test_split

    from toolkit.models.datasets import SPLIT_SEED

    if len(x) != len(y):
        raise ToolkitError(f"data (x, y): x has {len(x)} samples but y has {len(y)}; expected as many labels")
    counts = np.bincount(y.astype(np.int64)) if y.size and y.min() >= 0 else np.array([0])
    stratify = y if counts[counts > 0].min() >= 2 else None
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=SPLIT_SEED, stratify=stratify
    )
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _array(value: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ToolkitError(f"data {name}: not an array ({exc})") from None


def _is_keras_model(obj: Any) -> bool:
    return all(hasattr(obj, a) for a in ("get_weights", "to_json", "save", "layers"))


def _describe(obj: Any) -> str:
    text = repr(obj)
    return f"{type(obj).__name__} {text[:60]}" if len(text) > 60 else text


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "model"
