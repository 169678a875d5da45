"""Does the accuracy budget hold on data the selection never saw? Certified vs the old selection.

For each model (the zoo models plus models trained here with other shapes), each split
seed and each budget:

* **guarded** (today's ``toolkit approx``): scores on the calibration set, the budget-free
  ladder on the search set, fixed-sequence certification on the certification set at
  90% confidence (one ladder per model and seed, certified at every budget), and the same
  ladder certified at 95% beside it (the cost of a stricter default, on the same plans);
* **unguarded** (the selection before certification): ILP + bisection + greedy refinement,
  searched *and accepted* on the whole held-out split by the point estimate; its Hutchinson
  seed follows the split seed (its data split is fixed).

On mnist1d each seed also draws its own fresh certification samples, so seeds are independent
trials there; on digits the whole held-out split certifies for every seed, so the summary also
counts ``independent_runs`` (one per model, certification set and budget).

Both plans are measured on the test split, which neither saw. Reported: the fraction of
runs whose test loss is within the budget, the modelled energy saving, the certified
bound, and the fraction of the unguarded saving the guarded selection keeps on the runs
where the unguarded plan held. Prints a table, writes ``benchmarks/results/budget_holds.json``
and ``budget_holds.png`` (saving vs budget with the certified bound and the test loss).

    python benchmarks/budget_holds.py [--models ...] [--seeds 0 1 2] [--budgets 0.25 0.5 1 2]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

from toolkit.cache import cache_dir, content_hash, write_atomic_json  # noqa: E402
from toolkit.models.datasets import load_dataset  # noqa: E402
from toolkit.models.loading import load_keras_file  # noqa: E402
from toolkit.models.reader import read_model  # noqa: E402
from toolkit.models.zoo import VALIDATION_FRACTION, load_zoo_model  # noqa: E402
from toolkit.select.certify import paired_loss  # noqa: E402
from toolkit.select.data import CERTIFY_FRACTION, FRESH_SEED, split_selection_data  # noqa: E402
from toolkit.select.run import build_problem, certify_ladder, held_out_sets, search_ladder  # noqa: E402
from toolkit.select.search import bisect, refine  # noqa: E402

RESULTS = Path(__file__).parent / "results"
CONFIDENCE = 0.9
# every ladder is also certified at these levels (cheap: the ladder is the expensive part), so the
# cost of a stricter default is measured side by side on the same plans
CONFIDENCES = (0.9, 0.95)
CORRECTIONS = ("none", "cv")


def _mnist1d_mlp():
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers, models

    return models.Sequential(
        [
            layers.Input((40, 1)),
            QActivation("quantized_bits(6,2,alpha=1)"),
            layers.Flatten(),
            QDense(64, kernel_quantizer="quantized_bits(4,0,alpha=1)", bias_quantizer="quantized_bits(8,3,alpha=1)"),
            QActivation("quantized_relu(4,2)"),
            QDense(48, kernel_quantizer="quantized_bits(3,0,alpha=1)", bias_quantizer="quantized_bits(8,3,alpha=1)"),
            QActivation("quantized_relu(3,2)"),
            QDense(10, kernel_quantizer="quantized_bits(4,0,alpha=1)", bias_quantizer="quantized_bits(8,3,alpha=1)"),
        ]
    )  # fmt: skip


def _digits_wide_cnn():
    from qkeras import QActivation, QConv2D, QDense
    from tensorflow.keras import layers, models

    w, b = "quantized_bits(4,0,alpha=1)", "quantized_bits(8,3,alpha=1)"
    return models.Sequential(
        [
            layers.Input((8, 8, 1)),
            QActivation("quantized_relu(4,0)"),
            QConv2D(24, 3, padding="same", kernel_quantizer=w, bias_quantizer=b),
            QActivation("quantized_relu(4,2)"),
            QConv2D(32, 3, padding="same", kernel_quantizer=w, bias_quantizer=b),
            QActivation("quantized_relu(4,2)"),
            layers.MaxPooling2D(2),
            QConv2D(32, 3, kernel_quantizer=w, bias_quantizer=b),
            QActivation("quantized_relu(4,2)"),
            layers.Flatten(),
            QDense(10, kernel_quantizer=w, bias_quantizer=b),
        ]
    )  # fmt: skip


def _mnist1d_cnn3():
    from qkeras import QActivation, QConv1D, QDense
    from tensorflow.keras import layers, models

    w, b = "quantized_bits(3,0,alpha=1)", "quantized_bits(8,3,alpha=1)"
    return models.Sequential(
        [
            layers.Input((40, 1)),
            QActivation("quantized_bits(5,2,alpha=1)"),
            QConv1D(24, 7, strides=2, padding="same", kernel_quantizer=w, bias_quantizer=b),
            QActivation("quantized_relu(3,2)"),
            QConv1D(24, 3, strides=2, kernel_quantizer=w, bias_quantizer=b),
            QActivation("quantized_relu(3,2)"),
            layers.Flatten(),
            QDense(10, kernel_quantizer="quantized_bits(4,0,alpha=1)", bias_quantizer=b),
        ]
    )  # fmt: skip


# name -> (dataset, builder, epochs); trained here on the fit part of the same validation split as the zoo
TRAINED = {
    "mnist1d-mlp": ("mnist1d", _mnist1d_mlp, 40),
    "digits-wide-cnn": ("digits", _digits_wide_cnn, 30),
    "mnist1d-cnn3": ("mnist1d", _mnist1d_cnn3, 40),
}
ZOO_DATA = {"digits-mlp": "digits", "digits-cnn": "digits", "mnist1d-cnn": "mnist1d"}


def trained_model(name: str):
    """A benchmark model, trained once (Keras default layer names, functional-style shapes) and cached."""
    import tensorflow as tf

    dataset, builder, epochs = TRAINED[name]
    tf.keras.utils.set_random_seed(3)
    model = builder()
    path = (
        cache_dir("bench-budget") / f"{name}-{content_hash(model.to_json(), epochs, VALIDATION_FRACTION)}.h5"
    )
    if path.exists():
        return load_keras_file(path)
    fit, _ = load_dataset(dataset).validation_split(VALIDATION_FRACTION)
    model.compile(
        tf.keras.optimizers.Adam(3e-3),
        tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(fit.x_train, fit.y_train, epochs=epochs, batch_size=32, verbose=0)
    model.save(path, include_optimizer=False, save_format="h5")
    return load_keras_file(path)


def run_model(
    name: str, seeds: list[int], budgets: list[float], certify_fraction: float, extra: int | None
) -> list[dict]:
    dataset = ZOO_DATA.get(name) or TRAINED[name][0]
    data = load_dataset(dataset)
    model = load_zoo_model(name, verbose=False) if name in ZOO_DATA else trained_model(name)
    model_ir, deploy = read_model(model)
    rows = []
    for seed in seeds:
        t0 = time.perf_counter()
        # seed-dependent fresh samples: on mnist1d every seed certifies on an independent set (on
        # digits all of the held-out split certifies, so seeds share it; see `independent_sets`)
        sets = split_selection_data(data, None, certify_fraction, seed, extra, fresh_seed=FRESH_SEED + seed)
        problem, _, ladder, _ = search_ladder(
            model_ir, deploy, sets, None, CORRECTIONS, seed=seed, model_label=name
        )
        test = problem.with_samples(data.x_test, data.y_test)
        t_guarded = time.perf_counter() - t0
        t0 = time.perf_counter()
        cal, held = held_out_sets(data)
        old, _ = build_problem(model_ir, deploy, cal, held, None, CORRECTIONS, model_label=name, seed=seed)
        old_test = old.with_samples(data.x_test, data.y_test)
        t_setup_old = time.perf_counter() - t0
        for budget in budgets:
            guarded = {
                str(level): _guarded(problem, ladder, sets, test, budget, level) for level in CONFIDENCES
            }
            t0 = time.perf_counter()
            result = refine(old, bisect(old, budget), budget)
            u_test = paired_loss(
                old_test.correct(old.exact_choice()), old_test.correct(result.choice), CONFIDENCE
            )
            rows.append({
                "model": name, "data": dataset, "seed": seed, "budget": budget, "samples": sets.counts(),
                "certify_set": f"{dataset}:held-out" + (f"+fresh{FRESH_SEED + seed}" if sets.fresh_certify else ""),
                "guarded": guarded[str(CONFIDENCE)],
                "guarded_by_confidence": guarded,
                "unguarded": {
                    "saving": 1 - result.energy / result.baseline_energy,
                    "validation_loss": 100 * (result.baseline_accuracy - result.accuracy),
                    "test_loss": u_test.point, "holds": u_test.point <= budget + 1e-9,
                    "choice": [old.candidates[k][c].label for k, c in enumerate(result.choice)],
                    "seconds": time.perf_counter() - t0,
                },
                "seconds": {"guarded_search": t_guarded, "unguarded_setup": t_setup_old},
                "test_n": len(data.y_test),
            })  # fmt: skip
            r = rows[-1]
            g = r["guarded"]
            print(
                f"{name:16s} seed {seed} budget {budget:<4g} guarded saving {100 * g['saving']:5.1f}% "
                f"bound {g['certified_bound']:5.2f} test {g['test_loss']:5.2f} | unguarded saving "
                f"{100 * r['unguarded']['saving']:5.1f}% test {u_test.point:5.2f}",
                flush=True,
            )
    return rows


def _guarded(problem, ladder, sets, test, budget: float, confidence: float) -> dict:
    """The certified plan at ``confidence`` and what it loses on the test split."""
    exact = problem.exact_choice()
    cert = certify_ladder(problem, ladder, sets, budget, confidence)
    choice = ladder.choices[cert.accepted]
    g_test = paired_loss(test.correct(exact), test.correct(choice), confidence)
    accepted = cert.rungs[cert.accepted]["loss"]
    return {
        "saving": 1 - problem.total_energy(choice) / problem.total_energy(exact),
        "certified_bound": accepted["bound"], "certify_point": accepted["point"],
        "certify_losses": accepted["losses"], "certify_gains": accepted["gains"],
        "fallback": cert.fallback, "rung": cert.accepted, "ladder_rungs": len(ladder.choices),
        "test_loss": g_test.point, "test_losses": g_test.losses, "test_gains": g_test.gains,
        "holds": g_test.point <= budget + 1e-9, "message": cert.message,
        "choice": [problem.candidates[k][c].label for k, c in enumerate(choice)],
    }  # fmt: skip


def summarize(rows: list[dict], confidence: float = CONFIDENCE) -> dict:
    def agg(sel: list[dict]) -> dict:
        guarded = [r["guarded_by_confidence"][str(confidence)] for r in sel]
        held_u = [(r, g) for r, g in zip(sel, guarded, strict=True) if r["unguarded"]["holds"]]
        su = sum(r["unguarded"]["saving"] for r, _ in held_u)
        sg = sum(g["saving"] for _, g in held_u)
        # a plan certified on one certification set counts once per (set, budget), however many
        # seeds reused that set: the honest number of independent trials
        distinct = {
            (r["model"], r["certify_set"], r["budget"], g["holds"]) for r, g in zip(sel, guarded, strict=True)
        }
        return {
            "runs": len(sel),
            "independent_runs": len({d[:3] for d in distinct}),
            "independent_holds": float(np.mean([d[3] for d in distinct])),
            "guarded_holds": float(np.mean([g["holds"] for g in guarded])),
            "unguarded_holds": float(np.mean([r["unguarded"]["holds"] for r in sel])),
            "guarded_saving_mean": float(np.mean([g["saving"] for g in guarded])),
            "unguarded_saving_mean": float(np.mean([r["unguarded"]["saving"] for r in sel])),
            "fallbacks": int(sum(g["fallback"] for g in guarded)),
            "kept_where_unguarded_held": sg / su if su > 0 else None,
            "unguarded_held_runs": len(held_u),
        }

    out = {"all": agg(rows), "by_budget": {}, "by_model": {}}
    for b in sorted({r["budget"] for r in rows}):
        out["by_budget"][str(b)] = agg([r for r in rows if r["budget"] == b])
    for m in dict.fromkeys(r["model"] for r in rows):
        out["by_model"][m] = agg([r for r in rows if r["model"] == m])
    return out


def monotone_violations(rows: list[dict]) -> list[dict]:
    """(model, seed) where a larger budget certified less saving than a smaller one."""
    bad = []
    for key in {(r["model"], r["seed"]) for r in rows}:
        seq = sorted((r["budget"], r["guarded"]["saving"]) for r in rows if (r["model"], r["seed"]) == key)
        if any(b[1] < a[1] - 1e-12 for a, b in zip(seq, seq[1:], strict=False)):
            bad.append({"model": key[0], "seed": key[1], "savings": seq})
    return bad


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(r["model"] for r in rows))
    budgets = sorted({r["budget"] for r in rows})
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    for i, m in enumerate(models):
        color = f"C{i}"
        g = [
            np.mean([r["guarded"]["saving"] for r in rows if r["model"] == m and r["budget"] == b])
            for b in budgets
        ]
        u = [
            np.mean([r["unguarded"]["saving"] for r in rows if r["model"] == m and r["budget"] == b])
            for b in budgets
        ]
        ax1.plot(budgets, 100 * np.array(g), "o-", color=color, label=f"{m} certified")
        ax1.plot(budgets, 100 * np.array(u), "x--", color=color, alpha=0.6, label=f"{m} unguarded")
        for b in budgets:
            sel = [r for r in rows if r["model"] == m and r["budget"] == b]
            ax2.scatter([b * (1 + 0.04 * (i - len(models) / 2))] * len(sel), [r["guarded"]["certified_bound"] for r in sel],
                        marker="v", color=color, s=18)  # fmt: skip
            ax2.scatter([b * (1 + 0.04 * (i - len(models) / 2))] * len(sel), [r["guarded"]["test_loss"] for r in sel],
                        marker="o", facecolors="none", edgecolors=color, s=18)  # fmt: skip
    ax2.plot(budgets, budgets, "k--", lw=1, label="budget")
    ax2.scatter(
        [], [], marker="v", color="gray", label=f"certified {100 * CONFIDENCE:g}% bound (certification set)"
    )
    ax2.scatter([], [], marker="o", facecolors="none", edgecolors="gray", label="test loss (unseen)")
    for ax in (ax1, ax2):
        ax.set_xscale("log", base=2)
        ax.set_xticks(budgets, [f"{b:g}" for b in budgets])
        ax.set_xlabel("accuracy budget (points)")
    ax1.set_ylabel("multiplier energy saving vs exact (%) (modelled)")
    ax1.set_title("saving vs budget (mean of split seeds)")
    ax1.legend(fontsize=6, ncol=2)
    ax2.set_ylabel("accuracy loss vs exact (points) (emulated)")
    ax2.set_title("certified plans: bound and test loss")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(ZOO_DATA) + list(TRAINED))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--budgets", nargs="+", type=float, default=[0.25, 0.5, 1.0, 2.0])
    parser.add_argument("--certify-fraction", type=float, default=CERTIFY_FRACTION)
    parser.add_argument(
        "--extra", type=int, default=None, help="fresh mnist1d certification samples (default: the toolkit's)"
    )
    parser.add_argument("--out", default=str(RESULTS / "budget_holds.json"))
    args = parser.parse_args()
    start = time.perf_counter()
    rows = []
    out = Path(args.out)
    for name in args.models:
        rows += run_model(name, args.seeds, args.budgets, args.certify_fraction, args.extra)
        doc = {"confidence": CONFIDENCE, "certify_fraction": args.certify_fraction, "extra": args.extra, "budgets": args.budgets, "seeds": args.seeds, "models": args.models,
               "summary": summarize(rows), "monotone_violations": monotone_violations(rows), "rows": rows,
               "summary_by_confidence": {str(c): summarize(rows, c) for c in CONFIDENCES},
               "seconds": time.perf_counter() - start, "complete": name == args.models[-1]}  # fmt: skip
        write_atomic_json(out, doc)  # after every model, so a partial run leaves its numbers
    plot(rows, out.with_suffix(".png"))
    for level, s in doc["summary_by_confidence"].items():
        print(f"\nconfidence {level}")
        print(f"{'budget':>8} {'runs':>5} {'indep':>5} {'holds(cert)':>12} {'indep holds':>11} {'holds(old)':>11} "
              f"{'saving(cert)':>13} {'saving(old)':>12} {'kept where old held':>20} {'fallbacks':>9}")  # fmt: skip
        for key, a in list(s["by_budget"].items()) + [("all", s["all"])]:
            kept = (
                "-"
                if a["kept_where_unguarded_held"] is None
                else f"{100 * a['kept_where_unguarded_held']:.0f}%"
            )
            print(f"{key:>8} {a['runs']:5d} {a['independent_runs']:5d} {100 * a['guarded_holds']:11.0f}% "
                  f"{100 * a['independent_holds']:10.0f}% {100 * a['unguarded_holds']:10.0f}% "
                  f"{100 * a['guarded_saving_mean']:12.1f}% {100 * a['unguarded_saving_mean']:11.1f}% {kept:>20} "
                  f"{a['fallbacks']:9d}")  # fmt: skip
    print(
        f"monotonicity violations: {len(doc['monotone_violations'])}; wrote {out} and {out.with_suffix('.png')}"
    )


if __name__ == "__main__":
    main()
