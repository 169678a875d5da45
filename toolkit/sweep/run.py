"""``toolkit sweep``: every point of a CONFIG as an ordinary build, serially or as Ray tasks; then the results.

Order of work: the CONFIG is read and checked and (on Ray) the cluster is joined before any
point starts, so bad input never leaves half a sweep. Points whose result is already in
``SWEEP/points/ID.json`` with the same key are reused (an interrupted or extended sweep
resumes); the others run, each as its own Ray task (one CPU; a point that will run Vivado
also asks for ``[run] vivado_memory_gb``), with no retries: a point that raises or whose
worker dies is a ``failed`` row with its error, and the others go on.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.sweep.config import Point, SweepConfig, load_sweep
from toolkit.sweep.point import failed_row, point_dir, result_path, run_point

INSTALL_HINT = (
    "pip install 'axdnn-toolkit[sweep]' (Ray core), or run the points one after another with --serial"
)


def run_sweep(
    config_path: Path | str,
    sweep_dir: Path | str,
    serial: bool = False,
    address: str | None = None,
    hook: Callable[[Point], None] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run (or reuse) every point; write sweep.json, sweep.csv and sweep.html; return sweep.json's content.

    ``address``: a Ray cluster to join (``host:port`` of its head, or ``auto``); default a local
    Ray with one worker per core (or the Ray this process already initialised).
    ``hook``: called with each point inside its task before its build (tests use it to fail points).
    """
    from toolkit.sweep.report import write_html
    from toolkit.sweep.results import write_results

    sweep = load_sweep(config_path)
    sweep_dir = Path(sweep_dir).resolve()
    ray = None if serial else _join_ray(address, sweep)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict[str, Any]] = {}
    pending = []
    for point in sweep.points:
        old = finished(sweep_dir, point)
        if old is not None:
            rows[point.id] = old | {"reused": True}
        else:
            pending.append(point)
    how = "serial" if ray is None else f"ray ({_describe(ray)})"
    log(f"sweep: {len(sweep.points)} points, {len(rows)} finished already, {len(pending)} to run ({how})")
    start = time.perf_counter()
    pending = interleave(pending)
    if ray is None:
        done = _serial(pending, sweep_dir, hook, log)
    else:
        done = _on_ray(ray, pending, sweep_dir, hook, log)
    rows |= {r["id"]: r | {"reused": False} for r in done}
    ordered = [rows[p.id] for p in sweep.points]
    write_results(sweep_dir, sweep.path, ordered, time.perf_counter() - start, how)
    html = write_html(sweep_dir, sweep, ordered)
    failed = [r for r in ordered if r["status"] != "passed"]
    log(
        f"sweep: {len(ordered) - len(failed)} passed, {len(failed)} failed; {sweep_dir / 'sweep.json'}, {html}"
    )
    from toolkit.cache import read_json_if_exists

    return read_json_if_exists(sweep_dir / "sweep.json")


def finished(sweep_dir: Path, point: Point) -> dict[str, Any] | None:
    """The point's earlier result when it passed with the same key and its build folder is still there."""
    import json

    path = result_path(sweep_dir, point)
    try:
        row = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if row.get("status") != "passed" or row.get("key") != point.result_key:
        return None
    return row if point_dir(sweep_dir, point).is_dir() else None


def interleave(points: list[Point]) -> list[Point]:
    """Round-robin over the points' first-step keys, so parallel workers start on different models
    (and the points that share a quantize step find it done instead of waiting for it)."""
    from toolkit.pipeline.build import STEPS
    from toolkit.pipeline.engine import step_key

    groups: dict[str, list[Point]] = {}
    for p in points:
        groups.setdefault(step_key(STEPS, 0, p.config), []).append(p)
    out: list[Point] = []
    queues = list(groups.values())
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


def _serial(pending: list[Point], sweep_dir: Path, hook: Any, log: Callable[[str], None]) -> list[dict]:
    from toolkit.progress import progress

    rows = []
    with progress() as bar:
        task = bar.add_task("sweep (serial)", total=len(pending), status="")
        for point in pending:
            bar.update(task, status=point.id)
            row = run_point(point, sweep_dir, hook)
            _report(row, log)
            rows.append(row)
            bar.advance(task)
    return rows


