"""`pip install` of the built wheel gives a working tool: run from outside the checkout.

The wheel is built offline from a copy of the sources (no build folder in the checkout),
installed with ``--no-deps --no-index`` into a fresh virtual environment that reuses this
environment's heavy dependencies (TensorFlow, QKeras, hls4ml) through a ``.pth`` line, and
the installed ``toolkit`` command runs in an empty folder with no PYTHONPATH, so every
hardware source, board file and the runtime must come from the installed package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "toolkit", "overlays")

pytestmark = [pytest.mark.slow, pytest.mark.verilator, pytest.mark.yosys, pytest.mark.xdist_group("install")]


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 1800) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (
        f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; returns its bin folder."""
    major = int(metadata.version("setuptools").split(".")[0])
    if major < 77:
        pytest.fail(
            f"setuptools {metadata.version('setuptools')} cannot build the wheel (pyproject.toml needs >= 77, "
            "offline, without build isolation): pip install -e '.[dev]' installs it"
        )
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        kwargs = {"ignore": shutil.ignore_patterns("__pycache__", "*.so")} if (ROOT / name).is_dir() else {}
        copy(ROOT / name, src / name, **kwargs)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", str(dist), str(src)], tmp, env)  # fmt: skip
    wheel = next(dist.glob("axdnn_toolkit-*.whl"))
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = Path(
        _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp, env).strip()
    )
    # the heavy dependencies from this environment, after the venv's own site-packages
    parents = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "zz_reuse_deps.pth").write_text("\n".join(parents) + "\n")
    _run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)], tmp, env)
    return env_dir / "bin"


@pytest.fixture(scope="module")
def run_env(installed: Path, tmp_path_factory: pytest.TempPathFactory, zoo_models) -> dict[str, str]:
    """No PYTHONPATH; a cache holding the trained zoo models but no RTL builds (the install's sources compile)."""
    cache = tmp_path_factory.mktemp("cache")
    here = Path(os.environ["TOOLKIT_CACHE"])
    for part in ("zoo", "datasets"):
        if (here / part).is_dir():
            shutil.copytree(here / part, cache / part)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TOOLKIT_CACHE")}
    return env | {"PATH": f"{installed}{os.pathsep}{os.environ['PATH']}", "TOOLKIT_CACHE": str(cache)}


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("elsewhere")


def test_the_installed_package_reads_its_own_files(installed: Path, run_env, outside: Path) -> None:
    code = (
        "import json, toolkit, toolkit_overlay; from toolkit.resources import hls_dir, boards_dir, runtime_dir; "
        "print(json.dumps([toolkit.__file__, toolkit_overlay.__file__, str(hls_dir()), str(boards_dir()), "
        "str(runtime_dir())]))"
    )
    paths = json.loads(_run([str(installed / "python"), "-c", code], outside, run_env))
    prefix = str(installed.parent)
    assert all(p.startswith(prefix) for p in paths), paths
    assert (Path(paths[2]) / "rtl" / "tk_sim.cpp").is_file() and (Path(paths[3]) / "pynq-z2.toml").is_file()
    version = _run([str(installed / "toolkit"), "--version"], outside, run_env)
    from toolkit import __version__

    assert version.strip().endswith(__version__)


def test_installed_toolkit_boards(installed: Path, run_env, outside: Path) -> None:
    out = json.loads(_run([str(installed / "toolkit"), "boards", "--json"], outside, run_env))
    assert {"pynq-z2", "zcu104", "kv260", "ultra96v2"} <= {b["name"] for b in out}
    table = _run([str(installed / "toolkit"), "boards"], outside, run_env)
    assert "xc7z020" in table


def test_installed_toolkit_multipliers(installed: Path, run_env, outside: Path) -> None:
    out = _run([str(installed / "toolkit"), "multipliers", "--bits", "4x4"], outside, run_env)
    assert "exact_u4s4" in out and "trunc" in out


def test_installed_toolkit_sim_under_verilator(installed: Path, run_env, outside: Path) -> None:
    cmd = [str(installed / "toolkit"), "sim", "--model", "zoo:digits-mlp", "--limit", "20", "--json"]
    result = json.loads(_run(cmd, outside, run_env))
    assert result["n"] == 20 and result["bit_exact_samples"] == 20
    builds = [p for p in (Path(run_env["TOOLKIT_CACHE"]) / "rtl").iterdir() if (p / "build.json").exists()]
    assert builds, "the simulation library was compiled from the installed sources"
