"""``toolkit sweep --dry-run``: the points, and for each step whether it runs or is reused, without building.

A step is ``done`` when the point's own folder holds it passed with the same key (a resumed
point), ``copy:ORIGIN`` when another folder of the sweep's step store does, ``shared:POINT``
when an earlier point of this sweep will run it (the later one copies it), else ``runs``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.sweep.config import load_sweep
from toolkit.sweep.point import STORE_DIR, point_dir


def plan_sweep(config_path: Path | str, sweep_dir: Path | str) -> dict[str, Any]:
    """{"points": [{"id", "axes", "finished", "steps": {name: what}}], "runs": n, "reused": n}."""
    from toolkit.pipeline.build import STEP_NAMES, STEPS
    from toolkit.pipeline.engine import _reusable, read_record, step_key
    from toolkit.pipeline.store import StepStore
    from toolkit.sweep.run import finished, interleave

    sweep = load_sweep(config_path)
    sweep_dir = Path(sweep_dir).resolve()
    store = StepStore(sweep_dir / STORE_DIR)
    first: dict[tuple[str, str], str] = {}
    out, runs, reused = [], 0, 0
    last = STEP_NAMES.index(sweep.run.to)
    for point in interleave(list(sweep.points)):
        folder = point_dir(sweep_dir, point)
        done = finished(sweep_dir, point) is not None
        steps: dict[str, str] = {}
        local = True
        for index, step in enumerate(STEPS[: last + 1]):
            key = step_key(STEPS, index, point.config)
            if done or (local and _reusable(read_record(folder, index, step), key, folder, step)):
                what = "done"
            else:
                local = False
                origin = store.origin(step, index, key)
                if origin is not None:
                    what = f"copy:{origin.name}"
                elif (step.name, key) in first:
                    what = f"shared:{first[(step.name, key)]}"
                else:
                    what = "runs"
                    first[(step.name, key)] = point.id
            steps[step.name] = what
            runs += what == "runs"
            reused += what != "runs"
        out.append({"id": point.id, "axes": point.axes, "finished": done, "steps": steps})
    order = {p.id: i for i, p in enumerate(sweep.points)}
    out.sort(key=lambda p: order[p["id"]])
    return {"points": out, "steps": list(STEP_NAMES[: last + 1]), "runs": runs, "reused": reused,
            "measure": sweep.run.measure}  # fmt: skip
