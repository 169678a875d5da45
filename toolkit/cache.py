"""Where cached artifacts live, and atomic writes so an interrupted run leaves nothing half-made.

The cache root is ``$TOOLKIT_CACHE`` if set, else ``~/.cache/toolkit``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from toolkit_overlay.files import atomic_path, write_atomic, write_atomic_json

__all__ = [
    "atomic_path",
    "cache_dir",
    "content_hash",
    "read_json_if_exists",
    "write_atomic",
    "write_atomic_json",
    "write_atomic_npz",
]


def cache_dir(*parts: str) -> Path:
    """A sub-folder of the cache root, created on demand."""
    root = Path(os.environ.get("TOOLKIT_CACHE") or Path.home() / ".cache" / "toolkit")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomic_npz(target: Path, **arrays: np.ndarray) -> None:
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def read_json_if_exists(path: Path) -> Any:
    """The JSON in ``path``, or None when the file is absent (a damaged file is an error)."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else None


def content_hash(*items: Any) -> str:
    """A short stable hash of JSON-able items and byte arrays (for cache keys and plan hashes)."""
    h = hashlib.sha256()
    for item in items:
        if isinstance(item, np.ndarray):
            h.update(str(item.dtype).encode())
            h.update(str(item.shape).encode())
            h.update(np.ascontiguousarray(item).tobytes())
        elif isinstance(item, bytes):
            h.update(item)
        else:
            h.update(json.dumps(item, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]
