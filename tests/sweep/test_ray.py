"""`toolkit sweep` on a local Ray with 2 workers: 2 models x 2 budgets x 2 families.

One point raises inside its task and the worker of another is killed (SIGKILL) while it
builds; both are recorded as failed with their error while the other six complete. The
rerun (no faults) runs only those two (the killed one resumes its build folder) and reuses
the six finished points untouched. Points stop after the selection
(``[run] to = "approx"``, no measurement) to keep the test to seconds; the quantize step of
each model runs once and is copied into the other points of that model.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sweep.conftest import write_config
from toolkit.sweep.config import Point

ray = pytest.importorskip("ray", reason="Ray (the [sweep] extra) is not installed")
pytestmark = pytest.mark.xdist_group("sweep-ray")  # one local Ray per worker process is plenty on 2 cores


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    # the fault hook below is a function of this test module: ship it by value to the workers
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ray.shutdown()


def faults(point: Point) -> None:
    """Raise in one point; SIGKILL the worker of another a moment into its build (both: tiny model, budget 2)."""
    if point.axes["budgets"] == 2.0 and point.config.model.endswith("tiny_mlp.h5"):
        if point.axes["families"] == "trunc":
            raise RuntimeError("injected failure in point")
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGKILL)).start()


def _model(row: dict) -> str:
    return Path(row["config"]["model"].removeprefix("zoo:")).stem


@pytest.mark.slow
def test_sweep_on_local_ray_isolates_failures_and_resumes(
    local_ray: None, tiny_model: Path, tmp_path: Path
) -> None:
    from toolkit.sweep.run import run_sweep

    config = write_config(
        tmp_path / "sweep.toml",
        f"""
[axes]
models = ["zoo:digits-mlp", "{tiny_model}"]
budgets = [1.0, 2.0]
families = ["trunc", "perfw"]
quantize = ["keep"]
[options]
data = "digits"
[run]
to = "approx"
measure = "none"
""",
    )
    out = tmp_path / "sweep"
    result = run_sweep(config, out, hook=faults, log=lambda _: None)
    rows = {(_model(r), r["axes"]["budgets"], r["axes"]["families"]): r for r in result["rows"]}
    assert result["executor"].startswith("ray") and result["points"] == 8
    failed = {k: r for k, r in rows.items() if r["status"] == "failed"}
    assert set(failed) == {("tiny_mlp", 2.0, "trunc"), ("tiny_mlp", 2.0, "perfw")}
    assert failed[("tiny_mlp", 2.0, "trunc")]["error"] == "RuntimeError: injected failure in point"
    assert (
        "Crashed" in failed[("tiny_mlp", 2.0, "perfw")]["error"]
        or "died" in failed[("tiny_mlp", 2.0, "perfw")]["error"]
    )
    passed = [r for r in rows.values() if r["status"] == "passed"]
    assert len(passed) == 6
    for r in passed:
        assert 0 <= r["accuracy_plan"] <= 1 and r["certified_bound_points"] is not None
        assert (Path(r["dir"]) / "plan.json").is_file() and (Path(r["dir"]) / "build.json").is_file()
    # one quantize per model: of the passed points of a model, all but one copied it
    for model in ("digits-mlp", "tiny_mlp"):
        shared = [r for r in passed if _model(r) == model]
        assert sum("quantize" not in r["reused_steps"] for r in shared) == 1
    assert (out / "sweep.csv").read_text().count("\n") == 9 and (out / "sweep.html").is_file()

    stamps = {r["id"]: (Path(r["dir"]) / "steps" / "01-approx.json").stat().st_mtime_ns for r in passed}
    again = run_sweep(config, out, log=lambda _: None)
    assert again["passed"] == 8
    reran = [r for r in again["rows"] if not r["reused"]]
    assert {r["id"] for r in reran} == {r["id"] for r in failed.values()}
    for r in again["rows"]:
        if r["id"] in stamps:  # a finished point is reused as it is: no task, its folder untouched
            assert (
                r["reused"]
                and (Path(r["dir"]) / "steps" / "01-approx.json").stat().st_mtime_ns == stamps[r["id"]]
            )


def test_serial_sweep_runs_the_same_points_in_this_process(tiny_model: Path, tmp_path: Path) -> None:
    """--serial (no Ray): the points are the same build folders; the second copies the first's quantize."""
    from toolkit.sweep.run import run_sweep

    config = write_config(
        tmp_path / "sweep.toml",
        f"""
[axes]
models = ["{tiny_model}"]
budgets = [1.0, 2.0]
[options]
data = "digits"
quantize = "keep"
[run]
to = "quantize"
measure = "none"
""",
    )
    result = run_sweep(config, tmp_path / "sweep", serial=True, log=lambda _: None)
    assert result["executor"] == "serial" and result["passed"] == 2
    first, second = result["rows"]
    assert first["reused_steps"] == [] and second["reused_steps"] == ["quantize"]
    assert (Path(second["dir"]) / "model.h5").read_bytes() == (Path(first["dir"]) / "model.h5").read_bytes()
