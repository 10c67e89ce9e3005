"""Why a fixed seed does not fix the output: floating-point sums depend on their order.

In exact arithmetic (a + b) + c = a + (b + c). In floating point each addition rounds, so the
order matters: float32 keeps about 7 significant digits, and a logit that is a sum of 4,096
products comes out different in its 6th or 7th digit depending on how the sum was grouped.

On a GPU that grouping is not fixed by your request. A matrix-multiply kernel splits a long dot
product into chunks handled in parallel and adds the partial sums at the end; how many chunks it
uses depends on the shape of the whole batch -- which depends on who else's requests were batched
with yours. So the same prompt, the same weights and the same seed can give logits that differ
in the last digits. The seed fixes the random numbers the sampler draws; it does not fix the
numbers those draws are compared against. Usually that changes nothing; at a near-tie, or when a
random number lands within a hair of a boundary, a different token comes out, and everything
generated after it differs too.

This module reproduces that on the CPU with NumPy, deterministically: `ordered_sum` adds in a
chosen order and precision, `nonassoc_logits` computes W @ x with a batch-dependent split-K
(a simplified model of what kernels do, not any particular GPU's heuristic), and `drift` compares
a run against the same request computed alone.
"""

from __future__ import annotations

import math

import numpy as np

ORDERS = ("sequential", "pairwise", "shuffled")
DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}


def _dtype(name: str):
    if name not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}")
    return DTYPES[name]


def ordered_sum(terms: np.ndarray, order: str = "sequential", dtype: str = "float32",
                seed: int = 0) -> np.ndarray:
    """Sum along the last axis, rounding to `dtype` after every single addition.

    sequential: ((t0 + t1) + t2) + ...      -- a plain loop
    pairwise:   (t0 + t1) + (t2 + t3) ...   -- a tree, as parallel reductions do
    shuffled:   sequential, in an order fixed by `seed` -- e.g. atomics finishing in any order
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}")
    t = np.asarray(terms).astype(_dtype(dtype))
    if t.shape[-1] == 0:
        return np.zeros(t.shape[:-1], dtype=t.dtype)
    if order == "shuffled":
        t = t[..., np.random.default_rng(seed).permutation(t.shape[-1])]
    if order in ("sequential", "shuffled"):
        return np.add.accumulate(t, axis=-1, dtype=t.dtype)[..., -1]
    while t.shape[-1] > 1:
        if t.shape[-1] % 2:
            t = np.concatenate([t, np.zeros(t.shape[:-1] + (1,), dtype=t.dtype)], axis=-1)
        t = (t[..., 0::2] + t[..., 1::2]).astype(t.dtype)
    return t[..., 0]


def split_k(batch: int, d: int = 4096) -> int:
    """How many chunks the toy kernel splits a length-d dot product into, for a batch size.

    Small batches leave most of a GPU idle, so kernels split the reduction to use more cores;
    big batches fill it and need no split. Here: 64 chunks at batch 1, halving as the batch
    doubles, down to 1 at batch 64 (a simplified stand-in for real kernel heuristics).
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    return max(1, min(d, 64 >> int(math.log2(batch))))


def nonassoc_logits(x: np.ndarray, W: np.ndarray, order: str = "sequential",
                    dtype: str = "float32", batch: int = 1, seed: int = 0) -> np.ndarray:
    """Logits W @ x computed the way a batched kernel might: products rounded to dtype, the
    d-long reduction cut into split_k(batch) chunks, each chunk summed in `order`, and the
    partial sums added in sequence. Returned as float64 (holding the dtype-rounded values)."""
    dt = _dtype(dtype)
    x = np.asarray(x).astype(dt)
    W = np.asarray(W).astype(dt)
    if W.ndim != 2 or x.ndim != 1 or W.shape[1] != x.shape[0]:
        raise ValueError("need W of shape (V, d) and x of shape (d,)")
    prods = (W * x).astype(dt)
    k = split_k(batch, x.shape[0])
    if x.shape[0] % k == 0:  # equal chunks: sum them all at once, (V, k, d/k) -> (V, k)
        partial = ordered_sum(prods.reshape(W.shape[0], k, -1), order, dtype, seed)
    else:
        chunks = np.array_split(prods, k, axis=1)
        partial = np.stack([ordered_sum(c, order, dtype, seed) for c in chunks], 1)
    return ordered_sum(partial, "sequential", dtype).astype(np.float64)


