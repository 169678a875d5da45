"""Regenerate the committed cost table: ``python -m toolkit.multipliers.costgen [--jobs N]``.

For every catalogue design this runs yosys ``synth_xilinx -family xc7 -nodsp -noiopad``
(7-series fabric of the Zynq-7020, no DSPs), one yosys run per activation/weight width
pair with one hierarchical instance per design (so the 3 s of yosys start-up is paid once
per batch, and designs are not optimised across each other), and reads per-design cell
counts from ``stat -json``. The mapped netlist of each design is then simulated
(:mod:`toolkit.multipliers.netlist`):

* exhaustively over all operand codes; it must equal ``Design.table()`` (a synthesis or
  model bug stops the run);
* over a stream of ``--vectors`` uniform random operand pairs (seeded per operand
  configuration, the same stream for every design of that configuration) to get the
  toggle rate of every used LUT/MUXF7/MUXF8/CARRY4 output net.

Energy proxy = sum of those toggle rates (expected output transitions per operation,
every mapped net weighted equally), divided by the same sum for ``exact`` of the same
widths and signedness (so exact = 1.0). It measures switched capacitance only to first
order: nets are unweighted, routing and glitches are ignored.

yosys/abc results depend a little on the batch a design is synthesized in (internal
names and numbering differ), so every row is reproducible only within its batch. A batch
is the catalogue of one width pair restricted to a family list, in catalogue order. A full
run uses one batch of every family per width pair (``meta.families``). ``--families f,g``
adds families to the committed table without touching its rows: per width pair it
synthesizes ``exact`` + the catalogue designs of f, g; if ``exact`` comes out exactly as
committed (so the proxies stay comparable), the new rows are merged and the batch is
recorded in ``meta.batches["<a>x<w>"]``; otherwise that width pair is rerun fully (all of
its rows replaced, one batch of every family). :func:`batches_of` lists a pair's batches.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.multipliers.design import Design
from toolkit.multipliers.family import MultiplierError
from toolkit.multipliers.netlist import Netlist
from toolkit.multipliers.registry import FAMILIES, get_design, list_designs

TABLE = Path(__file__).parent / "data" / "costs.json"
FLOW = "synth_xilinx -family xc7 -nodsp -noiopad -top batch_top"
DEFAULT_VECTORS = 4096


def batch_top(designs: list[Design]) -> str:
    """Structural top: shared operands a, w (8 bits) and one instance/output per design."""
    from toolkit.rtlgen.netlist import Port, header, instance

    ports = [Port("input", "a", 8), Port("input", "w", 8)]
    ports += [Port("output", f"p{i}", d.result_bits) for i, d in enumerate(designs)]
    lines = [header("batch_top", ports)]
    for i, d in enumerate(designs):
        wiring = {"a": f"a[{d.a_bits - 1}:0]", "w": f"w[{d.w_bits - 1}:0]", "p": f"p{i}"}
        lines.append(instance(d.verilog_module, f"u{i}", dict(d.verilog_params), wiring))
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def run_yosys(designs: list[Design], workdir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Synthesize a batch; returns (stat json, netlist json)."""
    (workdir / "top.v").write_text(batch_top(designs))
    sources = sorted({str(d.verilog_file) for d in designs})
    script = (
        f"read_verilog {' '.join(sources)} top.v; {FLOW}; tee -q -o stat.json stat -json; write_json net.json"
    )
    proc = subprocess.run(["yosys", "-q", "-p", script], cwd=workdir, capture_output=True, text=True)
    if proc.returncode != 0:
        raise MultiplierError(
            f"yosys failed on {designs[0].name}..: {proc.stderr[-2000:] or proc.stdout[-2000:]}"
        )
    return json.loads((workdir / "stat.json").read_text()), json.loads((workdir / "net.json").read_text())


