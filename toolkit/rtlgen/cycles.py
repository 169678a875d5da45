"""The generator's cycle model: latency and initiation interval predicted from the stages.

Line buffers couple neighbouring stages (an engine accepts a code only when its ring has
room, and starts a window as soon as the window's codes are in), so no closed form is
exact. The model is instead a cycle-by-cycle run of the stages' *control* alone: per
stage a few counters mirroring the leaf modules' registers (``tk_axis_unpack``,
``tk_requant`` / ``tk_scale``, ``tk_line_buffer`` + the ``tk_mac`` / ``tk_maxpool`` loops, ``tk_axis_pack``,
``tk_flag_fifo``), valid/ready between them, no data. It drives samples back to back the
way the Verilator harness does without stalls (TVALID whenever a beat is left, TREADY
always) and reads off the same numbers ``RtlDevice.predict_codes`` measures: the first
sample's latency and the median gap between samples' last output beats in steady state.
It runs at ~10^5-10^6 stage-cycles per second, so results are cached per design.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from toolkit.rtlgen.generate import RtlDesign, Stage

MAX_SAMPLES = 48  # samples simulated at most to reach a steady state
STEADY = 3  # equal consecutive gaps that count as steady state


@dataclass(frozen=True)
class CycleModel:
    """Predicted cycles per inference."""

    latency: int  # first input handshake -> last output handshake of one sample
    interval: int  # steady-state cycles between samples
    stages: dict[str, int]  # per stage: cycles of work per frame (a lower bound on the interval)


def _work(s: Stage) -> int:
    """Cycles a stage needs per frame at best: its issue loop (engines), or one per code."""
    if s.kind == "mac":
        fan = s.params["K_H"] * s.params["K_W"] * s.params["IN_C"]
        oc, lanes = s.params["OUT_C"], s.lanes
        groups = [min(lanes, oc - g) for g in range(0, oc, lanes)] * (s.params["OUT_H"] * s.params["OUT_W"])
        return max(sum(max(fan, n) for n in groups), s.n_in, s.n_out)  # a group drains before the next
    if s.kind == "maxpool":
        return max(s.issue_cycles, s.n_in)
    return s.n_in


def interval_bound(design: RtlDesign) -> int:
    """A cheap upper bound on the cycles per sample (every stage's work one after another)."""
    return sum(_work(s) + 8 for s in design.stages) + design.axis_in.codes + design.axis_out.codes


class _Buffer:
    """tk_line_buffer: a double-buffered frame (depth 0) or a ring of ``depth`` codes."""

    def __init__(self, n_in: int, depth: int) -> None:
        self.n, self.depth = n_in, depth
        self.waddr = self.wb = self.rb = self.busy = 0
        self.full = [0, 0]
        self.ahead = 0

    def in_ready(self, keep: int) -> bool:
        return (not self.full[self.wb]) if self.depth == 0 else self.ahead - keep < self.depth

    def rd_ok(self, idx: int) -> bool:
        return bool(self.busy) if self.depth == 0 else idx < self.ahead  # padding reads index 0

    def step(self, in_fire: bool, frame_done: bool) -> None:
        if self.depth:
            self.ahead += int(in_fire) - (self.n if frame_done else 0)
            return
        start = not self.busy and self.full[self.rb]
        if in_fire:
            if self.waddr == self.n - 1:
                self.waddr = 0
                self.full[self.wb] = 1
                self.wb ^= 1
            else:
                self.waddr += 1
        if start:
            self.busy = 1
        if frame_done:
            self.busy = 0
            self.full[self.rb] = 0
            self.rb ^= 1


class _Requant:
    """tk_requant and tk_scale: one output register, ready when it is empty or being taken."""

    def __init__(self) -> None:
        self.ov = False

    def out_valid(self) -> bool:
        return self.ov

    def in_ready(self, out_ready: bool) -> bool:
        return not self.ov or out_ready

    def step(self, in_valid: bool, in_fire: bool, out_ready: bool) -> None:
        if not self.ov or out_ready:
            self.ov = in_valid


class _Engine:
    """tk_mac (kind "mac") or tk_maxpool: the issue loop, the two pipeline stages and the output."""

    def __init__(self, s: Stage) -> None:
        p = s.params
        self.mac = s.kind == "mac"
        if self.mac:
            g = -(-p["OUT_C"] // s.lanes)
            self.dims = [p["OUT_H"], p["OUT_W"], g, p["K_H"], p["K_W"], p["IN_C"]]  # oh ow g kh kw c
            self.lanes, self.last_lanes = s.lanes, p["OUT_C"] - (g - 1) * s.lanes
            self.c, self.pad = p["IN_C"], (p["P_T"], p["P_L"])
        else:
            self.dims = [p["OUT_H"], p["OUT_W"], p["C"], p["P_H"], p["P_W"]]  # oh ow c ph pw
            self.c, self.pad = p["C"], (0, 0)
        self.ih, self.iw, self.sh, self.sw = p["IN_H"], p["IN_W"], p["S_H"], p["S_W"]
        self.buf = _Buffer(s.n_in, p["LINE_DEPTH"])
        self.k = [0] * len(self.dims)
        self.v1 = self.last1 = self.fin = False
        self.g1 = self.g2 = 0
        self.res_left = 0  # mac: codes left in the output bank
        self.ov = False  # maxpool: the output register
        self.w = (0, False, 0, False)

    def _window(self) -> tuple[int, bool, int, bool]:
        """(element index, inside the frame, keep_from, last issue of the frame) of the current issue."""
        k, c = self.k, self.c
        if self.mac:
            oh, ow, g, kh, kw, ci = k
            ih, iw = oh * self.sh + kh - self.pad[0], ow * self.sw + kw - self.pad[1]
            real = 0 <= ih < self.ih and 0 <= iw < self.iw
            idx = (ih * self.iw + iw) * c + ci if real else 0
            r0, r0n = max(0, oh * self.sh - self.pad[0]), max(0, (oh + 1) * self.sh - self.pad[0])
            c0 = max(0, ow * self.sw - self.pad[1])
            keep = (r0 * self.iw + c0) * c if (oh == self.dims[0] - 1 or r0n != r0) else r0 * self.iw * c
        else:
            oh, ow, ci, ph, pw = k
            idx, real = ((oh * self.sh + ph) * self.iw + ow * self.sw + pw) * c + ci, True
            keep = (oh * self.sh * self.iw + ow * self.sw) * c
        last = all(v == d - 1 for v, d in zip(k, self.dims, strict=True))
        return idx, real, keep, last

    def out_valid(self) -> bool:
        return self.res_left != 0 if self.mac else self.ov

    def in_ready(self, out_ready: bool) -> bool:
        self.w = self._window()  # called once per cycle, before step
        return self.buf.in_ready(self.w[2])

    def step(self, in_valid: bool, in_fire: bool, out_ready: bool) -> None:
        idx, _, _, last = self.w
        go = self.buf.rd_ok(idx)
        if self.mac:
            xfer = self.fin and (self.res_left == 0 or (self.res_left == 1 and out_ready))
            en = not self.fin or xfer
        else:
            en = not self.fin or not self.ov or out_ready
        self.buf.step(in_fire, en and go and last)
        # output side (uses the state before this edge)
        if self.mac:
            if xfer:
                self.res_left = self.last_lanes if self.g2 == self.dims[2] - 1 else self.lanes
            elif self.res_left and out_ready:
                self.res_left -= 1
        elif en and self.fin:
            self.ov = True
        elif out_ready:
            self.ov = False
        if not en:
            return
        v1, last1, g1 = self.v1, self.last1, self.g1
        self.fin = v1 and last1
        if v1:
            self.g2 = g1
        self.v1 = go
        if go:
            inner = 3 if self.mac else 2  # the window: mac kh kw c, pool ph pw
            self.last1 = all(v == d - 1 for v, d in zip(self.k[-inner:], self.dims[-inner:], strict=True))
            if self.mac:
                self.g1 = self.k[2]
            for i in range(len(self.dims) - 1, -1, -1):  # odometer, innermost first
                if self.k[i] != self.dims[i] - 1:
                    self.k[i] += 1
                    break
                self.k[i] = 0


def _run(design: RtlDesign, n: int) -> np.ndarray:
    """Cycle (from the first input handshake) of each sample's last output beat, n samples streamed."""
    ai, ao = design.axis_in, design.axis_out
    stages = [_Requant() if s.kind in ("requant", "scale") else _Engine(s) for s in design.stages]
    depth = 1 << design.fifo_log
    flags = 0
    # unpacker / packer state
    beats_left = n * ai.beats
    have, u_lane, u_idx = False, 0, 0
    p_valid, p_lane, p_idx = False, 0, 0
    done: list[int] = []
    out_beats = 0
    cycle = 0
    limit = 10_000 + 2 * n * interval_bound(design)
    while len(done) < n:
        if cycle > limit:
            raise RuntimeError(f"cycle model of {design.model_ir.name!r} made no progress (a model bug)")
        # valid (state only), then ready from the packer backwards
        u_end = u_idx == ai.codes - 1
        valid = [have and not (u_end and flags == depth)] + [s.out_valid() for s in stages]
        ready = [False] * (len(stages) + 1)
        ready[-1] = True  # tk_axis_pack with TREADY always high: !m_tvalid || m_tready
        for i in range(len(stages) - 1, -1, -1):
            ready[i] = stages[i].in_ready(ready[i + 1])
        fire = [v and r for v, r in zip(valid, ready, strict=True)]
        # m_axis: a beat leaves in any cycle the packer holds one
        if p_valid:
            out_beats += 1
            if out_beats % ao.beats == 0:
                done.append(cycle)
        # tk_axis_unpack (+ its s_axis side) and the flag FIFO
        u_beat_done = u_lane == ai.lanes - 1 or u_end
        s_fire = beats_left > 0 and (not have or (fire[0] and u_beat_done))
        p_end = p_idx == ao.codes - 1
        flags += int(fire[0] and u_end and flags < depth) - int(fire[-1] and p_end)
        if fire[0]:
            u_idx = 0 if u_end else u_idx + 1
            u_lane = 0 if u_beat_done else u_lane + 1
        if s_fire:
            have, beats_left = True, beats_left - 1
        elif fire[0] and u_beat_done:
            have = False
        for i, s in enumerate(stages):
            s.step(valid[i], fire[i], ready[i + 1])
        # tk_axis_pack
        p_beat_done = p_lane == ao.lanes - 1 or p_end
        if fire[-1] and p_beat_done:
            p_valid = True
        else:
            p_valid = False  # m_tready is high: a held beat leaves
        if fire[-1]:
            p_idx = 0 if p_end else p_idx + 1
            p_lane = 0 if p_beat_done else p_lane + 1
        cycle += 1
    return np.array(done, np.int64)


_CACHE: weakref.WeakKeyDictionary[RtlDesign, CycleModel] = weakref.WeakKeyDictionary()


def predict_cycles(design: RtlDesign) -> CycleModel:
    """Latency and interval of ``design`` from its stage parameters alone (cached per design)."""
    if design in _CACHE:
        return _CACHE[design]
    n = 6
    while True:
        done = _run(design, n)
        gaps = np.diff(done)
        if n >= MAX_SAMPLES or (len(gaps) > STEADY and np.all(gaps[-STEADY:] == gaps[-1])):
            break
        n *= 2
    interval = int(np.median(gaps[len(gaps) // 2 :]))
    model = CycleModel(int(done[0]), interval, {s.name: _work(s) for s in design.stages})
    _CACHE[design] = model
    return model
