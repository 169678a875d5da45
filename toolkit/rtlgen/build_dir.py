"""Reading a build folder (written by the ``toolkit build`` pipeline) for the simulation path.

Layout::

    DIR/model.h5     the deployable QKeras model
    DIR/plan.json    optional: per-layer multipliers and corrections (absent = exact)
    DIR/build.json   at least {"board": "pynq-z2", "data": "digits"}

``data`` is a dataset name or an .npz path (relative paths are relative to DIR).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError


@dataclass(frozen=True)
class BuildFolder:
    """The pieces of a build folder, checked to exist."""

    path: Path
    model: Path
    plan: Path | None
    board: str
    data: str
    meta: dict[str, Any]


def read_build_dir(path: Path | str) -> BuildFolder:
    """Check a build folder and read its ``build.json`` (ToolkitError naming what is missing)."""
    path = Path(path)
    if not path.is_dir():
        raise ToolkitError(f"build folder '{path}' not found (expected a folder made by `toolkit build`)")
    model = path / "model.h5"
    if not model.exists():
        raise ToolkitError(f"build folder '{path}' has no model.h5 (the deployable QKeras model)")
    meta_path = path / "build.json"
    if not meta_path.exists():
        raise ToolkitError(
            f'build folder \'{path}\' has no build.json (expected {{"board": ..., "data": ...}})'
        )
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise ToolkitError(f"'{meta_path}' is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise ToolkitError(f"'{meta_path}' must hold a JSON object with board and data")
    for key in ("board", "data"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise ToolkitError(
                f'\'{meta_path}\' lacks {key!r}: expected e.g. {{"board": "pynq-z2", "data": "digits"}}'
            )
    data = meta["data"]
    if data.endswith(".npz") and not Path(data).is_absolute():
        data = str(path / data)
    plan = path / "plan.json"
    return BuildFolder(path, model, plan if plan.exists() else None, meta["board"], data, meta)
