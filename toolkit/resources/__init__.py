"""Where the toolkit's own files are: hardware sources, board files and the board runtime.

The hardware sources (``hls/``: C++ headers, Verilog, Tcl) and the board files
(``boards/``) are package data of :mod:`toolkit.resources`; the board runtime is the
installed :mod:`toolkit_overlay` package. Every stage finds them here, through
:mod:`importlib.resources`, so a checkout, an editable install and a wheel install
behave the same. Compilers and simulators need real files, so a package installed
somewhere that is not a folder (a zip) is refused with an error rather than extracted.

Nothing is ever written here: builds, caches and bitstreams live in the build folder,
``$TOOLKIT_CACHE`` and the user's bitstream store.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from toolkit.errors import ToolkitError

__all__ = ["boards_dir", "hls_dir", "runtime_dir", "sources_hash"]


def _folder(package: str, *parts: str) -> Path:
    root = resources.files(package)
    if not isinstance(root, Path):
        raise ToolkitError(
            f"the package {package!r} is installed as {type(root).__name__} ({root}), not as a folder: "
            "Verilator, g++ and the vendor tools need real files; install it with pip into a normal "
            "site-packages (not a zip)"
        )
    path = root.joinpath(*parts)
    if not path.is_dir():
        raise ToolkitError(
            f"'{path}' is missing from the installed {package!r} package: reinstall the toolkit"
        )
    return path


def hls_dir(*parts: str) -> Path:
    """The hardware sources: ``hls_dir("rtl")``, ``hls_dir("multipliers")``, ``hls_dir("vendor")``."""
    return _folder(__name__, "hls", *parts)


def boards_dir() -> Path:
    """The board files (one TOML per board)."""
    return _folder(__name__, "boards")


def runtime_dir() -> Path:
    """The board-side runtime package ``toolkit_overlay`` (copied into every overlay package)."""
    return _folder("toolkit_overlay")


def sources_hash(*paths: Path) -> str:
    """sha256 prefix over the names and bytes of ``paths`` (files, or folders taken recursively).

    What a build step's key takes from the hardware sources it uses, so a toolkit with
    different templates never reuses an old step.
    """
    h = hashlib.sha256()
    for path in paths:
        base = path if path.is_dir() else path.parent
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            h.update(str(file.relative_to(base)).encode() + b"\0" + file.read_bytes() + b"\0")
    return h.hexdigest()[:16]
