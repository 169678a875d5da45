"""``toolkit deploy``: copy an overlay package to a PYNQ board, measure it there, fetch the results."""

from __future__ import annotations

import json
from pathlib import Path

import click

from toolkit.errors import ToolkitError


@click.command()
@click.option("--host", required=True, help="The board's host name or address.")
@click.option("--user", default=None, help="SSH user  [default: your SSH config's; PYNQ images use xilinx]")
@click.option("--package", "package", type=click.Path(file_okay=False), default=None,
              help="The overlay package folder  [default: ./package, or . if it holds manifest.json]")  # fmt: skip
@click.option("--remote-dir", default="toolkit_runs", show_default=True,
              help="Folder on the board (relative to the remote home) the package is copied into.")  # fmt: skip
@click.option("--meter", default=None,
              help="Power meter on the board: pmbus, scpi:PORT[,BAUD[,CH]][,vi], model, none  [default: auto]")  # fmt: skip
@click.option(
    "--samples", type=click.IntRange(min=2), default=None, help="Power readings per phase (idle, load)."
)
@click.option("--python", "python", default="python3", show_default=True,
              help="The board's Python command, e.g. 'sudo -E /usr/local/share/pynq-venv/bin/python3'.")  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Where the results land  [default: PACKAGE/results-HOST.json]")  # fmt: skip
@click.option("--baseline", type=click.Path(dir_okay=False), default=None,
              help="An exact build's results.json (from deploy) or measure.json: adds the measured saving.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the results JSON.")
def deploy(host: str, user: str | None, package: str | None, remote_dir: str, meter: str | None,
           samples: int | None, python: str, out: str | None, baseline: str | None, as_json: bool) -> None:  # fmt: skip
    """Run an overlay package on a PYNQ board over SSH (system ssh/scp) and fetch its results.

    Exit status 3 when the board's outputs differ from the emulator's (results are fetched first).

    The results of an exact build are a --baseline for `toolkit deploy` and `toolkit measure`:
    same board, same model hash, exact plan, same kind of energy (measured or modelled) are checked.

    \b
    Examples:
      toolkit deploy --host pynq --user xilinx --package builds/digits/package
      toolkit deploy --host 192.168.2.99 --meter scpi:/dev/ttyUSB0,115200 --samples 200
      toolkit deploy --host pynq --package builds/approx/package --baseline builds/exact/package/results-pynq.json
    """
    from toolkit.measure.deploy import deploy as run_deploy

    args: list[str] = []
    if meter is not None:
        args += ["--meter", meter]
    if samples is not None:
        args += ["--samples", str(samples)]
    done = run_deploy(host, _package(package), user, remote_dir, out, args, python, baseline=baseline)
    if as_json:
        click.echo(json.dumps(done.results))
        return
    r = done.results
    click.echo(f"{r['samples']} samples on {host}: {r['mismatches']} differ from the emulator, "
               f"accuracy {100 * r['accuracy']:.2f} %")  # fmt: skip
    click.echo(f"throughput {r['throughput']['inferences_per_second']:,.0f} inferences/s, "
               f"latency {1e6 * r['latency']['median_s']:.1f} us (median)")  # fmt: skip
    if r.get("power"):
        e = r["power"]["energy"]
        error = "" if e.get("stderr_j") is None else f" +- {1e6 * e['stderr_j']:.3f}"
        click.echo(f"energy/inference ({r['power']['label']}) {1e6 * e['joules']:.3f}{error} uJ")
    saving = (r.get("energy") or {}).get("saving") or {}
    if saving.get("value") is not None:
        error = "" if saving.get("stderr") is None else f" +- {100 * saving['stderr']:.2f}"
        click.echo(f"energy saving ({saving['label']}, vs {baseline}) {100 * saving['value']:.2f}{error} %")
    click.echo(f"results: {done.results_path}")


def _package(package: str | None) -> Path:
    if package is not None:
        return Path(package)
    for candidate in (Path("."), Path("package")):
        if (candidate / "manifest.json").is_file():
            return candidate
    raise ToolkitError(
        "no overlay package here: give --package DIR (the package folder `toolkit build` made)"
    )
