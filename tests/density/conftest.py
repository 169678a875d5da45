"""Small, fast inputs for the density tests: a digits subset and tiny hand-made models."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.models.datasets import Dataset, load_dataset


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return load_dataset("digits")


@pytest.fixture(scope="session")
def small_digits(digits: Dataset) -> Dataset:
    """600 training and 200 test digits: enough to learn, quick to train."""
    return Dataset(
        "digits-small", digits.x_train[:600], digits.y_train[:600], digits.x_test[:200], digits.y_test[:200]
    )


def fake_dataset(shape: tuple[int, ...], classes: int, n: int = 64, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, *shape)).astype(np.float32)
    y = np.arange(n) % classes
    return Dataset("fake", x, y, x[:16], y[:16])
