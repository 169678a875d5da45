"""Deploy an overlay package to a PYNQ board over SSH, measure it there, fetch the results.

Plain system ``ssh`` and ``scp`` (keys or an interactive password, whatever the user's SSH
is set up for): copy PKG to ``HOST:REMOTE_DIR/<name>``, run ``python3 -m toolkit_overlay
measure`` in it (the package carries the runtime), copy ``results.json`` back. A relative
``remote_dir`` is relative to the remote home. Every failure names the command and its stderr.

With ``baseline`` (an exact build's results.json from an earlier deploy, or its measure.json)
the measured saving is computed here, through the same checks and the same function as
``toolkit measure --baseline``, and added to the fetched results under ``energy``; a results
file of an exact build is itself what ``--baseline`` accepts.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.cache import atomic_path
from toolkit.errors import EXIT_MISMATCH, HardwareMismatch, ToolkitError

MISMATCH_EXIT = EXIT_MISMATCH  # python -m toolkit_overlay measure: results written, outputs differ


@dataclass
class Deployed:
    """Where the results landed, what they say, and what the board printed."""

    results_path: Path
    results: dict[str, Any]
    remote_package: str
    log: str


def deploy(
    host: str,
    package: Path | str,
    user: str | None = None,
    remote_dir: str = "toolkit_runs",
    out: Path | str | None = None,
    measure_args: list[str] | None = None,
    python: str = "python3",
    ssh: str = "ssh",
    scp: str = "scp",
    timeout_s: float = 3600.0,
    baseline: Path | str | None = None,
) -> Deployed:
    """Copy ``package`` to ``host``, measure it there, fetch its results to ``out``.

    ``measure_args``: extra arguments of ``python -m toolkit_overlay measure`` (``--meter``,
    ``--samples``...). ``python``: the board's interpreter command (e.g. ``sudo -E
    /usr/local/share/pynq-venv/bin/python3`` where PYNQ needs root). ``out`` defaults to
    ``PACKAGE/results-HOST.json``. ``baseline``: checked before anything is copied (see the module).
    """
    pkg = Path(package)
    if not (pkg / "manifest.json").is_file():
        raise ToolkitError(f"{pkg} is not an overlay package (no manifest.json): expected the package folder")
    base = _check_baseline(pkg, baseline) if baseline is not None else None
    if not (pkg / "toolkit_overlay" / "__main__.py").is_file():
        raise ToolkitError(f"{pkg} lacks its runtime copy toolkit_overlay/: rebuild the package")
    ssh_cmd, scp_cmd = _tool(ssh, "ssh"), _tool(scp, "scp")
    if not host or host.startswith("-") or any(c.isspace() for c in host):
        raise ToolkitError(f"host {host!r}: expected a host name or address")
    target = f"{user}@{host}" if user else host
    remote_pkg = f"{remote_dir.rstrip('/')}/{pkg.resolve().name}"
    out_path = Path(out) if out is not None else pkg / f"results-{host}.json"
    q = shlex.quote
    _run([ssh_cmd, target, f"rm -rf {q(remote_pkg)} && mkdir -p {q(remote_dir)}"], "prepare the remote folder",
         timeout_s)  # fmt: skip
    _run([scp_cmd, "-q", "-r", str(pkg.resolve()), f"{target}:{remote_dir}/"], "copy the package", timeout_s)
    args = " ".join(q(a) for a in (measure_args or []))
    remote = f"cd {q(remote_pkg)} && rm -f results.json && {python} -m toolkit_overlay measure . --out results.json {args}"
    measured = _run(
        [ssh_cmd, target, remote.strip()], "measure on the board", timeout_s, ok=(0, MISMATCH_EXIT)
    )
    with atomic_path(out_path) as tmp:
        _run([scp_cmd, "-q", f"{target}:{remote_pkg}/results.json", str(tmp)], "fetch the results", timeout_s)
        try:
            results = json.loads(tmp.read_text())
        except ValueError as exc:
            raise ToolkitError(f"the board's results.json is not JSON ({exc})") from None
    log = measured.stdout + measured.stderr
    if base is not None and measured.returncode != MISMATCH_EXIT:
        from toolkit.cache import write_atomic_json
        from toolkit.measure.run import energy_section

        results["energy"] = energy_section(results, None, base, baseline)
        write_atomic_json(out_path, results)
    if measured.returncode == MISMATCH_EXIT:
        raise HardwareMismatch(
            f"{results.get('mismatches')} of {results.get('samples')} samples on {host} differ from the emulator: "
            f"a hardware/bitstream defect (results in {out_path})"
        )
    return Deployed(out_path, results, remote_pkg, log)


def _check_baseline(pkg: Path, baseline: Path | str) -> dict[str, Any]:
    """``toolkit measure``'s baseline checks against this package's manifest (its board, model, plan)."""
    from toolkit_overlay.errors import OverlayError
    from toolkit_overlay.manifest import load_manifest

    from toolkit.measure.run import check_baseline

    try:
        manifest = load_manifest(pkg)
    except OverlayError as exc:
        raise ToolkitError(str(exc)) from None
    return check_baseline(baseline, manifest.raw.get("board"), manifest)


def _tool(name: str, what: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolkitError(
            f"{what} ({name!r}) not found on PATH: deploy needs the OpenSSH client (apt-get install openssh-client)"
        )
    return path


def _run(
    cmd: list[str], what: str, timeout_s: float, ok: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess:
    shown = " ".join(shlex.quote(c) for c in cmd)
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise ToolkitError(f"could not {what}: `{shown}` took longer than {timeout_s:g} s") from None
    except OSError as exc:
        raise ToolkitError(f"could not {what}: `{shown}` did not start ({exc})") from None
    if done.returncode not in ok:
        tail = (done.stderr.strip() or done.stdout.strip() or "no output")[-2000:]
        hint = (
            " (ssh could not connect: check the host, the user and your SSH keys)"
            if done.returncode == 255
            else ""
        )
        raise ToolkitError(f"could not {what}: `{shown}` exited {done.returncode}{hint}: {tail}")
    return done
