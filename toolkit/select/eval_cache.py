"""Plan evaluations kept on disk: a plan emulated on a sample set is not emulated again.

Which samples a plan classifies correctly depends only on the model's arithmetic
(:meth:`ModelIR.model_hash`), the plan's arithmetic (every layer's product table and
correction constants, see :func:`layer_key`) and the samples and their labels, not on the
budget. The ladder is budget-free, so a selection at another budget (or a rerun) walks the
very plans an earlier run emulated: the search, the certification, the report's uniform
points and the test split all find them here.

One file per (model, sample set): ``$TOOLKIT_CACHE/select-evals/<key>.json`` maps a plan
key to the plan's per-sample correctness, packed to bits (hex). Keys hash every input, the
source of the code that computes the arithmetic included (:func:`arithmetic_fingerprint`),
so an entry is never stale; two runs writing one file at once merge what each has (a lost
entry is only emulated again).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.cache import cache_dir, content_hash, read_json_if_exists, write_atomic_json
from toolkit.models import ir

SCHEMA = 1  # bump when what is stored, or how it is computed, changes


ARITHMETIC_SOURCES = ("emulator", "multipliers", "precision.py", "plan.py")  # in the toolkit package


@functools.lru_cache(maxsize=1)
def arithmetic_fingerprint() -> str:
    """A hash of the source files that define what the emulator computes (and of their names).

    The emulator is bit-exact by contract, but a fixed bug changes its results: a cached
    evaluation made by other code is then not reused (an edit that changes nothing also
    invalidates, which costs one cold run).
    """
    root = Path(__file__).resolve().parents[1]
    files = sorted(
        path
        for name in ARITHMETIC_SOURCES
        for path in ([root / name] if name.endswith(".py") else (root / name).rglob("*.py"))
    )
    return content_hash(
        *[item for path in files for item in (str(path.relative_to(root)), path.read_bytes())]
    )


def layer_key(design: Any, correction: dict[str, Any] | str) -> str:
    """The identity of one layer's arithmetic: the design's product table and the correction constants."""
    return content_hash(design.name, design.a_codes, design.w_codes, design.table(), correction)


class EvaluationStore:
    """Per-sample correctness of plans on one sample set, read from and written to the cache."""

    def __init__(self, model_ir: ir.ModelIR, x: np.ndarray, y: np.ndarray) -> None:
        self.n = len(y)
        key = content_hash(
            "select-evals",
            SCHEMA,
            arithmetic_fingerprint(),
            model_ir.model_hash(),
            np.asarray(x),
            np.asarray(y),
        )
        self.path = cache_dir("select-evals") / f"{key}.json"
        self._rows: dict[str, str] = self._read()

    def _read(self) -> dict[str, str]:
        stored = read_json_if_exists(self.path)
        if stored is None or stored.get("schema") != SCHEMA or stored.get("n") != self.n:
            return {}
        return dict(stored["correct"])

    def get(self, plan_key: str) -> np.ndarray | None:
        """The stored correctness of ``plan_key`` (bool per sample), or None."""
        row = self._rows.get(plan_key)
        if row is None:
            return None
        return np.unpackbits(np.frombuffer(bytes.fromhex(row), np.uint8), count=self.n).astype(bool)

    def put(self, plan_key: str, correct: np.ndarray) -> None:
        """Store ``correct`` under ``plan_key`` (merged with what other runs wrote meanwhile)."""
        self._rows = self._read() | self._rows
        self._rows[plan_key] = np.packbits(np.asarray(correct, bool)).tobytes().hex()
        write_atomic_json(self.path, {"schema": SCHEMA, "n": self.n, "correct": self._rows})

    def __len__(self) -> int:
        return len(self._rows)
