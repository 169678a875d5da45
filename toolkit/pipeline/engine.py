"""The build engine: ordered plain steps, each writing its artifacts and a record into the build folder.

A step is a function ``step(ctx) -> dict`` that reads earlier artifacts from
``ctx.dir`` and writes its own into ``ctx.stage`` (a scratch folder inside the build
folder). Only when the function returns are its artifacts moved into place, and only
then is its record ``steps/NN-name.json`` written (atomically, last). So an
interrupted or failed step never looks done, and a rerun resumes: a step is reused
when its record says ``passed``, its artifacts exist, and its key is unchanged. The key
(:func:`step_key`) is on content: the configuration values the step and every step before
it depend on, the sha256 of the model, data and plan files among them (a file edited in
place changes it, a touched one does not), the toolkit version, and a hash of the
hardware sources (Verilog, C++, Tcl, board files) those steps use. ``--from STEP``
forces a rerun from there.
A failed step's scratch folder is kept for inspection (its record names it) until it reruns.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit import __version__
from toolkit.boards import BOARDS_DIR, Board, load_board
from toolkit.cache import content_hash, write_atomic_json
from toolkit.errors import ToolkitError
from toolkit.pipeline.config_file import check_layers, write_config_toml
from toolkit.resources import sources_hash

if TYPE_CHECKING:
    from toolkit.pipeline.store import StepStore

BUILD_FORMAT = "toolkit-build"
STATUSES = ("passed", "not_run", "failed", "interrupted")


@dataclass(frozen=True)
class BuildConfig:
    """Everything a build depends on (written to build.json)."""

    board: str = "pynq-z2"
    model: str = "zoo:digits-cnn"
    data: str | None = None  # None: the zoo model's dataset
    budget: float = 1.0  # accuracy loss allowed by the selection, percentage points
    plan: str | None = None  # a user plan.json instead of running the selection
    quantize: str = "auto"  # auto | density | keep
    bits: int | None = None  # density at this fixed width for every layer, no AD updates (None: AD)
    fold_batchnorm: bool = False  # fold BN into re-quantized weights instead of deploying it exactly
    seed: int = 0
    families: str | None = None  # comma-separated multiplier families the selection may use (None: all)
    cv: bool = True  # offer the control-variate correction to the selection
    backend: str = "Vitis"  # hls4ml's backend (Vivado or Vitis HLS flavour of its project)
    accelerator: str = "hls4ml"  # what the bitstream holds: the hls4ml design or the generated RTL
    io_type: str = "io_parallel"
    strategy: str = "Latency"
    bitstreams: str | None = None  # a user store that also gets each .bit/.hwh (always: BUILD/bitstreams/)
    # per-layer overrides from build.toml: {layer: {bits?, multiplier?, correction?}} (config_file.py)
    layers: dict[str, dict[str, Any]] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> BuildConfig:
        """The config a build.json was written with (its other keys are ignored)."""
        return cls(**{k: obj[k] for k in cls.__dataclass_fields__ if k in obj})


@dataclass
class BuildContext:
    """What a step sees: the build folder (inputs), its scratch folder (outputs), config, board."""

    dir: Path
    config: BuildConfig
    board: Board
    stage: Path = field(default_factory=Path)
    log: Callable[[str], None] = print

    def relocate(self, obj: Any) -> Any:
        """``obj`` (JSON-able) with paths into the scratch folder pointing where the artifacts will be."""
        return json.loads(json.dumps(obj).replace(str(self.stage), str(self.dir)))


@dataclass(frozen=True)
class Step:
    """One build step: its function, the artifacts it makes, the config keys and the sources it depends on.

    ``sources``: the hardware source files or folders (``toolkit.resources``) the step reads.
    """

    name: str
    run: Callable[[BuildContext], dict[str, Any]]
    artifacts: tuple[str, ...]
    depends: tuple[str, ...]
    summary: Callable[[dict[str, Any]], str] = lambda result: ""
    sources: tuple[Path, ...] = ()


def read_build_json(build_dir: Path) -> dict[str, Any]:
    path = Path(build_dir) / "build.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ToolkitError(f"'{build_dir}' is not a build folder: it has no build.json") from None
    except json.JSONDecodeError as exc:
        raise ToolkitError(f"'{path}' is not valid JSON ({exc})") from None


def record_path(build_dir: Path, index: int, step: Step) -> Path:
    return Path(build_dir) / "steps" / f"{index:02d}-{step.name}.json"


def read_record(build_dir: Path, index: int, step: Step) -> dict[str, Any] | None:
    path = record_path(build_dir, index, step)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None  # a damaged record is no record: the step runs again


FILE_KEYS = ("model", "data", "plan")  # config values that may name a file: its content goes into the key


def step_key(steps: Sequence[Step], index: int, config: BuildConfig) -> str:
    """Content hash of what step ``index`` and every earlier step depend on.

    The config values they name, the sha256 of each of those values that is a file
    (model, data, plan) and of the board file, the toolkit version, and the hash of the hardware sources they use.
    """
    values = config.to_json()
    earlier = steps[: index + 1]
    keys = sorted({k for s in earlier for k in s.depends})
    if "layers" in keys and not values["layers"]:  # builds without overrides keep the keys they had
        keys.remove("layers")
    files = {k: _file_sha256(values[k]) for k in keys if k in FILE_KEYS and values[k]}
    if "board" in keys:  # the board file's facts, not only its name
        files["board_file"] = _file_sha256(str(BOARDS_DIR / f"{values['board']}.toml"))
    sources = sorted({str(p) for s in earlier for p in s.sources})
    return content_hash(
        {k: values[k] for k in keys}, files, __version__, [sources_hash(Path(p)) for p in sources]
    )


def _file_sha256(value: str) -> str | None:
    """sha256 of the file ``value`` names (None for a non-file value such as ``zoo:NAME`` or ``digits``)."""
    path = Path(value)
    if not path.is_file():
        return None
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def run_build(
    steps: Sequence[Step],
    build_dir: Path,
    config: BuildConfig,
    start_from: str | None = None,
    stop_after: str | None = None,
    log: Callable[[str], None] = print,
    store: StepStore | None = None,
) -> list[dict[str, Any]]:
    """Run (or reuse) every step in order; returns the records. Raises ToolkitError on a failed step.

    ``store``: a step store shared by several build folders (a sweep's): a step this folder
    has not done is copied from another folder that passed it with the same key, and a step
    that runs here is published for the others (:mod:`toolkit.pipeline.store`).
    """
    names = [s.name for s in steps]
    for option, value in (("--from", start_from), ("--to", stop_after)):
        if value is not None and value not in names:
            raise ToolkitError(f"{option} {value!r} is not a build step: expected one of {', '.join(names)}")
    config = normalize_config(config)
    board = load_board(config.board)
    build_dir = Path(build_dir)
    _write_build_json(build_dir, config)
    force_from = names.index(start_from) if start_from else len(steps)
    last = names.index(stop_after) if stop_after else len(steps) - 1
    records: list[dict[str, Any]] = []
    reusing = True
    for index, step in enumerate(steps[: last + 1]):
        key = step_key(steps, index, config)
        old = read_record(build_dir, index, step)
        if reusing and index < force_from and _reusable(old, key, build_dir, step):
            assert old is not None
            records.append(old | {"reused": True})
            log(f"[{index + 1}/{len(steps)}] {step.name}: reused ({old['seconds']:.1f} s when it ran)")
            continue
        reusing = False
        _invalidate(steps, build_dir, index)
        if store is None:
            log(f"[{index + 1}/{len(steps)}] {step.name} ...")
            record = _run_step(step, index, build_dir, config, board, key, log)
        else:
            record = _run_or_adopt(step, index, build_dir, config, board, key, log, store, len(steps))
        records.append(record)
        if "reused_from" not in record:
            log(f"[{index + 1}/{len(steps)}] {step.name}: {record['status']} in {record['seconds']:.1f} s")
    write_atomic_json(build_dir / "summary.json", {"config": config.to_json(), "steps": records})
    return records


def _run_or_adopt(
    step: Step,
    index: int,
    build_dir: Path,
    config: BuildConfig,
    board: Board,
    key: str,
    log: Callable[[str], None],
    store: StepStore,
    total: int,
) -> dict[str, Any]:
    """Copy the step from another build folder of the store that passed it with this key, else run and publish it.

    The key's lock is held meanwhile, so folders that need the same step run it once.
    """
    with store.lock(step.name, key):
        adopted = store.adopt(step, index, key, build_dir)
        if adopted is not None:
            log(f"[{index + 1}/{total}] {step.name}: reused from {adopted['reused_from']}")
            return adopted
        log(f"[{index + 1}/{total}] {step.name} ...")
        record = _run_step(step, index, build_dir, config, board, key, log)
        if record["status"] == "passed":
            store.publish(step, index, key, build_dir)
        return record


def _reusable(record: dict[str, Any] | None, key: str, build_dir: Path, step: Step) -> bool:
    return (
        record is not None
        and record.get("status") == "passed"
        and record.get("key") == key
        and all((build_dir / a).exists() for a in step.artifacts)
    )


def _invalidate(steps: Sequence[Step], build_dir: Path, index: int) -> None:
    """Step ``index`` reruns: its record, artifacts and those of every later step go first."""
    for later, step in enumerate(steps[index:], start=index):
        record_path(build_dir, later, step).unlink(missing_ok=True)
        for artifact in step.artifacts:
            _remove(build_dir / artifact)
    (build_dir / "summary.json").unlink(missing_ok=True)


def _run_step(
    step: Step,
    index: int,
    build_dir: Path,
    config: BuildConfig,
    board: Board,
    key: str,
    log: Callable[[str], None],
) -> dict[str, Any]:
    stage = build_dir / f".stage-{step.name}"
    _remove(stage)
    stage.mkdir(parents=True)
    ctx = BuildContext(build_dir, config, board, stage, log)
    started = _now()
    t0 = time.perf_counter()
    record: dict[str, Any] = {"step": step.name, "index": index, "key": key, "started": started}
    try:
        result = ctx.relocate(step.run(ctx))
    except BaseException as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        record |= {
            "status": "interrupted" if interrupted else "failed",
            "seconds": time.perf_counter() - t0,
            "finished": _now(),
            "message": "interrupted" if interrupted else str(exc) or type(exc).__name__,
        }
        if interrupted:
            _remove(stage)
        else:
            record["kept_for_inspection"] = str(stage)  # removed when the step runs again
        write_atomic_json(record_path(build_dir, index, step), record)
        if isinstance(exc, ToolkitError | KeyboardInterrupt):
            raise
        raise ToolkitError(f"build step {step.name!r} failed: {type(exc).__name__}: {exc}") from exc
    status = result.pop("status", "passed")
    if status not in ("passed", "not_run"):
        raise ToolkitError(f"step {step.name!r} returned status {status!r}: expected passed or not_run")
    for artifact in step.artifacts:
        made = stage / artifact
        if made.exists():
            _remove(build_dir / artifact)
            made.rename(build_dir / artifact)
        elif status == "passed":
            raise ToolkitError(
                f"build step {step.name!r} passed without making {artifact!r} (a pipeline bug)"
            )
    _remove(stage)
    record |= {
        "status": status,
        "seconds": time.perf_counter() - t0,
        "finished": _now(),
        "artifacts": [a for a in step.artifacts if (build_dir / a).exists()],
        "summary": step.summary(result),
        "result": result,
    }
    write_atomic_json(record_path(build_dir, index, step), record)
    return record


def normalize_config(config: BuildConfig) -> BuildConfig:
    """Fill the default dataset and make file paths absolute, so the config hashes the same from anywhere."""
    from toolkit.models.loading import default_dataset_for

    values = config.to_json()
    if values["layers"]:
        values["layers"] = check_layers(values["layers"], "layers")
    values["data"] = config.data or default_dataset_for(config.model)
    if values["data"] is None:
        raise ToolkitError(f"--data is required for model {config.model!r} (digits, mnist1d or an .npz path)")
    for key in ("data", "model", "plan"):
        value = values[key]
        if value and value.endswith((".npz", ".h5", ".keras", ".json")):
            values[key] = str(Path(value).resolve())
    values["families"] = normalize_families(config.families)
    return BuildConfig(**values)


def normalize_families(families: str | None) -> str | None:
    """Sorted, de-duplicated comma-separated multiplier families (same set, same key); unknown names fail."""
    from toolkit.multipliers.registry import FAMILIES

    if families is None:
        return None
    names = sorted({f.strip() for f in families.split(",") if f.strip()})
    unknown = [n for n in names if n not in FAMILIES or n == "exact"]
    if not names or unknown:
        raise ToolkitError(
            f"families {families!r}: {'unknown ' + ', '.join(map(repr, unknown)) if unknown else 'none named'}; "
            f"expected comma-separated names from {', '.join(f for f in FAMILIES if f != 'exact')}"
        )
    return ",".join(names)


def _write_build_json(build_dir: Path, config: BuildConfig) -> None:
    build_dir.mkdir(parents=True, exist_ok=True)
    write_atomic_json(build_dir / "build.json", {"format": BUILD_FORMAT, "version": 1} | config.to_json())
    write_config_toml(build_dir, config)  # the same normalized config, as a file --config accepts


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
