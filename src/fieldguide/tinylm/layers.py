"""Every layer of the transformer as a pair: forward(...) -> (out, cache), backward(dout, cache).

No autograd. Each forward keeps exactly what its backward needs in `cache`; each backward takes the
gradient of the loss with respect to the layer's output and returns the gradients with respect to
its input and its parameters. `tests/test_tinylm_grad.py` checks every one of them against finite
differences, which is the only way to trust hand-written calculus.

Shapes: B batch, T query positions, S key positions (S = past + T with a KV cache), C = d_model,
H heads of size D = C / H.
"""

from __future__ import annotations

import math
import sys

import numpy as np

EPS = 1e-5


def _matmul_einsum(x, w):
    """x (..., K) times w (K, N). In the browser numpy has no BLAS: for a block of rows its plain
    matmul loop is 2-3x slower than einsum's sum of products, while for one row (a decode step)
    matmul wins (bench/bench_tinylm.py --pyodide)."""
    if x.size < 16 * x.shape[-1]:
        return np.matmul(x, w)
    return np.einsum("...k,kn->...n", x, w)


matmul = _matmul_einsum if sys.platform == "emscripten" else np.matmul
GELU_C = math.sqrt(2.0 / math.pi)     # a Python float: keeps float32 arrays float32 (NEP 50)


# --- LayerNorm: centre and scale each vector, then a learned gain and bias -------------------------

def layernorm_forward(x, g, b):
    C = x.shape[-1]
    mu = x.sum(-1, keepdims=True) / C           # = x.mean(-1), bit for bit, without .mean()'s
    xc = x - mu                                 # Python overhead (it shows in the browser)
    rstd = 1.0 / np.sqrt((xc * xc).sum(-1, keepdims=True) / C + EPS)
    xhat = xc * rstd
    return xhat * g + b, (xhat, rstd, g)


def layernorm_backward(dy, cache):
    xhat, rstd, g = cache
    C = xhat.shape[-1]
    dg = (dy * xhat).reshape(-1, C).sum(0)
    db = dy.reshape(-1, C).sum(0)
    dxhat = dy * g
    dx = rstd * (dxhat - dxhat.mean(-1, keepdims=True)
                 - xhat * (dxhat * xhat).mean(-1, keepdims=True))
    return dx, dg, db


# --- Linear: x W + b -------------------------------------------------------------------------------

def linear_forward(x, w, b):
    return matmul(x, w) + b, (x, w)


def linear_backward(dy, cache):
    x, w = cache
    dw = x.reshape(-1, x.shape[-1]).T @ dy.reshape(-1, dy.shape[-1])
    db = dy.reshape(-1, dy.shape[-1]).sum(0)
    return dy @ w.T, dw, db


# --- GELU (the tanh approximation GPT-2 uses) ------------------------------------------------------

def gelu_forward(x):
    t = np.tanh(GELU_C * (x + 0.044715 * (x * x * x)))
    return 0.5 * x * (1.0 + t), (x, t)


def gelu_backward(dy, cache):
    x, t = cache
    dt = GELU_C * (1.0 + 3 * 0.044715 * x * x)
    return dy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dt)


# --- Softmax over the last axis, stable: exp(z - max) ---------------------------------------------

def softmax(z):
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


# --- Multi-head causal self-attention --------------------------------------------------------------

def split_heads(x, n_head):
    B, T, C = x.shape
    return x.reshape(B, T, n_head, C // n_head).transpose(0, 2, 1, 3)      # (B, H, T, D)


def merge_heads(x):
    B, H, T, D = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, H * D)


def causal_mask(T, S):
    """True where query i (the last T of S positions) may look at key j: j <= i + (S - T)."""
    return np.arange(S)[None, :] <= np.arange(T)[:, None] + (S - T)


def attention_forward(x, w_qkv, b_qkv, w_o, b_o, n_head, past=None, head_hook=None):
    """Causal self-attention. `past` is (K, V) from earlier positions, each (B, H, P, D), or None.
    `head_hook(z)`, if given, sees each head's output z = weights @ V, (B, H, T, D), before the heads
    are merged and projected, and returns the z to use instead (ablation and patching).

    Each token is projected three ways: a query (what am I looking for?), a key (what do I offer?)
    and a value (what do I hand over?). Scores are QK^T / sqrt(D) (the scaling keeps their variance
    near 1 whatever D is), future positions are set to -inf, each row is softmaxed into weights that
    sum to 1, and the output is the weighted sum of values, one head at a time, projected back.

    Returns (out, cache, attn, (K, V)) where attn is (B, H, T, S) and (K, V) include the past.
    """
    C = x.shape[-1]
    qkv, lin1 = linear_forward(x, w_qkv, b_qkv)
    q, k, v = (split_heads(qkv[..., i * C:(i + 1) * C], n_head) for i in range(3))
    if past is not None:
        k = np.concatenate([past[0], k], axis=2)
        v = np.concatenate([past[1], v], axis=2)
    T, S, D = q.shape[2], k.shape[2], q.shape[3]
    scale = 1.0 / math.sqrt(D)          # a Python float, so float32 scores stay float32
    scores = (q @ k.transpose(0, 1, 3, 2)) * scale
    scores = np.where(causal_mask(T, S), scores, -np.inf)
    att = softmax(scores)
    z = att @ v
    if head_hook is not None:
        z = head_hook(z)
    y = merge_heads(z)
    out, lin2 = linear_forward(y, w_o, b_o)
    return out, (lin1, q, k, v, att, scale, lin2), att, (k, v)


def attention_backward(dout, cache):
    """Gradients of attention_forward (training runs it without a past)."""
    lin1, q, k, v, att, scale, lin2 = cache
    dy, dw_o, db_o = linear_backward(dout, lin2)
    dy = split_heads(dy, q.shape[1])
    datt = dy @ v.transpose(0, 1, 3, 2)
    dv = att.transpose(0, 1, 3, 2) @ dy
    # softmax backward, row by row: ds = a * (da - sum(da * a)); masked cells have a = 0
    ds = att * (datt - (datt * att).sum(-1, keepdims=True)) * scale
    dq = ds @ k
    dk = ds.transpose(0, 1, 3, 2) @ q
    dqkv = np.concatenate([merge_heads(dq), merge_heads(dk), merge_heads(dv)], axis=-1)
    dx, dw_qkv, db_qkv = linear_backward(dqkv, lin1)
    return dx, dw_qkv, db_qkv, dw_o, db_o


# --- Cross-entropy: the whole pretraining objective ------------------------------------------------

def cross_entropy_forward(logits, targets):
    """Mean of -log p(correct next token) over every position, and the cache for its gradient."""
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    flat = logp.reshape(-1, logp.shape[-1])
    t = targets.reshape(-1)
    loss = -flat[np.arange(t.size), t].mean()
    return loss, (logp, targets)


def cross_entropy_backward(cache):
    """d loss / d logits = (softmax - one_hot) / N."""
    logp, targets = cache
    g = np.exp(logp)
    flat = g.reshape(-1, g.shape[-1])
    t = targets.reshape(-1)
    flat[np.arange(t.size), t] -= 1.0
    return g / t.size
