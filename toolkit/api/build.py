"""``toolkit.build``: the build pipeline from Python, and :class:`Build`, the folder it made.

``toolkit build`` (the CLI) calls :func:`build_options` + :func:`build` too, so a build.toml, CLI
flags and keyword arguments meet in one place: the file's values, then the explicit options
(CLI flags or keyword arguments that are not ``None``) on top, then the defaults.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from toolkit.api.functions import check_budget, check_choice, measure, report, sim
from toolkit.api.inputs import DataLike, ModelLike, data_spec, model_spec
from toolkit.api.results import Fields, Measurement, Report, Simulation
from toolkit.errors import ToolkitError

CHOICES = {
    "quantize": ("auto", "density", "keep"),
    "accelerator": ("hls4ml", "rtl"),
    "backend": ("Vitis", "Vivado"),
    "io_type": ("io_parallel", "io_stream"),
    "strategy": ("Latency", "Resource"),
}


class Build(Fields):
    """A build folder: the fields of ``summary.json`` (``dir``, ``config``, ``steps``) and what to do next."""

    def __init__(self, fields: dict[str, Any]) -> None:
        super().__init__(fields)
        object.__setattr__(self, "path", Path(fields["dir"]))

    @classmethod
    def open(cls, path: str | os.PathLike) -> Build:
        """The build in folder ``path`` (its ``summary.json``), without running anything."""
        summary = Path(path) / "summary.json"
        if not summary.exists():
            raise ToolkitError(
                f"'{path}' is not a finished build folder: it has no summary.json (run toolkit build)"
            )
        return cls({"dir": str(path)} | json.loads(summary.read_text()))

    @property
    def plan_path(self) -> Path:
        return self.path / "plan.json"

    @property
    def plan(self) -> Any:
        """The build's resolved :class:`~toolkit.plan.Plan`."""
        from toolkit.pipeline.steps import load_build

        return load_build(self.path)[2]

    def record(self, step: str) -> Fields:
        """The record of one step (``steps/NN-STEP.json``)."""
        for record in self._fields["steps"]:
            if record["step"] == step:
                return Fields(record)
        raise ToolkitError(f"step {step!r} did not run in {self.path}: it ran {', '.join(self.steps_run)}")

    @property
    def steps_run(self) -> list[str]:
        return [r["step"] for r in self._fields["steps"]]

    def measure(self, target: str = "sim", **options: Any) -> Measurement:
        """:func:`toolkit.measure` on this build (``target`` sim by default; a board where one is attached)."""
        return measure(self.path, target=target, **options)

    def sim(self, **options: Any) -> Simulation:
        """:func:`toolkit.sim` on this build's folder."""
        return sim(build=self.path, **options)

    def report(self) -> Report:
        """The build's HTML report (regenerated from the folder; shown inline in a notebook)."""
        return report(self.path)

    def _repr_html_(self) -> str:
        import html

        rows = "".join(
            f"<tr><td>{html.escape(r['step'])}</td><td>{html.escape(r['status'])}</td>"
            f"<td>{r['seconds']:.1f} s</td><td>{html.escape(r.get('summary') or r.get('message', ''))}</td></tr>"
            for r in self._fields["steps"]
        )
        return f"<b>build {html.escape(str(self.path))}</b><table>{rows}</table>"


def build_options(config_file: str | os.PathLike | None = None, **options: Any) -> dict[str, Any]:
    """The options of one build: ``config_file``'s values overridden by every option that is not None."""
    from toolkit.pipeline.config_file import read_config_file

    merged = read_config_file(config_file) if config_file is not None else {}
    merged.update({k: v for k, v in options.items() if v is not None})
    return merged


def build(
    model: ModelLike | None = None,
    data: DataLike = None,
    *,
    board: str | None = None,
    budget: float | None = None,
    plan: str | os.PathLike | None = None,
    quantize: str | None = None,
    bits: int | None = None,
    families: str | None = None,
    cv: bool | None = None,
    fold_batchnorm: bool | None = None,
    out: str | os.PathLike | None = None,
    start_from: str | None = None,
    stop_after: str | None = None,
    accelerator: str | None = None,
    backend: str | None = None,
    io_type: str | None = None,
    strategy: str | None = None,
    seed: int | None = None,
    bitstreams: str | os.PathLike | None = None,
    layers: dict[str, dict[str, Any]] | None = None,
    config: str | os.PathLike | None = None,
    log: Any = None,
) -> Build:
    """Build an accelerator for a board step by step into a build folder (``toolkit build``).

    ``config``: a build.toml (:mod:`toolkit.pipeline.config_file`); every argument given here
    overrides it. ``layers``: per-layer overrides ``{layer: {"bits"|"multiplier"|"correction": ...}}``.
    Unset options take the CLI's defaults (board pynq-z2, budget 1, the zoo model digits-cnn).
    ``start_from`` / ``stop_after`` are the CLI's ``--from`` / ``--to``; ``bits``, ``families`` and
    ``cv`` its ``--bits``, ``--families`` and ``--no-cv`` (``cv=False``).
    """
    options = build_options(
        config, model=model, data=data, board=board, budget=budget, plan=plan, quantize=quantize, bits=bits,
        families=families, cv=cv, fold_batchnorm=fold_batchnorm, out=out, accelerator=accelerator, backend=backend, io_type=io_type,
        strategy=strategy, seed=seed, bitstreams=bitstreams, layers=layers,
        **{"from": start_from, "to": stop_after},
    )  # fmt: skip
    return run_build_options(options, log=log)


def run_build_options(options: dict[str, Any], log: Any = None) -> Build:
    """Run a build from merged options (model and data may still be in-memory objects)."""
    from toolkit.pipeline.build import build as run
    from toolkit.pipeline.build import default_out
    from toolkit.pipeline.engine import BuildConfig

    options = dict(options)
    start_from, stop_after, out = options.pop("from", None), options.pop("to", None), options.pop("out", None)
    for key, choices in CHOICES.items():
        if key in options:
            check_choice(f"--{key.replace('_', '-')}", options[key], choices)
    if "budget" in options:
        options["budget"] = check_budget(options["budget"])
    model = options.pop("model", "zoo:digits-cnn")
    board = options.get("board", "pynq-z2")
    if out is None and not isinstance(model, str | os.PathLike):  # builds/<model name>-<board>
        out = Path("builds") / f"{getattr(model, 'name', 'model')}-{board}"
    folder = Path(out) / "inputs" if out is not None else None  # in-memory inputs live with the build
    options["model"] = model_spec(model, folder)
    options["data"] = data_spec(options.get("data"), folder)
    if options.get("bitstreams") is not None:
        options["bitstreams"] = str(Path(options["bitstreams"]).resolve())
    if options.get("plan") is not None:
        options["plan"] = os.fspath(options["plan"])
    config = BuildConfig(**options)
    out_dir = Path(out) if out is not None else default_out(config)
    result = run(config, out_dir, start_from=start_from, stop_after=stop_after, log=log or (lambda *_: None))
    return Build(result)
