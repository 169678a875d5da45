"""What a run leaves in its output folder: the model, ``precision.json`` and a plot.

``precision.json`` (format ``toolkit-density/1``) holds, per MAC layer, the final
width, the rule that set it, its quantizers, MACs and bit-operations, and the per-epoch
AD and width trajectories; the quantizers no rule applies to (``fixed``: after a join or
pooling, signed ones) with their densities; per epoch, the loss, accuracy, AD, widths and what happened; and the
cost summary (bit-operations vs uniform 16 and 8 bits). Every file is written
atomically, and ``precision.json`` last, so a folder that has it is complete.
"""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.cache import atomic_path, write_atomic_json
from toolkit.density.measure import INPUT
from toolkit.density.spec import Unit
from toolkit.density.train import DensityResult

FORMAT = "toolkit-density/1"
MODEL_FILE = "model.h5"
PRECISION_FILE = "precision.json"
PLOT_FILE = "precision.png"


def precision_document(result: DensityResult, evaluation: dict, source: dict) -> dict:
    """The JSON-able record of a run (see the module doc)."""
    records = result.records
    cost = evaluation["cost"]
    by_name = {row["name"]: row for row in cost["layers"]}
    precisions = evaluation["precisions"]
    layers = []
    for unit in result.spec.units():
        row = by_name[unit.name]
        layers.append(
            {
                "name": unit.name,
                "kind": result.spec.nodes[unit.mac].cls,
                "bits": result.bits[unit.name],
                "weight_precision": precisions[unit.name]["weight"],
                "input_precision": precisions[unit.name]["input"],
                "activation": result.spec.nodes[unit.act].name if unit.act is not None else None,
                "width_rule": width_rule(result, unit),
                "bw": row["bw"],
                "ba": row["ba"],
                "macs": row["macs"],
                "macs_start": result.start_macs[unit.name],
                "bitops": row["bitops"],
                "channels": result.spec.channels()[unit.name],
                "channels_start": result.start_channels[unit.name],
                "ad": [r.ad.get(unit.name) for r in records],
                "bits_history": [r.bits[unit.name] for r in records],
            }
        )
    return {
        "format": FORMAT,
        "source": source,
        "config": result.config.as_dict(),
        "epochs_run": len(records),
        "stop_reason": result.stop_reason,
        "train_seconds": result.seconds,
        "input": {
            "bits": result.input_bits,
            "precision": evaluation["input_precision"],
            "ad": [r.ad.get(INPUT) for r in records],
            "bits_history": [r.input_bits for r in records],
        },
        "layers": layers,
        "fixed": [
            {
                "name": node.name,
                "after": ", ".join(node.inputs),
                "quantizer": node.config["activation"],
                "rule": "none: not a MAC layer's own ReLU, keeps its quantizer",
                "ad": [r.ad.get(node.name) for r in records],
            }
            for node in result.spec.fixed()
        ],
        "epochs": [
            {
                "epoch": r.epoch,
                "loss": r.loss,
                "accuracy": r.accuracy,
                "ad": r.ad,
                "bits": r.bits,
                "input_bits": r.input_bits,
                "channels": r.channels,
                "event": r.event,
            }
            for r in records
        ],
        "updates": result.updates,
        "cost": {k: v for k, v in cost.items() if k != "layers"},
        "accuracy": evaluation["accuracy"],
        "model_hash": evaluation["model_hash"],
        "model_file": MODEL_FILE,
    }


def width_rule(result: DensityResult, unit: Unit) -> str:
    """How a MAC layer's width was set: its own activation's density, or (no ReLU of its own) the
    density of the activation feeding it, or kept (``--logit fixed``)."""
    if unit.act is not None:
        return f"activation density of its own activation {result.spec.nodes[unit.act].name!r}"
    if result.config.logit == "fixed":
        return "none: no activation of its own, kept at the start width (logit policy 'fixed')"
    return f"activation density of the activation feeding it ({result.spec.feeding(unit)!r})"


def plot_trajectories(result: DensityResult, path: Path) -> None:
    """Bit-widths (top) and AD (bottom) per layer over epochs, update epochs marked."""
    from toolkit.report.figures import new_figure

    epochs = [r.epoch for r in result.records]
    fig = new_figure((7, 6))
    (ax_bits, ax_ad) = fig.subplots(2, 1, sharex=True)
    styles = ["-", "--", ":", "-."]
    for i, unit in enumerate(result.spec.units()):
        width = 2.5 - 0.4 * (i % 4)  # equal widths overlap: later layers drawn thinner, dashed
        ax_bits.step(
            epochs,
            [r.bits[unit.name] for r in result.records],
            where="post",
            label=unit.name,
            ls=styles[i % 4],
            lw=width,
        )
        ad = [r.ad.get(unit.name) for r in result.records]
        if any(v is not None for v in ad):
            ax_ad.plot(epochs, ad, marker=".", label=unit.name)
    ax_ad.plot(epochs, [r.ad.get(INPUT) for r in result.records], ls="--", color="grey", label="input")
    for update in result.updates:
        for ax in (ax_bits, ax_ad):
            ax.axvline(update["epoch"] + 0.5, color="black", alpha=0.15)
    ax_bits.set_ylabel("bits (weights and activations)")
    ax_ad.set_ylabel("activation density")
    ax_ad.set_xlabel("epoch")
    ax_ad.set_ylim(0, 1.02)
    ax_bits.legend(fontsize=8, loc="upper right")
    ax_ad.legend(fontsize=8, loc="lower left")
    ax_bits.set_title(f"{result.spec.name}: activation-density mixed precision ({result.stop_reason})")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(os.fspath(tmp), format="png", dpi=110)


def write_outputs(out_dir: Path, result: DensityResult, evaluation: dict, source: dict) -> dict:
    """Write model, plot, then precision.json into ``out_dir``; return the JSON document."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / MODEL_FILE) as tmp:
        result.model.save(os.fspath(tmp), include_optimizer=False, save_format="h5")
    plot_trajectories(result, out_dir / PLOT_FILE)
    document = precision_document(result, evaluation, source)
    write_atomic_json(out_dir / PRECISION_FILE, document)
    return document
