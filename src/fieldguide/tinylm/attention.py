"""Attention as a standalone operation, for looking at it: scores, masks, temperature, checks.

The model's own attention lives in layers.py (with its backward pass). This file is the same
formula opened up for the attention chapter, with each choice a switch:

    weights = softmax(Q K^T * s / T  + mask)      s = 1/sqrt(d_k) (or 1),  T = score temperature
    output  = weights V

and the pattern heads a reader can compare with trained ones (these are illustrative, not learned).
"""

from __future__ import annotations

import numpy as np


def causal_mask(n: int) -> np.ndarray:
    """(n, n) booleans: True where query i may look at key j, i.e. j <= i."""
    return np.tril(np.ones((n, n), dtype=bool))


def attention_weights(q, k, causal: bool = True, scale: bool = True, temperature: float = 1.0):
    """Row-softmaxed scores for queries q (..., T, d) against keys k (..., S, d).

    Returns (weights, scores) where scores are the logits after scaling and temperature and
    masked cells are -inf (their weight is exactly 0)."""
    q, k = np.asarray(q, dtype=np.float64), np.asarray(k, dtype=np.float64)
    d = q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) * ((1.0 / np.sqrt(d)) if scale else 1.0)
    return weights_from_scores(scores, causal, temperature)


def weights_from_scores(scores, causal: bool = True, temperature: float = 1.0):
    """(weights, scores / T with masked cells at -inf) from raw scores (..., T, S)."""
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"score temperature must be a positive number, got {temperature}")
    scores = np.asarray(scores, dtype=np.float64) / temperature
    if causal:
        T, S = scores.shape[-2:]
        allowed = np.arange(S)[None, :] <= np.arange(T)[:, None] + (S - T)
        scores = np.where(allowed, scores, -np.inf)
    z = scores - scores.max(-1, keepdims=True)
    w = np.exp(z)
    return w / w.sum(-1, keepdims=True), scores


def scaled_dot_product(q, k, v, causal=True, scale=True, temperature=1.0):
    """softmax(QK^T / sqrt(d) / T, masked) V: the output and the weights."""
    w, _ = attention_weights(q, k, causal, scale, temperature)
    return w @ np.asarray(v, dtype=np.float64), w


def row_entropy(w, base: float = 2.0) -> np.ndarray:
    """Entropy of each attention row (bits by default): 0 = looks at one token, log2(n) = spread evenly."""
    w = np.asarray(w, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(w > 0, w * np.log(w), 0.0)
    return -t.sum(-1) / np.log(base)


def equivariance_check(x, wq, wk, wv, causal: bool, seed: int = 0) -> bool:
    """Does permuting the input vectors just permute the outputs? attn(X[perm]) == attn(X)[perm]

    True without a mask: attention sees a set, not a sequence, which is why positions must be added.
    False with the causal mask, which depends on the order (it leaks position)."""
    x = np.asarray(x, dtype=np.float64)
    perm = np.random.default_rng(seed).permutation(len(x))
    if len(x) > 1 and np.all(perm == np.arange(len(x))):
        perm = np.roll(perm, 1)
    out, _ = scaled_dot_product(x @ wq, x @ wk, x @ wv, causal=causal)
    out_p, _ = scaled_dot_product(x[perm] @ wq, x[perm] @ wk, x[perm] @ wv, causal=causal)
    return bool(np.allclose(out[perm], out_p, atol=1e-9))


# --- illustrative heads: score matrices written by hand --------------------------------------------

PATTERNS = ("previous token", "first token", "same token", "uniform (bag of words)", "induction")


def pattern_scores(ids, pattern: str, strength: float = 6.0) -> np.ndarray:
    """(T, T) hand-written scores: `strength` on the cells the pattern wants, 0 elsewhere.

    previous token: i -> i-1;  first token: i -> 0;  same token: i -> earlier j with the same id;
    uniform: all 0 (every visible token equally);  induction: i -> j+1 where ids[j] == ids[i], j < i.
    """
    ids = np.asarray(ids)
    T = len(ids)
    s = np.zeros((T, T))
    i = np.arange(T)
    if pattern == "previous token":
        s[i[1:], i[1:] - 1] = strength
        s[0, 0] = strength
    elif pattern == "first token":
        s[:, 0] = strength
    elif pattern == "same token":
        s[ids[:, None] == ids[None, :]] = strength
    elif pattern == "induction":
        same = (ids[:, None] == ids[None, :]) & (i[None, :] < i[:, None])
        rows, cols = np.nonzero(same)
        ok = cols + 1 <= rows
        s[rows[ok], cols[ok] + 1] = strength
    elif pattern != "uniform (bag of words)":
        raise ValueError(f"unknown pattern {pattern!r}; choose one of {', '.join(PATTERNS)}")
    return s
