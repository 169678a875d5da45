"""Approximate products in hls4ml through its extension API (no patched hls4ml).

* Our headers (``hls/multipliers/*.h``) are registered as backend sources, so every
  project gets them under ``firmware/nnet_utils/``.
* A per-layer config key ``ApproxProduct`` carries the plan's C++ policy type (set by
  :func:`toolkit.hlsgen.config.hls_config` from the plan).
* A template registered (on Vivado, for both backends: see :func:`register`) after
  hls4ml's own config templates rewrites the layer's
  ``using product = nnet::product::mult<x_T, y_T>;`` (Dense, and the ``mult_config``
  of Conv1D/Conv2D and the depthwise convolutions, whose kernels all multiply through
  ``CONFIG_T::template product``) to that policy, and adds our umbrella header to the includes.

The control-variate correction is not a product (it needs each output's constant and
the sum of that output's inputs), so it is not expressed here but as a branch of stock
layers: :mod:`toolkit.hlsgen.correction_graph`.
"""

from __future__ import annotations

import re
from pathlib import Path

from toolkit.multipliers.design import HLS_DIR

CONFIG_KEY = "ApproxProduct"
UMBRELLA = "nnet_utils/approx_mult.h"
_PRODUCT_LINE = re.compile(r"using product = nnet::product::\w+<x_T, y_T>;")
_registered: set[str] = set()


def _template_class() -> type:
    from hls4ml.backends.fpga.fpga_layers import PointwiseConv1D, PointwiseConv2D
    from hls4ml.backends.template import Template
    from hls4ml.model.layers import Conv1D, Conv2D, Dense, DepthwiseConv1D, DepthwiseConv2D

    class ApproxProductTemplate(Template):
        """Swaps the product policy of layers the plan approximates."""

        def __init__(self) -> None:
            super().__init__(
                "toolkit_approx_product",
                # hls4ml matches the class exactly: a 1x1 conv becomes its PointwiseConv subclass
                (Dense, Conv1D, Conv2D, DepthwiseConv1D, DepthwiseConv2D, PointwiseConv1D, PointwiseConv2D),
                "config_cpp",
            )

        def transform(self, model, node):  # noqa: ANN001, ANN201 - hls4ml's optimizer signature
            policy = model.config.get_layer_config(node).get(CONFIG_KEY)
            config = node.get_attr("config_cpp")
            if not policy or config is None:
                return False
            patched, count = _PRODUCT_LINE.subn(f"using product = {policy};", config)
            if count != 1:
                raise RuntimeError(
                    f"layer {node.name}: expected one product line in its config, found {count}"
                )
            node.set_attr("config_cpp", patched)
            includes = list(node.get_attr("include_header", ()))
            if UMBRELLA not in includes:
                node.set_attr("include_header", [*includes, UMBRELLA])
            return False

    return ApproxProductTemplate


def register(backend_name: str) -> None:
    """Register our sources on ``backend_name`` and the template on Vivado (idempotent).

    The template always goes to Vivado: the Vitis flow runs its own ``vitis:apply_templates``
    *before* ``vivado:apply_templates``, whose config templates would then overwrite a
    product line patched by a template registered on Vitis (C-sim silently exact).
    """
    import hls4ml

    for name in dict.fromkeys(("Vivado", backend_name)):
        if name in _registered:
            continue
        backend = hls4ml.backends.get_backend(name)
        for header in sorted(Path(HLS_DIR).glob("*.h")):
            backend.register_source(header.resolve())
        if name == "Vivado":
            backend.register_template(_template_class())
        _registered.add(name)
