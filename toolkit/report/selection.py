"""Plots of a selection: per-layer sensitivity, the chosen design per layer, and the
energy-accuracy Pareto front of ILP vs GA vs uniform single-design choices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def plot_selection(summary: dict[str, Any], out_dir: Path) -> list[Path]:
    from toolkit.report.figures import new_figure

    written = []
    layers = list(summary["scores"])
    # 1. Sensitivity: the Hessian trace per layer and the score of every candidate.
    fig = new_figure((10, 4))
    (ax1, ax2) = fig.subplots(1, 2)
    ax1.bar(layers, [summary["scores"][n]["hessian_trace"] for n in layers], color="tab:purple")
    ax1.set_ylabel("E[tr H] of layer output")
    ax1.set_title("per-layer sensitivity")
    for i, n in enumerate(layers):
        om = [c["omega"] for c in summary["scores"][n]["candidates"] if c["omega"] > 0]
        ax2.scatter(np.full(len(om), i) + np.random.default_rng(i).uniform(-0.2, 0.2, len(om)), om, s=8)
    ax2.set_yscale("log")
    ax2.set_xticks(range(len(layers)), layers)
    ax2.set_ylabel("Omega (predicted loss perturbation)")
    ax2.set_title("candidate scores per layer")
    fig.tight_layout()
    written.append(_save(fig, out_dir / "sensitivity.png"))
    # 2. Chosen design per layer with its energy share.
    fig = new_figure((7, 0.6 + 0.45 * len(layers)))
    ax = fig.subplots()
    energies = []
    for n in layers:
        chosen = summary["layers"][n]
        cand = next(c for c in summary["scores"][n]["candidates"] if c["candidate"] == chosen)
        exact = next(c for c in summary["scores"][n]["candidates"] if c["candidate"].startswith("exact"))
        energies.append((cand["energy"], exact["energy"], chosen))
    y = np.arange(len(layers))
    ax.barh(y, [e[1] for e in energies], color="lightgray", label="exact")
    ax.barh(y, [e[0] for e in energies], color="tab:green", label="chosen")
    for i, (_, _, label) in enumerate(energies):
        ax.text(0, i, f" {label}", va="center", fontsize=8)
    ax.set_yticks(y, layers)
    ax.set_xlabel("modelled multiplier energy per inference (LUT switches)")
    ax.set_title("chosen multiplier per layer")
    ax.legend(fontsize=8)
    fig.tight_layout()
    written.append(_save(fig, out_dir / "chosen.png"))
    # 3. Pareto front: energy reduction vs accuracy loss; the ladder on the search set, the
    #    certified bound of every rung the certification walked, the uniform designs.
    fig = new_figure((7, 4.5))
    ax = fig.subplots()
    e0 = summary["energy"]["exact"]
    base = summary["search"]["exact"]
    ladder = summary.get("ladder") or []
    if ladder:
        ax.plot(
            [100 * r["saving"] for r in ladder],
            [r["search_bound"] for r in ladder],
            "o-",
            ms=4,
            label="ladder: bound on the search set",
        )
    if summary.get("ga"):
        pts = [(1 - p["energy"] / e0, 100 * (base - p["accuracy"])) for p in summary["ga"]["front"]]
        ax.scatter(*zip(*[(100 * r, a) for r, a in pts], strict=True), marker="^", label="GA front (search)")
    rungs = summary["certificate"]["rungs"]
    ax.scatter(
        [100 * r["saving"] for r in rungs],
        [r["loss"]["bound"] for r in rungs],
        marker="v",
        c=["tab:green" if r["certified"] else "tab:red" for r in rungs],
        label=f"certified upper {100 * summary['confidence']:g}% bound (certification set)",
    )
    uni = summary["uniform"]
    ax.scatter(
        [100 * (1 - u["energy"] / e0) for u in uni],
        [u["loss_points"] for u in uni],
        marker="x",
        color="gray",
        label=f"uniform single design (search, n={uni[0]['n']})" if uni else "uniform single design",
    )
    ax.axhline(summary["budget_points"], color="red", ls="--", lw=1, label="accuracy budget")
    ax.scatter(
        [100 * summary["energy"]["reduction"]],
        [summary["test"]["loss"]["point"]],
        s=120,
        facecolors="none",
        edgecolors="k",
        label="selected plan: test loss",
    )
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xlabel("multiplier energy reduction vs exact (%) (modelled)")
    ax.set_ylabel("accuracy loss vs exact (points) (emulated)")
    ax.set_title(f"{summary['model']}: energy vs accuracy")
    ax.legend(fontsize=7)
    fig.tight_layout()
    written.append(_save(fig, out_dir / "pareto.png"))
    return written


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    return path
