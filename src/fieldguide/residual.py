"""Residuals and normalization: what the identity path and a norm do to a deep stack, in a toy
and in tinylm.

The toy is Act I's stack of random layers (`fieldguide.depth.deep_stack`, which
`optim.jacobian_chain` also uses), run forward and backward for real, so the gradient and the
activations come from one network. This module adds what the residuals chapter needs on top:
the closed-form predictions to check the measurements against, the axes each normalization
averages over, and the two measurements on the real model — the size of tinylm's residual
stream after every block, and what the next-token loss does when one block is left out.

Predictions for width-d layers with weights N(0, s²/d), gradient starting at RMS 1:

    plain chain              ‖g₀‖ ≈ s^L                      (Act I: vanishing, or exploding)
    residual, no norm        ‖g₀‖ ≈ (1 + s²)^(L/2)           (grows, never vanishes)
    residual, pre-norm       ‖g₀‖ ≈ √(1 + L·s²)              (see below)

Pre-norm: each layer adds N(x)·W, a fresh vector of RMS s, to the stream, so the stream's
variance after l layers is 1 + l·s². Going back through layer l the gradient gains a branch term
of relative size s²/(1 + l·s²) (the norm divides by the stream's RMS), and the product over
layers k .. L−1 telescopes: ‖g_k‖² ≈ (1 + L·s²)/(1 + k·s²).
Everything else (post-norm, no residual with a norm) has no simple formula: measure it.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from fieldguide import depth, interp, optim

NORMS = depth.NORMS                 # ("none", "layernorm", "rmsnorm", "batchnorm")
PLACEMENTS = depth.PLACEMENTS       # ("pre", "post")
WIDTH = 32                          # the toy's layer width: small enough to run 200 layers live
NORM_LABELS = {"none": "no normalization", "layernorm": "LayerNorm", "rmsnorm": "RMSNorm",
               "batchnorm": "BatchNorm"}


# --- the toy: a deep stack with and without the identity path ---------------------------------

def highway(n_layers: int, scale: float, residual: bool = True, norm: str = "none",
            placement: str = "pre", seed: int = 0, width: int = WIDTH) -> dict:
    """One real forward and backward pass through the toy stack.

    Returns `grad` and `activation` (n_layers + 1 RMS values each; index 0 = the first layer's
    input, the last = the output, where the gradient starts at 1), `first` (the gradient reaching
    the first layer), `per_layer` (its geometric-mean change per layer) and `expected` (the
    closed-form prediction for the first layer, or None where there is none).
    """
    r = depth.deep_stack(n_layers, scale, width, residual, norm, placement, seed=seed)
    g, a = r["grad"], r["activation"]
    first = float(g[0])
    per = first ** (1 / n_layers) if n_layers and first > 0 else float("nan")
    return {"grad": g, "activation": a, "first": first, "per_layer": per,
            "expected": expected_first_grad(n_layers, scale, residual, norm, placement)}


@lru_cache(maxsize=32)
def seed_spread(n_layers: int, scale: float, residual: bool = True, norm: str = "none",
                placement: str = "pre", seeds: int = 10) -> tuple:
    """Smallest and largest gradient reaching the first layer over seeds 0 .. seeds−1: how
    predictable the gradient's scale is for one layout."""
    g = [highway(n_layers, scale, residual, norm, placement, seed=k)["first"] for k in range(seeds)]
    return min(g), max(g)


def expected_first_grad(n_layers: int, scale: float, residual: bool = True, norm: str = "none",
                        placement: str = "pre"):
    """The typical gradient reaching the first layer (module docstring), or None if no formula."""
    p = expected_profile(n_layers, scale, residual, norm, placement)
    return None if p is None else float(p["grad"][0])


def expected_profile(n_layers: int, scale: float, residual: bool = True, norm: str = "none",
                     placement: str = "pre"):
    """Predicted gradient and activation RMS at every layer input k = 0 .. L (module docstring),
    or None for the layouts with no simple formula."""
    L, s2 = int(n_layers), scale * scale
    k = np.arange(L + 1, dtype=np.float64)
    if norm == "none":
        grad = [optim.expected_chain_norm(L - i, scale, residual=residual) for i in range(L + 1)]
        act = [optim.expected_chain_norm(i, scale, residual=residual) for i in range(L + 1)]
        return {"grad": np.array(grad), "activation": np.array(act)}
    if residual and placement == "pre" and norm in ("layernorm", "rmsnorm"):
        return {"grad": np.sqrt((1 + L * s2) / (1 + k * s2)), "activation": np.sqrt(1 + k * s2)}
    return None


