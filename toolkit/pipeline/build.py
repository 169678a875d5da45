"""``toolkit build``: the ordered step list and the summary of a build folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.models.agreement import agreement_from_json
from toolkit.pipeline import steps
from toolkit.pipeline.engine import BuildConfig, Step, run_build
from toolkit.pipeline.package import package
from toolkit.pipeline.store import StepStore
from toolkit.resources import hls_dir, runtime_dir


def _fmt_approx(r: dict[str, Any]) -> str:
    overrides = r.get("overrides")
    if overrides:
        return _fmt_approx({k: v for k, v in r.items() if k != "overrides"}) + (
            f"; overridden by build.toml: {', '.join(overrides)} (the certificate covers the selected plan, "
            "not the overrides)"
        )
    if "energy_reduction" not in r:
        return f"user plan {r.get('source', '')}"
    c = r.get("certificate") or {}
    if not c:  # a build folder made before plans were certified
        return (
            f"energy -{100 * r['energy_reduction']:.1f}% (modelled), test acc {100 * r['test']['plan']:.2f}%"
        )
    status = "certified" if c["status"] == "certified" else "nothing certified: exact plan"
    return (
        f"{status}; energy -{100 * r['energy_reduction']:.1f}% (modelled); test loss {r['test_loss']:.2f} points, "
        f"certified bound {c['bound']:.2f} ({100 * c['confidence']:g}%, {c['n']} samples) vs budget {r['budget_points']:g}"
    )


STEPS: tuple[Step, ...] = (
    Step("quantize", steps.quantize, ("model.h5", "quantize"),
         ("model", "data", "seed", "quantize", "bits", "fold_batchnorm", "layers"),
         lambda r: f"{r['policy']}: bits {r['bits']}; exact arithmetic "
         f"{agreement_from_json(r['agreement']).describe()}"),
    Step("approx", steps.approx, ("plan.json", "approx"), ("budget", "plan", "families", "cv", "layers"), _fmt_approx),
    Step("hls", steps.hls, ("hls", "csim.json"), ("backend", "io_type", "strategy"),
         lambda r: f"C-sim == emulator on {r['equal_samples']}/{r['n_samples']} samples ({r['backend']})",
         sources=(hls_dir("multipliers"),)),
    Step("rtl", steps.rtl, ("sim.json", "rtl_sim"), ("board", "accelerator"),
         lambda r: r.get("message") or f"{r.get('simulated', 'generated RTL')} == emulator on "
         f"{r['bit_exact_samples']}/{r['n']}, {r['cycles']['interval']:.0f} cycles/inference, "
         f"{r['power_w']:.3f} W modelled" + (f"; {r['note']}" if r.get("note") else ""),
         sources=(hls_dir("rtl"), hls_dir("multipliers"), hls_dir("vendor"))),
    Step("synth", steps.synth, ("vendor", "synth.json", "bitstreams"), ("bitstreams",), lambda r: r.get("message", ""),
         sources=(hls_dir("vendor"), hls_dir("rtl"))),
    Step("package", package, ("package",), (), lambda r: r.get("message", ""), sources=(runtime_dir(),)),
)  # fmt: skip
STEP_NAMES = tuple(s.name for s in STEPS)


def default_out(config: BuildConfig) -> Path:
    """builds/<model>-<board> (zoo: prefix and file suffix dropped)."""
    model = config.model.removeprefix("zoo:")
    return Path("builds") / f"{Path(model).stem}-{config.board}"


def build(
    config: BuildConfig,
    out_dir: Path | None = None,
    start_from: str | None = None,
    stop_after: str | None = None,
    log: Any = print,
    store: StepStore | None = None,
) -> dict[str, Any]:
    """Run the build; returns {"dir", "config", "steps"} (the records, as in DIR/summary.json).

    ``store``: a :class:`~toolkit.pipeline.store.StepStore` shared with other build folders (a sweep).
    """
    out_dir = Path(out_dir) if out_dir else default_out(config)
    records = run_build(
        STEPS, out_dir, config, start_from=start_from, stop_after=stop_after, log=log, store=store
    )
    return {"dir": str(out_dir), "config": config.to_json(), "steps": records}
