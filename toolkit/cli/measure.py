"""``toolkit measure``: accuracy, agreement, latency, power and energy of a build, on a board or simulated."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--build", "build_dir", type=click.Path(file_okay=False), required=True,
              help="A build folder made by `toolkit build` (it holds package/).")  # fmt: skip
@click.option("--target", type=click.Choice(["auto", "board", "sim"]), default="auto", show_default=True,
              help="board: this machine's PYNQ device; sim: the Verilator RTL of the same design; "
              "auto: the board when pynq finds one, else sim.")  # fmt: skip
@click.option("--meter", default=None,
              help="pmbus | scpi:PORT[,BAUD[,CHANNEL]] | model[:STATIC_W,DYNAMIC_W] | none  "
              "[default: pmbus/none on a board, model in simulation]")  # fmt: skip
@click.option("--samples", type=click.IntRange(min=2), default=50, show_default=True,
              help="Power readings per phase (idle, then under load).")  # fmt: skip
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Run only the first N test vectors.")
@click.option("--baseline", type=click.Path(dir_okay=False), default=None,
              help="measure.json of an exact build, for the measured energy saving on a board "
              "(in simulation the exact design is simulated here).")  # fmt: skip
@click.option("--closed-loop", is_flag=True,
              help="While the measured accuracy loss breaks --budget, re-select with a tighter budget, "
              "rebuild and measure again (rounds go to DIR/closed_loop.json).")  # fmt: skip
@click.option("--budget", type=float, default=None,
              help="Accuracy loss allowed on the hardware, points  [default: the build's --budget]")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def measure(
    build_dir: str,
    target: str,
    meter: str | None,
    samples: int,
    limit: int | None,
    baseline: str | None,
    closed_loop: bool,
    budget: float | None,
    as_json: bool,
) -> None:
    """Measure a build's accelerator: accuracy, agreement with the emulator, latency, power, energy.

    Every output is compared with the emulator's sample by sample; a mismatch is a
    hardware/bitstream defect and is reported with counts. Energy per inference is
    differential (under load minus idle) with its standard error; in simulation the
    power is MODELLED from the RTL's toggle activity. Results: DIR/measure.json and
    DIR/measure.html.

    \b
    Examples:
      toolkit measure --build builds/digits-cnn-pynq-z2 --target sim
      toolkit measure --build builds/digits-cnn-zcu104 --target board --meter pmbus
      toolkit measure --build builds/digits-cnn-pynq-z2 --meter scpi:/dev/ttyUSB0,115200
      toolkit measure --build builds/digits-cnn-pynq-z2 --target sim --closed-loop --budget 1
    """
    from rich.console import Console

    from toolkit.measure.run import measure_build

    console = Console(stderr=True)

    def run() -> dict:
        return measure_build(build_dir, target, meter, samples, limit, baseline, log=console.print)

    if closed_loop:
        result = _closed_loop(build_dir, budget, run, console.print)
    else:
        result = run()
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    elif closed_loop:
        for r in result["rounds"]:
            click.echo(f"round {r['round']}: selection budget {r['selection_budget']:g} -> loss "
                       f"{r['loss_points']:.2f} points ({'holds' if r['holds'] else 'breaks'})")  # fmt: skip
        click.echo(f"closed loop: {result['outcome']}")
    else:
        _print(result)


def _closed_loop(build_dir: str, budget: float | None, run, log) -> dict:  # noqa: ANN001
    from toolkit.measure.closed_loop import closed_loop
    from toolkit.pipeline.build import build
    from toolkit.pipeline.engine import BuildConfig, read_build_json

    stored = read_build_json(build_dir)
    config = BuildConfig.from_json(stored)

    def rebuild(selection_budget: float) -> None:
        build(BuildConfig(**(config.to_json() | {"budget": selection_budget})), build_dir, log=log)

    user = config.budget if budget is None else budget
    return closed_loop(build_dir, user, run, rebuild, config.budget, log=log)


def _print(r: dict) -> None:
    a, g, e = r["accuracy"], r["agreement"], r["energy"]
    click.echo(f"target        {r['target']} ({r['target_reason']})")
    click.echo(f"accuracy      {100 * a['hardware']:.2f} % on {a['samples']} samples "
               f"(emulator: plan {100 * a['emulator_plan']:.2f} %)")  # fmt: skip
    if a.get("original_model_agreement"):
        from toolkit.models.agreement import agreement_from_json

        click.echo(
            f"your model    exact arithmetic {agreement_from_json(a['original_model_agreement']).describe()}"
        )
    click.echo(f"agreement     {g['samples'] - g['mismatches']}/{g['samples']} samples equal the emulator"
               + ("" if g["bit_exact"] else "  <-- HARDWARE/BITSTREAM DEFECT"))  # fmt: skip
    click.echo(f"throughput    {r['throughput'].get('inferences_per_second', 0):,.0f} inferences/s "
               f"({r['throughput'].get('timing', '')})")  # fmt: skip
    if e["plan"]:
        click.echo(f"energy        {e['plan']['joules'] * 1e9:.3f} ± {e['plan']['stderr_j'] * 1e9:.3f} nJ/inference "
                   f"({e['plan'].get('label', '')})")  # fmt: skip
    s = e["saving"]
    if s["measured"] is not None:
        click.echo(f"saving        {100 * s['measured']:.1f} ± {100 * s['measured_stderr']:.1f} % measured vs "
                   f"{100 * (s['predicted_selection'] or 0):.1f} % predicted by the selection")  # fmt: skip
    click.echo(f"report        {r['report']}")
