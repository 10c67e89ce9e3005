"""Backpropagation by hand for a two-layer MLP, checked against finite differences.

The network:  h = tanh(X W1 + b1),  logits = h W2 + b2,  loss = mean cross-entropy(logits, y).

Backpropagation is the chain rule applied from the loss backwards, reusing each intermediate
result of the forward pass once. One forward and one backward pass give the derivative of the loss
with respect to *every* parameter, at a cost of a small constant times the forward pass.

The check: perturb one parameter by ±ε and watch the loss,

    ∂L/∂θᵢ ≈ (L(θ + ε eᵢ) − L(θ − ε eᵢ)) / 2ε,

which is exact up to O(ε²) (truncation) plus about 1e-16·|L|/ε (floating-point round-off).
It needs two forward passes per parameter, which is why nobody trains this way, and why it is the
standard test that a hand-written backward pass is right.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

PARAMS = ("W1", "b1", "W2", "b2")


def init_mlp(n_in: int = 4, hidden: int = 8, n_out: int = 3, batch: int = 16, seed: int = 0):
    """Random parameters (Xavier-scaled), a batch of inputs and integer class labels."""
    if min(n_in, hidden, n_out, batch) < 1:
        raise ValueError("every layer size and the batch must be at least 1")
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.standard_normal((n_in, hidden)) / math.sqrt(n_in),
        "b1": rng.standard_normal(hidden) * 0.1,
        "W2": rng.standard_normal((hidden, n_out)) / math.sqrt(hidden),
        "b2": rng.standard_normal(n_out) * 0.1,
    }
    X = rng.standard_normal((batch, n_in))
    y = rng.integers(0, n_out, size=batch)
    return params, X, y


def mlp_loss(params: dict, X: np.ndarray, y: np.ndarray) -> float:
    """Forward pass only: the mean cross-entropy loss."""
    h = np.tanh(X @ params["W1"] + params["b1"])
    z = h @ params["W2"] + params["b2"]
    z = z - z.max(axis=1, keepdims=True)              # softmax is shift-invariant; avoid overflow
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


def mlp_grad(params: dict, X: np.ndarray, y: np.ndarray):
    """Loss and the gradient of every parameter, by one forward and one backward pass."""
    n = len(y)
    a = X @ params["W1"] + params["b1"]                # forward, keeping what backward needs
    h = np.tanh(a)
    z = h @ params["W2"] + params["b2"]
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    loss = float(-np.log(p[np.arange(n), y]).mean())

    dz = p.copy()                                      # ∂L/∂logits = (softmax − one-hot) / n
    dz[np.arange(n), y] -= 1
    dz /= n
    grads = {"W2": h.T @ dz, "b2": dz.sum(axis=0)}
    dh = dz @ params["W2"].T                           # back through the second layer
    da = dh * (1 - h * h)                              # tanh' = 1 − tanh²
    grads["W1"] = X.T @ da
    grads["b1"] = da.sum(axis=0)
    return loss, grads


def numeric_grad(f, params: dict, eps: float = 1e-5, only=None) -> dict:
    """Central finite differences of f(params) for every entry of every parameter array.

    `only` optionally maps a parameter name to the flat indices to perturb (the rest stay NaN),
    so a caller can sample a few entries cheaply. Parameters are perturbed in place and restored.
    """
    if not (eps > 0 and math.isfinite(eps)):
        raise ValueError("eps must be a positive number")
    out = {}
    for name, arr in params.items():
        g = np.full(arr.shape, np.nan)
        flat, gflat = arr.reshape(-1), g.reshape(-1)
        idx = range(flat.size) if only is None else only.get(name, ())
        for i in idx:
            old = flat[i]
            flat[i] = old + eps
            up = f(params)
            flat[i] = old - eps
            down = f(params)
            flat[i] = old
            gflat[i] = (up - down) / (2 * eps)
        out[name] = g
    return out


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / (‖a‖ + ‖b‖): 0 for a perfect match, about 1 for unrelated vectors."""
    a, b = np.ravel(a), np.ravel(b)
    den = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / den) if den > 0 else 0.0


