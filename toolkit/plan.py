"""The plan: per MAC layer, which multiplier design and which correction, tied to one model.

``plan.json`` (format ``toolkit-plan``, version 1)::

    {
      "format": "toolkit-plan", "version": 1,
      "model_hash": "a30374a5ca1b3da2",           # ModelIR.model_hash(): weights + precisions
      "model": "zoo:digits-cnn",                  # informational
      "layers": [
        {"name": "conv1",
         "activation": "u4.0", "weight": "s4.1",  # operand precisions (checked against the model)
         "multiplier": "trunc2_u4s4",             # a registry name, or a short form like "trunc2"
         "correction": {"mode": "cv", "frac_bits": 8, "c": [...], "d": [...],
                        "source": "least-squares (uniform activations)"}},
        ...
      ]
    }

MAC layers the plan does not list stay exact. ``multiplier`` may omit the operand tag
(``"trunc2"``, ``"exact"``): it is completed from the layer's own widths. ``correction``
may be ``"none"``, ``"cv"`` or ``"bias"``: its constants are then fitted from the weights
(uniform activations unless histograms are given) when the plan is resolved. A resolved
plan lists every field explicitly, so every backend reads the same integers.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.cache import write_atomic_json
from toolkit.emulator.approx import ApproxProduct
from toolkit.emulator.control_variate import CorrectedProduct, Correction, fit_correction
from toolkit.emulator.products import ProductKernel
from toolkit.errors import ToolkitError
from toolkit.models import ir

FORMAT, VERSION = "toolkit-plan", 1


@dataclass(frozen=True, eq=False)
class LayerPlan:
    """One MAC layer's arithmetic: a design (registry object) and an optional correction."""

    name: str
    design: Any
    correction: Correction | None = None

    def to_json(self, layer: ir.MacLayer) -> dict[str, Any]:
        return {
            "name": self.name,
            "activation": layer.in_precision.describe(),
            "weight": layer.weight_precision.describe(),
            "multiplier": self.design.name,
            "correction": self.correction.to_json() if self.correction else "none",
        }

    def kernel(self, method: str = "auto") -> ProductKernel:
        """The product kernel the emulator uses for this layer (``method`` picks the emulation path)."""
        kernel: ProductKernel = approx_kernel(self.design.name, method)
        return CorrectedProduct(kernel, self.correction) if self.correction else kernel


@dataclass(frozen=True, eq=False)
class Plan:
    """A resolved plan for one model (identified by its hash)."""

    model_hash: str
    layers: dict[str, LayerPlan]
    model: str = ""

    def kernels(self, method: str = "auto") -> dict[str, ProductKernel]:
        """Product kernels per layer for the emulator (``method`` picks the emulation path)."""
        return {name: lp.kernel(method) for name, lp in self.layers.items()}

    def to_json(self, model_ir: ir.ModelIR) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "model_hash": self.model_hash,
            "model": self.model,
            "layers": [lp.to_json(model_ir.layer(name)) for name, lp in self.layers.items()],
        }

    def save(self, path: Path, model_ir: ir.ModelIR) -> None:
        write_atomic_json(Path(path), self.to_json(model_ir))


@functools.lru_cache(maxsize=1024)
def approx_kernel(design_name: str, method: str = "auto") -> ApproxProduct:
    """One shared kernel per design (its decomposition is computed once per process)."""
    from toolkit.multipliers import get_design

    return ApproxProduct(get_design(design_name), method=method)


def operand_tag(layer: ir.MacLayer) -> str:
    """The registry's operand tag for a layer, e.g. ``u4s4``."""
    a, w = layer.in_precision, layer.weight_precision
    return f"{'s' if a.signed else 'u'}{a.width}{'s' if w.signed else 'u'}{w.width}"


