"""The sweep CONFIG (TOML or YAML): axes, fixed build options, run options -> the list of points.

```toml
[axes]                                   # every combination is one point
models = ["zoo:digits-mlp", "zoo:digits-cnn"]
budgets = [0.5, 2.0]
families = ["trunc", "perfw,drum", "all"]
corrections = [true, false]              # control-variate correction offered or not
quantize = ["density", 4]                # activation density, or every layer at fixed bits

[options]                                # the same for every point: any `toolkit build` option
board = "pynq-z2"

[run]
to = "package"                           # last build step of each point
measure = "sim"                          # then `toolkit measure --target sim|board|auto` (or none)
limit = 100                              # test vectors each point measures
```

Everything is checked here, before any point starts: an unknown section, axis or
option, an empty axis, an unknown model, board or family, a value of the wrong kind.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from toolkit.cache import content_hash
from toolkit.errors import ToolkitError
from toolkit.pipeline.engine import BuildConfig, normalize_config, normalize_families

#: axis name in CONFIG -> the BuildConfig field it sets (``quantize`` may also set ``bits``)
AXES: dict[str, str] = {
    "models": "model",
    "boards": "board",
    "budgets": "budget",
    "families": "families",
    "corrections": "cv",
    "quantize": "quantize",
    "backends": "backend",
    "accelerators": "accelerator",
    "io_types": "io_type",
    "strategies": "strategy",
    "fold": "fold_batchnorm",
    "seeds": "seed",
}
CHOICES: dict[str, tuple[str, ...]] = {
    "backend": ("Vitis", "Vivado"),
    "accelerator": ("hls4ml", "rtl"),
    "io_type": ("io_parallel", "io_stream"),
    "strategy": ("Latency", "Resource"),
    "quantize": ("auto", "density", "keep"),
}
RUN_KEYS = {"to": "last build step of each point", "measure": "sim | board | auto | none",
            "limit": "test vectors each point measures", "vivado_memory_gb": "memory a Vivado point asks for"}  # fmt: skip
MEASURE_TARGETS = ("sim", "board", "auto", "none")  # auto: the board when pynq finds one, else sim
SECTIONS = ("axes", "options", "run")


@dataclass(frozen=True)
class RunOptions:
    """What each point does after its build config is fixed."""

    to: str = "package"
    measure: str = "sim"
    limit: int | None = 100
    vivado_memory_gb: float = 16.0


@dataclass(frozen=True)
class Point:
    """One point of the sweep: its build config, the axis values that name it, and its folder name."""

    id: str
    config: BuildConfig
    axes: dict[str, Any]
    run: RunOptions
    key: str = field(default="")  # of the build config (names the folder: a new [run] resumes the same build)

    @property
    def result_key(self) -> str:
        """What a finished point's result depends on: its build config and its run options."""
        return content_hash(self.key, asdict(self.run) | {"vivado_memory_gb": None})

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "axes": self.axes, "config": self.config.to_json(), "key": self.result_key}


@dataclass(frozen=True)
class SweepConfig:
    path: Path
    axes: dict[str, list[Any]]
    points: list[Point]
    run: RunOptions


