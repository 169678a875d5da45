"""Zoo training is deterministic and cached by recipe."""

from __future__ import annotations

import numpy as np

from toolkit.models.loading import load_keras_file
from toolkit.models.zoo import ZOO, cached_path, train_zoo_model


def test_training_is_deterministic(tmp_path):
    a = load_keras_file(train_zoo_model("digits-mlp", tmp_path / "a.h5", verbose=False, epochs=2))
    b = load_keras_file(train_zoo_model("digits-mlp", tmp_path / "b.h5", verbose=False, epochs=2))
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


def test_cache_key_follows_recipe():
    paths = {name: cached_path(name) for name in ZOO}
    assert len(set(paths.values())) == len(ZOO)
    assert all(p.suffix == ".h5" and p.stem.startswith(name) for name, p in paths.items())


def test_zoo_models_are_accurate(zoo_models):
    from toolkit.emulator.engine import Emulator

    floors = {"digits-mlp": 0.93, "digits-cnn": 0.93, "mnist1d-cnn": 0.8}
    for name, entry in zoo_models.items():
        acc = np.mean(Emulator(entry["ir"]).classify(entry["data"].x_test) == entry["data"].y_test)
        assert acc >= floors[name], (name, acc)
