"""``toolkit quantize``: activation-density mixed precision, trained to per-layer bit-widths."""

from __future__ import annotations

import json

import click

from toolkit.density.rules import ROUNDINGS
from toolkit.density.train import LOGIT_POLICIES


@click.command()
@click.option(
    "--model",
    "model_spec",
    required=True,
    help="zoo:NAME (the recipe, trained from scratch) or a float/QKeras model file (.h5/.keras).",
)
@click.option(
    "--data",
    "data_spec",
    default=None,
    help="digits, mnist1d or an .npz path  [default: the zoo model's own dataset]",
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--epochs", type=int, default=40, show_default=True, help="Epoch limit.")
@click.option("--start-bits", type=int, default=16, show_default=True, help="Width every layer starts at.")
@click.option("--min-bits", type=int, default=2, show_default=True, help="No layer goes below this (b_min).")
@click.option("--prune", is_flag=True, help="Also prune channels: channels <- ceil(AD * channels), once.")
@click.option(
    "--rounding", type=click.Choice(ROUNDINGS), default="ceil", show_default=True, help="round(AD * bits)."
)
@click.option(
    "--update-start", type=int, default=3, show_default=True, help="No width update before this epoch."
)
@click.option(
    "--settle-tol",
    type=float,
    default=0.02,
    show_default=True,
    help="AD has settled when no layer's AD moved more than this over the last epoch.",
)
@click.option(
    "--logit",
    type=click.Choice(LOGIT_POLICIES),
    default="input-ad",
    show_default=True,
    help="Logit layer width: follow the AD of its input, or stay at the start width.",
)
@click.option(
    "--max-updates", type=int, default=None, help="Cap the number of width updates  [default: until settled]"
)
@click.option(
    "--input-bits", type=int, default=None, help="Pin the input quantizer  [default: follow layer 1]"
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--learning-rate", type=float, default=3e-3, show_default=True)
@click.option(
    "--json", "as_json", is_flag=True, help="Print precision.json's summary as JSON instead of a table."
)
def quantize(
    model_spec: str,
    data_spec: str | None,
    out_dir: str,
    epochs: int,
    start_bits: int,
    min_bits: int,
    prune: bool,
    rounding: str,
    update_start: int,
    settle_tol: float,
    logit: str,
    max_updates: int | None,
    input_bits: int | None,
    seed: int,
    batch_size: int,
    learning_rate: float,
    as_json: bool,
) -> None:
    """Train a QKeras model to per-layer bit-widths chosen by activation density (AD).

    Every layer starts at --start-bits. Each epoch, AD (the fraction of non-zero
    activations after a layer's ReLU, on the training data) is measured; once it has
    settled, each layer's width becomes max(b_min, ceil(AD * bits)) for its weights
    and activations, the model is rebuilt with the weights carried over, and training
    goes on. It stops when no width changes, or at the epoch limit.

    Writes OUT/model.h5 (loads with read_model, bit-exact in the emulator),
    OUT/precision.json (bits, AD per epoch, MACs, bit-operations) and OUT/precision.png.

    \b
    Examples:
      toolkit quantize --model zoo:digits-cnn --out runs/digits
      toolkit quantize --model zoo:mnist1d-cnn --out runs/m1d --start-bits 8 --epochs 30
      toolkit quantize --model zoo:digits-cnn --out runs/pruned --prune
      toolkit quantize --model zoo:digits-cnn --out runs/two --max-updates 2
      toolkit quantize --model my_float.h5 --data my_data.npz --out runs/mine --json
    """
    from toolkit.api import quantize as run_quantize

    doc = run_quantize(
        model_spec, data_spec, out=out_dir, epochs=epochs, start_bits=start_bits, min_bits=min_bits, prune=prune,
        rounding=rounding, update_start=update_start, settle_tol=settle_tol, logit=logit, max_updates=max_updates,
        input_bits=input_bits, seed=seed, batch_size=batch_size, learning_rate=learning_rate, verbose=not as_json,
    ).to_json()  # fmt: skip
    if as_json:
        summary = {k: doc[k] for k in ("source", "epochs_run", "stop_reason", "accuracy", "cost")}
        summary["bits"] = {layer["name"]: layer["bits"] for layer in doc["layers"]}
        summary["out"] = out_dir
        click.echo(json.dumps(summary))
        return
    _print_table(doc, out_dir)


def _print_table(doc: dict, out_dir: str) -> None:
    from rich.console import Console
    from rich.table import Table

    start = doc["config"]["rule"]["start_bits"]
    table = Table(title=f"quantize {doc['source']['model']} on {doc['source']['data']}")
    for column in ("layer", "bits", "w x a", "channels", "MACs", "AD (last)", "bit-ops"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    table.add_row("input", f"{start} -> {doc['input']['bits']}", doc["input"]["precision"], "", "", "", "")
    for layer in doc["layers"]:
        ad = layer["ad"][-1] if layer["ad"] else None
        table.add_row(
            layer["name"],
            f"{start} -> {layer['bits']}",
            f"{layer['bw']} x {layer['ba']}",
            f"{layer['channels_start']} -> {layer['channels']}",
            f"{layer['macs']:,}",
            "-" if ad is None else f"{ad:.3f}",
            f"{layer['bitops']:,}",
        )
    cost, acc = doc["cost"], doc["accuracy"]
    console = Console()
    console.print(table)
    summary = Table(show_header=False)
    summary.add_row("bit-operations", f"{cost['bitops']:,}")
    summary.add_row("vs uniform 16-bit", f"{cost['reduction_vs_uniform16']:.2f}x fewer")
    summary.add_row("vs uniform 8-bit", f"{cost['reduction_vs_uniform8']:.2f}x fewer")
    summary.add_row("test accuracy (emulator)", f"{100 * acc['test_emulator']:.2f} %  (n={acc['n_test']})")
    if acc["emulator_bit_exact"]:
        exact = "yes (emulator == QKeras predict)"
    elif not acc["float32_exact_accumulators"]:
        exact = "no: QKeras sums in float32, inexact past 24-bit accumulators; the emulator is exact"
    else:
        exact = "NO (emulator and QKeras predict differ)"
    summary.add_row("emulator bit-exact", exact)
    summary.add_row("epochs", f"{doc['epochs_run']} ({doc['stop_reason']}, {len(doc['updates'])} updates)")
    summary.add_row("training time", f"{doc['train_seconds']:.1f} s")
    summary.add_row("outputs", f"{out_dir}/model.h5, precision.json, precision.png")
    console.print(summary)
