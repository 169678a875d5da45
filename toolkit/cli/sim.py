"""``toolkit sim``: run the generated RTL of a model under Verilator, with cycles, area and modelled power."""

from __future__ import annotations

import json

import click

from toolkit.cli.options import auto_power_sample_options


@click.command()
@click.option("--build", "build_dir", type=click.Path(file_okay=False), default=None,
              help="A build folder (model.h5, build.json, optional plan.json); results go to DIR/sim.json. "
              "An hls4ml build whose rtl step ran Vitis HLS simulates that HLS Verilog again.")  # fmt: skip
@click.option("--model", "model_spec", default=None, help="zoo:NAME or a .h5/.keras model (without --build).")
@click.option(
    "--data", "data_spec", default=None, help="digits, mnist1d or an .npz  [default: the zoo model's]"
)
@click.option(
    "--plan", "plan_path", type=click.Path(dir_okay=False), default=None, help="plan.json (default: exact)."
)
@click.option(
    "--board", default=None, help="Board whose clock, power and resources are used  [default: pynq-z2]"
)
@click.option("--fold", type=click.IntRange(min=1), default=None,
              help="Parallel multipliers per MAC layer  [default: one per output channel]")  # fmt: skip
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Use only the first N test samples.")
@click.option(
    "--no-area", is_flag=True, help="Skip yosys area and the power model (faster; no toggle counting)."
)
@auto_power_sample_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def sim(
    build_dir: str | None,
    model_spec: str | None,
    data_spec: str | None,
    plan_path: str | None,
    board: str | None,
    fold: int | None,
    limit: int | None,
    no_area: bool,
    power_samples: int | str | None,
    power_seed: int,
    as_json: bool,
) -> None:
    """Simulate the accelerator's RTL (Verilator) on the test split.

    Prints accuracy (and bit-exactness against the emulator), cycles per inference
    (measured and as the generator predicts), inferences per second of the simulated
    hardware at the board clock, yosys area, and MODELLED power and energy per inference
    (toggles counted on --power-samples samples, with the standard error of that sample; by
    default batches of the seeded draw until that error is at most 0.5 % of the figure).
    Exit status 3 when the RTL disagrees with the emulator on any sample (2: bad input).

    \b
    Examples:
      toolkit sim --build builds/digits
      toolkit sim --model zoo:digits-cnn --limit 100 --json
      toolkit sim --model zoo:mnist1d-cnn --plan plan.json --fold 4
    """
    from toolkit.api import check_sim
    from toolkit.api import sim as run

    result = run(
        model_spec, data_spec, build=build_dir, plan=plan_path, board=board, fold=fold, limit=limit,
        area=not no_area, power_samples=power_samples, power_seed=power_seed, check=False, verbose=not as_json,
    ).to_json()  # fmt: skip
    if as_json:
        click.echo(json.dumps(result))
    else:
        _print(result)
    check_sim(result)


def _print(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    c = r["cycles"]
    t = Table(title=f"RTL simulation (Verilator) of {r['source']} on {r['board']}", show_header=False)
    design = r.get("design") or {}
    if design:
        t.add_row(
            "design simulated",
            design["simulated"] + (f"  NOTE: {design['note']}" if design.get("note") else ""),
        )
    t.add_row("accuracy", f"{100 * r['accuracy']:.2f} %  ({r['n']} samples)")
    t.add_row("bit-exact vs emulator", f"{r['bit_exact_samples']}/{r['n']} samples")
    lanes = r.get("lanes") or {}  # the generated RTL's folding; none for the HLS design
    t.add_row(
        "multipliers",
        ", ".join(f"{k}: {v}" + (f" x{lanes[k]}" if k in lanes else "") for k, v in r["plan"].items()),
    )
    floor = "" if c.get("interval_floor") is None else f"; closed-form floor {c['interval_floor']}"
    t.add_row("cycles / inference", f"{c['interval']:.0f} (simulated{floor})")
    t.add_row("latency", f"{c['latency']} cycles = {r['latency_us']:.1f} us (simulated)")
    t.add_row(
        "inferences / s",
        f"{r['inferences_per_second']:,.0f} at {r['clock_mhz']:.0f} MHz (simulated hardware)",
    )
    t.add_row("simulation speed", f"{r['sim_inferences_per_second']:,.0f} inferences per wall second")
    if r["area"]:
        a, p = r["area"]["total"], r["area"]["percent"]
        t.add_row("area (yosys xc7)", f"{a['lut']:.0f} LUT ({p['lut']:.1f} %), {a['ff']:.0f} FF ({p['ff']:.1f} %), "
                  f"{a['bram36']:g} BRAM36 ({p['bram36']:.1f} %), {a['dsp']:.0f} DSP")  # fmt: skip
        for name, layer in r["area"]["layers"].items():
            t.add_row(
                f"  {name}", f"{layer['lut']:.0f} LUT, {layer['ff']:.0f} FF, {layer['bram36']:g} BRAM36"
            )
        w = r["power"]
        s = w["sampling"]
        t.add_row("power (MODELLED)", f"{1e3 * w['dynamic_w']:.2f} mW dynamic{_pm(w['dynamic_stderr_w'], 1e3, 'mW')} "
                  f"+ {w['static_w']:.2f} W static")  # fmt: skip
        t.add_row("energy / inference (MODELLED)", f"{1e6 * w['energy_per_inference_j']:.3f} uJ "
                  f"({1e9 * w['dynamic_energy_per_inference_j']:.1f}{_pm(w['energy_stderr_j'], 1e9, 'nJ')} dynamic)")  # fmt: skip
        rule = s.get("rule") or ""
        rule = "" if rule.startswith("fixed") else f"; {rule}"
        t.add_row("  toggle sample", f"{s['basis']}{rule}; ± = {s['error_note']}")
    else:
        t.add_row("area, power", "skipped (--no-area)")
    Console().print(t)


def _pm(error: float | None, scale: float, unit: str) -> str:
    """`` ± e unit (sampling s.e.)`` for a modelled figure with a sampling error, else its unit alone."""
    if error is None:
        return f" {unit}"
    return f" ± {scale * error:.2f} {unit} (sampling s.e.)"
