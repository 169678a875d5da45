"""Timing shared by the benchmark scripts: best of several repeats (the machine is noisy)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Fastest wall time of ``repeats`` calls of ``fn``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (compilers, workers)."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def stream_rounds(libs: list, design: object, codes: object, reference: object, rounds: int) -> None:
    """Stream ``row["samples"]`` codes through each built library in interleaved rounds (load drifts hit
    every variant alike); fill each row with bit-exactness, cycles, toggles, per-round wall/CPU seconds
    and the best M cycles per wall and per CPU second. ``libs`` holds (row, build) pairs."""
    import os

    import numpy as np

    from toolkit.rtlgen.device import RtlDevice

    for r in range(rounds):
        for row, made in libs:
            k = row["samples"]
            with RtlDevice(design, made) as device:
                device.predict_codes(codes[:1])
                wall, cpu = time.perf_counter(), cpu_seconds()
                res = device.predict_codes(codes[:k])
                wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
            row["bit_exact"] = bool(np.array_equal(res.codes.reshape(k, -1), reference[:k]))
            row["cycles"] = res.cycles
            if res.activity is not None:  # the same count from every equivalent build
                row["toggles"] = sum(m.toggles for m in res.activity.modules.values())
            row["runs"].append({"round": r, "wall_s": wall, "cpu_s": cpu, "load": os.getloadavg()[0]})
    for row, _ in libs:
        row["mcycles_per_wall_s"] = row["cycles"] / min(x["wall_s"] for x in row["runs"]) / 1e6
        row["mcycles_per_cpu_s"] = row["cycles"] / min(x["cpu_s"] for x in row["runs"]) / 1e6
