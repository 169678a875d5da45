"""The C-simulation check of the build pipeline: hls4ml C-sim == the emulator, bit for bit.

:func:`csim_check` writes the hls4ml project (``project_name`` ``toolkit_accel``) to
``out_dir``, compiles it with g++, runs every given input code through it and through
the emulator with the same plan, and returns a JSON-able summary. Any difference is a
:class:`~toolkit.errors.ToolkitError` naming the first layer (in network order) where
the two differ and the first sample that differs there, found by tracing the
mismatching samples through both (hls4ml's ``trace()`` recompiles once, so only the
error path pays for it).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.emulator.engine import Emulator
from toolkit.errors import HardwareMismatch, ToolkitError
from toolkit.hlsgen.csim import PROJECT_NAME, HlsCSim
from toolkit.models import ir

if TYPE_CHECKING:  # the plan's type only; no import cycle at run time
    from toolkit.plan import Plan

TRACED_SAMPLES = 16  # mismatching samples traced layer by layer to find the first differing layer


def csim_check(
    model_ir: ir.ModelIR,
    deploy_model: Any,
    plan: Plan | None,
    x_codes: np.ndarray,
    out_dir: Path | str,
    backend: str = "Vivado",
    io_type: str = "io_parallel",
    strategy: str = "Latency",
) -> dict[str, Any]:
    """Compile ``model_ir`` + ``plan`` with hls4ml into ``out_dir`` and check it equals the emulator.

    ``x_codes`` are input codes (batch first, the model's input shape); ``plan`` may be
    None (exact). Returns ``n_samples``, ``equal_samples`` (== n_samples), ``seconds``,
    ``compile_seconds``, ``predict_seconds``, ``backend``, ``io_type``, ``strategy``,
    ``project_dir``, ``project_name`` and ``corrected_layers``; raises ToolkitError on
    the first difference.
    """
    codes = _check_codes(model_ir, x_codes)
    if plan is not None and plan.model_hash != model_ir.model_hash():
        raise ToolkitError(
            f"the plan was made for model hash {plan.model_hash} but this model's hash is "
            f"{model_ir.model_hash()}: regenerate the plan for this model"
        )
    out_dir = Path(os.path.abspath(out_dir))  # not resolve(): callers relocate by string prefix
    start = time.perf_counter()
    csim = HlsCSim(
        model_ir,
        deploy_model,
        out_dir,
        backend=backend,
        io_type=io_type,
        strategy=strategy,
        plan=plan,
        trace=True,
    )
    csim.compile()
    compiled = time.perf_counter()
    emulator = Emulator(model_ir, plan.kernels() if plan is not None else None)
    equal = compare_with_emulator(csim, emulator, codes)
    done = time.perf_counter()
    return {
        "n_samples": int(len(codes)),
        "equal_samples": equal,
        "seconds": round(done - start, 3),
        "compile_seconds": round(compiled - start, 3),
        "predict_seconds": round(done - compiled, 3),
        "backend": backend,
        "io_type": io_type,
        "strategy": strategy,
        "project_dir": str(out_dir),
        "project_name": PROJECT_NAME,
        "corrected_layers": sorted(csim.corrected),
    }


def compare_with_emulator(csim: HlsCSim, emulator: Emulator, codes: np.ndarray) -> int:
    """Number of samples (all of them) on which ``csim`` and ``emulator`` agree; else HardwareMismatch.

    The error names the first IR layer whose traced codes differ on any of the first
    ``TRACED_SAMPLES`` mismatching samples, and the first such sample's index in ``codes``.
    """
    codes = np.asarray(codes, dtype=np.int64)
    got = csim.predict_codes(codes).reshape(len(codes), -1)
    expected = emulator.predict_codes(codes).reshape(len(codes), -1)
    same = (got == expected).all(axis=1)
    if same.all():
        return int(len(codes))
    bad = np.flatnonzero(~same)
    traced = bad[:TRACED_SAMPLES]
    hls_trace = csim.trace_codes(codes[traced])
    emu_trace = emulator.trace(codes[traced])
    where = f"{len(bad)} of {len(codes)} samples differ at the output"
    for layer in emulator.model.layers:
        if layer.name not in hls_trace:
            continue
        h = hls_trace[layer.name].reshape(len(traced), -1)
        e = emu_trace[layer.name].reshape(len(traced), -1)
        differs = (h != e).any(axis=1)
        if differs.any():
            row = int(np.argmax(differs))
            col = int(np.argmax(h[row] != e[row]))
            raise HardwareMismatch(
                f"hls4ml C-sim differs from the emulator first at layer {layer.name!r} ({layer.kind}), "
                f"sample {int(traced[row])}: element {col} is {int(h[row, col])} in the C-sim but "
                f"{int(e[row, col])} in the emulator ({where}; project {csim.hls_model.config.get_output_dir()})"
            )
    first = int(bad[0])
    raise HardwareMismatch(
        f"hls4ml C-sim differs from the emulator at the output, sample {first} ({where}), but no traced "
        f"layer differs on the traced samples; compare the project {csim.hls_model.config.get_output_dir()}"
    )


def _check_codes(model_ir: ir.ModelIR, x_codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(x_codes)
    if codes.ndim < 1 or tuple(codes.shape[1:]) != model_ir.input_shape:
        raise ToolkitError(
            f"input codes have shape {codes.shape}; model {model_ir.name!r} expects (n, "
            f"{', '.join(map(str, model_ir.input_shape))})"
        )
    if not np.issubdtype(codes.dtype, np.integer):
        raise ToolkitError(f"input codes have dtype {codes.dtype}; expected integer codes of the input type")
    p = model_ir.input_precision
    if codes.size and (int(codes.min()) < p.min_code or int(codes.max()) > p.max_code):
        raise ToolkitError(
            f"input codes span [{int(codes.min())}, {int(codes.max())}] but the input type "
            f"{p.describe()} holds [{p.min_code}, {p.max_code}]"
        )
    return codes.astype(np.int64)