def random_stream(d: Design, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The seeded uniform operand stream of d's operand configuration."""
    seed = [d.a_bits, d.w_bits, int(d.a_signed), int(d.w_signed)]
    rng = np.random.default_rng(seed)
    return rng.choice(d.a_codes, n), rng.choice(d.w_codes, n)


def measure_batch(designs: list[Design], vectors: int) -> dict[str, dict[str, Any]]:
    """Synthesize, verify and measure one batch; raw toggle sums (not yet normalised)."""
    with tempfile.TemporaryDirectory(prefix="costgen_") as tmp:
        stat, net = run_yosys(designs, Path(tmp))
    top_cells = net["modules"]["batch_top"]["cells"]
    out: dict[str, dict[str, Any]] = {}
    for i, d in enumerate(designs):
        modname = top_cells[f"u{i}"]["type"]
        counts = stat["modules"][modname]["num_cells_by_type"]
        nl = Netlist(net["modules"][modname])
        ea, ew = np.meshgrid(d.a_codes, d.w_codes, indexing="ij")
        ra, rw = random_stream(d, vectors + 1)
        p, val = nl.simulate(np.concatenate([ea.ravel(), ra]), np.concatenate([ew.ravel(), rw]))
        if not np.array_equal(p[: ea.size].reshape(ea.shape), d.table()):
            raise MultiplierError(f"{d.name}: synthesized netlist differs from the numpy model")
        out[d.name] = {
            "luts": sum(v for k, v in counts.items() if k.startswith("LUT")),
            "carry4": counts.get("CARRY4", 0),
            "muxf7": counts.get("MUXF7", 0),
            "muxf8": counts.get("MUXF8", 0),
            "inv": counts.get("INV", 0),
            "toggles": round(nl.toggle_activity(val, ea.size), 6),
        }
    return out


def normalise(raw: dict[str, dict[str, Any]], designs: list[Design]) -> dict[str, dict[str, Any]]:
    """Add energy_proxy = toggles / toggles(exact of the same operand configuration)."""
    exact = {
        (d.a_bits, d.w_bits, d.a_signed, d.w_signed): raw[d.name]["toggles"]
        for d in designs
        if d.family == "exact"
    }
    for d in designs:
        ref = exact[(d.a_bits, d.w_bits, d.a_signed, d.w_signed)]
        raw[d.name]["energy_proxy"] = round(raw[d.name]["toggles"] / ref, 4)
    return raw


def batch_designs(a_bits: int, w_bits: int, families: list[str]) -> list[Design]:
    """The batch of a width pair for a family list: its catalogue designs of those families, in order."""
    return [d for d in list_designs(a_bits=a_bits, w_bits=w_bits) if d.family in families]


def batches_of(meta: dict[str, Any], a_bits: int, w_bits: int) -> list[list[str]]:
    """Family lists of the batches the committed rows of a width pair come from."""
    return meta.get("batches", {}).get(f"{a_bits}x{w_bits}", [meta["families"]])


def reproduction_batches(
    meta: dict[str, Any], a_bits: int, w_bits: int
) -> list[tuple[list[Design], list[str]]]:
    """Per batch of a width pair: its designs and the names whose committed rows it produced (a
    family's rows come from the last batch listing it; exact's from every batch, identically)."""
    fams = batches_of(meta, a_bits, w_bits)
    out = []
    for k, b in enumerate(fams):
        designs = batch_designs(a_bits, w_bits, b)
        owned = [
            d.name for d in designs if d.family == "exact" or all(d.family not in x for x in fams[k + 1 :])
        ]
        out.append((designs, owned))
    return out


def write_table(
    rows: dict[str, dict[str, Any]],
    vectors: int,
    path: Path,
    families: list[str] | None = None,
    batches: dict[str, list[list[str]]] | None = None,
) -> None:
    """Write the table as JSON with one design per line (reviewable diffs)."""
    version = subprocess.run(["yosys", "-V"], capture_output=True, text=True).stdout.strip()
    meta: dict[str, Any] = {
        "tool": version,
        "flow": FLOW,
        "vectors": vectors,
        "families": families if families is not None else list(FAMILIES),
        "energy_proxy": "sum of toggle rates of used LUT/MUXF7/MUXF8/CARRY4 outputs over seeded uniform "
        "random operands, divided by that of exact at the same widths and signedness",
        "regenerate": "python -m toolkit.multipliers.costgen",
    }
    if batches:
        meta["batches"] = {k: batches[k] for k in sorted(batches)}
    body = ",\n".join(f"  {json.dumps(k)}: {json.dumps(rows[k], sort_keys=True)}" for k in sorted(rows))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"meta": ' + json.dumps(meta, sort_keys=True) + ',\n "designs": {\n' + body + "\n}}\n")


MEASURED = ("luts", "carry4", "muxf7", "muxf8", "inv", "toggles")


def run_batches(
    batches: dict[tuple[int, int], list[Design]], vectors: int, jobs: int, finish: Any = None
) -> dict[str, dict[str, Any]]:
    """Measure batches in parallel with a progress bar; ``finish(key, rows)`` may return a follow-up
    batch for the same key (measured too, its rows replacing the first ones)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    raw: dict[str, dict[str, Any]] = {}
    t0 = time.time()
    total = sum(len(b) for b in batches.values())
    with (
        Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        ) as bar,
        ThreadPoolExecutor(max_workers=max(1, jobs)) as pool,
    ):
        task = bar.add_task(f"synthesizing {total} designs", total=total)
        futures = {pool.submit(measure_batch, b, vectors): key for key, b in sorted(batches.items())}
        while futures:
            fut = next(as_completed(futures))
            key = futures.pop(fut)
            rows = fut.result()
            follow = finish(key, rows) if finish is not None else None
            if follow:
                total += len(follow)
                bar.update(task, total=total, description=f"synthesizing {total} designs")
                futures[pool.submit(measure_batch, follow, vectors)] = key
            else:
                raw.update(rows)
            bar.advance(task, len(rows))
            if not bar.console.is_terminal:  # keep a readable log when redirected
                note = f", rerunning fully ({len(follow)} designs)" if follow else ""
                print(f"{key[0]}x{key[1]} done{note} ({time.time() - t0:.0f} s)", flush=True)
    return raw


def add_families(args: argparse.Namespace, families: list[str]) -> int:
    """Merge the rows of ``families`` into the committed table (see the module docstring)."""
    unknown = [f for f in families if f not in FAMILIES]
    if unknown or not families:
        print(f"error: unknown families {unknown}: expected some of {', '.join(FAMILIES)}", file=sys.stderr)
        return 2
    doc = json.loads(TABLE.read_text())
    meta, old = doc["meta"], doc["designs"]
    batch_fams = ["exact", *[f for f in FAMILIES if f in families and f != "exact"]]
    pairs = sorted({(d.a_bits, d.w_bits) for d in list_designs()})
    if args.widths:
        wanted = {tuple(int(x) for x in s.split("x")) for s in args.widths.split(",")}
        pairs = [p for p in pairs if p in wanted]
    batches = {p: batch_designs(*p, batch_fams) for p in pairs}
    full: set[tuple[int, int]] = set()

    def finish(key: tuple[int, int], rows: dict[str, dict[str, Any]]) -> list[Design] | None:
        if key in full:
            return None
        exact = [n for n in rows if n.startswith("exact_")]
        if all(n in old and all(rows[n][k] == old[n][k] for k in MEASURED) for n in exact):
            return None
        full.add(key)
        return batch_designs(*key, list(FAMILIES))

    t0 = time.time()
    raw = run_batches(batches, args.vectors, args.jobs, finish)
    recorded = dict(meta.get("batches", {}))
    rows = dict(old)
    for (a_bits, w_bits), designs in batches.items():
        tag = f"{a_bits}x{w_bits}"
        if (a_bits, w_bits) in full:
            designs = batch_designs(a_bits, w_bits, list(FAMILIES))
            for name in [
                n for n in rows if get_design(n).a_bits == a_bits and get_design(n).w_bits == w_bits
            ]:
                del rows[name]
            recorded[tag] = [list(FAMILIES)]
        else:
            kept = [b for b in batches_of(meta, a_bits, w_bits) if b != batch_fams]
            recorded[tag] = [*kept, batch_fams]
        rows.update(normalise({d.name: raw[d.name] for d in designs}, designs))
    write_table(rows, args.vectors, args.out, meta["families"], recorded)
    print(
        f"merged {len(raw)} rows into {args.out} in {time.time() - t0:.0f} s; width pairs rerun fully "
        f"(exact changed in the smaller batch): {', '.join(f'{a}x{w}' for a, w in sorted(full)) or 'none'}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    ap = argparse.ArgumentParser(
        prog="python -m toolkit.multipliers.costgen", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--jobs", "-j", type=int, default=2, help="parallel yosys runs (default 2)")
    ap.add_argument("--vectors", type=int, default=DEFAULT_VECTORS, help="random operand pairs for toggles")
    ap.add_argument("--out", type=Path, default=TABLE, help=f"output JSON (default {TABLE})")
    ap.add_argument("--widths", help="only these width pairs, e.g. '4x4,8x8' (for quick checks)")
    ap.add_argument(
        "--families",
        help="add only these families' rows to the committed table, e.g. 'btrunc,bctrunc' (keeps the "
        "other rows unless exact changes in the smaller batch; see the module docstring)",
    )
    args = ap.parse_args(argv)
    if shutil.which("yosys") is None:
        print("error: yosys is not on PATH (apt-get install yosys)", file=sys.stderr)
        return 2
    if args.families:
        return add_families(args, [f.strip() for f in args.families.split(",") if f.strip()])
    designs = list_designs()
    if args.widths:
        wanted = {tuple(int(x) for x in s.split("x")) for s in args.widths.split(",")}
        designs = [d for d in designs if (d.a_bits, d.w_bits) in wanted]
    batches: dict[tuple[int, int], list[Design]] = defaultdict(list)
    for d in designs:
        batches[(d.a_bits, d.w_bits)].append(d)
    t0 = time.time()
    raw = run_batches(batches, args.vectors, args.jobs)
    write_table(normalise(raw, designs), args.vectors, args.out)
    print(f"wrote {len(raw)} designs to {args.out} in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