def _on_ray(
    ray: Any, pending: list[Point], sweep_dir: Path, hook: Any, log: Callable[[str], None]
) -> list[dict]:
    from toolkit.cache import write_atomic_json
    from toolkit.progress import progress

    task_fn = ray.remote(run_point)
    futures = {}
    for point in pending:
        options: dict[str, Any] = {"num_cpus": 1, "max_retries": 0}
        memory = point_memory(point)
        if memory:
            options["memory"] = memory
        futures[task_fn.options(**options).remote(point, str(sweep_dir), hook)] = point
    rows = []
    with progress() as bar:
        task = bar.add_task("sweep (ray)", total=len(pending), status="")
        remaining = list(futures)
        while remaining:
            try:
                ready, remaining = ray.wait(remaining, num_returns=1)
            except KeyboardInterrupt:  # stop the running points; finished ones are in points/ID.json
                for future in remaining:
                    ray.cancel(future, force=True)
                raise
            point = futures[ready[0]]
            try:
                row = ray.get(ready[0])
            except (
                Exception
            ) as exc:  # the worker died (os._exit, SIGKILL, out of memory) or Ray failed the task
                row = failed_row(point, point_dir(sweep_dir, point), _ray_error(exc))
                write_atomic_json(result_path(sweep_dir, point), row)
            _report(row, log)
            rows.append(row)
            bar.update(task, advance=1, status=point.id)
    return rows


def _ray_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = next((line for line in text if line.strip()), "")
    return f"{type(exc).__name__}: {first}"


def _report(row: dict[str, Any], log: Callable[[str], None]) -> None:
    if row["status"] == "passed":
        log(f"  {row['id']}: passed in {row.get('seconds', 0):.1f} s")
    else:
        log(f"  {row['id']}: FAILED: {row['error']}")


def point_memory(point: Point) -> float | None:
    """Bytes of memory a point asks Ray for: Vivado points (synth step on a machine with the tools) ask for more."""
    from toolkit.pipeline.build import STEP_NAMES

    runs_synth = STEP_NAMES.index(point.run.to) >= STEP_NAMES.index("synth")
    if runs_synth and (shutil.which("vivado") or shutil.which("vitis_hls")):
        return point.run.vivado_memory_gb * 1e9
    return None


def _join_ray(address: str | None, sweep: SweepConfig) -> Any:
    """Import Ray and join the cluster (or start a local one); every error here comes before any point."""
    try:
        import ray
    except ImportError:
        raise ToolkitError(f"Ray is not installed: {INSTALL_HINT}") from None
    if ray.is_initialized():
        if address is not None:
            raise ToolkitError(f"--address {address}: this process already runs Ray; expected no --address")
    elif address is None:
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
                 configure_logging=False)  # fmt: skip
    else:
        check_address(address)
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        except Exception as exc:  # ConnectionError and friends
            raise ToolkitError(f"--address {address}: could not join the Ray cluster ({exc})") from None
    total = ray.cluster_resources().get("memory", 0.0)
    for point in sweep.points:
        need = point_memory(point)
        if need and need > total:
            raise ToolkitError(
                f"point {point.id} runs Vivado and asks for {need / 1e9:g} GB, but the Ray cluster has "
                f"{total / 1e9:.1f} GB: lower [run] vivado_memory_gb or join a bigger cluster with --address"
            )
    return ray


def check_address(address: str, timeout: float = 5.0) -> None:
    """``host:port`` of a Ray head must accept a TCP connection (else ray.init would wait a long time)."""
    if address == "auto":
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ToolkitError(
            f"--address {address!r}: expected HOST:PORT of a Ray head (e.g. 10.0.0.5:6379) or auto"
        )
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise ToolkitError(
            f"--address {address}: no Ray head answers there ({exc.strerror or exc}); start one with "
            "`ray start --head` on that machine, or leave --address out for a local Ray"
        ) from None


def _describe(ray: Any) -> str:
    cpus = ray.cluster_resources().get("CPU", 0)
    return f"{len(ray.nodes())} node(s), {cpus:g} CPUs"
