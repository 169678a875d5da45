"""The product kernels of an earlier commit, loaded beside the current ones for before/after runs.

``toolkit/emulator/products.py`` and ``approx.py`` are read from ``git show REV:...`` into
private modules (the older ``approx`` imports the older ``products``), so one process times
both implementations on the same operands under the same machine load.
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


def load_before(rev: str) -> types.ModuleType:
    """The ``approx`` module of ``rev`` (with its own ``products``); ``.ApproxProduct``, ``.exact_matmul``."""

    def show(path: str) -> str:
        return subprocess.run(
            ["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout

    tag = rev.replace("~", "_").replace("^", "_")
    products = _module(f"before_{tag}_products", show("toolkit/emulator/products.py"))
    approx_src = show("toolkit/emulator/approx.py").replace(
        "from toolkit.emulator.products import", f"from {products.__name__} import"
    )
    approx = _module(f"before_{tag}_approx", approx_src)
    approx.exact_matmul = products.exact_matmul
    return approx
