"""Plans the RTL tests run on each zoo model: approximate products, control variate, Ax-BxP."""

from __future__ import annotations

APPROX = {
    "digits-mlp": [("fc1", "trunc3"), ("fc2", "bamh1v3")],
    "digits-cnn": [("conv1", "trunc2"), ("conv2", "mitchell"), ("fc", "drum2")],
    "mnist1d-cnn": [("conv1", "perfa1"), ("conv2", "trunc2"), ("fc1", "ctrunc3"), ("fc2", "perfw1")],
}
AXBXP = {
    "digits-mlp": [("fc1", "bxps2l1"), ("fc2", "bxpd2l1")],
    "digits-cnn": [("conv1", "bxpd2l1"), ("conv2", "bxps2l1"), ("fc", "bxpd1l2")],
    "mnist1d-cnn": [("conv1", "bxpd2l2"), ("conv2", "bxps2l1"), ("fc1", "bxpd2l1"), ("fc2", "bxps1l3")],
}


def plan_json(model: str, kind: str) -> dict:
    """A plan object: ``exact``, ``approx`` (no correction), ``approx_cv`` (cv, one layer bias-only)
    or ``axbxp`` (Ax-BxP blocked products everywhere, cv on the first layer)."""
    layers: list[dict] = []
    if kind in ("approx", "approx_cv"):
        for i, (name, mult) in enumerate(APPROX[model]):
            entry = {"name": name, "multiplier": mult}
            if kind == "approx_cv":
                entry["correction"] = "bias" if i == len(APPROX[model]) - 1 else "cv"
            layers.append(entry)
    elif kind == "axbxp":
        for i, (name, mult) in enumerate(AXBXP[model]):
            layers.append({"name": name, "multiplier": mult, "correction": "cv" if i == 0 else "none"})
    elif kind != "exact":
        raise ValueError(kind)
    return {"format": "toolkit-plan", "version": 1, "layers": layers}