def load_sweep(path: Path | str) -> SweepConfig:
    """Read and check CONFIG; return every point (nothing is built)."""
    path = Path(path)
    raw = _read(path)
    unknown = [k for k in raw if k not in SECTIONS]
    if unknown:
        raise ToolkitError(f"sweep config '{path}': unknown section(s) {', '.join(map(repr, unknown))}; "
                           f"expected {', '.join(SECTIONS)}")  # fmt: skip
    axes_raw = _table(raw, "axes", path)
    if not axes_raw:
        raise ToolkitError(f"sweep config '{path}' has no [axes]: expected at least one of {', '.join(AXES)}")
    base = path.parent
    axes: dict[str, list[Any]] = {}
    for name, values in axes_raw.items():
        if name not in AXES:
            raise ToolkitError(
                f"sweep config '{path}': unknown axis {name!r}; expected one of {', '.join(AXES)}"
            )
        if not isinstance(values, list):
            raise ToolkitError(f"axis {name!r} in '{path}' is {values!r}: expected a list of values")
        if not values:
            raise ToolkitError(f"axis {name!r} in '{path}' is empty: expected at least one value")
        axes[name] = [_axis_value(name, v, base) for v in values]
        if len(set(map(repr, axes[name]))) != len(axes[name]):
            raise ToolkitError(
                f"axis {name!r} in '{path}' repeats a value ({values!r}): expected distinct values"
            )
    options = _options(_table(raw, "options", path), axes, base, path)
    run = _run_options(_table(raw, "run", path), path)
    points = _points(axes, options, run)
    return SweepConfig(path, axes, points, run)


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ToolkitError(f"sweep config '{path}' does not exist: expected a .toml or .yaml file")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            raise ToolkitError(f"sweep config '{path}': expected a .toml, .yaml or .yml file")
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ToolkitError(f"sweep config '{path}' is not valid {path.suffix[1:].upper()}: {exc}") from None
    except Exception as exc:  # yaml.YAMLError
        if type(exc).__module__.startswith("yaml"):
            raise ToolkitError(f"sweep config '{path}' is not valid YAML: {exc}") from None
        raise
    if not isinstance(data, dict):
        raise ToolkitError(
            f"sweep config '{path}' holds {type(data).__name__}: expected sections {', '.join(SECTIONS)}"
        )
    return data


