"""The emulator of an earlier commit, loaded beside the current one for before/after runs.

``toolkit/emulator/{products,approx,layers,fast,engine}.py`` (those that exist at REV) are read
from ``git show REV:...`` into private modules whose imports of each other are rewritten to the
older copies, so one process times both implementations on the same operands under the same
machine load. Everything else (IR, precisions, multiplier designs) is the current code.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = f"<{name}>"
    sys.modules[name] = module  # dataclasses look their module up by name
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


MODULES = ("products", "approx", "layers", "fast", "engine")  # each imports only earlier ones at load


def load_before(rev: str) -> types.ModuleType:
    """The ``approx`` module of ``rev`` with ``.exact_matmul`` and ``.Emulator`` of the same revision."""

    def show(path: str) -> str | None:
        """The file at ``rev``, or None when it does not exist there."""
        spec = f"{rev}:{path}"
        if subprocess.run(["git", "cat-file", "-e", spec], cwd=ROOT, capture_output=True).returncode:
            return None
        return subprocess.run(
            ["git", "show", spec], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout

    tag = rev.replace("~", "_").replace("^", "_").replace("/", "_")
    sources = {name: show(f"toolkit/emulator/{name}.py") for name in MODULES}
    present = [name for name in MODULES if sources[name] is not None]
    loaded = {}
    for name in present:
        source = sources[name]
        for other in present:
            private = f"before_{tag}_{other}"
            source = source.replace(f"from toolkit.emulator.{other} import", f"from {private} import")
            source = source.replace(
                f"from toolkit.emulator import {other}\n", f"import {private} as {other}\n"
            )
        loaded[name] = _module(f"before_{tag}_{name}", source)
    approx = loaded["approx"]
    approx.exact_matmul = loaded["products"].exact_matmul
    approx.Emulator = loaded["engine"].Emulator
    return approx
