"""A step store shared by several build folders: a step passed in one folder is reused by another.

The engine reuses a step only inside its own build folder. A sweep builds many folders
whose early steps have the same content key (one quantize for every budget of a model,
one selection for every board), so the sweep gives each build this store: an index
``index/STEP-KEY.json`` naming the build folder that passed the step with that key. A
build that needs the step copies its artifacts and record from there (paths inside text
artifacts rewritten to the new folder) instead of running it. The index entry is trusted
only while that folder's own record still says ``passed`` with the same key.

Each key has a lock file (``fcntl.flock``, released by the kernel when its holder dies):
points that need the same step wait for the one running it, then copy. The store must be
on a file system every worker sees (one machine, or a shared folder on a cluster); a
worker that cannot see the origin folder simply runs the step itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toolkit.cache import write_atomic_json

TEXT_LIMIT = 16 << 20  # text artifacts up to this size get their paths rewritten


class StepStore:
    """Passed steps by content key, across the build folders under one root."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _entry(self, name: str, key: str) -> Path:
        return self.root / "index" / f"{name}-{key}.json"

    @contextlib.contextmanager
    def lock(self, name: str, key: str) -> Iterator[None]:
        """Exclusive per-key lock across processes (held while the step runs or is copied)."""
        path = self.root / "locks" / f"{name}-{key}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def origin(self, step: Any, index: int, key: str) -> Path | None:
        """The build folder that holds ``step`` passed with ``key`` (its record checked), or None."""
        from toolkit.pipeline.engine import read_record

        entry = self._entry(step.name, key)
        if not entry.exists():
            return None
        try:
            source = Path(json.loads(entry.read_text())["dir"])
        except (json.JSONDecodeError, KeyError):
            return None
        record = read_record(source, index, step)
        if record is None or record.get("status") != "passed" or record.get("key") != key:
            return None
        if not all((source / a).exists() for a in step.artifacts):
            return None
        return source

    def publish(self, step: Any, index: int, key: str, build_dir: Path) -> None:
        """Record that ``build_dir`` passed ``step`` with ``key``."""
        write_atomic_json(
            self._entry(step.name, key), {"dir": str(Path(build_dir).resolve()), "index": index}
        )

    def adopt(self, step: Any, index: int, key: str, build_dir: Path) -> dict[str, Any] | None:
        """Copy ``step``'s artifacts and record from its origin into ``build_dir``; None when there is none.

        A copy that fails (the origin changed meanwhile) leaves nothing behind and returns None,
        so the step runs here instead.
        """
        from toolkit.pipeline.engine import _remove, read_record, record_path

        build_dir = Path(build_dir).resolve()
        source = self.origin(step, index, key)
        if source is None or source.resolve() == build_dir:
            return None
        stage = build_dir / f".adopt-{step.name}"
        _remove(stage)
        stage.mkdir(parents=True)
        try:
            for artifact in step.artifacts:
                src = source / artifact
                if src.is_dir():
                    shutil.copytree(src, stage / artifact, symlinks=True)
                else:
                    shutil.copy2(src, stage / artifact)
            record = read_record(source, index, step)
        except OSError:
            _remove(stage)
            return None
        if record is None:
            _remove(stage)
            return None
        old, new = str(source.resolve()), str(build_dir)
        for path in stage.rglob("*"):
            _rewrite(path, old, new)
        for artifact in step.artifacts:
            _remove(build_dir / artifact)
            (stage / artifact).rename(build_dir / artifact)
        _remove(stage)
        record = json.loads(json.dumps(record).replace(old, new)) | {"reused_from": old}
        write_atomic_json(record_path(build_dir, index, step), record)
        return record


def _rewrite(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in a text file (binary files and symlinks are left as they are)."""
    if path.is_symlink() or not path.is_file() or path.stat().st_size > TEXT_LIMIT:
        return
    data = path.read_bytes()
    if old.encode() not in data:
        return
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return
    path.write_text(text.replace(old, new))
