"""The build engine on toy steps: ordering, resume, invalidation, interruption, never a half step as done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit.errors import ToolkitError
from toolkit.pipeline.engine import BuildConfig, Step, read_record, run_build


class Recorder:
    """Toy steps that write one file each, count their runs, and can be told to fail or be interrupted."""

    def __init__(self) -> None:
        self.runs: list[str] = []
        self.fail: dict[str, BaseException] = {}

    def step(self, name: str, depends: tuple[str, ...] = (), status: str = "passed") -> Step:
        def run(ctx) -> dict:
            self.runs.append(name)
            (ctx.stage / f"{name}.txt").write_text("partial")  # written before a possible failure
            if name in self.fail:
                raise self.fail[name]
            before = [p.name for p in sorted(ctx.dir.glob("*.txt"))]
            (ctx.stage / f"{name}.txt").write_text(json.dumps(before))
            return {"status": status, "saw": before}

        return Step(name, run, (f"{name}.txt",), depends)


CONFIG = BuildConfig(model="zoo:digits-mlp")


@pytest.fixture
def toy() -> tuple[Recorder, list[Step]]:
    rec = Recorder()
    return rec, [rec.step("a", ("model",)), rec.step("b", ("budget",)), rec.step("c", ("board",))]


def test_steps_run_in_order_and_see_earlier_artifacts(tmp_path: Path, toy) -> None:
    rec, steps = toy
    records = run_build(steps, tmp_path, CONFIG, log=lambda _: None)
    assert rec.runs == ["a", "b", "c"]
    assert [r["status"] for r in records] == ["passed"] * 3
    assert json.loads((tmp_path / "c.txt").read_text()) == ["a.txt", "b.txt"]
    assert json.loads((tmp_path / "build.json").read_text())["data"] == "digits"
    assert not list(tmp_path.glob(".stage-*"))


def test_rerun_reuses_and_config_change_reruns_from_the_first_affected_step(tmp_path: Path, toy) -> None:
    rec, steps = toy
    run_build(steps, tmp_path, CONFIG, log=lambda _: None)
    records = run_build(steps, tmp_path, CONFIG, log=lambda _: None)
    assert rec.runs == ["a", "b", "c"] and all(r["reused"] for r in records)
    run_build(steps, tmp_path, BuildConfig(model="zoo:digits-mlp", budget=2.0), log=lambda _: None)
    assert rec.runs[3:] == ["b", "c"]
    run_build(
        steps, tmp_path, BuildConfig(model="zoo:digits-mlp", budget=2.0), start_from="c", log=lambda _: None
    )
    assert rec.runs[5:] == ["c"]


def test_a_deleted_artifact_makes_its_step_run_again(tmp_path: Path, toy) -> None:
    rec, steps = toy
    run_build(steps, tmp_path, CONFIG, log=lambda _: None)
    (tmp_path / "b.txt").unlink()
    run_build(steps, tmp_path, CONFIG, log=lambda _: None)
    assert rec.runs[3:] == ["b", "c"]


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("disk full")])
def test_an_interrupted_or_failed_step_is_never_done_and_a_rerun_resumes(tmp_path: Path, toy, error) -> None:
    rec, steps = toy
    run_build(steps, tmp_path, CONFIG, log=lambda _: None)
    rec.fail["b"] = error
    with pytest.raises((KeyboardInterrupt, ToolkitError)):
        run_build(steps, tmp_path, CONFIG, start_from="b", log=lambda _: None)
    record = read_record(tmp_path, 1, steps[1])
    assert record["status"] == ("interrupted" if isinstance(error, KeyboardInterrupt) else "failed")
    # Neither the half-written artifact nor the old one of the later step is presented as the result.
    assert not (tmp_path / "b.txt").exists() and not (tmp_path / "c.txt").exists()
    assert read_record(tmp_path, 2, steps[2]) is None and not (tmp_path / "summary.json").exists()
    # A failed step's scratch folder stays for inspection (named in its record); an interrupted one goes.
    kept = list(tmp_path.glob(".stage-*"))
    assert kept == ([] if isinstance(error, KeyboardInterrupt) else [tmp_path / ".stage-b"])
    del rec.fail["b"]
    records = run_build(steps, tmp_path, CONFIG, log=lambda _: None)
    assert [r.get("reused", False) for r in records] == [True, False, False]
    assert not list(tmp_path.glob(".stage-*"))
    assert rec.runs[-2:] == ["b", "c"]


def test_a_failure_message_names_the_step(tmp_path: Path, toy) -> None:
    rec, steps = toy
    rec.fail["a"] = RuntimeError("disk full")
    with pytest.raises(ToolkitError, match="build step 'a' failed: RuntimeError: disk full"):
        run_build(steps, tmp_path, CONFIG, log=lambda _: None)


def test_not_run_is_never_passed_and_is_retried(tmp_path: Path) -> None:
    rec = Recorder()
    steps = [rec.step("a"), rec.step("synth", status="not_run")]
    records = run_build(steps, tmp_path, CONFIG, log=lambda _: None)
    assert records[1]["status"] == "not_run"
    run_build(steps, tmp_path, CONFIG, log=lambda _: None)
    assert rec.runs == ["a", "synth", "synth"]


def test_unknown_step_and_board_are_clear_errors(tmp_path: Path, toy) -> None:
    _, steps = toy
    with pytest.raises(ToolkitError, match="--from 'hsl' is not a build step: expected one of a, b, c"):
        run_build(steps, tmp_path, CONFIG, start_from="hsl")
    with pytest.raises(ToolkitError, match="board 'pynq-z3' is unknown: expected one of .*pynq-z2"):
        run_build(steps, tmp_path, BuildConfig(board="pynq-z3"))
    assert not (tmp_path / "build.json").exists()
