"""Built-in datasets and user .npz files, including every malformed-file error."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.errors import ToolkitError
from toolkit.models.datasets import load_dataset


def test_digits_shape_and_split_is_deterministic():
    a, b = load_dataset("digits"), load_dataset("digits")
    assert a.x_train.shape[1:] == (8, 8, 1) and len(a.x_test) == 450
    assert a.x_train.min() >= 0 and a.x_train.max() <= 1
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert a.n_classes == 10


def test_mnist1d_shape():
    d = load_dataset("mnist1d")
    assert d.x_train.shape == (4000, 40, 1) and d.x_test.shape == (1000, 40, 1)
    assert d.n_classes == 10


def test_validation_split_is_disjoint_and_deterministic():
    d = load_dataset("digits")
    fit, val = d.validation_split(0.2)
    fit2, val2 = d.validation_split(0.2)
    assert len(fit.x_train) + len(val.x_train) == len(d.x_train)
    np.testing.assert_array_equal(val.y_train, val2.y_train)


def _write(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


def test_npz_roundtrip_with_one_hot_labels(tmp_path):
    rng = np.random.default_rng(0)
    spec = _write(
        tmp_path / "d.npz",
        x_train=rng.random((20, 4)),
        y_train=np.eye(3)[rng.integers(0, 3, 20)],
        x_test=rng.random((5, 4)),
        y_test=rng.integers(0, 3, 5),
    )
    d = load_dataset(spec)
    assert d.y_train.shape == (20,) and d.y_train.dtype == np.int64 and d.sample_shape == (4,)


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"x_train": np.zeros((4, 2)), "y_train": np.zeros(4)}, "lacks x_test, y_test"),
        (
            {
                "x_train": np.zeros((4, 2)),
                "y_train": np.zeros(3),
                "x_test": np.zeros((2, 2)),
                "y_test": np.zeros(2),
            },
            "x_train has 4 samples but y_train has 3",
        ),
        (
            {
                "x_train": np.zeros((4, 2)),
                "y_train": np.zeros(4),
                "x_test": np.zeros((2, 3)),
                "y_test": np.zeros(2),
            },
            r"x_train samples have shape \(2,\) but x_test samples have shape \(3,\)",
        ),
        (
            {
                "x_train": np.zeros((4, 2)),
                "y_train": np.full(4, 0.5),
                "x_test": np.zeros((2, 2)),
                "y_test": np.zeros(2),
            },
            "non-integer labels",
        ),
    ],
)
def test_bad_npz_is_named(tmp_path, arrays, message):
    spec = _write(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ToolkitError, match=message):
        load_dataset(spec)


def test_missing_and_unknown_datasets(tmp_path):
    with pytest.raises(ToolkitError, match="not found"):
        load_dataset(str(tmp_path / "nope.npz"))
    with pytest.raises(ToolkitError, match="expected one of digits, mnist1d"):
        load_dataset("cifar")
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    with pytest.raises(ToolkitError, match="not a readable .npz"):
        load_dataset(str(junk))
