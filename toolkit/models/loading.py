"""Resolve a model spec from the command line: ``zoo:NAME`` or a saved QKeras model (.h5 / .keras)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError

MODEL_SUFFIXES = (".h5", ".keras")


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up chatter before it is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def load_model(spec: str, verbose: bool = True) -> Any:
    """Load ``zoo:NAME`` (training it on first use) or a QKeras model file."""
    if spec.startswith("zoo:"):
        from toolkit.models.zoo import load_zoo_model

        return load_zoo_model(spec[4:], verbose=verbose)
    path = Path(spec)
    if not path.exists():
        raise ToolkitError(
            f"model file '{spec}' not found (expected zoo:NAME or a path to a .h5/.keras model)"
        )
    if path.suffix not in MODEL_SUFFIXES:
        raise ToolkitError(
            f"model file '{spec}' has suffix {path.suffix or '(none)'!r}; expected {' or '.join(MODEL_SUFFIXES)}"
        )
    return load_keras_file(path)


def load_keras_file(path: Path) -> Any:
    """Load a saved Keras model with QKeras' custom objects; a clear error if it is not one."""
    quiet_tensorflow()
    from qkeras.utils import load_qmodel

    try:
        return load_qmodel(os.fspath(path), compile=False)
    except Exception as exc:  # h5py/keras raise many types for a bad file
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ToolkitError(f"'{path}' is not a loadable Keras model ({reason[:200]})") from None


def default_dataset_for(spec: str) -> str | None:
    """The dataset a zoo model was trained on (None for user models)."""
    if spec.startswith("zoo:"):
        from toolkit.models.zoo import zoo_entry

        return zoo_entry(spec[4:]).dataset
    return None