def pre_norm_growth(n_layers: int, scale: float) -> float:
    """√(1 + L·s²): how much a pre-norm residual stream (and its gradient) grows over L layers."""
    return math.sqrt(1 + n_layers * scale * scale)


def normalize(x, kind: str) -> np.ndarray:
    """One token's feature vector normalized as "layernorm" or "rmsnorm" (no learned gain)."""
    if kind not in ("layernorm", "rmsnorm"):
        raise ValueError("normalize takes one vector: kind must be layernorm or rmsnorm")
    x = np.asarray(x, dtype=np.float64).reshape(1, -1)
    return depth._norm_forward(x, kind)[0][0]


def norm_groups(norm: str, batch: int = 3, tokens: int = 4, features: int = 6) -> np.ndarray:
    """Which cells of a (batch, tokens, features) activation share one mean/scale statistic.

    Returns an int array of that shape: cells with the same label are normalized together.
    LayerNorm and RMSNorm: one group per token (its features). BatchNorm, as used on sequences:
    one group per feature (over every sequence in the batch and every position). "none": every
    cell alone (nothing is averaged)."""
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {', '.join(NORMS)}")
    b, t, f = np.indices((batch, tokens, features))
    if norm in ("layernorm", "rmsnorm"):
        return b * tokens + t
    if norm == "batchnorm":
        return f
    return (b * tokens + t) * features + f


# --- the real model: tinylm's residual stream ---------------------------------------------------

@lru_cache(maxsize=64)
def _probe(ids: tuple, skip, model: str) -> dict:
    from fieldguide import tinylm
    r = tinylm.run(list(ids), model=model, skip=() if skip is None else (skip,))
    norms = np.array([np.linalg.norm(a.astype(np.float64), axis=-1) for a in r["resid"]])
    return {"norms": norms, "losses": interp.token_losses(r["logits"], ids),
            "top": np.argmax(r["logits"], axis=-1)}


def stream(ids, skip=None, model: str = "tinylm") -> dict:
    """tinylm's residual stream for one sequence, with block `skip` left out (or none).

    `norms`: (n_layer + 1, T) L2 norms of the stream after the embedding and after each block;
    `losses`: the T − 1 next-token losses in nats; `top`: (T,) the most likely next token after
    each position.
    Cached per sequence, so moving a slider over the same text reruns nothing."""
    ids = tuple(int(i) for i in ids)
    if not ids:
        raise ValueError("need at least one token")
    return _probe(ids, None if skip is None else int(skip), model)


def skip_costs(ids, model: str = "tinylm") -> dict:
    """The mean next-token loss (nats) of the whole model, and with each block skipped in turn.

    Returns {"full": loss, "skip": [loss without block 0, without block 1, ...],
    "delta": [their increases over the full model]}. Needs at least two tokens."""
    from fieldguide import tinylm
    if len(ids) < 2:
        raise ValueError("need at least two tokens: the loss scores predicting the next one")
    full = float(stream(ids, model=model)["losses"].mean())
    n = tinylm.load(model).cfg.n_layer
    skipped = [float(stream(ids, k, model)["losses"].mean()) for k in range(n)]
    return {"full": full, "skip": skipped, "delta": [s - full for s in skipped]}


# A passage in tinylm's own register (a docstring), for the numbers the chapter quotes.
REFERENCE = ("Return a new list containing all items from the iterable in ascending order. "
             "A custom key function can be supplied to customize the sort order, and the "
             "reverse flag can be set to request the result in descending order.")


@lru_cache(maxsize=1)
def reference() -> dict:
    """The chapter's measurements on REFERENCE: mean residual norm per stage (embedding, then
    after each block, averaged over tokens), its growth from block to block, and skip_costs."""
    from fieldguide import tinylm
    ids = tinylm.encode(REFERENCE)
    norms = stream(ids)["norms"].mean(axis=1)
    costs = skip_costs(ids)
    order = sorted(range(len(costs["delta"])), key=lambda k: costs["delta"][k])
    return {"tokens": len(ids), "norms": norms, "growth": norms[1:] / norms[:-1], **costs,
            "cheapest": order[0], "dearest": order[-1]}
