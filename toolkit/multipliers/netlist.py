"""Bit-parallel simulation of a yosys ``synth_xilinx`` netlist (``write_json``), in numpy.

Used by :mod:`toolkit.multipliers.costgen` for two things: (1) proving that every
synthesized design reproduces its numpy table exhaustively (post-synthesis equivalence),
and (2) measuring switching activity: the toggle rate of every mapped cell output over a
stream of random operands, from which the energy proxy is built. Cells understood: LUT1-6,
MUXF7, MUXF8, CARRY4, INV (the 7-series cells ``synth_xilinx -nodsp`` emits for logic).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.multipliers.family import MultiplierError

Bit = int | str


class Netlist:
    """One module of a yosys JSON netlist with ports ``a``, ``w`` (inputs) and ``p`` (output)."""

    def __init__(self, module: dict[str, Any]) -> None:
        self.ports = {name: p["bits"] for name, p in module["ports"].items()}
        self.cells = list(module["cells"].values())
        for c in self.cells:
            t = c["type"]
            if not (t.startswith("LUT") or t in ("MUXF7", "MUXF8", "CARRY4", "INV")):
                raise MultiplierError(
                    f"netlist cell type {t!r} is not simulated: expected LUTn/MUXF7/MUXF8/CARRY4/INV"
                )
        used: set[Bit] = set(self.ports.get("p", []))
        for c in self.cells:
            for port, bits in c["connections"].items():
                if c["port_directions"][port] == "input":
                    used.update(bits)
        self._used = used

    def counts(self) -> dict[str, int]:
        """Cell counts: luts (LUT1..LUT6), carry4, muxf7, muxf8, inv."""
        types = [c["type"] for c in self.cells]
        return {
            "luts": sum(t.startswith("LUT") for t in types),
            "carry4": types.count("CARRY4"),
            "muxf7": types.count("MUXF7"),
            "muxf8": types.count("MUXF8"),
            "inv": types.count("INV"),
        }

    def simulate(self, a: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, dict[Bit, np.ndarray]]:
        """Evaluate for operand code vectors a, w (two's-complement bits); returns (p, net values)."""
        n = len(a)
        val: dict[Bit, np.ndarray] = {"0": np.zeros(n, bool), "1": np.ones(n, bool), "x": np.zeros(n, bool)}
        for name, x in (("a", a), ("w", w)):
            for k, bit in enumerate(self.ports[name]):
                val[bit] = ((np.asarray(x, dtype=np.int64) >> k) & 1).astype(bool)
        pending = self.cells
        while pending:
            waiting = []
            for c in pending:
                ins = [
                    b
                    for p, bits in c["connections"].items()
                    if c["port_directions"][p] == "input"
                    for b in bits
                ]
                if all(b in val for b in ins):
                    self._eval(c, val)
                else:
                    waiting.append(c)
            if len(waiting) == len(pending):
                raise MultiplierError("netlist has a combinational loop or an undriven net")
            pending = waiting
        pbits = self.ports["p"]
        p = np.zeros(n, dtype=np.int64)
        for k, bit in enumerate(pbits):
            p |= val[bit].astype(np.int64) << k
        sign = np.int64(1) << (len(pbits) - 1)
        return (p ^ sign) - sign, val

    @staticmethod
    def _eval(c: dict[str, Any], val: dict[Bit, np.ndarray]) -> None:
        con = c["connections"]
        t = c["type"]
        if t.startswith("LUT"):
            k = int(t[3:])
            init = int(str(c["parameters"]["INIT"]), 2)
            table = np.array([(init >> i) & 1 for i in range(1 << k)], dtype=bool)
            idx = np.zeros(len(val["0"]), dtype=np.int64)
            for i in range(k):
                idx |= val[con[f"I{i}"][0]].astype(np.int64) << i
            val[con["O"][0]] = table[idx]
        elif t in ("MUXF7", "MUXF8"):
            val[con["O"][0]] = np.where(val[con["S"][0]], val[con["I1"][0]], val[con["I0"][0]])
        elif t == "INV":
            val[con["O"][0]] = ~val[con["I"][0]]
        else:  # CARRY4
            zero = val["0"]
            carry = val[con["CI"][0]] if "CI" in con else zero
            carry = carry | (val[con["CYINIT"][0]] if "CYINIT" in con else zero)
            for i in range(4):
                s = val[con["S"][i]] if "S" in con else zero
                di = val[con["DI"][i]] if "DI" in con else zero
                if "O" in con:
                    val[con["O"][i]] = s ^ carry
                carry = np.where(s, carry, di)
                if "CO" in con:
                    val[con["CO"][i]] = carry

    def toggle_activity(self, val: dict[Bit, np.ndarray], start: int) -> float:
        """Sum over used outputs of LUT/MUXF/CARRY4 cells of their toggle rate in ``val[..][start:]``.

        INV outputs are left out: Vivado folds inverters into the LUTs they feed.
        """
        total = 0.0
        for c in self.cells:
            if c["type"] == "INV":
                continue
            for port, bits in c["connections"].items():
                if c["port_directions"][port] != "output":
                    continue
                for b in bits:
                    if b in self._used:
                        v = val[b][start:]
                        total += float(np.mean(v[1:] != v[:-1]))
        return total
