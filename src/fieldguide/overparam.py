"""Past the interpolation threshold: double descent, and the lineage of ever-bigger models.

**Double descent.** The textbook picture of over-fitting is a U: as a model gets more capacity,
test error first falls (less bias) and then rises (more variance). Belkin et al. (2019) showed the
curve does not stop there. Fit noisy data with k random ReLU features by least squares:

* k < n (fewer features than training points): an ordinary regression; the U-shaped regime.
* k = n: exactly one weight vector fits every training point, and it has to chase the noise with
  enormous weights — test error spikes. This is the *interpolation threshold*.
* k > n: infinitely many weight vectors fit the training set exactly. `numpy.linalg.lstsq` returns
  the one of smallest norm, and that one gets *smoother* as k grows, so test error falls again.

A ridge penalty λ‖w‖² stops the weights from blowing up and flattens the spike.

The set-up (fixed, so curves are comparable): inputs x ~ N(0, I₁₀); a target that is linear plus a
mild non-linearity, f(x) = βᵀx + ½·tanh(2βᵀx) with ‖β‖ = 1; labels y = f(x) + noise·ε; features
φⱼ(x) = ReLU(wⱼᵀx)/√k with wⱼ ~ N(0, I/10). Features are nested: k features are the first k of
one fixed draw, so moving k adds features and changes nothing else. Test error is the mean squared
error against the noiseless f on 500 fresh inputs.

**The lineage.** `lineage()` reads `data/lineage.json` (published sizes and token counts, each row
with its primary source) and derives tokens per parameter and 6·N·D training compute through
`fieldguide.scaling`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from . import data, scaling

INPUT_DIM = 10
MAX_FEATURES = 200
N_TEST = 500
RIDGES = (0.0, 1e-4, 1e-3, 1e-2, 1e-1)


def _check(name, x, lo, hi, integer=False):
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {x!r}") from None
    if math.isnan(v) or not lo <= v <= hi:
        raise ValueError(f"{name} must be between {lo:g} and {hi:g}, got {x!r}")
    if integer:
        if v != int(v):
            raise ValueError(f"{name} must be a whole number, got {x!r}")
        return int(v)
    return v


@lru_cache(maxsize=32)
def _problem(n_train: int, noise: float, seed: int):
    """Raw (un-normalised) feature matrices and labels for one seeded problem."""
    rng = np.random.default_rng(seed)
    beta = rng.standard_normal(INPUT_DIM)
    beta /= np.linalg.norm(beta)
    w = rng.standard_normal((INPUT_DIM, MAX_FEATURES)) / math.sqrt(INPUT_DIM)
    x_test = rng.standard_normal((N_TEST, INPUT_DIM))
    x_train = rng.standard_normal((n_train, INPUT_DIM))
    eps = rng.standard_normal(n_train)

    def f(x):
        z = x @ beta
        return z + 0.5 * np.tanh(2.0 * z)

    y_train = f(x_train) + noise * eps
    return (np.maximum(x_train @ w, 0.0), y_train, np.maximum(x_test @ w, 0.0), f(x_test))


def fit(n_features, n_train=40, noise=0.3, ridge=0.0, seed=0) -> dict:
    """Fit k = n_features random ReLU features by (ridge) least squares; errors and weight norm.

    With ridge λ = 0 this is `lstsq`'s minimum-norm solution; with λ > 0 it minimises
    mean((Φw − y)²) + λ‖w‖², i.e. w = (ΦᵀΦ + nλI)⁻¹Φᵀy.
    """
    k = _check("number of features", n_features, 1, MAX_FEATURES, integer=True)
    n = _check("training points", n_train, 2, 1000, integer=True)
    noise = _check("label noise", noise, 0.0, 10.0)
    lam = _check("ridge", ridge, 0.0, 10.0)
    seed = _check("seed", seed, 0, 2**32 - 1, integer=True)
    f_train, y_train, f_test, y_test = _problem(n, noise, seed)
    phi = f_train[:, :k] / math.sqrt(k)
    if lam > 0:
        # (ΦᵀΦ + nλI)⁻¹Φᵀy, or the same vector as Φᵀ(ΦΦᵀ + nλI)⁻¹y when k > n: a solve in
        # the smaller of the two dimensions, well conditioned because nλ > 0
        if k <= n:
            w = np.linalg.solve(phi.T @ phi + n * lam * np.eye(k), phi.T @ y_train)
        else:
            w = phi.T @ np.linalg.solve(phi @ phi.T + n * lam * np.eye(n), y_train)
    else:
        w = np.linalg.lstsq(phi, y_train, rcond=None)[0]
    pred_test = f_test[:, :k] @ w / math.sqrt(k)
    return {"n_features": k, "n_train": n,
            "train_mse": float(np.mean((phi @ w - y_train) ** 2)),
            "test_mse": float(np.mean((pred_test - y_test) ** 2)),
            "weight_norm": float(np.linalg.norm(w)),
            "zero_mse": float(np.mean(y_test ** 2))}


def feature_grid(n_train: int) -> list[int]:
    """Feature counts for the sweep: log-spaced over 1–200, dense around k = n_train."""
    grid = set(np.unique(np.round(np.geomspace(1, MAX_FEATURES, 28)).astype(int)).tolist())
    grid.update(range(max(1, n_train - 3), min(MAX_FEATURES, n_train + 3) + 1))
    return sorted(grid)


@lru_cache(maxsize=64)
def _sweep(n_train: int, noise: float, ridge: float, seed: int):
    ks = feature_grid(n_train)
    fits = [fit(k, n_train, noise, ridge, seed) for k in ks]
    return tuple(ks), tuple(fits)


def double_descent(n_features=20, n_train=40, noise=0.3, ridge=0.0, seed=0) -> dict:
    """The whole curve (over `feature_grid`) plus the fit at `n_features`.

    Returns {"n_features": [...], "test_mse": [...], "train_mse": [...], "weight_norm": [...],
    "current": fit(n_features, ...), "peak_features": k with the highest test error on the grid,
    "best_below_threshold": the lowest test error on the grid with fewer features than points,
    "threshold": n_train}. The sweep is cached, so moving only `n_features` refits one model.
    """
    current = fit(n_features, n_train, noise, ridge, seed)   # validates every argument
    ks, fits = _sweep(current["n_train"], float(noise), float(ridge), int(seed))
    test = [f["test_mse"] for f in fits]
    return {"n_features": list(ks), "test_mse": test,
            "train_mse": [f["train_mse"] for f in fits],
            "weight_norm": [f["weight_norm"] for f in fits],
            "current": current, "peak_features": ks[int(np.argmax(test))],
            "best_below_threshold": min(t for k, t in zip(ks, test) if k < current["n_train"]),
            "threshold": current["n_train"]}


# --- the lineage ---------------------------------------------------------------------------------

METRICS = {
    "params": "parameters N",
    "tokens": "training tokens D",
    "tokens_per_param": "tokens per parameter D / N",
    "flops": "training compute 6·N·D (FLOP)",
}


def lineage() -> list[dict]:
    """Rows of data/lineage.json in date order, with tokens per parameter and 6ND added.

    A row whose token count is unpublished (GPT-1, GPT-2) has None for the derived columns:
    we do not invent them.
    """
    rows = []
    for r in data.load("lineage")["models"]:
        n, d = r["n_params"], r.get("n_tokens")
        rows.append(dict(r,
                         tokens_per_param=None if d is None else scaling.tokens_per_param(n, d),
                         flops=None if d is None else scaling.train_flops(n, d)))
    return sorted(rows, key=lambda r: (r["date"], r["n_params"]))


def lineage_metric(metric: str) -> list[tuple[str, float | None]]:
    """(name, value) for one metric of METRICS; None where the inputs are unpublished."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    key = {"params": "n_params", "tokens": "n_tokens"}.get(metric, metric)
    return [(r["name"], r.get(key)) for r in lineage()]


def lineage_row(name: str) -> dict:
    """One row of `lineage()` by name, e.g. lineage_row("GPT-3")["flops"]."""
    return data.pick({r["name"]: r for r in lineage()}, name, "model")
