"""hls4ml C-simulation as a backend with the emulator's interface (``predict_codes``).

A plan's multipliers become product policies (:mod:`toolkit.hlsgen.approx_templates`);
its control-variate corrections become a branch of stock layers per corrected layer,
bias-only ones a folded bias (:mod:`toolkit.hlsgen.correction_graph`); a
BatchNormalization computes the IR's exact scale and shift (:mod:`toolkit.hlsgen.scale`). Inputs and
outputs cross the ctypes boundary as float64, which holds every code of up to 53 bits
exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.hlsgen.config import BACKENDS, IO_TYPES, STRATEGIES, hls_config
from toolkit.hlsgen.correction_graph import corrected_layers, hls_names, output_name
from toolkit.hlsgen.hls_graph import hls_keras_model
from toolkit.hlsgen.scale import scale_types, set_exact_scales
from toolkit.models import ir

if TYPE_CHECKING:  # the plan's type only; no import cycle at run time
    from toolkit.plan import Plan

PROJECT_NAME = "toolkit_accel"  # the vendor step reads <output_dir>/firmware/toolkit_accel.cpp


class HlsCSim:
    """An hls4ml model converted with IR-derived types and compiled with g++ (no vendor tools)."""

    def __init__(
        self,
        model_ir: ir.ModelIR,
        deploy_model: Any,
        output_dir: Path,
        backend: str = "Vivado",
        io_type: str = "io_parallel",
        strategy: str = "Latency",
        plan: Plan | None = None,
        trace: bool = False,
    ) -> None:
        for value, accepted, what in (
            (backend, BACKENDS, "backend"),
            (io_type, IO_TYPES, "io_type"),
            (strategy, STRATEGIES, "strategy"),
        ):
            if value not in accepted:
                raise ToolkitError(
                    f"hls4ml {what} {value!r} is unknown: expected one of {', '.join(accepted)}"
                )
        import hls4ml

        from toolkit.hlsgen.approx_templates import register

        register(backend)
        self.model_ir = model_ir
        self.corrected = corrected_layers(model_ir, plan)
        self.names = hls_names(deploy_model)  # Keras layer name -> hls4ml layer name
        hls_graph = hls_keras_model(deploy_model, model_ir, plan, self.names)
        config = hls_config(model_ir, hls_graph.model, self.names, backend=backend, strategy=strategy, plan=plan,
                            trace=trace, io_type=io_type, extra_types=hls_graph.types)  # fmt: skip
        self.hls_model = hls4ml.converters.convert_from_keras_model(
            hls_graph.model,
            hls_config=config,
            output_dir=str(output_dir),
            backend=backend,
            io_type=io_type,
            project_name=PROJECT_NAME,
        )
        set_exact_scales(self.hls_model, model_ir, scale_types(model_ir, self.corrected), self.names)
        self._compiled = False

    def compile(self) -> None:
        """Write the HLS project and build the C-simulation library (g++, ~10 s)."""
        self.hls_model.compile()
        self._compiled = True

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        """Input codes -> output codes, through the compiled C++ model."""
        if not self._compiled:
            self.compile()
        y = np.asarray(self.hls_model.predict(self._input(codes)), dtype=np.float64)
        return _to_codes(
            y.reshape((len(codes),) + self.model_ir.output_shape), self.model_ir.output_precision
        )

    def trace_codes(self, codes: np.ndarray) -> dict[str, np.ndarray]:
        """Codes after every IR layer hls4ml traces (needs ``trace=True``), by IR layer name.

        A corrected layer's entry is its ``<hls name>_cv`` output (the corrected sums). IR
        layers hls4ml folds away (e.g. a Flatten in io_parallel) are absent.
        """
        if not self._compiled:
            self.compile()
        _, traced = self.hls_model.trace(self._input(codes))
        out: dict[str, np.ndarray] = {}
        for layer in self.model_ir.layers:
            values = traced.get(output_name(layer.name, self.corrected, self.names))
            if values is not None:
                values = np.asarray(values, dtype=np.float64).reshape((len(codes),) + layer.out_shape)
                out[layer.name] = _to_codes(values, layer.out_precision, layer.name)
        return out

    def _input(self, codes: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(self.model_ir.input_precision.to_float(codes), dtype=np.float64)


def _to_codes(values: np.ndarray, precision: Any, where: str = "output") -> np.ndarray:
    scaled = values / precision.scale
    result = np.rint(scaled).astype(np.int64)
    if not np.array_equal(result, scaled):
        raise ToolkitError(f"hls4ml C-sim returned values at {where} that are not codes of its type")
    return result
