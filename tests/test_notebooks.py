"""The notebooks in examples/ run top to bottom (nbclient, a real Jupyter kernel) and show what they promise.

Each runs in its own temporary folder, with its ``parameters`` cell followed by an injected cell
(the papermill convention) that sets test sizes or points it at a package. Each is its own test,
so pytest-xdist runs them in parallel. The board notebook runs under the import blocker: it must
work with numpy (and pynq) alone, against the checking device double.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebooks extra: pip install -e '.[notebooks]'")
nbclient = pytest.importorskip("nbclient", reason="the notebooks extra: pip install -e '.[notebooks]'")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
BLOCKER = ROOT / "tests" / "overlay" / "blocker"
TIMEOUT_S = 600  # per cell; a fresh cache compiles the Verilator design once


def run_notebook(name: str, folder: Path, parameters: str, env: dict[str, str] | None = None) -> object:
    """Execute examples/NAME in ``folder`` with ``parameters`` injected after its parameters cell."""
    book = nbformat.read(EXAMPLES / name, as_version=4)
    index = next(i for i, c in enumerate(book.cells) if "parameters" in c.metadata.get("tags", []))
    book.cells.insert(index + 1, nbformat.v4.new_code_cell(parameters))
    client = nbclient.NotebookClient(
        book, timeout=TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute(env=env or dict(os.environ))
    return book


def outputs(book: object) -> tuple[str, list[str]]:
    """All text the notebook printed or displayed, and the MIME types of its rich outputs."""
    text, kinds = [], []
    for cell in book.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text.append(out["text"])
            elif out.get("output_type") in ("execute_result", "display_data"):
                kinds += list(out["data"])
                text.append(out["data"].get("text/plain", ""))
            elif out.get("output_type") == "error":
                raise AssertionError(f"{out['ename']}: {out['evalue']}")
    return "\n".join(text), kinds


def _kernel_env() -> dict[str, str]:
    """The test process's environment; its sys.path (worktree, overlays) reaches the kernel too."""
    env = dict(os.environ)
    paths = [str(ROOT), str(ROOT / "overlays")]
    env["PYTHONPATH"] = os.pathsep.join(paths + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


@pytest.mark.slow
def test_train_select_simulate_notebook(tmp_path: Path) -> None:
    book = run_notebook("01_train_select_simulate.ipynb", tmp_path, "EPOCHS = 3\nLIMIT = 32", _kernel_env())
    text, kinds = outputs(book)
    assert "emulator accuracy: 0." in text and "simulated RTL accuracy: " in text
    assert "32/32 bit-exact with the emulator" in text and "(MODELLED)" in text
    assert "image/png" in kinds  # the Pareto plot and the area plot
    assert (tmp_path / "selection" / "pareto.png").exists()


@pytest.mark.slow
def test_your_model_and_data_notebook(tmp_path: Path) -> None:
    book = run_notebook("02_your_model_and_data.ipynb", tmp_path, "BUILD = 'build'", _kernel_env())
    text, kinds = outputs(book)
    assert "emulator accuracy: 0." in text and "accuracy with the plan's multipliers (emulated): 0." in text
    assert "ToolkitError: " in text and "no_such_data.npz" in text
    assert "image/png" in kinds and "text/html" in kinds  # the user's own plot, the report inline
    assert (tmp_path / "build" / "report.html").exists() and (tmp_path / "build" / "build.toml").exists()


def test_board_notebook_against_the_checking_double(tmp_path: Path) -> None:
    from tests.overlay.fake_package import make_package

    package = make_package(tmp_path)
    env = dict(os.environ)
    # the board has neither TensorFlow nor toolkit: the blocker makes importing them fail
    env["PYTHONPATH"] = os.pathsep.join([str(BLOCKER), str(ROOT / "overlays")])
    params = f"PACKAGE = {str(package)!r}\nDEVICE = 'double'\nMETER = 'model:1.4,0.05'\nSAMPLES = 4\nBOARD = 'pynq-z2'"
    book = run_notebook("03_board_overlay.ipynb", tmp_path, params, env)
    text, kinds = outputs(book)
    assert "accuracy 0.7500 on 40 samples" in text and "equal to the emulator: 40/40 samples" in text
    assert "energy / inference: " in text and "nJ (modelled: model" in text
    assert "image/png" in kinds  # the latency histogram (and a measured power trace)
