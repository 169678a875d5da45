"""The generator's cycle model: latency and initiation interval predicted from the stages.

Every stage streams one code per cycle at best. Per frame (one sample):

* ``tk_axis_unpack`` emits ``n_in`` codes, one per cycle; ``tk_axis_pack`` collects codes;
* an element-wise stage (``tk_requant``) adds one register;
* an engine (``tk_mac``, ``tk_maxpool``) first loads its whole input frame (one code per
  cycle as it arrives), then waits one cycle to start, then issues ``issue_cycles``
  window elements (one per cycle); a MAC's results leave ``MAC_TAIL`` cycles after the last
  issue, then one code per cycle.

Latency (empty pipeline, no backpressure) is the sum along the chain. The initiation
interval in steady state is the slowest stage's occupancy per frame: each engine is
double-buffered, so loading frame n+1 overlaps computing frame n, and its period is
``max(issue_cycles + 1, codes loaded)``, unless a MAC group's outputs drain slower than the
next group computes (fewer window elements than lanes), which the model also covers.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.rtlgen.generate import RtlDesign, Stage

MAC_TAIL = 3  # last issue -> frame buffer read -> accumulate -> fin -> output bank
POOL_TAIL = 3


@dataclass(frozen=True)
class CycleModel:
    """Predicted cycles per inference."""

    latency: int  # first input handshake -> last output handshake of one sample
    interval: int  # steady-state cycles between samples
    stages: dict[str, int]  # per stage: its period per frame


def _group_lanes(s: Stage) -> list[int]:
    """Output lanes of every group of one frame, in issue order."""
    oc, lanes = s.params["OUT_C"], s.lanes
    per_position = [min(lanes, oc - g) for g in range(0, oc, lanes)]
    return per_position * (s.params["OUT_H"] * s.params["OUT_W"])


def _period(s: Stage) -> int:
    """Cycles per frame of a stage in steady state."""
    if s.kind == "mac":
        fan = s.params["K_H"] * s.params["K_W"] * s.params["IN_C"]
        groups = _group_lanes(s)
        # group q+1's results enter the output bank max(fan, lanes_q) cycles after group q's
        # (it must drain first); one start bubble per frame in the issue stream
        compute = sum(max(fan, n) for n in groups[:-1]) + max(fan + 1, groups[-1])
        return max(compute, s.n_in)
    if s.kind == "maxpool":
        return max(s.issue_cycles + 1, s.n_in)
    return 1


def predict_cycles(design: RtlDesign) -> CycleModel:
    """Latency and interval of ``design`` from its stage parameters alone."""
    stages = {s.name: _period(s) for s in design.stages}
    # latency: walk the chain; `t` = cycle in which the stage's last output code is handed on
    n_in = design.axis_in.codes
    t = n_in  # the unpacker hands on code i in cycle i + 1 after the first beat's handshake
    for s in design.stages:
        if s.kind == "requant":
            t += 1
        elif s.kind == "mac":
            fan = s.params["K_H"] * s.params["K_W"] * s.params["IN_C"]
            groups = _group_lanes(s)
            # start (1) + first group's issues ... + the last group's drain
            t += 1 + sum(max(fan, n) for n in groups[:-1]) + fan + MAC_TAIL + groups[-1] - 1
        else:
            t += 1 + s.issue_cycles + POOL_TAIL
    latency = t + 1  # the packer registers the last beat
    interval = max([n_in, design.axis_out.codes, *stages.values()])
    return CycleModel(latency, interval, stages)
