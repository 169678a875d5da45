"""``toolkit deploy`` with stand-in ssh/scp on PATH that record their arguments and act on a
local folder standing for the board's home."""

from __future__ import annotations

import json
import os
import sys

import pytest

from toolkit.errors import ToolkitError
from toolkit.measure.deploy import deploy

from .fake_package import make_package

SSH = """
import json, os, subprocess, sys
with open(os.environ["STUB_LOG"], "a") as fh:
    fh.write(json.dumps(["ssh", *sys.argv[1:]]) + "\\n")
if os.environ.get("STUB_SSH_FAIL"):
    sys.stderr.write("ssh: connect to host board port 22: Connection refused\\n")
    sys.exit(255)
target, command = sys.argv[1], sys.argv[2]
sys.exit(subprocess.run(["bash", "-c", command], cwd=os.environ["STUB_HOME"]).returncode)
"""
SCP = """
import json, os, shutil, sys
with open(os.environ["STUB_LOG"], "a") as fh:
    fh.write(json.dumps(["scp", *sys.argv[1:]]) + "\\n")
src, dst = [a for a in sys.argv[1:] if not a.startswith("-")]
local = lambda p: os.path.join(os.environ["STUB_HOME"], p.split(":", 1)[1]) if ":" in p else p
src, dst = local(src), local(dst)
if not os.path.exists(src):
    sys.stderr.write(f"scp: {src}: No such file or directory\\n")
    sys.exit(1)
if os.path.isdir(src):
    shutil.copytree(src, os.path.join(dst, os.path.basename(src.rstrip("/"))))
else:
    shutil.copy(src, dst)
"""
MEASURE = ["--device", "double", "--meter", "none", "--latency-repeats", "3"]


@pytest.fixture
def stubs(tmp_path, monkeypatch):
    bin_dir, home = tmp_path / "bin", tmp_path / "board-home"
    bin_dir.mkdir()
    home.mkdir()
    for name, body in (("ssh", SSH), ("scp", SCP)):
        path = bin_dir / name
        path.write_text(f"#!{sys.executable}\n{body}")
        path.chmod(0o755)
    log = tmp_path / "calls.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("STUB_LOG", str(log))
    monkeypatch.setenv("STUB_HOME", str(home))
    monkeypatch.delenv("BOARD", raising=False)
    monkeypatch.delenv("TOOLKIT_BOARD", raising=False)
    return home, lambda: [json.loads(line) for line in log.read_text().splitlines()]


def test_deploy_copies_measures_and_fetches(tmp_path, stubs) -> None:
    home, calls = stubs
    pkg = make_package(tmp_path)
    done = deploy("board", pkg, user="xilinx", remote_dir="runs", measure_args=MEASURE, python=sys.executable)
    assert done.results_path == pkg / "results-board.json"
    assert done.results["samples"] == 40 and done.results["mismatches"] == 0
    assert json.loads(done.results_path.read_text()) == done.results
    assert (home / "runs" / "package" / "manifest.json").is_file()
    kinds = [(c[0], c[1]) for c in calls()]
    assert kinds == [("ssh", "xilinx@board"), ("scp", "-q"), ("ssh", "xilinx@board"), ("scp", "-q")]
    measure = calls()[2][2]
    assert (
        measure.startswith("cd runs/package && rm -f results.json && ")
        and "-m toolkit_overlay measure" in measure
    )
    assert calls()[3][2] == "xilinx@board:runs/package/results.json"


def test_ssh_failure_names_the_command_and_its_stderr(tmp_path, stubs, monkeypatch) -> None:
    monkeypatch.setenv("STUB_SSH_FAIL", "1")
    with pytest.raises(ToolkitError) as err:
        deploy("board", make_package(tmp_path), measure_args=MEASURE)
    msg = str(err.value)
    assert (
        "could not prepare the remote folder" in msg and "exited 255" in msg and "Connection refused" in msg
    )
    assert "ssh board" in msg or "/ssh board" in msg


def test_remote_measure_error_is_reported_and_nothing_fetched(tmp_path, stubs) -> None:
    pkg = make_package(tmp_path)  # no bitstream: the board runtime refuses with --device pynq
    with pytest.raises(ToolkitError, match="could not measure on the board.*exited 2.*has no bitstream"):
        deploy("board", pkg, python=sys.executable)
    assert not (pkg / "results-board.json").exists()


def test_missing_tools_and_bad_packages(tmp_path, stubs) -> None:
    pkg = make_package(tmp_path)
    with pytest.raises(ToolkitError, match=r"ssh \('no-such-ssh'\) not found on PATH"):
        deploy("board", pkg, ssh="no-such-ssh")
    with pytest.raises(ToolkitError, match="not an overlay package"):
        deploy("board", tmp_path)
    with pytest.raises(ToolkitError, match="host '-oProxyCommand=x'"):
        deploy("-oProxyCommand=x", pkg)
    bare = make_package(tmp_path / "bare", runtime=False)
    with pytest.raises(ToolkitError, match="lacks its runtime copy"):
        deploy("board", bare)


def test_cli_reports_errors_on_one_line(tmp_path) -> None:
    from click.testing import CliRunner

    from toolkit.cli.main import cli

    result = CliRunner().invoke(cli, ["deploy", "--host", "board", "--package", str(tmp_path)])
    assert result.exit_code == 2 and "error: " in result.output and "not an overlay package" in result.output


def test_cli_group_turns_overlay_errors_into_one_line() -> None:
    import click
    from click.testing import CliRunner
    from toolkit_overlay.errors import OverlayError

    from toolkit.cli.main import _Group

    @click.group(cls=_Group)
    def group() -> None:
        pass

    @group.command()
    def boom() -> None:
        raise OverlayError("meter 'usb': expected one of pmbus, ...")

    result = CliRunner().invoke(group, ["boom"])
    assert result.exit_code == 2 and "error: meter 'usb': expected one of pmbus" in result.output
    assert "Traceback" not in result.output
