"""``toolkit build``: model + board -> quantized model, plan, checked HLS, simulated RTL, vendor projects, package."""

from __future__ import annotations

import json
from pathlib import Path

import click

from toolkit.cli.options import fold_batchnorm_option
from toolkit.pipeline.build import STEP_NAMES


@click.command()
@click.option("--board", default="pynq-z2", show_default=True, help="Target board (see `toolkit boards`).")
@click.option("--model", "model_spec", default="zoo:digits-cnn", show_default=True,
              help="zoo:NAME, a float Keras model or a QKeras model (.h5/.keras).")  # fmt: skip
@click.option("--data", "data_spec", default=None,
              help="digits, mnist1d or an .npz  [default: the zoo model's dataset]")  # fmt: skip
@click.option("--budget", type=float, default=1.0, show_default=True,
              help="Accuracy loss the multiplier selection may spend, percentage points (validation split).")  # fmt: skip
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False), default=None,
              help="Use this plan.json instead of running the selection (checked against the model's hash).")  # fmt: skip
@click.option("--quantize", "quantize_policy", type=click.Choice(["auto", "density", "keep"]), default="auto",
              show_default=True,
              help="density: activation-density bit-widths; keep: use a QKeras model as it is; "
              "auto: density for zoo names and float models, keep for QKeras files.")  # fmt: skip
@click.option("--bits", type=click.IntRange(2, 16), default=None,
              help="With --quantize density: train every layer at this fixed width, no activation-density "
              "updates  [default: AD from 8 bits]")  # fmt: skip
@click.option("--families", default=None,
              help="Comma-separated multiplier families the selection may use (e.g. trunc,perfw)  [default: all]")  # fmt: skip
@click.option("--no-cv", is_flag=True, help="Do not offer the control-variate correction to the selection.")
@fold_batchnorm_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Build folder  [default: builds/<model>-<board>]")  # fmt: skip
@click.option("--from", "start_from", type=click.Choice(STEP_NAMES), default=None,
              help="Rerun from this step even if it is up to date.")  # fmt: skip
@click.option("--to", "stop_after", type=click.Choice(STEP_NAMES), default=None, help="Stop after this step.")
@click.option("--accelerator", type=click.Choice(["hls4ml", "rtl"]), default="hls4ml", show_default=True,
              help="What the bitstream holds: hls4ml (the HLS design of the hls4ml project) or rtl (the "
              "toolkit's generated Verilog, the very files the rtl step simulated, as a Vivado module "
              "reference). Both sit behind the same AXI DMA; the package records which.")  # fmt: skip
@click.option("--backend", type=click.Choice(["Vitis", "Vivado"]), default="Vitis", show_default=True,
              help="hls4ml backend (the flavour of the hls4ml project; not what the bitstream holds: see --accelerator).")  # fmt: skip
@click.option("--io-type", type=click.Choice(["io_parallel", "io_stream"]), default="io_parallel",
              show_default=True, help="hls4ml I/O type.")  # fmt: skip
@click.option("--strategy", type=click.Choice(["Latency", "Resource"]), default="Latency", show_default=True,
              help="hls4ml strategy.")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for training and selection.")
@click.option("--bitstreams", "bitstream_store", type=click.Path(file_okay=False), default=None,
              envvar="TOOLKIT_BITSTREAMS", help="Your own bitstream store: the synth step copies each "
              ".bit/.hwh there too (always into DIR/bitstreams/)  [env: TOOLKIT_BITSTREAMS]")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the step records as JSON.")
def build(
    board: str,
    model_spec: str,
    data_spec: str | None,
    budget: float,
    plan_path: str | None,
    quantize_policy: str,
    bits: int | None,
    families: str | None,
    no_cv: bool,
    fold_batchnorm: bool,
    out_dir: str | None,
    start_from: str | None,
    stop_after: str | None,
    accelerator: str,
    backend: str,
    io_type: str,
    strategy: str,
    seed: int,
    bitstream_store: str | None,
    as_json: bool,
) -> None:
    """Build an approximate-MAC accelerator for a board, step by step, into a build folder.

    \b
    Steps (each writes its artifacts and DIR/steps/NN-STEP.json):
      quantize  activation-density bit-widths per layer (zoo/float models)  -> model.h5, quantize/
      approx    FAMES: one approximate multiplier (+ correction) per layer -> plan.json, approx/
      hls       hls4ml project; C-simulation must equal the emulator       -> hls/, csim.json
      rtl       Verilator simulation of the accelerator's RTL (when installed) -> sim.json
      synth     Vivado Tcl (+ Vitis HLS for hls4ml); runs only where installed -> vendor/, synth.json, bitstreams/
      package   everything the board needs                                  -> package/

    A rerun reuses every step whose inputs are unchanged and resumes after an
    interrupted or failed one; --from STEP forces a rerun from STEP.

    --accelerator rtl deploys the generated RTL, so the bitstream is the design whose
    cycles, activity and agreement the rtl step verified. With hls4ml (the default) the rtl
    step simulates the generated RTL of the same plan, not the HLS design, and every
    report says so.
    Exit status 3 when the hls4ml C-sim or the simulated RTL disagrees with the emulator.

    \b
    Examples:
      toolkit build --board pynq-z2
      toolkit build --board pynq-z2 --accelerator rtl
      toolkit build --board zcu104 --model zoo:mnist1d-cnn --budget 0.5
      toolkit build --board pynq-z2 --model my_qkeras.h5 --data my_data.npz --out builds/mine
      toolkit build --out builds/digits-cnn-pynq-z2 --from approx --budget 2
    """
    from rich.console import Console

    from toolkit.pipeline.build import build as run
    from toolkit.pipeline.engine import BuildConfig
    from toolkit.pipeline.summary import summary_table

    console = Console(stderr=as_json)
    config = BuildConfig(
        board=board, model=model_spec, data=data_spec, budget=budget, plan=plan_path, quantize=quantize_policy,
        bits=bits, families=families, cv=not no_cv, fold_batchnorm=fold_batchnorm, seed=seed, backend=backend,
        io_type=io_type, strategy=strategy,
        accelerator=accelerator, bitstreams=str(Path(bitstream_store).resolve()) if bitstream_store else None,
    )  # fmt: skip
    result = run(config, out_dir, start_from=start_from, stop_after=stop_after, log=console.print)
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
        return
    console.print(summary_table(result))
