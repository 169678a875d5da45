"""The step store: build folders that share a step key copy the step instead of running it (toy steps)."""

from __future__ import annotations

import json
from pathlib import Path

from toolkit.pipeline.engine import BuildConfig, Step, read_record, run_build
from toolkit.pipeline.store import StepStore


class Recorder:
    """Toy steps: ``a`` writes a JSON artifact naming its own build folder, ``b`` a plain file."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, str]] = []

    def steps(self) -> list[Step]:
        def a(ctx) -> dict:
            self.runs.append(("a", ctx.dir.name))
            (ctx.stage / "a").mkdir()
            where = ctx.relocate({"project": str(ctx.stage / "a")})  # as the real steps write their paths
            (ctx.stage / "a" / "where.json").write_text(json.dumps(where))
            return {"project": str(ctx.stage / "a")}

        def b(ctx) -> dict:
            self.runs.append(("b", ctx.dir.name))
            (ctx.stage / "b.txt").write_text("b")
            return {}

        return [Step("a", a, ("a",), ("model",)), Step("b", b, ("b.txt",), ("budget",))]


def test_a_step_with_the_same_key_is_copied_from_the_folder_that_ran_it(tmp_path: Path) -> None:
    rec, store = Recorder(), StepStore(tmp_path / "store")
    steps = rec.steps()
    one, two = (tmp_path / "one").resolve(), (tmp_path / "two").resolve()
    run_build(steps, one, BuildConfig(model="zoo:digits-mlp", budget=1.0), log=lambda _: None, store=store)
    records = run_build(
        steps, two, BuildConfig(model="zoo:digits-mlp", budget=2.0), log=lambda _: None, store=store
    )
    assert rec.runs == [("a", "one"), ("b", "one"), ("b", "two")]  # `a` ran once, `b` differs by budget
    assert records[0]["reused_from"] == str(one) and records[0]["status"] == "passed"
    # paths into the origin folder are rewritten to this one, in the artifact and in the record
    assert json.loads((two / "a" / "where.json").read_text()) == {"project": str(two / "a")}
    assert records[0]["result"] == {"project": str(two / "a")}
    assert read_record(two, 0, steps[0])["key"] == read_record(one, 0, steps[0])["key"]
    # the copy is an ordinary passed step of `two`: a rerun of `two` reuses it in place
    again = run_build(
        steps, two, BuildConfig(model="zoo:digits-mlp", budget=2.0), log=lambda _: None, store=store
    )
    assert all(r["reused"] for r in again) and len(rec.runs) == 3


def test_an_origin_that_no_longer_holds_the_step_is_not_trusted(tmp_path: Path) -> None:
    rec, store = Recorder(), StepStore(tmp_path / "store")
    steps = rec.steps()
    one, two = tmp_path / "one", tmp_path / "two"
    run_build(steps, one, BuildConfig(model="zoo:digits-mlp"), log=lambda _: None, store=store)
    (one / "a" / "where.json").unlink()
    (one / "a").rmdir()  # the origin lost its artifact: the step runs again in `two`
    run_build(steps, two, BuildConfig(model="zoo:digits-mlp"), log=lambda _: None, store=store)
    assert ("a", "two") in rec.runs
