"""hls4ml C-simulation as a backend with the emulator's interface (``predict_codes``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.hlsgen.config import BACKENDS, IO_TYPES, STRATEGIES, hls_config
from toolkit.models import ir


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
        plan: Any = None,
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

        if plan is not None:
            corrected = [name for name, lp in plan.layers.items() if lp.correction is not None]
            if corrected:
                raise ToolkitError(
                    f"layers {', '.join(corrected)} use a control-variate/bias correction, which the hls4ml "
                    "backend does not generate yet; use a plan without corrections for C-simulation"
                )
        register(backend)
        self.model_ir = model_ir
        config = hls_config(model_ir, deploy_model, backend=backend, strategy=strategy, plan=plan)
        self.hls_model = hls4ml.converters.convert_from_keras_model(
            deploy_model,
            hls_config=config,
            output_dir=str(output_dir),
            backend=backend,
            io_type=io_type,
            project_name="toolkit_accel",
        )
        self._compiled = False

    def compile(self) -> None:
        """Write the HLS project and build the C-simulation library (g++, ~10 s)."""
        self.hls_model.compile()
        self._compiled = True

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        """Input codes -> output codes, through the compiled C++ model."""
        if not self._compiled:
            self.compile()
        x = self.model_ir.input_precision.to_float(codes).astype(np.float32)
        y = np.asarray(self.hls_model.predict(np.ascontiguousarray(x)), dtype=np.float64)
        y = y.reshape((len(codes),) + self.model_ir.output_shape)
        out = self.model_ir.output_precision
        scaled = y / out.scale
        result = np.rint(scaled).astype(np.int64)
        if not np.array_equal(result, scaled):
            raise ToolkitError("hls4ml C-sim returned values that are not codes of the output type")
        return result
