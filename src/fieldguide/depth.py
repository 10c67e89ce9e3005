"""A deep stack of random linear layers, with optional residuals and normalization, run for real.

`optim.jacobian_chain` follows only the gradient, which is enough when every layer is linear:
the Jacobian is the weight matrix. A normalization layer's Jacobian depends on the activations it
normalizes, so to see what LayerNorm, RMSNorm or BatchNorm do to the gradient we run the stack
forward on a small batch, keep what the backward pass needs, and backpropagate by hand.

One layer, with W ~ N(0, scale²/width) and N the chosen normalization (no learned gain or bias):

    placement  residual   layer
    pre        yes        y = x + N(x) W          (the modern transformer layout)
    post       yes        y = N(x + x W)          (the 2017 transformer layout)
    pre        no         y = N(x) W
    post       no         y = N(x W)

The loss is L = Σ y_out · r for a fixed random r, so ∂L/∂y_out = r and every number below is a
real gradient of a real function. Normalizations, over an array x of shape (batch, width):

    LayerNorm  each row: (x − mean) / std over its features
    RMSNorm    each row: x / rms over its features (no mean subtraction)
    BatchNorm  each column: (x − mean) / std over the batch (training-mode statistics)
"""

from __future__ import annotations

import math

import numpy as np

NORMS = ("none", "layernorm", "rmsnorm", "batchnorm")
PLACEMENTS = ("pre", "post")
EPS = 1e-5


def _norm_forward(x, kind):
    """Normalize x; return the output and what the backward pass needs."""
    if kind == "none":
        return x, None
    axis = 0 if kind == "batchnorm" else 1
    if kind == "rmsnorm":
        r = np.sqrt((x * x).mean(axis=axis, keepdims=True) + EPS)
        n = x / r
    else:
        c = x - x.mean(axis=axis, keepdims=True)
        r = np.sqrt((c * c).mean(axis=axis, keepdims=True) + EPS)
        n = c / r
    return n, (n, r, axis)


def _norm_backward(gn, cache, kind):
    """Gradient through the normalization: from ∂L/∂n to ∂L/∂x."""
    if kind == "none":
        return gn
    n, r, axis = cache
    proj = (gn * n).mean(axis=axis, keepdims=True) * n       # remove the part along n
    if kind == "rmsnorm":
        return (gn - proj) / r
    return (gn - gn.mean(axis=axis, keepdims=True) - proj) / r   # and the part along the mean


def deep_stack(depth: int, scale: float, width: int, residual: bool = True, norm: str = "none",
               placement: str = "pre", batch: int = 8, seed: int = 0) -> dict:
    """Run the stack forward and backward once.

    Returns `grad` (depth + 1 values: RMS of ∂L/∂x at the input of each layer, index 0 = first
    layer, last = output) and `activation` (depth + 1 values: RMS of each layer's input, the last
    being the output). RMS is over batch and width, so both start near 1.
    """
    depth, width, batch = int(depth), int(width), int(batch)
    if depth < 0 or width < 2 or batch < 2:
        raise ValueError("depth must be ≥ 0, width ≥ 2 and batch ≥ 2")
    if not (scale >= 0 and math.isfinite(scale)):
        raise ValueError("the scale must be a finite number ≥ 0")
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {', '.join(NORMS)}")
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {', '.join(PLACEMENTS)}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width))
    sd = scale / math.sqrt(width)
    weights = [rng.standard_normal((width, width)) * sd for _ in range(depth)]
    r = rng.standard_normal((batch, width))
    r /= np.sqrt((r * r).mean())
    with np.errstate(over="ignore", invalid="ignore"):
        _, acts, grads = forward_backward(x, weights, r, residual, norm, placement)
    rms = lambda a: float(np.sqrt((a * a).mean()))   # noqa: E731
    return {"grad": np.array([rms(a) for a in grads]),
            "activation": np.array([rms(a) for a in acts])}


def forward_backward(x, weights, r, residual=True, norm="none", placement="pre"):
    """Loss L = Σ y·r, every layer's input (acts) and ∂L/∂(every layer's input) (grads)."""
    acts, caches = [x], []
    for W in weights:
        if placement == "pre":
            n, c = _norm_forward(x, norm)
            y = n @ W
            x = x + y if residual else y
        else:
            u = x + x @ W if residual else x @ W
            x, c = _norm_forward(u, norm)
        caches.append(c)
        acts.append(x)
    g, grads = r, [r]
    for W, c in zip(reversed(weights), reversed(caches)):
        if placement == "pre":
            gx = _norm_backward(g @ W.T, c, norm)
            g = g + gx if residual else gx
        else:
            gu = _norm_backward(g, c, norm)
            g = gu + gu @ W.T if residual else gu @ W.T
        grads.append(g)
    return float((x * r).sum()), acts, grads[::-1]
