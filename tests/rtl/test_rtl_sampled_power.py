"""Modelled power from a sample of the run: the estimate against the full run, the draw, the adaptive
rule, and bad flags."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from toolkit.cli.main import cli
from toolkit.errors import ToolkitError
from toolkit.rtlgen.activity import Activity, ModuleActivity
from toolkit.rtlgen.sampled_power import (
    AUTO_BATCH,
    AUTO_MAX_SAMPLES,
    AUTO_MIN_BATCHES,
    AUTO_TARGET,
    auto_batches,
    check_power_samples,
    relative_stderr,
    sample_activity_until,
    sample_indices,
)

N_RUN, N_SAMPLED = 160, 32
pytestmark = pytest.mark.xdist_group("sampled_power")  # the two simulations of `runs` happen once


@pytest.fixture(scope="module")
def runs(zoo_models) -> dict:
    """digits-cnn, exact, 160 test samples: toggles on a 32-sample draw, by the adaptive rule and on every sample."""
    from toolkit.rtlgen.run import simulate

    entry = zoo_models["digits-cnn"]
    return {
        k: simulate(entry["ir"], entry["data"], None, limit=N_RUN, power_samples=samples)
        for k, samples in (("sampled", N_SAMPLED), ("auto", "auto"), ("full", None))
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
    assert runs["sampled"]["power_sim_cpu_seconds"] > 0 and runs["full"]["power_sim_cpu_seconds"] is None


def test_sample_draw_is_deterministic_sorted_and_without_replacement() -> None:
    a = sample_indices(1000, 64, seed=3)
    np.testing.assert_array_equal(a, sample_indices(1000, 64, seed=3))
    assert len(np.unique(a)) == 64 and np.all(np.diff(a) > 0) and a.max() < 1000
    assert not np.array_equal(a, sample_indices(1000, 64, seed=4))
    np.testing.assert_array_equal(sample_indices(10, 64), np.arange(10))  # fewer samples than asked: all
    np.testing.assert_array_equal(sample_indices(10, None), np.arange(10))
    with pytest.raises(ToolkitError, match="power samples = 0"):
        sample_indices(10, 0)


@pytest.mark.verilator
@pytest.mark.yosys
def test_the_adaptive_rule_stops_within_its_target_and_agrees_with_the_full_run(runs) -> None:
    auto, full = runs["auto"]["power"], runs["full"]["power"]
    s = auto["sampling"]
    assert (
        AUTO_BATCH * AUTO_MIN_BATCHES <= s["samples"] <= AUTO_MAX_SAMPLES and s["batches"] >= AUTO_MIN_BATCHES
    )
    assert s["rule"].startswith(f"batches of {AUTO_BATCH} until the standard error is at most")
    error = auto["dynamic_stderr_w"]
    assert 0 < error <= AUTO_TARGET * auto["dynamic_w"]  # "reached": the stated error meets the target
    assert "reached after" in s["rule"]
    assert abs(auto["dynamic_w"] - full["dynamic_w"]) <= 3 * error  # within three standard errors
    assert runs["auto"]["bit_exact_samples"] == N_RUN


class _FakeCoverageDevice:
    """Stands in for a coverage build: one module whose toggles per sample are the sample's code."""

    has_activity = True

    def predict_codes(self, codes: np.ndarray):
        from types import SimpleNamespace

        toggles = float(codes.sum())
        return SimpleNamespace(codes=codes * 2, activity=Activity(1, {"m": ModuleActivity(10, toggles)}))


def _until(values: np.ndarray):
    return sample_activity_until(
        _FakeCoverageDevice(), values, 1000, lambda a: a.modules["m"].toggles, seed=1
    )


def test_adaptive_rule_stops_at_the_minimum_when_batches_agree_and_streams_all_when_they_do_not() -> None:
    steady = _until(np.full(500, 7))  # every batch the same estimate: zero error after the minimum
    assert len(steady.batches) == AUTO_MIN_BATCHES and len(steady.indices) == AUTO_MIN_BATCHES * AUTO_BATCH
    assert "reached after 4 batches" in steady.rule
    assert steady.activity.modules["m"].toggles == pytest.approx(7 * 500)  # scaled to the run
    wild = _until(np.where(np.arange(500) % 2 == 0, 1, 1000))  # batch estimates spread widely
    assert len(wild.indices) == AUTO_MAX_SAMPLES and "not reached" in wild.rule
    np.testing.assert_array_equal(wild.codes, 2 * np.where(wild.indices % 2 == 0, 1, 1000))  # outputs line up


def test_adaptive_batches_are_seeded_disjoint_slices_of_a_permutation() -> None:
    a = auto_batches(1000, seed=3)
    assert [len(b) for b in a] == [AUTO_BATCH] * (AUTO_MAX_SAMPLES // AUTO_BATCH)
    flat = np.concatenate(a)
    assert len(np.unique(flat)) == len(flat) and flat.max() < 1000 and all(np.all(np.diff(b) > 0) for b in a)
    assert all(np.array_equal(x, y) for x, y in zip(a, auto_batches(1000, seed=3), strict=True))
    assert not np.array_equal(flat, np.concatenate(auto_batches(1000, seed=4)))
    assert sorted(np.concatenate(auto_batches(10)).tolist()) == list(range(10))  # a small run: all of it


def test_relative_stderr_and_power_sample_values() -> None:
    assert relative_stderr([1.0, 1.0, 1.0]) == 0.0 and relative_stderr([2.0]) == float("inf")
    assert relative_stderr([1.0, 3.0]) == pytest.approx(np.std([1.0, 3.0], ddof=1) / np.sqrt(2) / 2.0)
    for ok in (2, 64, "auto", None):
        check_power_samples(ok)
    for bad in (1, 0, "many", 2.5, True):
        with pytest.raises(ToolkitError, match=f"power samples = {bad!r}: expected a count >= 2"):
            check_power_samples(bad)


@pytest.mark.parametrize("value", ["1", "0", "-3", "many"])
def test_power_samples_flag_rejects_bad_counts(value: str) -> None:
    result = CliRunner().invoke(cli, ["sim", "--model", "zoo:digits-cnn", "--power-samples", value])
    assert result.exit_code == 2
    assert f"'{value}': expected a whole number of samples >= 2, 'auto' or 'all'" in result.output
    measured = CliRunner().invoke(cli, ["measure", "--build", "nowhere", "--power-samples", "auto"])
    assert (
        measured.exit_code == 2
        and "'auto': expected a whole number of samples >= 2 or 'all'" in measured.output
    )


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
