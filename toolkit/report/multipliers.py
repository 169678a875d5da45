"""The multiplier catalogue as rows (error metrics + synthesized cost) and as plots.

Plots: the error-vs-LUT Pareto front per operand width pair, and the error table of
each design as a heat map (activation code x weight code).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError


def parse_bits(spec: str) -> tuple[int, int]:
    """``"4x4"`` or ``"4"`` -> (activation bits, weight bits), each 2..8."""
    parts = spec.lower().split("x")
    try:
        bits = tuple(int(p) for p in parts)
    except ValueError:
        bits = ()
    if len(bits) == 1:
        bits = bits * 2
    if len(bits) != 2 or not all(2 <= b <= 8 for b in bits):
        raise ToolkitError(f"--bits {spec!r} is invalid: expected AxW with widths 2..8, e.g. 4x4 or 8x4")
    return bits[0], bits[1]


def catalogue_rows(
    a_bits: int, w_bits: int, a_signed: bool = False, family: str | None = None
) -> list[dict[str, Any]]:
    """One row per catalogue design: metrics under uniform operands and synthesized cost."""
    from toolkit.multipliers import MultiplierError, list_designs
    from toolkit.multipliers.cost import design_cost
    from toolkit.multipliers.metrics import error_metrics

    try:
        designs = list_designs(a_bits=a_bits, w_bits=w_bits, a_signed=a_signed, w_signed=True, family=family)
    except MultiplierError as exc:
        raise ToolkitError(str(exc)) from None
    if not designs:
        raise ToolkitError(f"no catalogue design of family {family!r} at {a_bits}x{w_bits}")
    rows = []
    for design in designs:
        row: dict[str, Any] = {
            "design": design.name,
            "family": design.family,
            "a_bits": a_bits,
            "w_bits": w_bits,
            "a_signed": a_signed,
        }
        row.update(error_metrics(design))
        row.update(design_cost(design))
        rows.append(row)
    return rows


def pareto_front(points: np.ndarray) -> np.ndarray:
    """Indices of the points not dominated in (cost, error), both minimised, sorted by cost."""
    order = np.lexsort((points[:, 1], points[:, 0]))
    front, best = [], np.inf
    for i in order:
        if points[i, 1] < best:
            front.append(i)
            best = points[i, 1]
    return np.array(front, dtype=int)


def plot_catalogue(rows: list[dict[str, Any]], out_dir: Path) -> list[Path]:
    """Write the Pareto plot and one error heat map per design; return the files written."""
    from toolkit.multipliers import get_design
    from toolkit.report.figures import new_figure

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    tag = f"{rows[0]['a_bits']}x{rows[0]['w_bits']}"
    points = np.array([[r["luts"], r["mre"]] for r in rows], dtype=float)
    front = pareto_front(points)
    fig = new_figure((7, 4.5))
    ax = fig.subplots()
    families = sorted({r["family"] for r in rows})
    for fam in families:
        idx = [i for i, r in enumerate(rows) if r["family"] == fam]
        ax.scatter(points[idx, 0], 100 * points[idx, 1], label=fam, s=28)
    ax.plot(points[front, 0], 100 * points[front, 1], "k--", lw=1, label="Pareto front")
    for i in front:
        ax.annotate(
            rows[i]["design"].split("_")[0],
            points[i] * [1, 100],
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
        )
    ax.set_xlabel("LUTs (yosys synth_xilinx -nodsp, 7-series)")
    ax.set_ylabel("mean relative error, uniform operands (%)")
    ax.set_title(f"Approximate multipliers {tag}: error vs area")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    path = out_dir / f"pareto_{tag}.png"
    fig.savefig(path, dpi=120)
    written.append(path)
    for r in rows:
        design = get_design(r["design"])
        err = design.error_table()
        fig = new_figure((4.2, 3.6))
        ax = fig.subplots()
        lim = max(1, int(np.abs(err).max()))
        im = ax.imshow(
            err,
            cmap="RdBu_r",
            vmin=-lim,
            vmax=lim,
            origin="lower",
            aspect="auto",
            extent=(
                design.w_codes[0] - 0.5,
                design.w_codes[-1] + 0.5,
                design.a_codes[0] - 0.5,
                design.a_codes[-1] + 0.5,
            ),
        )
        fig.colorbar(im, ax=ax, label="approx - exact")
        ax.set_xlabel("weight code")
        ax.set_ylabel("activation code")
        ax.set_title(design.name, fontsize=9)
        fig.tight_layout()
        path = out_dir / f"error_{design.name}.png"
        fig.savefig(path, dpi=100)
        written.append(path)
    return written
