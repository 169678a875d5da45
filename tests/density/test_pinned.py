"""Pinned widths (build.toml ``[layers.NAME] bits``): a pinned layer starts at and keeps its width."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from toolkit.density.rules import UpdateRule
from toolkit.density.spec import INPUT, spec_from_zoo
from toolkit.density.train import DensityConfig, _update, train_density
from toolkit.errors import ToolkitError

QUICK = UpdateRule(start_bits=8, update_start=2, min_gap=2, max_wait=2)


def test_a_pinned_layer_keeps_its_width_while_the_others_follow_density() -> None:
    spec = spec_from_zoo("digits-mlp", seed=1)
    config = DensityConfig(rule=QUICK, pinned={"fc1": 5})
    density = SimpleNamespace(layer={"fc1": 0.25, "fc2": 0.25, INPUT: 0.5}, channel={})
    new, pruned = _update(spec, {"fc1": 5, "fc2": 8}, density, config, prune_now=False)
    assert new == {"fc1": 5, "fc2": 2} and not pruned  # fc2 (the logits) follows fc1's AD: ceil(0.25 * 8)


def test_a_pinned_layer_the_model_lacks_is_named(small_digits) -> None:
    spec = spec_from_zoo("digits-mlp", seed=1)
    with pytest.raises(
        ToolkitError,
        match=r"bits given for 'dense_7', which the model does not have; its layers are fc1, fc2",
    ):
        train_density(
            spec, small_digits, DensityConfig(rule=QUICK, epochs=2, pinned={"dense_7": 4}), verbose=False
        )