def exact_logits(x: np.ndarray, W: np.ndarray, dtype: str = "float32") -> np.ndarray:
    """The correctly rounded W @ x for inputs stored in dtype (math.fsum of exact products:
    the product of two float32 or float16 numbers is exact in float64)."""
    dt = _dtype(dtype)
    x = np.asarray(x).astype(dt).astype(np.float64)
    W = np.asarray(W).astype(dt).astype(np.float64)
    return np.array([math.fsum(row) for row in W * x])


def toy_layer(seed: int = 0, vocab: int = 16, d: int = 2048, gap: float = 2e-7):
    """A random hidden state x and unembedding W whose top two logits are a near-tie.

    Logits have a spread of about 5 (a realistic scale). The row with the largest logit is moved
    to position 0, and row 1 is moved along x until its logit trails logit 0 by about `gap`
    (to within float32 rounding of the weights); the two rows are otherwise unrelated, so their
    rounding errors are independent, as between two real tokens.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(d).astype(np.float32)
    W = (rng.standard_normal((vocab, d)) * 5 / math.sqrt(d)).astype(np.float32)
    top = int(np.argmax(W.astype(np.float64) @ x.astype(np.float64)))
    W[[0, top]] = W[[top, 0]]
    x64 = x.astype(np.float64)
    target = math.fsum(W[0].astype(np.float64) * x64) - gap
    j = int(np.argmax(np.abs(x)))
    for _ in range(3):  # move row 1 along x until its exact logit sits `gap` below row 0's
        miss = target - math.fsum(W[1].astype(np.float64) * x64)
        W[1] = (W[1] + miss * x64 / (x64 @ x64)).astype(np.float32)
    miss = target - math.fsum(W[1].astype(np.float64) * x64)
    W[1, j] = np.float32(W[1, j] + miss / x64[j])
    return x, W


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def drift(batch: int = 1, order: str = "sequential", dtype: str = "float32", seed: int = 0,
          draws: int = 20000) -> dict:
    """Run the toy layer at this batch size and compare with the same request alone (batch 1).

    Both runs use the same seed, so the sampler draws the *same* random numbers u; a token is
    picked by inverse CDF (the first token whose cumulative probability exceeds u). Returns the
    logits (exact, alone, in batch), their differences, the greedy choice in each, and how many
    of `draws` shared random numbers pick a different token.
    """
    x, W = toy_layer(seed)
    exact = exact_logits(x, W, dtype)
    alone = nonassoc_logits(x, W, order, dtype, 1, seed)
    batched = nonassoc_logits(x, W, order, dtype, batch, seed)
    p_alone, p_batch = _softmax(alone), _softmax(batched)
    u = np.random.default_rng(seed).random(draws)
    c_alone, c_batch = np.cumsum(p_alone), np.cumsum(p_batch)
    t_alone = np.minimum(np.searchsorted(c_alone, u, side="right"), len(p_alone) - 1)
    t_batch = np.minimum(np.searchsorted(c_batch, u, side="right"), len(p_batch) - 1)
    return {
        "exact": exact, "alone": alone, "batched": batched,
        "split_alone": split_k(1, x.size), "split_batched": split_k(batch, x.size),
        "max_diff": float(np.max(np.abs(batched - alone))),
        "max_err_alone": float(np.max(np.abs(alone - exact))),
        "max_err_batched": float(np.max(np.abs(batched - exact))),
        "argmax_exact": int(np.argmax(exact)), "argmax_alone": int(np.argmax(alone)),
        "argmax_batched": int(np.argmax(batched)),
        "changed_draws": int(np.sum(t_alone != t_batch)), "draws": int(draws),
        "change_probability": float(np.sum(np.abs(c_alone - c_batch)[:-1])),
    }
