"""``toolkit zoo``: list the bundled models and train them (deterministically, cached)."""

from __future__ import annotations

import click

from toolkit.models.zoo import ZOO


@click.command()
@click.option(
    "--train",
    "names",
    multiple=True,
    metavar="NAME",
    help="Train NAME now (repeatable; 'all' trains every model). Cached models are reused.",
)
@click.option("--force", is_flag=True, help="Retrain even if a cached model exists.")
def zoo(names: tuple[str, ...], force: bool) -> None:
    """List the model zoo, or train entries ahead of use.

    Zoo models train on first use with fixed seeds and deterministic TensorFlow
    ops, and are cached under $TOOLKIT_CACHE (default ~/.cache/toolkit); the cache
    key is a hash of the recipe, so a changed recipe retrains.

    \b
    Examples:
      toolkit zoo
      toolkit zoo --train digits-cnn
      toolkit zoo --train all --force
    """
    from rich.console import Console
    from rich.table import Table

    from toolkit.models.zoo import cached_path, train_zoo_model, zoo_entry

    wanted = list(ZOO) if "all" in names else [zoo_entry(n).name for n in names]
    for name in wanted:
        if force or not cached_path(name).exists():
            train_zoo_model(name)
    table = Table(title="model zoo")
    for column in ("model", "dataset", "epochs", "cached", "description"):
        table.add_column(column)
    for entry in ZOO.values():
        table.add_row(
            f"zoo:{entry.name}",
            entry.dataset,
            str(entry.epochs),
            "yes" if cached_path(entry.name).exists() else "no",
            entry.description,
        )
    Console().print(table)
