"""Power: meters (PMBus rails, a SCPI instrument over serial, the simulation's model), a sampler
thread with phase marks, and energy per inference computed differentially with its uncertainty.

A meter that cannot be read raises :class:`~toolkit_overlay.errors.OverlayError`; it never
reports 0 W in place of a reading.
"""

from toolkit_overlay.power.energy import Energy, energy_per_inference
from toolkit_overlay.power.meters import Meter, ModelledMeter, PmbusMeter
from toolkit_overlay.power.sampler import Sampler, Trace
from toolkit_overlay.power.scpi import ScpiMeter
from toolkit_overlay.power.spec import ACCEPTED, MeterSpec, open_meter, parse_meter_spec

__all__ = [
    "ACCEPTED",
    "Energy",
    "Meter",
    "MeterSpec",
    "ModelledMeter",
    "PmbusMeter",
    "Sampler",
    "ScpiMeter",
    "Trace",
    "energy_per_inference",
    "open_meter",
    "parse_meter_spec",
]
