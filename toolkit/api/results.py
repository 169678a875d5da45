"""Result objects of the Python API: the fields of the JSON files the CLI writes, plus ``to_json()``.

A result reads like the JSON it mirrors: ``r.accuracy`` or ``r["accuracy"]``; a nested object
reads the same way (``sel.certificate.status``). ``r.to_json()`` is a plain ``dict`` equal to what
``--json`` prints or the file holds, so API and CLI results compare with ``==``.
"""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np


class Fields(Mapping):
    """Read-only attribute and key access to a JSON object (nested objects wrap the same way)."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_fields", dict(fields))

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._fields[key])

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return _wrap(self._fields[key])
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__} has no field {key!r}; its fields are {', '.join(self._fields)}"
            ) from None

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only (its fields are the JSON file's)")

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._fields))

    def to_json(self) -> dict[str, Any]:
        """A deep copy of the fields as plain JSON-able Python (what the CLI's ``--json`` prints)."""
        return copy.deepcopy(self._fields)

    def __repr__(self) -> str:
        keys = ", ".join(list(self._fields)[:8]) + (", ..." if len(self._fields) > 8 else "")
        return f"<{type(self).__name__} {keys}>"


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return Fields(value)
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return [_wrap(v) for v in value]
    return value


class Emulation(Fields):
    """``toolkit emulate --json``: accuracy, agreement with your model, model hash, multipliers.

    ``outputs`` (not a JSON field) holds the emulator's outputs on the samples it ran.
    """

    def __init__(self, fields: Mapping[str, Any], outputs: np.ndarray | None = None) -> None:
        super().__init__(fields)
        object.__setattr__(self, "outputs", outputs)


class Quantization(Fields):
    """``OUT/precision.json`` of ``toolkit quantize``; ``.out`` is the folder, ``.model_path`` its model.h5."""

    def __init__(self, fields: Mapping[str, Any], out: Path) -> None:
        super().__init__(fields)
        object.__setattr__(self, "out", Path(out))
        object.__setattr__(self, "model_path", Path(out) / "model.h5")

    def load_model(self) -> Any:
        """The trained QKeras model (from ``model.h5``)."""
        from toolkit.models.loading import load_keras_file

        return load_keras_file(self.model_path)


class Selection(Fields):
    """``OUT/selection.json`` of ``toolkit approx``; ``.plan`` is the resolved plan, ``.plan_path`` its file."""

    def __init__(self, fields: Mapping[str, Any], out: Path, plan_loader: Any) -> None:
        super().__init__(fields)
        object.__setattr__(self, "out", Path(out))
        object.__setattr__(self, "_plan_loader", plan_loader)
        object.__setattr__(self, "plan_path", Path(out) / "plan.json")

    @property
    def plan(self) -> Any:
        """The resolved :class:`~toolkit.plan.Plan` (read with its model on first use)."""
        return self._plan_loader.get()

    @property
    def plan_hash(self) -> str:
        """The plan file's hash (what a package's manifest records)."""
        from toolkit_overlay.manifest import plan_hash

        return plan_hash(self.plan_path)

    @property
    def plots(self) -> dict[str, Path]:
        """The selection's plots by name (``sensitivity``, ``chosen``, ``pareto``)."""
        return {p.stem: p for p in sorted(self.out.glob("*.png"))}


class Simulation(Fields):
    """``sim.json`` of ``toolkit sim``: RTL accuracy, bit-exactness, cycles, area, modelled power."""


class Measurement(Fields):
    """``BUILD/measure.json`` of ``toolkit measure`` (or ``closed_loop.json`` with ``closed_loop=True``)."""


class Report:
    """A build's HTML report (``BUILD/report.html``); shown inline in a notebook."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def html(self) -> str:
        return self.path.read_text()

    def _repr_html_(self) -> str:
        # The page is a whole document with its own style: a sandboxed frame keeps it from the notebook's.
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox '
            "style='width:100%;height:640px;border:1px solid #ccc'></iframe>"
        )

    def __repr__(self) -> str:
        return f"<Report {self.path}>"


def dumps(result: Fields, **kwargs: Any) -> str:
    """``json.dumps`` of a result's fields (the CLI's ``--json`` output)."""
    return json.dumps(result.to_json(), **kwargs)
