"""Plan evaluations kept on disk: a plan emulated on a sample set is not emulated again.

Which samples a plan classifies correctly depends only on the model's arithmetic
(:meth:`ModelIR.model_hash`), the plan's arithmetic (every layer's product table and
correction constants, see :func:`layer_key`) and the samples and their labels, not on the
budget. The ladder is budget-free, so a selection at another budget (or a rerun) walks the
very plans an earlier run emulated: the search, the certification, the report's uniform
points and the test split all find them here.

One file per (model, sample set): ``$TOOLKIT_CACHE/select-evals/<key>.json`` maps a plan
key to the plan's per-sample correctness, packed to bits (hex). Keys hash every input, so
an entry is never stale; two runs writing one file at once merge what each has (a lost
entry is only emulated again).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.cache import cache_dir, content_hash, read_json_if_exists, write_atomic_json
from toolkit.models import ir

SCHEMA = 1  # bump when what is stored, or how it is computed, changes


def layer_key(design: Any, correction: dict[str, Any] | str) -> str:
    """The identity of one layer's arithmetic: the design's product table and the correction constants."""
    return content_hash(design.name, design.a_codes, design.w_codes, design.table(), correction)


class EvaluationStore:
    """Per-sample correctness of plans on one sample set, read from and written to the cache."""

    def __init__(self, model_ir: ir.ModelIR, x: np.ndarray, y: np.ndarray) -> None:
        self.n = len(y)
        key = content_hash("select-evals", SCHEMA, model_ir.model_hash(), np.asarray(x), np.asarray(y))
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
