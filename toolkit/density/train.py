"""The training loop: train, measure AD every epoch, update widths when AD settles, rebuild, go on.

Stops at the first update that changes nothing ("settled") or at the epoch limit;
``max_updates`` caps the number of updates (then training goes on at the last widths).
An update is never applied in the last ``min_gap`` epochs, so the final widths are
always trained for at least that long. A rebuild carries the float weights over and
starts a fresh Adam optimizer (moment estimates belong to the old quantizers).

Decisions this loop makes (parameters in :class:`DensityConfig`):

* the logit layer (last MAC) has no ReLU and so no AD; with ``logit="input-ad"`` its
  weight width follows the AD of its *input* activation (the previous layer's AD), so
  it shrinks with the layer feeding it; ``logit="fixed"`` keeps it at the start width.
  Any other MAC layer without a ReLU of its own (in a graph: one feeding a signed quantizer
  before a residual Add) follows the same policy, with the nearest measured activation
  upstream of it (:meth:`~toolkit.density.spec.NetSpec.feeding`);
* quantizers that are no MAC layer's own ReLU (after a join, after pooling, signed ones)
  have no rule: they keep their quantizer, and the report lists them;
* the input quantizer follows the first layer's width (``input_bits=None``), or is pinned;
* with ``prune``, the first ``prune_rounds`` updates also prune, and then the bit update
  uses the AD of the channels kept (the removed ones were the zeros).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from toolkit.density.build import build_model, capture_weights, prune_unit
from toolkit.density.measure import Density, density_callback
from toolkit.density.rules import UpdateRule, channels_to_keep, new_bits, new_channels, update_due
from toolkit.density.spec import NetSpec
from toolkit.errors import ToolkitError
from toolkit.models.datasets import Dataset

LOGIT_POLICIES = ("input-ad", "fixed")


@dataclass(frozen=True)
class DensityConfig:
    """Everything that defines a run (also written to precision.json)."""

    rule: UpdateRule = field(default_factory=UpdateRule)
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 3e-3
    seed: int = 1
    adapt: bool = True  # False: train at the start width only (the uniform baselines)
    prune: bool = False
    prune_rounds: int = 1
    min_channels: int = 1
    input_bits: int | None = None
    logit: Literal["input-ad", "fixed"] = "input-ad"
    ad_samples: int | None = None
    max_updates: int | None = None  # None: update until nothing changes
    pinned: dict[str, int] | None = None  # layer -> bits it starts at and keeps (build.toml [layers.X] bits)

    def __post_init__(self) -> None:
        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise ToolkitError(f"epochs {self.epochs!r} is invalid: expected an integer >= 1")
        if self.logit not in LOGIT_POLICIES:
            raise ToolkitError(
                f"logit policy {self.logit!r} is unknown: expected one of {', '.join(LOGIT_POLICIES)}"
            )
        if self.input_bits is not None and not 2 <= self.input_bits <= 16:
            raise ToolkitError(
                f"input bits {self.input_bits!r} are invalid: expected 2..16 or None (follow layer 1)"
            )
        if self.max_updates is not None and self.max_updates < 0:
            raise ToolkitError(
                f"max updates {self.max_updates!r} is invalid: expected >= 0 or None (no limit)"
            )
        if self.min_channels < 1 or self.prune_rounds < 0:
            raise ToolkitError("min_channels must be >= 1 and prune_rounds >= 0")

    def as_dict(self) -> dict:
        out = asdict(self)
        out["rule"] = self.rule.as_dict()
        return out


@dataclass
class EpochRecord:
    """One epoch: training loss/accuracy, the AD measured at its end, the widths it trained at."""

    epoch: int
    loss: float
    accuracy: float
    ad: dict[str, float]
    bits: dict[str, int]
    input_bits: int
    channels: dict[str, int]
    event: str | None = None


@dataclass
class DensityResult:
    """A finished run: the trained model, its recipe, the per-epoch log and the updates."""

    model: Any
    spec: NetSpec
    config: DensityConfig
    records: list[EpochRecord]
    updates: list[dict]
    stop_reason: str
    seconds: float
    bits: dict[str, int]
    input_bits: int
    start_channels: dict[str, int]
    start_macs: dict[str, int]


def check_data(spec: NetSpec, data: Dataset) -> None:
    """The data must fit the network: sample shape and number of classes."""
    if tuple(data.sample_shape) != tuple(spec.input_shape):
        raise ToolkitError(
            f"dataset {data.name!r} has samples of shape {data.sample_shape} but model {spec.name!r} expects "
            f"{spec.input_shape}; expected matching shapes"
        )
    if spec.n_outputs != data.n_classes:
        raise ToolkitError(
            f"dataset {data.name!r} has {data.n_classes} classes (labels 0..{data.n_classes - 1}) but model "
            f"{spec.name!r} has {spec.n_outputs} outputs in its last layer {spec.logit().name!r}; "
            "expected one output per class"
        )


def train_density(
    spec: NetSpec,
    data: Dataset,
    config: DensityConfig | None = None,
    verbose: bool = True,
    label: str = "quantize",
) -> DensityResult:
    """Train ``spec`` on ``data`` under activation-density bit-width updates (see the module doc)."""
    import tensorflow as tf

    from toolkit.models.reader import read_model
    from toolkit.progress import progress

    config = config or DensityConfig()
    rule = config.rule
    check_data(spec, data)
    if config.prune and spec.is_graph:
        raise ToolkitError(
            f"model {spec.name!r} is a graph: pruning removes channels along a chain, and a join ties the "
            "channels of its inputs together; train without pruning"
        )
    spec = spec.copy()
    tf.keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()
    units = spec.units()
    pinned = config.pinned or {}
    unknown = sorted(set(pinned) - {u.name for u in units})
    if unknown:
        raise ToolkitError(
            f"bits given for {', '.join(map(repr, unknown))}, which the model does not have; its layers are "
            f"{', '.join(u.name for u in units)}"
        )
    bits = {u.name: pinned.get(u.name, rule.start_bits) for u in units}
    input_bits = config.input_bits or bits[units[0].name]
    x_probe = data.x_train if config.ad_samples is None else data.x_train[: config.ad_samples]
    start_channels = spec.channels()
    model = _compiled(spec, bits, input_bits, config)
    start_macs = {layer.name: layer.macs for layer in read_model(model)[0].mac_layers()}

    records: list[EpochRecord] = []
    updates: list[dict] = []
    state: dict[str, Any] = {"at_widths": [], "pending": None}
    bar = progress() if verbose else None

    def on_reading(current: Any, epoch: int, density: Density, logs: dict) -> None:
        done = epoch + 1
        records.append(
            EpochRecord(
                done,
                float(logs.get("loss", np.nan)),
                float(logs.get("accuracy", np.nan)),
                dict(density.layer),
                dict(bits),
                input_bits,
                spec.channels(),
            )
        )
        state["at_widths"].append({u.name: density.layer[u.name] for u in units if u.name in density.layer})
        if bar is not None:
            status = f"loss={records[-1].loss:.3f} acc={records[-1].accuracy:.3f} bits={'/'.join(map(str, bits.values()))}"
            bar.update(task, advance=1, status=status)
        room = config.epochs - done >= rule.min_gap
        more = config.max_updates is None or len(updates) < config.max_updates
        if (
            config.adapt
            and more
            and room
            and update_due(done, len(state["at_widths"]), state["at_widths"], rule)
        ):
            state["pending"] = density
            current.stop_training = True

    start = time.perf_counter()
    stop_reason = "epoch-limit"
    if bar is not None:
        bar.start()
        task = bar.add_task(label, total=config.epochs, status="")
    try:
        while len(records) < config.epochs:
            callback = density_callback(spec, x_probe, on_reading)
            model.fit(
                data.x_train,
                data.y_train,
                batch_size=config.batch_size,
                epochs=config.epochs,
                initial_epoch=len(records),
                shuffle=True,
                verbose=0,
                callbacks=[callback],
            )
            density, state["pending"] = state["pending"], None
            if density is None:
                break
            capture_weights(spec, model)
            prune_now = config.prune and sum(1 for u in updates if u["pruned"]) < config.prune_rounds
            new, pruned = _update(spec, bits, density, config, prune_now)
            if new == bits and not pruned:
                stop_reason = "settled"
                records[-1].event = "settled"
                break
            updates.append(
                {"epoch": len(records), "bits_before": dict(bits), "bits_after": new, "pruned": pruned}
            )
            records[-1].event = "prune+update" if pruned else "update"
            bits = new
            input_bits = config.input_bits or bits[units[0].name]
            model = _compiled(spec, bits, input_bits, config)
            state["at_widths"] = []
    finally:
        if bar is not None:
            bar.update(task, total=len(records), completed=len(records))
            bar.stop()
    return DensityResult(
        model,
        spec,
        config,
        records,
        updates,
        stop_reason,
        time.perf_counter() - start,
        dict(bits),
        input_bits,
        start_channels,
        start_macs,
    )


def _compiled(spec: NetSpec, bits: dict[str, int], input_bits: int, config: DensityConfig) -> Any:
    import tensorflow as tf

    model = build_model(spec, bits, input_bits)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(config.learning_rate),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def _update(
    spec: NetSpec, bits: dict[str, int], density: Density, config: DensityConfig, prune_now: bool
) -> tuple[dict[str, int], dict[str, list[int]]]:
    """New widths (and, when pruning, the channels removed: layer -> [before, after])."""
    units = spec.units()
    ad = dict(density.layer)
    pruned: dict[str, list[int]] = {}
    if prune_now:
        for unit in units[:-1]:
            per_channel = density.channel[unit.name]
            keep_n = new_channels(ad[unit.name], len(per_channel), config.min_channels)
            if keep_n < len(per_channel):
                keep = channels_to_keep(per_channel, keep_n)
                prune_unit(spec, unit, keep)
                pruned[unit.name] = [len(per_channel), keep_n]
                ad[unit.name] = float(np.mean([per_channel[i] for i in keep]))
    new: dict[str, int] = {}
    for unit in units:
        if unit.act is not None:
            new[unit.name] = new_bits(ad[unit.name], bits[unit.name], config.rule)
        elif config.logit == "fixed":
            new[unit.name] = bits[unit.name]
        else:
            new[unit.name] = new_bits(ad[spec.feeding(unit)], bits[unit.name], config.rule)
    new.update(config.pinned or {})
    return new, pruned
