"""Atomic writes and file hashes (the runtime cannot import ``toolkit``, so ``toolkit.cache`` uses these)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def sha256_file(path: Path) -> str:
    """Full sha256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; results should read like any other file
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_atomic(target: Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp)`` on a temporary file beside ``target``; rename it into place only on success."""
    with atomic_path(target) as tmp:
        writer(tmp)


def write_atomic_json(target: Path, obj: Any) -> None:
    """JSON with a trailing newline, written atomically."""
    text = json.dumps(obj, indent=2) + "\n"
    write_atomic(target, lambda tmp: tmp.write_text(text))