def _table(raw: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        raise ToolkitError(f"[{name}] in '{path}' is {value!r}: expected a table of keys and values")
    return value


def _axis_value(axis: str, value: Any, base: Path) -> Any:
    """One axis value, checked; for ``quantize`` an integer means fixed bits."""
    fld = AXES[axis]
    where = f"axis {axis!r} value {value!r}"
    if fld == "quantize" and isinstance(value, int) and not isinstance(value, bool):
        if not 2 <= value <= 16:
            raise ToolkitError(
                f"{where}: fixed bits must be 2..16 (or one of {', '.join(CHOICES['quantize'])})"
            )
        return value
    if fld == "families" and value == "all":
        return value
    return check_option(fld, value, base, where)


def check_option(fld: str, value: Any, base: Path, where: str) -> Any:
    """A build option's value, checked as `toolkit build` would check it (paths relative to ``base``)."""
    if fld in ("model",):
        return _check_model(str(value), base, where)
    if fld == "board":
        from toolkit.boards import list_boards

        if value not in list_boards():
            raise ToolkitError(f"{where}: unknown board; expected one of {', '.join(list_boards())}")
        return value
    if fld == "budget":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise ToolkitError(
                f"{where}: expected a finite number of points >= 0 (the accuracy loss allowed)"
            )
        return float(value)
    if fld == "families":
        if not isinstance(value, str):
            raise ToolkitError(f"{where}: expected a family name or comma-separated names, or 'all'")
        return normalize_families(value)
    if fld in ("cv", "fold_batchnorm"):
        if not isinstance(value, bool):
            raise ToolkitError(f"{where}: expected true or false")
        return value
    if fld in ("seed", "bits"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ToolkitError(f"{where}: expected an integer")
        return value
    if fld in CHOICES:
        if value not in CHOICES[fld]:
            raise ToolkitError(f"{where}: expected one of {', '.join(CHOICES[fld])}")
        return value
    if fld in ("data", "plan", "bitstreams"):
        text = str(value)
        if text.endswith((".npz", ".json")) or fld == "bitstreams":
            resolved = (base / text).resolve()
            if fld != "bitstreams" and not resolved.is_file():
                raise ToolkitError(f"{where}: no such file '{resolved}'")
            return str(resolved)
        if fld == "data" and text not in ("digits", "mnist1d"):
            raise ToolkitError(f"{where}: expected digits, mnist1d or an .npz path")
        return text
    raise ToolkitError(f"{where}: {fld!r} is not a build option")  # pragma: no cover (OPTIONS covers all)


def _check_model(value: str, base: Path, where: str) -> str:
    if value.startswith("zoo:"):
        from toolkit.models.zoo import zoo_entry

        try:
            zoo_entry(value[4:])
        except ToolkitError as exc:
            raise ToolkitError(f"{where}: {exc}") from None
        return value
    resolved = (base / value).resolve()
    if not resolved.is_file() or resolved.suffix not in (".h5", ".keras"):
        raise ToolkitError(f"{where}: expected zoo:NAME (see `toolkit zoo`) or an existing .h5/.keras file")
    return str(resolved)


def _options(raw: dict[str, Any], axes: dict[str, list[Any]], base: Path, path: Path) -> dict[str, Any]:
    fields = set(BuildConfig.__dataclass_fields__)
    out = {}
    for key, value in raw.items():
        key = key.replace("-", "_")
        if key not in fields:
            raise ToolkitError(f"[options] {key!r} in '{path}' is not a build option: expected one of "
                               f"{', '.join(sorted(fields))}")  # fmt: skip
        if key in {AXES[a] for a in axes}:
            raise ToolkitError(f"[options] {key!r} in '{path}' is also an axis: give it in one place")
        out[key] = value if value is None else check_option(key, value, base, f"[options] {key}={value!r}")
    return out


def _run_options(raw: dict[str, Any], path: Path) -> RunOptions:
    from toolkit.pipeline.build import STEP_NAMES

    for key in raw:
        if key not in RUN_KEYS:
            raise ToolkitError(f"[run] {key!r} in '{path}' is unknown: expected "
                               + ", ".join(f"{k} ({v})" for k, v in RUN_KEYS.items()))  # fmt: skip
    run = RunOptions(**raw)
    if run.to not in STEP_NAMES:
        raise ToolkitError(f"[run] to={run.to!r}: expected a build step, one of {', '.join(STEP_NAMES)}")
    if run.measure not in MEASURE_TARGETS:
        raise ToolkitError(f"[run] measure={run.measure!r}: expected one of {', '.join(MEASURE_TARGETS)}")
    if run.measure != "none" and run.to != STEP_NAMES[-1]:
        raise ToolkitError(f"[run] measure={run.measure!r} needs the overlay package: set to={STEP_NAMES[-1]!r} "
                           "or measure='none'")  # fmt: skip
    if run.limit is not None and (
        isinstance(run.limit, bool) or not isinstance(run.limit, int) or run.limit < 1
    ):
        raise ToolkitError(f"[run] limit={run.limit!r}: expected an integer >= 1")
    if not isinstance(run.vivado_memory_gb, int | float) or run.vivado_memory_gb <= 0:
        raise ToolkitError(f"[run] vivado_memory_gb={run.vivado_memory_gb!r}: expected a number > 0")
    return run


def _points(axes: dict[str, list[Any]], options: dict[str, Any], run: RunOptions) -> list[Point]:
    points = []
    varying = [a for a, v in axes.items() if len(v) > 1]
    for combo in itertools.product(*axes.values()):
        values = dict(zip(axes, combo, strict=True))
        fields = dict(options)
        for axis, value in values.items():
            fld = AXES[axis]
            if fld == "quantize" and isinstance(value, int):
                fields |= {"quantize": "density", "bits": value}
            elif fld == "families" and value == "all":
                fields["families"] = None
            else:
                fields[fld] = value
        config = normalize_config(BuildConfig(**fields))
        key = content_hash(config.to_json())
        name = "_".join(_slug(a, values[a]) for a in varying) or "point"
        points.append(Point(f"{name}-{key[:8]}", config, values, run, key))
    return points


def _slug(axis: str, value: Any) -> str:
    if axis == "models":
        return Path(str(value).removeprefix("zoo:")).stem
    if axis == "budgets":
        return f"b{value:g}"
    if axis == "corrections":
        return "cv" if value else "nocv"
    if axis == "fold":
        return "fold" if value else "nofold"
    if axis == "seeds":
        return f"s{value}"
    if axis == "quantize" and isinstance(value, int):
        return f"q{value}b"
    return str(value).replace(",", "+").replace("/", "-")
