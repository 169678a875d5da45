"""One sweep point, as a worker runs it: an ordinary build folder, then its measurement, then its row.

The build is :func:`toolkit.pipeline.build.build` (the function behind `toolkit build`) with
the sweep's step store, so steps whose content keys match another point's are copied, not
rerun; the measurement is :func:`toolkit.measure.run.measure_build` (`toolkit measure`).
Whatever the point raises becomes a ``failed`` row with the error; nothing escapes to stop
the other points. The row goes to ``SWEEP/points/ID.json`` as soon as the point ends, so an
interrupted sweep keeps every finished point.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from toolkit.cache import write_atomic_json
from toolkit.sweep.config import Point

POINTS_DIR = "points"
STORE_DIR = ".steps"


def point_dir(sweep_dir: Path, point: Point) -> Path:
    return Path(sweep_dir).resolve() / POINTS_DIR / point.id


def result_path(sweep_dir: Path, point: Point) -> Path:
    return Path(sweep_dir).resolve() / POINTS_DIR / f"{point.id}.json"


def run_point(
    point: Point, sweep_dir: Path | str, hook: Callable[[Point], None] | None = None
) -> dict[str, Any]:
    """Build and measure ``point`` under ``sweep_dir``; returns its row (also written to points/ID.json).

    ``hook``: called with the point before its build starts (a test's way to crash or fail a point).
    """
    from toolkit.pipeline.build import build
    from toolkit.pipeline.store import StepStore
    from toolkit.sweep.results import collect_row

    sweep_dir = Path(sweep_dir).resolve()
    folder = point_dir(sweep_dir, point)
    folder.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    log_path = folder.with_suffix(".log")
    with open(log_path, "a") as log_file:

        def log(message: Any) -> None:
            log_file.write(f"{message}\n")
            log_file.flush()

        try:
            if hook is not None:
                hook(point)
            result = build(
                point.config, folder, stop_after=point.run.to, log=log, store=StepStore(sweep_dir / STORE_DIR)
            )
            measure = None
            if point.run.measure != "none":
                from toolkit.measure.run import measure_build

                measure = measure_build(folder, point.run.measure, limit=point.run.limit, log=log)
            row = collect_row(point, folder, result["steps"], measure)
            row |= {"status": "passed", "error": None}
        except BaseException as exc:  # a failed point is a row, never the end of the sweep
            if isinstance(exc, KeyboardInterrupt):
                raise
            log(traceback.format_exc())
            row = failed_row(point, folder, f"{type(exc).__name__}: {exc}")
    row |= {"started": started, "seconds": time.perf_counter() - t0, "log": str(log_path)}
    write_atomic_json(result_path(sweep_dir, point), row)
    return row


def failed_row(point: Point, folder: Path, error: str) -> dict[str, Any]:
    """The row of a point that did not finish (what its build folder already holds is kept there)."""
    return point.to_json() | {"status": "failed", "error": error, "dir": str(folder)}
