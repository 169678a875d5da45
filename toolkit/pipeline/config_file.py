"""``build.toml``: every ``toolkit build`` option in a file, plus per-layer overrides.

::

    board = "pynq-z2"
    model = "my_qkeras.h5"          # relative paths are relative to this file
    data = "my_data.npz"
    budget = 0.5
    io-type = "io_stream"           # the CLI option's name; io_type works too
    out = "builds/mine"             # run options: out, from, to
    [layers.dense_1]
    multiplier = "trunc2"           # a registry name or short form (completed from the layer's widths)
    correction = "cv"               # none | cv | bias
    [layers.conv2d]
    bits = 4                        # activation-density width of this layer (quantize = density)

Options given on the command line (or as arguments of :func:`toolkit.build`) override the file.
The build folder gets the normalized configuration back as ``BUILD/build.toml`` (absolute
paths, the default dataset filled in, every option spelled out), which ``--config`` accepts as is.
"""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from toolkit.cache import atomic_path
from toolkit.errors import ToolkitError

RUN_OPTIONS = ("out", "from", "to")  # how to run, not what to build: not in BuildConfig
LAYER_KEYS = ("bits", "multiplier", "correction")
CORRECTIONS = ("none", "cv", "bias")
PATH_KEYS = ("model", "data", "plan", "bitstreams", "out")
NORMALIZED_NAME = "build.toml"


def config_keys() -> tuple[str, ...]:
    from toolkit.pipeline.engine import BuildConfig

    return tuple(f.name for f in fields(BuildConfig))


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The options in a build.toml, keyed as BuildConfig fields (plus out/from/to), paths resolved."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ToolkitError(f"config file '{path}' not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ToolkitError(f"config file '{path}' is not valid TOML ({exc})") from None
    known = config_keys() + RUN_OPTIONS
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name == "layers":
            out["layers"] = check_layers(value, f"config file '{path}'")
            continue
        if name not in known:
            spelled = ", ".join(k.replace("_", "-") for k in known)
            raise ToolkitError(
                f"config file '{path}': unknown option {key!r}; expected one of {spelled}, [layers.NAME]"
            )
        if isinstance(value, dict | list):
            raise ToolkitError(
                f"config file '{path}': option {key!r} must be a single value, not {type(value).__name__}"
            )
        if name in PATH_KEYS and isinstance(value, str) and _is_relative_path(name, value):
            value = str((path.parent / value).resolve())
        out[name] = value
    return out


def _is_relative_path(name: str, value: str) -> bool:
    if name == "model" and value.startswith("zoo:"):
        return False
    if name == "data" and value in ("digits", "mnist1d"):
        return False
    return not Path(value).is_absolute()


def check_layers(value: Any, where: str) -> dict[str, dict[str, Any]]:
    """Validate per-layer overrides: ``{layer: {bits?, multiplier?, correction?}}``."""
    if not isinstance(value, dict):
        raise ToolkitError(f"{where}: layers must be tables [layers.NAME], not {type(value).__name__}")
    layers: dict[str, dict[str, Any]] = {}
    for name, entry in value.items():
        if not isinstance(entry, dict) or not entry:
            raise ToolkitError(f"{where}: [layers.{name}] must set one of {', '.join(LAYER_KEYS)}")
        unknown = sorted(set(entry) - set(LAYER_KEYS))
        if unknown:
            raise ToolkitError(
                f"{where}: [layers.{name}] has {', '.join(map(repr, unknown))}; expected {', '.join(LAYER_KEYS)}"
            )
        bits = entry.get("bits")
        if bits is not None and (not isinstance(bits, int) or isinstance(bits, bool) or not 2 <= bits <= 16):
            raise ToolkitError(f"{where}: [layers.{name}] bits {bits!r}: expected an integer from 2 to 16")
        if "multiplier" in entry and not isinstance(entry["multiplier"], str):
            raise ToolkitError(
                f"{where}: [layers.{name}] multiplier {entry['multiplier']!r}: expected a name"
            )
        if "correction" in entry and entry["correction"] not in CORRECTIONS:
            raise ToolkitError(
                f"{where}: [layers.{name}] correction {entry['correction']!r}: expected one of {', '.join(CORRECTIONS)}"
            )
        layers[str(name)] = dict(entry)
    return layers


def write_config_toml(build_dir: Path, config: Any) -> Path:
    """``BUILD/build.toml``: the normalized config (every option, absolute paths), readable by --config."""
    values = config.to_json()
    lines = ["# The normalized configuration of this build (toolkit build --config accepts it).", ""]
    for key, value in values.items():
        if key == "layers" or value is None:
            continue
        lines.append(f"{key.replace('_', '-')} = {_toml_value(value)}")
    for name, entry in sorted((values.get("layers") or {}).items()):
        lines += ["", f"[layers.{_toml_key(name)}]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in entry.items()]
    target = Path(build_dir) / NORMALIZED_NAME
    with atomic_path(target) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return target


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _toml_key(name: str) -> str:
    return name if all(c.isalnum() or c in "-_" for c in name) else _toml_value(name)
