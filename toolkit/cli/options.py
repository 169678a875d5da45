"""Options shared by several commands, declared once so their names and help agree."""

from __future__ import annotations

import click


def check_budget(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """An accuracy budget is a finite, non-negative number of points (the API's check: one message)."""
    from toolkit.api.functions import check_budget as check

    return None if value is None else check(value)


model_option = click.option(
    "--model",
    "model_spec",
    default="zoo:digits-cnn",
    show_default=True,
    help="zoo:NAME or a path to a saved QKeras model (.h5/.keras).",
)
data_option = click.option(
    "--data",
    "data_spec",
    default=None,
    help="digits, mnist1d or an .npz path  [default: the zoo model's own dataset]",
)
fold_batchnorm_option = click.option(
    "--fold-batchnorm",
    is_flag=True,
    help="Fold BatchNormalization into the preceding layer's re-quantized weights (the classic deploy-time "
    "rewrite; it changes results, reported as agreement with your model) instead of deploying it exactly.",
)


class PowerSamples(click.ParamType):
    """``--power-samples``: a count >= 2 of samples that count toggles, ``all``, or (if ``auto``) ``auto``."""

    def __init__(self, auto: bool = False) -> None:
        self.auto = auto
        self.name = "N|auto|all" if auto else "N|all"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int | str | None:
        if value is None or isinstance(value, int):
            return value  # type: ignore[return-value]
        text = str(value).strip().lower()
        if text == "all":
            return None
        if self.auto and text == "auto":
            return "auto"
        if text.isdigit() and int(text) >= 2:
            return int(text)
        also = ", 'auto'" if self.auto else ""
        self.fail(f"{value!r}: expected a whole number of samples >= 2{also} or 'all'", param, ctx)


def _power_options(func: object, auto: bool) -> object:
    from toolkit.rtlgen.sampled_power import AUTO, AUTO_TARGET, DEFAULT_POWER_SAMPLES

    func = click.option(
        "--power-seed", type=int, default=0, show_default=True, help="Seed of the --power-samples draw."
    )(func)
    rule = (
        f"'auto' streams batches of the seeded draw until the sampling error is at most "
        f"{100 * AUTO_TARGET:g} % of the figure (16 to 64 samples); "
        if auto
        else ""
    )
    return click.option(
        "--power-samples",
        type=PowerSamples(auto),
        default=AUTO if auto else str(DEFAULT_POWER_SAMPLES),
        show_default=True,
        help=f"Count toggle activity (modelled power) on this many samples, drawn with --power-seed; {rule}'all' "
        "counts every sample (slow on large designs). Agreement and cycles always use every sample.",
    )(func)


def power_sample_options(func: object) -> object:
    """``--power-samples`` (a fixed count) and ``--power-seed``: toggle counting (modelled power) on a seeded sample."""
    return _power_options(func, auto=False)


def auto_power_sample_options(func: object) -> object:
    """As :func:`power_sample_options`, also taking (and defaulting to) ``auto``: ``toolkit sim``'s adaptive rule."""
    return _power_options(func, auto=True)
