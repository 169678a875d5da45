"""Options shared by several commands, declared once so their names and help agree."""

from __future__ import annotations

import math

import click


def check_budget(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """An accuracy budget is a finite, non-negative number of percentage points (NaN passes a plain range)."""
    if not math.isfinite(value) or value < 0:
        raise click.BadParameter(
            f"--budget {value:g}: expected a finite number of points >= 0 (the accuracy loss allowed)"
        )
    return value


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
