"""Modelled power from a sample of the run: the estimate against the full run, the draw, and bad flags."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from toolkit.cli.main import cli
from toolkit.errors import ToolkitError
from toolkit.rtlgen.sampled_power import sample_indices

N_RUN, N_SAMPLED = 160, 32
pytestmark = pytest.mark.xdist_group("sampled_power")  # the two simulations of `runs` happen once


@pytest.fixture(scope="module")
def runs(zoo_models) -> dict:
    """digits-cnn, exact, 160 test samples: toggles on a 32-sample draw and on every sample."""
    from toolkit.rtlgen.run import simulate

    entry = zoo_models["digits-cnn"]
    return {
        k: simulate(entry["ir"], entry["data"], None, limit=N_RUN, power_samples=samples)
        for k, samples in (("sampled", N_SAMPLED), ("full", None))
    }


@pytest.mark.verilator
@pytest.mark.yosys
def test_sampled_power_is_within_its_stated_error_of_the_full_run(runs) -> None:
    sampled, full = runs["sampled"]["power"], runs["full"]["power"]
    s = sampled["sampling"]
    assert (s["samples"], s["of"], s["batches"], s["seed"]) == (N_SAMPLED, N_RUN, 8, 0)
    assert full["sampling"]["samples"] == N_RUN and full["dynamic_stderr_w"] == 0.0
    assert sampled["label"].startswith("modelled") and "sampling error" in s["error_note"]
    error = sampled["dynamic_stderr_w"]
    assert 0 < error < 0.05 * sampled["dynamic_w"]  # a real, small spread over the batches
    assert abs(sampled["dynamic_w"] - full["dynamic_w"]) <= 2 * error  # within two standard errors
    assert sampled["energy_stderr_j"] == pytest.approx(error * runs["sampled"]["cycles"]["interval"] / 100e6)
    # agreement and cycles come from every sample in both runs, and are identical
    for key in ("n", "bit_exact_samples", "accuracy", "cycles"):
        assert runs["sampled"][key] == runs["full"][key]
    assert runs["sampled"]["bit_exact_samples"] == N_RUN


def test_sample_draw_is_deterministic_sorted_and_without_replacement() -> None:
    a = sample_indices(1000, 64, seed=3)
    np.testing.assert_array_equal(a, sample_indices(1000, 64, seed=3))
    assert len(np.unique(a)) == 64 and np.all(np.diff(a) > 0) and a.max() < 1000
    assert not np.array_equal(a, sample_indices(1000, 64, seed=4))
    np.testing.assert_array_equal(sample_indices(10, 64), np.arange(10))  # fewer samples than asked: all
    np.testing.assert_array_equal(sample_indices(10, None), np.arange(10))
    with pytest.raises(ToolkitError, match="power samples = 0"):
        sample_indices(10, 0)


@pytest.mark.parametrize("value", ["1", "0", "-3", "many"])
def test_power_samples_flag_rejects_bad_counts(value: str) -> None:
    result = CliRunner().invoke(cli, ["sim", "--model", "zoo:digits-cnn", "--power-samples", value])
    assert result.exit_code == 2
    assert f"'{value}': expected a whole number of samples >= 2 or 'all'" in result.output


@pytest.mark.verilator
@pytest.mark.yosys
def test_a_run_no_larger_than_the_sample_counts_every_sample_on_one_build(zoo_models, runs) -> None:
    from toolkit.rtlgen.run import simulate

    entry = zoo_models["digits-cnn"]
    r = simulate(entry["ir"], entry["data"], None, limit=20, power_samples=64)
    assert r["power"]["sampling"]["samples"] == r["power"]["sampling"]["of"] == 20
    assert r["power"]["dynamic_stderr_w"] == 0.0 and r["power_build_seconds"] is None
    assert r["bit_exact_samples"] == 20


@pytest.mark.verilator
@pytest.mark.yosys
def test_sim_text_labels_the_power_as_modelled_with_its_sampling_error(runs, capsys, monkeypatch) -> None:
    from toolkit.cli.sim import _print

    monkeypatch.setenv("COLUMNS", "400")  # one line per row: rich wraps cells at the terminal width
    _print(runs["sampled"] | {"source": "zoo:digits-cnn"})
    text = " ".join(capsys.readouterr().out.split())
    assert "power (MODELLED)" in text and "mW (sampling s.e.)" in text
    assert f"toggles counted on {N_SAMPLED} of {N_RUN} samples (drawn with seed 0)" in text
