"""The board-side measurement: verify the package, run its vectors, time them, measure power.

Outputs are compared with the package's expected codes (the emulator's): any mismatch is a
hardware or bitstream defect and is counted, not hidden. Accuracy is against the labels.
Results are written atomically; on an error nothing is written.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from toolkit_overlay import __version__
from toolkit_overlay.driver import Accelerator
from toolkit_overlay.errors import OverlayError
from toolkit_overlay.files import write_atomic_json
from toolkit_overlay.manifest import Manifest, running_board, verify_package
from toolkit_overlay.power import Sampler, energy_per_inference, open_meter, parse_meter_spec

DEVICES = ("pynq", "double")
RESULTS_FORMAT = "toolkit-overlay-results"


def measure_package(
    package: Path | str,
    meter: str = "auto",
    samples: int = 50,
    out: Path | str | None = None,
    device: Any = "pynq",
    board: str | None = None,
    batch_size: int = 256,
    limit: int | None = None,
    latency_repeats: int = 100,
    interval_s: float = 0.05,
    modelled: dict[str, Any] | None = None,
    log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr, flush=True),
) -> dict[str, Any]:
    """Measure a package on this board and return (and write to ``out``) the results.

    ``meter``: a meter spec (see :data:`toolkit_overlay.power.ACCEPTED`) or ``auto`` (PMBus
    where the board has it, else none). ``samples``: power readings per phase (idle, load).
    ``device``: "pynq", "double" (the checking test double answering from the package's own
    expected codes) or a Device object (e.g. the host's simulated device). ``modelled``: the
    modelled power (``static_w``, ``dynamic_w``) the ``model`` meter reports (default: the
    manifest's ``modelled_power``); on a simulated device the load phase lasts the simulated
    time of its inferences.
    """
    on_board = running_board(board)
    manifest = verify_package(package, on_board)
    facts = manifest.board_facts()
    spec = parse_meter_spec(_auto_meter(meter, facts))
    if samples < 2:
        raise OverlayError(f"--samples {samples}: expected at least 2 power readings per phase")
    x, expected, labels = _vectors(manifest, limit)
    closers: list[Callable[[], None]] = []
    try:  # the meter first: a wrong port fails before the overlay is loaded
        meter_obj = open_meter(spec, facts, modelled or manifest.raw.get("modelled_power"))
        if meter_obj is not None:
            closers.append(meter_obj.close)
        dev = _open_device(device, manifest, x, expected)
        closers.insert(0, dev.close)
        acc = Accelerator(dev, manifest)
        closers.insert(0, acc.close)
        log(f"running {len(x)} samples of {manifest.model} on the {dev.kind} device")
        pred = acc.predict_codes(x, batch_size)
        got = pred.codes.reshape(len(x), -1)
        differ = np.flatnonzero(np.any(got != expected.reshape(len(x), -1), axis=1))
        latency = acc.latency(x, latency_repeats)
        power = None
        if meter_obj is not None:
            power = _power(acc, meter_obj, x, samples, batch_size, interval_s, log)
    finally:
        for close in closers:
            close()
    results = {
        "format": RESULTS_FORMAT,
        "version": 1,
        "package": manifest.summary(),
        "board": on_board,
        "board_verified": on_board is not None,
        "device": dev.kind,
        "runtime": {
            "toolkit_overlay": __version__,
            "path": str(Path(__file__).resolve().parent),
            "python": platform.python_version(),
            "host": platform.node(),
        },
        "samples": int(len(x)),
        "mismatches": int(len(differ)),
        "mismatch_indices": differ[:20].tolist(),
        "bit_exact": not len(differ),
        "accuracy": _accuracy(got, labels),
        "expected_accuracy": _accuracy(expected.reshape(len(x), -1), labels),
        "throughput": pred.to_json(),
        "latency": latency.to_json(),
        "power": power,
        "power_note": None if power else _no_power(spec.kind, facts),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if out is not None:
        write_atomic_json(Path(out), results)
    return results


def _auto_meter(meter: str, facts: dict[str, Any]) -> str:
    if meter != "auto":
        return meter
    return "pmbus" if facts.get("sensing") == "pmbus" else "none"


def _vectors(manifest: Manifest, limit: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    path = manifest.package / "vectors.npz"
    try:
        with np.load(path) as f:
            x, expected, labels = f["x_codes"], f["expected_codes"], f["labels"]
    except (OSError, KeyError, ValueError) as exc:
        raise OverlayError(f"{path}: expected x_codes, expected_codes and labels ({exc})") from None
    n = len(x) if limit is None else min(limit, len(x))
    if n < 1:
        raise OverlayError(f"{path} holds no samples to run")
    if tuple(x.shape[1:]) != manifest.input_shape or tuple(expected.shape[1:]) != manifest.output_shape:
        raise OverlayError(
            f"{path}: x_codes {x.shape} / expected_codes {expected.shape} do not match the manifest's shapes "
            f"{list(manifest.input_shape)} / {list(manifest.output_shape)}"
        )
    if len(expected) != len(x) or len(labels) != len(x):
        raise OverlayError(f"{path}: {len(x)} inputs, {len(expected)} expected outputs, {len(labels)} labels")
    return x[:n].astype(np.int64), expected[:n].astype(np.int64), labels[:n]


def _open_device(device: Any, manifest: Manifest, x: np.ndarray, expected: np.ndarray) -> Any:
    if not isinstance(device, str):
        return device
    if device == "pynq":
        from toolkit_overlay.device import PynqDevice

        return PynqDevice(manifest.require_bitstream())
    if device == "double":
        from toolkit_overlay.testing import CheckingDevice, lookup_reference

        return CheckingDevice(manifest.axis_in, manifest.axis_out, lookup_reference(x, expected))
    raise OverlayError(f"device {device!r}: expected one of {', '.join(DEVICES)}")


def _power(acc: Accelerator, meter: Any, x: np.ndarray, samples: int, batch_size: int, interval_s: float,
           log: Callable[[str], None]) -> dict[str, Any]:  # fmt: skip
    simulated = acc.device.timing == "simulated"
    if simulated and meter.label != "modelled":
        raise OverlayError(
            f"a {meter.label} meter ({meter.name}) on the {acc.device.kind} device: wall-clock power says nothing "
            "about simulated hardware; use --meter model"
        )
    log(f"power: {samples} readings idle, then {samples} under load, from {meter.name}")
    with Sampler(meter, interval_s) as sampler:
        sampler.mark("idle")
        sampler.wait_for(samples)
        sampler.mark("load")
        run = acc.run_until(lambda: sampler.count("load") >= samples, x, batch_size)
        trace = sampler.stop()
    # simulated hardware: the load lasted the simulated time of its inferences, not the wall time
    energy = energy_per_inference(trace, run.inferences, duration_s=run.seconds if simulated else None)
    out = {"meter": meter.name, "label": meter.label, "scope": meter.scope, "timing": run.timing,
           "identity": getattr(meter, "identity", None), "energy": energy.to_json(), "trace": trace.to_json()}  # fmt: skip
    if meter.label == "modelled":  # a model is shown as its inputs, never as samples with an error bar
        out["energy"]["stderr_j"] = None
        out["energy"]["error_note"] = (
            "modelled power: no measurement error (the model's own error is not quantified)"
        )
        out["model"] = {"static_w": meter.static_w, "dynamic_w": meter.dynamic_w, "timing": run.timing,
                        "seconds_per_inference": run.seconds / run.inferences}  # fmt: skip
        del out["trace"]
    return out


def _no_power(kind: str, facts: dict[str, Any]) -> str:
    if kind == "none" and facts.get("sensing") == "external":
        return (
            f"not measured: {facts.get('name', 'this board')} has no on-board sensing; pass --meter scpi:PORT"
        )
    return "not measured (--meter none)"


def _accuracy(codes: np.ndarray, labels: np.ndarray) -> float:
    labels = np.asarray(labels)
    if labels.ndim > 1:
        labels = labels.argmax(axis=1)
    return float(np.mean(codes.argmax(axis=1) == labels))
