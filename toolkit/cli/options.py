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
