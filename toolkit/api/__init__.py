"""The public Python API: the CLI's commands as functions, results as objects.

::

    import toolkit
    run = toolkit.emulate(model, (x, y))                 # an in-memory QKeras model and arrays
    sel = toolkit.select(model, "digits", budget=1.0)    # plan.json + selection.json; sel.plan, sel.plots
    b = toolkit.build(model, "my_data.npz", board="pynq-z2", accelerator="rtl")
    m = b.measure(target="sim"); b.report()              # the report renders inline in a notebook

A model is ``zoo:NAME``, a ``.h5``/``.keras`` path or an in-memory Keras/QKeras model; data is a
dataset name, an ``.npz`` path or arrays (:mod:`toolkit.api.inputs`). Every result has the fields
of the JSON the CLI writes and ``to_json()``. Bad input raises :class:`toolkit.ToolkitError` with
the message the CLI prints; hardware that disagrees with the emulator raises
:class:`toolkit.HardwareMismatch` (a ToolkitError).
"""

from toolkit.api.build import Build, build
from toolkit.api.functions import (
    check_measurement,
    check_sim,
    emulate,
    measure,
    quantize,
    report,
    select,
    sim,
)
from toolkit.api.results import Emulation, Fields, Measurement, Quantization, Report, Selection, Simulation
from toolkit.errors import HardwareMismatch, ToolkitError

open_build = Build.open

__all__ = [
    "Build",
    "Emulation",
    "Fields",
    "HardwareMismatch",
    "Measurement",
    "Quantization",
    "Report",
    "Selection",
    "Simulation",
    "ToolkitError",
    "build",
    "check_measurement",
    "check_sim",
    "emulate",
    "measure",
    "open_build",
    "quantize",
    "report",
    "select",
    "sim",
]
