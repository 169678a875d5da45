"""The overlay package's manifest: read it, verify the package against it, write it.

``PKG/manifest.json`` names the board, the model and plan hashes, the stream format, the
bitstream and hwh (or null when no Vivado built them), the tool versions, and the sha256
of every other file in the package. :func:`verify_package` refuses a package whose files
changed, whose plan is not the one hashed, or that was built for another board.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit_overlay.errors import OverlayError
from toolkit_overlay.files import sha256_file, write_atomic_json
from toolkit_overlay.stream import AxisFormat

FORMAT = "toolkit-overlay"
VERSION = 1
MANIFEST = "manifest.json"
#: fields the package step must give (``write_manifest`` adds format, version, plan_hash and files)
REQUIRED = ("board", "model", "model_hash", "bitstream", "hwh", "tools", "clock_mhz", "stream",
            "input_shape", "output_shape")  # fmt: skip
_SKIP_DIRS = ("__pycache__",)
ACCELERATORS = ("hls4ml", "rtl")


@dataclass(frozen=True)
class Manifest:
    """A loaded manifest (``raw`` is the JSON object) and the package folder it describes."""

    path: Path
    raw: dict[str, Any]

    @property
    def package(self) -> Path:
        return self.path.parent

    @property
    def board(self) -> str:
        return str(self.raw["board"])

    @property
    def model(self) -> str:
        return str(self.raw["model"])

    @property
    def clock_mhz(self) -> float:
        return float(self.raw["clock_mhz"])

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.raw["input_shape"])

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.raw["output_shape"])

    @property
    def axis_in(self) -> AxisFormat:
        stream = self.raw["stream"]
        return AxisFormat.from_json(stream.get("in"), int(stream.get("data_bits", 64)), "stream.in")

    @property
    def axis_out(self) -> AxisFormat:
        stream = self.raw["stream"]
        return AxisFormat.from_json(stream.get("out"), int(stream.get("data_bits", 64)), "stream.out")

    @property
    def bitstream(self) -> Path | None:
        name = self.raw.get("bitstream")
        return self.package / name if name else None

    @property
    def hwh(self) -> Path | None:
        name = self.raw.get("hwh")
        return self.package / name if name else None

    def board_facts(self) -> dict[str, Any]:
        """PKG/board.json (the board file's facts), or {} when the package has none."""
        path = self.package / "board.json"
        if not path.is_file():
            return {}
        return _read_json(path, "board facts")

    def require_bitstream(self) -> Path:
        """The bitstream path (its .hwh beside it, as PYNQ needs), or a clear error when not built."""
        bit, hwh = self.bitstream, self.hwh
        if bit is None:
            tools = ", ".join(f"{k} {v}" for k, v in (self.raw.get("tools") or {}).items()) or "none recorded"
            raise OverlayError(
                f"package {self.package} has no bitstream (manifest bitstream = null; tools: {tools}): "
                "it was built where Vivado is not installed; rebuild it with Vivado to run it on a board"
            )
        if hwh is None or hwh.stem != bit.stem:
            raise OverlayError(
                f"package {self.package}: bitstream {bit.name} needs its hardware handoff "
                f"{bit.stem}.hwh beside it (manifest hwh = {self.raw.get('hwh')!r})"
            )
        for path in (bit, hwh):
            if not path.is_file():
                raise OverlayError(
                    f"package {self.package}: {path.name} is named in the manifest but missing"
                )
        part = self.board_facts().get("part")
        if not part:
            raise OverlayError(
                f"package {self.package}: board.json names no part to check {bit.name} against"
            )
        from toolkit_overlay.bitstream import check_bitstream

        check_bitstream(bit, part)
        return bit

    def summary(self) -> dict[str, Any]:
        """What a results file records about the package it measured."""
        keys = ("board", "model", "model_hash", "plan_hash", "plan_exact", "bitstream", "tools", "clock_mhz")
        return {"path": str(self.package.resolve()), **{k: self.raw.get(k) for k in keys},
                "accelerator": self.accelerator}  # fmt: skip

    @property
    def accelerator(self) -> dict[str, Any]:
        """What the bitstream holds: ``kind`` hls4ml (HLS IP) or rtl (generated RTL); both have the same
        AXI-Stream ports behind the same DMA, so this runtime drives either. Packages made before the
        field existed hold the hls4ml design."""
        acc = self.raw.get("accelerator") or {"kind": "hls4ml"}
        if not isinstance(acc, dict) or acc.get("kind") not in ACCELERATORS:
            raise OverlayError(
                f"{self.path}: accelerator {acc!r}: expected kind one of {', '.join(ACCELERATORS)}"
            )
        return acc


def load_manifest(package: Path | str) -> Manifest:
    """Read and check ``PACKAGE/manifest.json`` (format, version, fields) without checking files."""
    pkg = Path(package)
    path = pkg / MANIFEST
    if not path.is_file():
        what = "does not exist" if not pkg.exists() else f"has no {MANIFEST}"
        raise OverlayError(
            f"package {pkg} {what}: expected an overlay package folder made by `toolkit build`"
        )
    raw = _read_json(path, "manifest")
    if raw.get("format") != FORMAT:
        raise OverlayError(f"{path}: format {raw.get('format')!r}: expected {FORMAT!r}")
    if raw.get("version") != VERSION:
        raise OverlayError(
            f"{path}: version {raw.get('version')!r}: this runtime reads version {VERSION} (rebuild the package)"
        )
    missing = [k for k in (*REQUIRED, "plan_hash", "files") if k not in raw]
    if missing:
        raise OverlayError(f"{path} lacks {', '.join(missing)}")
    if not isinstance(raw["files"], dict):
        raise OverlayError(f"{path}: files = {raw['files']!r}: expected an object of name -> sha256")
    manifest = Manifest(path, raw)
    ai, ao = manifest.axis_in, manifest.axis_out  # checks the stream formats
    for side, fmt, shape in (("input", ai, manifest.input_shape), ("output", ao, manifest.output_shape)):
        size = 1
        for d in shape:
            size *= d
        if size != fmt.codes:
            raise OverlayError(f"{path}: {side}_shape {list(shape)} has {size} codes; stream has {fmt.codes}")
    return manifest


def verify_package(package: Path | str, board: str | None = None) -> Manifest:
    """Load the manifest and check the plan hash, every listed file's sha256 and the board.

    ``board``: the board this runs on (``None``: not checked). Names compare loosely
    ("Pynq-Z2" as PYNQ's ``$BOARD`` says it matches "pynq-z2").
    """
    manifest = load_manifest(package)
    pkg = manifest.package
    manifest.accelerator  # noqa: B018  (a bad accelerator field is refused here)
    if board is not None and _board_key(board) != _board_key(manifest.board):
        raise OverlayError(
            f"package built for {manifest.board}, this board is {board}: build the package for {board} "
            f"(toolkit build --board {board})"
        )
    plan = pkg / "plan.json"
    if not plan.is_file():
        raise OverlayError(f"package {pkg} lacks plan.json")
    actual = plan_hash(plan)
    if actual != manifest.raw["plan_hash"]:
        raise OverlayError(
            f"{plan}: sha256 {actual} does not match the manifest's plan_hash {manifest.raw['plan_hash']}: "
            "the plan was changed after packaging (rebuild the package)"
        )
    for name, digest in sorted(manifest.raw["files"].items()):
        path = _inside(pkg, name)
        if not path.is_file():
            raise OverlayError(f"package {pkg}: {name} is listed in the manifest but missing")
        actual = sha256_file(path)
        if actual != digest:
            raise OverlayError(
                f"package {pkg}: {name} has sha256 {actual[:16]}..., the manifest lists {str(digest)[:16]}...: "
                "the file changed after packaging (rebuild or re-copy the package)"
            )
    return manifest


def write_manifest(package: Path | str, fields: dict[str, Any]) -> dict[str, Any]:
    """Write ``PACKAGE/manifest.json`` atomically from ``fields`` and return it.

    Adds format, version, plan_hash (of PACKAGE/plan.json) and the sha256 of every file in
    the package (except the manifest and ``__pycache__``). Extra fields are kept.
    """
    pkg = Path(package)
    missing = [k for k in REQUIRED if k not in fields]
    if missing:
        raise OverlayError(
            f"manifest fields lack {', '.join(missing)}: expected all of {', '.join(REQUIRED)}"
        )
    for key, expected in (("format", FORMAT), ("version", VERSION)):
        if key in fields and fields[key] != expected:
            raise OverlayError(f"manifest {key} {fields[key]!r}: expected {expected!r}")
    if not (pkg / "plan.json").is_file():
        raise OverlayError(f"package {pkg} lacks plan.json (the plan_hash is its hash)")
    for key in ("bitstream", "hwh"):
        if fields[key] is not None and not (pkg / fields[key]).is_file():
            raise OverlayError(f"manifest {key} = {fields[key]!r}: no such file in {pkg}")
    files = {name: sha256_file(pkg / name) for name in _package_files(pkg)}
    manifest = {"format": FORMAT, "version": VERSION, **fields, "plan_hash": plan_hash(pkg / "plan.json"),
                "files": files}  # fmt: skip
    write_atomic_json(pkg / MANIFEST, manifest)
    load_manifest(pkg)  # what we wrote must read back
    return manifest


def plan_hash(path: Path) -> str:
    """sha256 hex[:16] of the plan file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def running_board(explicit: str | None = None) -> str | None:
    """The board this runs on: ``explicit``, else ``$TOOLKIT_BOARD``, else PYNQ's ``$BOARD``, else None."""
    return explicit or os.environ.get("TOOLKIT_BOARD") or os.environ.get("BOARD") or None


def _board_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _package_files(pkg: Path) -> list[str]:
    out = []
    for root, dirs, names in os.walk(pkg):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in names:
            rel = (Path(root) / name).relative_to(pkg).as_posix()
            if rel != MANIFEST and not name.endswith(".pyc") and not name.startswith("."):
                out.append(rel)
    return sorted(out)


def _inside(pkg: Path, name: str) -> Path:
    path = (pkg / name).resolve()
    if not str(path).startswith(str(pkg.resolve()) + os.sep):
        raise OverlayError(f"package {pkg}: manifest lists {name!r}, which is outside the package")
    return path


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise OverlayError(f"{what} {path} is not readable JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise OverlayError(f"{what} {path}: expected a JSON object")
    return raw