def flatten(grads: dict) -> np.ndarray:
    return np.concatenate([np.ravel(grads[k]) for k in PARAMS])


def check(hidden: int = 8, eps: float = 1e-5, seed: int = 0, n_in: int = 4, n_out: int = 3,
          batch: int = 16, max_checked: int | None = None) -> dict:
    """Backprop vs finite differences on a fresh MLP: both gradients and their errors.

    Every parameter is checked, unless `max_checked` caps the count: then that many entries,
    chosen at random (seeded) across all four arrays, are checked — the usual practice for big
    networks, where two forward passes per parameter would take too long. `analytic`, `numeric`
    and the errors cover the checked entries only; `n_checked` says how many there were.
    """
    params, X, y = init_mlp(n_in, hidden, n_out, batch, seed)
    loss, g = mlp_grad(params, X, y)
    sizes = [params[k].size for k in PARAMS]
    total = sum(sizes)
    if max_checked is None or max_checked >= total:
        picked = np.arange(total)
    else:
        picked = np.sort(np.random.default_rng(seed + 2).choice(total, int(max_checked), replace=False))
    starts = np.cumsum([0] + sizes[:-1])
    only = {k: picked[(picked >= st) & (picked < st + sz)] - st
            for k, st, sz in zip(PARAMS, starts, sizes)}
    n = numeric_grad(lambda p: mlp_loss(p, X, y), params, eps, only=only)
    a_parts = {k: np.ravel(g[k])[only[k]] for k in PARAMS}
    b_parts = {k: np.ravel(n[k])[only[k]] for k in PARAMS}
    per = {k: relative_error(a_parts[k], b_parts[k]) for k in PARAMS}
    a = np.concatenate([a_parts[k] for k in PARAMS])
    b = np.concatenate([b_parts[k] for k in PARAMS])
    return {"loss": loss, "analytic": a, "numeric": b, "per_param": per,
            "checked_per_param": {k: int(len(only[k])) for k in PARAMS},
            "relative_error": relative_error(a, b),
            "max_abs_error": float(np.max(np.abs(a - b))),
            "n_params": int(total), "n_checked": int(a.size),
            "forward_passes_numeric": 2 * int(total)}


def eps_sweep(hidden: int = 8, seed: int = 0, eps_values=None, sample: int = 4) -> tuple:
    """Relative error of finite differences against backprop for a range of ε.

    Uses `sample` entries of each parameter array (the same ones for every ε), so the whole
    U-shaped curve — round-off error on the left, truncation error on the right — costs little.
    The default sweep is cached: a demo that only moves ε does not recompute it.
    """
    if eps_values is None:
        e, r = _default_sweep(int(hidden), int(seed), int(sample))
        return e.copy(), r.copy()
    return _sweep(hidden, seed, eps_values, sample)


@lru_cache(maxsize=16)
def _default_sweep(hidden, seed, sample):
    return _sweep(hidden, seed, np.logspace(-12, -1, 12), sample)


def _sweep(hidden, seed, eps_values, sample):
    params, X, y = init_mlp(4, hidden, 3, 16, seed)
    _, g = mlp_grad(params, X, y)
    rng = np.random.default_rng(seed + 1)
    only = {k: rng.choice(v.size, size=min(sample, v.size), replace=False)
            for k, v in params.items()}
    a = np.concatenate([np.ravel(g[k])[only[k]] for k in PARAMS])
    errs = []
    for eps in eps_values:
        n = numeric_grad(lambda p: mlp_loss(p, X, y), params, float(eps), only=only)
        errs.append(relative_error(a, np.concatenate([np.ravel(n[k])[only[k]] for k in PARAMS])))
    return np.asarray(eps_values, dtype=float), np.asarray(errs)
