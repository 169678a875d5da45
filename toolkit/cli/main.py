"""The ``toolkit`` command: a thin click group; each command calls one library function.

Bad input raises :class:`~toolkit.errors.ToolkitError`; here it becomes a one-line
``error: ...`` on stderr and exit status 2, never a traceback. Hardware that disagrees with
the emulator (:class:`~toolkit.errors.HardwareMismatch`) exits 3, after its results are written.
"""

from __future__ import annotations

import sys
import warnings

import click
from toolkit_overlay.errors import EXIT_ERROR, OverlayError

from toolkit import __version__
from toolkit.errors import ToolkitError


class _Group(click.Group):
    """Turns ToolkitError and the board runtime's OverlayError into one-line errors."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (ToolkitError, OverlayError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(getattr(exc, "exit_status", EXIT_ERROR))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="toolkit")
def cli() -> None:
    """Deploy quantized Keras models as approximate-MAC accelerators on Zynq boards.

    \b
    A model is `zoo:NAME` (see `toolkit zoo`) or a saved QKeras model (.h5/.keras).
    Data is `digits`, `mnist1d`, or an .npz with x_train, y_train, x_test, y_test.

    \b
    Start here:
      toolkit zoo                          list the bundled models
      toolkit emulate                      bit-exact integer inference of zoo:digits-cnn
      toolkit emulate --model zoo:mnist1d-cnn --json

    \b
    Exit status: 0 success; 2 bad input or a failed tool; 3 the hardware (Verilated RTL,
    hls4ml C-sim, board) disagrees with the emulator on some sample (results are written
    first). `toolkit sim`, `measure`, `deploy`, `build` (hls and rtl steps) and the board's
    `python -m toolkit_overlay measure` all use 3 for that.
    """
    warnings.filterwarnings("ignore")
    from toolkit.models.loading import quiet_tensorflow

    quiet_tensorflow()


def _register() -> None:
    from toolkit.cli.approx import approx
    from toolkit.cli.boards import boards
    from toolkit.cli.build import build
    from toolkit.cli.deploy import deploy
    from toolkit.cli.doctor import doctor
    from toolkit.cli.emulate import emulate
    from toolkit.cli.measure import measure
    from toolkit.cli.multipliers import multipliers
    from toolkit.cli.quantize import quantize
    from toolkit.cli.report import report
    from toolkit.cli.sim import sim
    from toolkit.cli.sweep import sweep
    from toolkit.cli.zoo import zoo

    cli.add_command(approx)
    cli.add_command(boards)
    cli.add_command(build)
    cli.add_command(deploy)
    cli.add_command(doctor)
    cli.add_command(emulate)
    cli.add_command(measure)
    cli.add_command(multipliers)
    cli.add_command(quantize)
    cli.add_command(report)
    cli.add_command(sim)
    cli.add_command(sweep)
    cli.add_command(zoo)


_register()


def main() -> None:
    cli(prog_name="toolkit")


if __name__ == "__main__":  # python -m toolkit.cli.main, as the console script does
    main()
