"""Step keys on content: the real step table with recording step functions (no TensorFlow, no compiles).

A model, data or plan file edited in place, a different toolkit version or changed
hardware sources rerun the steps that use them; touching a file (same bytes, new mtime)
reuses everything.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from toolkit.pipeline import engine
from toolkit.pipeline.build import STEP_NAMES, STEPS
from toolkit.pipeline.engine import BuildConfig, Step, run_build


class Recorder:
    """Stands in for every real step function: records the run and makes the step's artifacts."""

    def __init__(self) -> None:
        self.runs: list[str] = []

    def steps(self, table: tuple[Step, ...] = STEPS) -> list[Step]:
        return [dataclasses.replace(step, run=self._runner(step), summary=lambda r: "") for step in table]

    def _runner(self, step: Step):
        def run(ctx) -> dict:
            self.runs.append(step.name)
            for artifact in step.artifacts:
                (ctx.stage / artifact).write_text(step.name)
            return {}

        return run


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "inputs" / "model.h5"
    path.parent.mkdir()
    path.write_bytes(b"weights v1")
    return path


def build(rec: Recorder, out: Path, config: BuildConfig, steps: list[Step] | None = None) -> list[dict]:
    records = run_build(steps or rec.steps(), out, config, log=lambda _: None)
    return records


def test_touching_nothing_reuses_every_step_even_with_a_new_mtime(tmp_path: Path, model_file: Path) -> None:
    rec, out = Recorder(), tmp_path / "build"
    config = BuildConfig(model=str(model_file), data="digits")
    build(rec, out, config)
    assert rec.runs == list(STEP_NAMES)
    os.utime(model_file, (1, 1))  # same bytes, another modification time
    records = build(rec, out, config)
    assert rec.runs == list(STEP_NAMES) and all(r["reused"] for r in records)


def test_a_model_file_edited_in_place_reruns_from_quantize(tmp_path: Path, model_file: Path) -> None:
    rec, out = Recorder(), tmp_path / "build"
    config = BuildConfig(model=str(model_file), data="digits")
    build(rec, out, config)
    model_file.write_bytes(b"weights v2")  # same path, new content
    build(rec, out, config)
    assert rec.runs[len(STEP_NAMES) :] == list(STEP_NAMES)


def test_data_and_plan_files_are_keyed_on_content(tmp_path: Path, model_file: Path) -> None:
    data, plan = tmp_path / "inputs" / "data.npz", tmp_path / "inputs" / "plan.json"
    data.write_bytes(b"data v1")
    plan.write_text('{"v": 1}')
    rec, out = Recorder(), tmp_path / "build"
    config = BuildConfig(model=str(model_file), data=str(data), plan=str(plan))
    build(rec, out, config)
    plan.write_text('{"v": 2}')
    build(rec, out, config)
    assert rec.runs[len(STEP_NAMES) :] == list(STEP_NAMES[STEP_NAMES.index("approx") :])
    data.write_bytes(b"data v2")
    build(rec, out, config)
    assert rec.runs[-len(STEP_NAMES) :] == list(STEP_NAMES)


def test_a_new_toolkit_version_reruns_everything(tmp_path: Path, monkeypatch) -> None:
    rec, out = Recorder(), tmp_path / "build"
    config = BuildConfig(model="zoo:digits-mlp")
    build(rec, out, config)
    monkeypatch.setattr(engine, "__version__", "99.0.0")
    build(rec, out, config)
    assert rec.runs == list(STEP_NAMES) * 2


def test_changed_hardware_sources_rerun_the_steps_that_use_them(tmp_path: Path) -> None:
    """A copy of the RTL sources stands in for the rtl step's: editing one Verilog file reruns from rtl."""
    rtl_step = STEPS[STEP_NAMES.index("rtl")]
    assert rtl_step.sources, "the rtl step names the hardware sources it uses"
    copies = []
    for i, source in enumerate(rtl_step.sources):
        copies.append(tmp_path / f"src{i}")
        shutil.copytree(source, copies[-1])
    table = tuple(dataclasses.replace(s, sources=tuple(copies)) if s is rtl_step else s for s in STEPS)
    rec, out = Recorder(), tmp_path / "build"
    config = BuildConfig(model="zoo:digits-mlp")
    build(rec, out, config, rec.steps(table))
    verilog = sorted(copies[0].glob("*.v"))[0]
    verilog.write_text(verilog.read_text() + "\n// edited\n")
    build(rec, out, config, rec.steps(table))
    assert rec.runs[len(STEP_NAMES) :] == list(STEP_NAMES[STEP_NAMES.index("rtl") :])


def test_every_hardware_step_names_its_sources() -> None:
    by_name = dict(zip(STEP_NAMES, STEPS, strict=True))
    for name in ("hls", "rtl", "synth", "package"):
        assert by_name[name].sources and all(Path(p).exists() for p in by_name[name].sources), name
