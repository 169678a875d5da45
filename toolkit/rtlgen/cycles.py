"""Cheap closed-form cycle estimates of a design, for what must be known before it is simulated.

Exact latency and interval are what the Verilator simulation counts (``SimResult.latency`` /
``.interval``, reported by ``toolkit sim`` and the pipeline's rtl step): line buffers couple
neighbouring stages and joins couple branches, so no closed form is exact, and a Python copy of
the RTL's control would have to follow every leaf module. Two bounds remain, each with a user:

* :func:`interval_bound` (every stage's work one after another): an upper bound, used to give a
  simulation a cycle budget (``RtlDevice.stream`` stops a stuck design instead of hanging);
* :func:`interval_floor` (the busiest stage's work): a lower bound on the steady-state interval,
  a prediction of throughput for a fold before anything is built (and a check on the measurement).
"""

from __future__ import annotations

from toolkit.rtlgen.generate import RtlDesign, Stage


def work(s: Stage) -> int:
    """Cycles a stage needs per frame at best: its issue loop (engines), or one per code in and out."""
    p = s.params
    if s.kind == "mac":
        fan = p["K_H"] * p["K_W"] * (1 if p.get("DW") else p["IN_C"])
        per = p["M"] if p.get("DW") else p["OUT_C"]
        sizes = [min(s.lanes, per - g) for g in range(0, per, s.lanes)] * (p["IN_C"] if p.get("DW") else 1)
        groups = sizes * (p["OUT_H"] * p["OUT_W"])
        return max(sum(max(fan, n) for n in groups), s.n_in, s.n_out)  # a group drains before the next
    if s.kind == "pool":
        return max(p["OUT_H"] * p["OUT_W"] * p["C"] * p["P_H"] * p["P_W"], s.n_in)
    return max(s.n_in, s.n_out)


def interval_floor(design: RtlDesign) -> int:
    """The busiest stage's cycles per frame (or the AXI-Stream's codes): no interval is shorter."""
    return max([work(s) for s in design.stages] + [design.axis_in.codes, design.axis_out.codes])


def interval_bound(design: RtlDesign) -> int:
    """A cheap upper bound on the cycles per sample (every stage's work one after another)."""
    return sum(work(s) + 8 for s in design.stages) + design.axis_in.codes + design.axis_out.codes
