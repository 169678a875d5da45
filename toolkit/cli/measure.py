"""``toolkit measure``: accuracy, agreement, latency, power and energy of a build, on a board or simulated."""

from __future__ import annotations

import json

import click

from toolkit.cli.options import power_sample_options


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
              help="measure.json, or board results.json from `toolkit deploy`, of an exact build (same board, "
              "same model, same kind of energy), for the "
              "measured saving on a board; in simulation the exact design is modelled here.")  # fmt: skip
@click.option("--closed-loop", is_flag=True,
              help="While the measured accuracy loss breaks --budget, re-select with a tighter budget, "
              "rebuild and measure again (rounds go to DIR/closed_loop.json).")  # fmt: skip
@click.option("--budget", type=float, default=None,
              help="Accuracy loss allowed on the hardware, points  [default: the build's --budget]")  # fmt: skip
@power_sample_options
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
    power_samples: int | None,
    power_seed: int,
    as_json: bool,
) -> None:
    """Measure a build's accelerator: accuracy, agreement with the emulator, latency, power, energy.

    Every output is compared with the emulator's sample by sample; a mismatch is a
    hardware/bitstream defect, reported with counts, and the exit status is 3. On a board
    energy per inference is MEASURED differentially (under load minus idle) with its
    standard error; in simulation it is MODELLED from the generated RTL's toggle activity,
    for the plan and the exact design by one function on the same samples. Every number
    says whether it is measured, simulated or modelled and which design it describes.
    --baseline must be a measure.json, or a board results.json fetched by `toolkit deploy`, of an
    exact build of the same model on the same board, of the same kind (measured or modelled).
    Results: DIR/measure.json, DIR/measure.html.

    \b
    Examples:
      toolkit measure --build builds/digits-cnn-pynq-z2 --target sim
      toolkit measure --build builds/digits-cnn-zcu104 --target board --meter pmbus
      toolkit measure --build builds/digits-cnn-pynq-z2 --meter scpi:/dev/ttyUSB0,115200
      toolkit measure --build builds/digits-cnn-pynq-z2 --target sim --closed-loop --budget 1
    """
    from rich.console import Console

    from toolkit.api import check_measurement
    from toolkit.api import measure as run

    console = Console(stderr=True)
    result = run(
        build_dir, target=target, meter=meter, samples=samples, limit=limit, baseline=baseline,
        closed_loop=closed_loop, budget=budget, power_samples=power_samples, power_seed=power_seed,
        check=False, log=console.print,
    ).to_json()  # fmt: skip
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    elif closed_loop:
        for r in result["rounds"]:
            click.echo(f"round {r['round']}: selection budget {r['selection_budget']:g} -> loss "
                       f"{r['loss_points']:.2f} points ({'holds' if r['holds'] else 'breaks'})")  # fmt: skip
        click.echo(f"closed loop: {result['outcome']}")
    else:
        _print(result)
    check_measurement(result)


def _energy_text(e: dict) -> str:
    error = "" if e.get("stderr_j") is None else f" ± {e['stderr_j'] * 1e9:.3f}"
    return f"{e['joules'] * 1e9:.3f}{error} nJ/inference ({e.get('label', '')}"


def _print(r: dict) -> None:
    a, g, e, d = r["accuracy"], r["agreement"], r["energy"], r.get("design") or {}
    click.echo(f"target        {r['target']} ({r['target_reason']})")
    if d:
        click.echo(f"design        timing, agreement: {d['agreement_timing']}; energy: {d['energy']}")
        if d.get("note"):
            click.echo(f"              NOTE: {d['note']}")
    click.echo(f"accuracy      {100 * a['hardware']:.2f} % on {a['samples']} samples "
               f"(emulator: plan {100 * a['emulator_plan']:.2f} %)")  # fmt: skip
    if a.get("original_model_agreement"):
        from toolkit.models.agreement import agreement_from_json

        click.echo(
            f"your model    exact arithmetic {agreement_from_json(a['original_model_agreement']).describe()}"
        )
    click.echo(f"agreement     {g['samples'] - g['mismatches']}/{g['samples']} samples equal the emulator "
               f"({g.get('label', '')})" + ("" if g["bit_exact"] else "  <-- HARDWARE/BITSTREAM DEFECT"))  # fmt: skip
    click.echo(f"throughput    {r['throughput'].get('inferences_per_second', 0):,.0f} inferences/s "
               f"({r['throughput'].get('timing', '')})")  # fmt: skip
    if e["plan"]:
        click.echo(f"energy plan   {_energy_text(e['plan'])}, {e['plan'].get('design', '')})")
    if e["exact"]:
        click.echo(
            f"energy exact  {_energy_text(e['exact'])}, {e['exact'].get('design') or e['exact'].get('source', '')})"
        )
    sampling = (r.get("power") or {}).get("sampling")
    if sampling:
        click.echo(f"              ± = sampling standard error over batches: {sampling['basis']}")
    s = e["saving"]
    if s["value"] is not None:
        predicted = s["predicted_selection"]
        vs = (
            "no selection ran (a user plan)"
            if predicted is None
            else f"{100 * predicted:.1f} % predicted by the selection (modelled)"
        )
        click.echo(f"saving        {100 * s['value']:.2f} ± {100 * s['stderr']:.2f} % {s['label']} vs {vs}")
    click.echo(f"report        {r['report']}")
