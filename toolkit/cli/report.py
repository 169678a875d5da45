"""``toolkit report``: regenerate a build's HTML report from its folder, without rerunning anything."""

from __future__ import annotations

import click


@click.command()
@click.argument("build_dir", metavar="BUILD", type=click.Path(file_okay=False))
def report(build_dir: str) -> None:
    """Write BUILD/report.html: steps, plan (per-layer bits, multipliers, corrections), accuracy and
    agreement, area, cycles, modelled or measured energy (labelled), and every stage's plots.

    Reads only what the build (and `toolkit measure`, when it ran) wrote; nothing reruns. In a
    notebook, `toolkit.open_build(BUILD).report()` shows the same page inline.

    \b
    Examples:
      toolkit report builds/digits-cnn-pynq-z2
    """
    from toolkit.api import report as run

    click.echo(str(run(build_dir).path))