def design_for(layer: ir.MacLayer, multiplier: str) -> Any:
    """The registry design named ``multiplier`` (short forms completed), checked against the layer."""
    from toolkit.multipliers import MultiplierError, get_design
    from toolkit.multipliers.design import MAX_BITS, MIN_BITS

    a, w = layer.in_precision, layer.weight_precision
    if not all(MIN_BITS <= p.width <= MAX_BITS for p in (a, w)):
        raise ToolkitError(
            f"layer {layer.name!r} multiplies {a.describe()} activations by {w.describe()} weights; the "
            f"multiplier library covers {MIN_BITS}..{MAX_BITS}-bit operands, so a plan cannot name this layer "
            "(leave it out: it stays exact)"
        )
    name = multiplier if "_" in multiplier else f"{multiplier}_{operand_tag(layer)}"
    try:
        design = get_design(name)
    except MultiplierError as exc:
        raise ToolkitError(f"layer {layer.name!r}: {exc}") from None
    if (design.a_bits, design.a_signed, design.w_bits, design.w_signed) != (
        a.width,
        a.signed,
        w.width,
        w.signed,
    ):
        raise ToolkitError(
            f"layer {layer.name!r} multiplies {a.describe()} activations by {w.describe()} weights "
            f"(operand tag {operand_tag(layer)}) but multiplier {design.name!r} is for another operand tag"
        )
    return design


def load_plan(
    path: Path | str, model_ir: ir.ModelIR, histograms: dict[str, np.ndarray] | None = None
) -> Plan:
    """Read, validate and resolve a plan file against ``model_ir``."""
    path = Path(path)
    if not path.exists():
        raise ToolkitError(f"plan file '{path}' not found")
    try:
        obj = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ToolkitError(f"plan file '{path}' is not valid JSON ({exc})") from None
    return plan_from_json(obj, model_ir, histograms, where=f"plan '{path}'")


def plan_from_json(
    obj: Any, model_ir: ir.ModelIR, histograms: dict[str, np.ndarray] | None = None, where: str = "plan"
) -> Plan:
    """Validate a plan object against the model and fit any correction given only by mode."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ToolkitError(f'{where}: not a toolkit plan (expected "format": "{FORMAT}")')
    if obj.get("version") != VERSION:
        raise ToolkitError(f"{where}: version {obj.get('version')!r} is unsupported; expected {VERSION}")
    model_hash = model_ir.model_hash()
    if obj.get("model_hash") not in (None, model_hash):
        raise ToolkitError(
            f"{where} was made for model hash {obj.get('model_hash')} but this model's hash is {model_hash}: "
            "regenerate the plan for this model"
        )
    macs = {layer.name: layer for layer in model_ir.mac_layers()}
    layers: dict[str, LayerPlan] = {}
    for entry in obj.get("layers", []):
        name = entry.get("name") if isinstance(entry, dict) else None
        if name not in macs:
            raise ToolkitError(
                f"{where} names layer {name!r}, which is not a MAC layer of {model_ir.name!r}; "
                f"its MAC layers are {', '.join(macs)}"
            )
        if name in layers:
            raise ToolkitError(f"{where} lists layer {name!r} twice")
        layer = macs[name]
        for key, precision in (("activation", layer.in_precision), ("weight", layer.weight_precision)):
            if key in entry and entry[key] != precision.describe():
                raise ToolkitError(
                    f"{where}: layer {name!r} has {key} precision {precision.describe()} but the plan says "
                    f"{entry[key]}"
                )
        design = design_for(layer, str(entry.get("multiplier", "exact")))
        layers[name] = LayerPlan(
            name,
            design,
            _correction(
                entry.get("correction", "none"),
                design,
                layer,
                (histograms or {}).get(name),
                f"{where}: layer {name!r}",
            ),
        )
    return Plan(model_hash, layers, str(obj.get("model", "")))


def _correction(
    spec: Any, design: Any, layer: ir.MacLayer, p_a: np.ndarray | None, where: str
) -> Correction | None:
    if spec in (None, "none"):
        return None
    if spec in ("cv", "bias"):
        return fit_correction(design, layer.weight_matrix(), spec, p_a)
    if isinstance(spec, dict):
        return Correction.from_json(spec, layer.n_out, where)
    raise ToolkitError(f"{where}: correction {spec!r}; expected none, cv, bias or an object with constants")
