"""The attention chapter's worked numbers, each computed rather than asserted.

Three questions the chapter answers with numbers:

* Why divide the scores by sqrt(d_k)?  If the entries of q and k are independent with mean 0
  and variance 1 (roughly what a normalised vector gives), q . k is a sum of d_k such products,
  so its variance is d_k. Wide heads would produce huge scores, the softmax would put nearly all
  its weight on one key, and its gradient would vanish. `saturation` measures exactly that on
  random queries and keys, with and without the division.
* What does a layer of attention cost?  The score matrix has N x N entries per head; computing it
  and the weighted sum of values takes about 4 N^2 d multiply-adds-as-FLOPs per layer, against
  8 N d^2 for the four projections. `layer_flops` gives both and `crossover_length` where the
  quadratic term takes over.
* Where does a real head look?  `row` reads one row of one of tinylm's heads on a sentence, and
  `best_head` names the head of a shipped model that best fits a pattern (via `interp`).
"""

from __future__ import annotations

import numpy as np

from . import interp, tinylm
from .tinylm import attention as A


# --- why 1/sqrt(d_k) -------------------------------------------------------------------------------

def saturation(d_k: int, scaled: bool = True, seq_len: int = 16, trials: int = 32, seed: int = 0) -> dict:
    """Statistics of softmax(q k^T [/ sqrt d_k]) for random q, k with iid N(0, 1) entries.

    Returns the standard deviation of the scores, the mean largest weight in a row, the mean row
    entropy in bits (log2(seq_len) means spread evenly; 0 means all weight on one key) and the mean
    slope p(1 - p) of the largest weight with respect to its own score: the softmax's gradient,
    which vanishes as p -> 1. No mask:
    every query sees all seq_len keys, so the comparison across d_k is fair."""
    d_k, seq_len, trials = int(d_k), int(seq_len), int(trials)
    if d_k < 1 or seq_len < 2 or trials < 1:
        raise ValueError("need d_k >= 1, seq_len >= 2 and at least one trial")
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((trials, seq_len, d_k))
    k = rng.standard_normal((trials, seq_len, d_k))
    w, scores = A.attention_weights(q, k, causal=False, scale=scaled)
    top = w.max(-1)
    return {"score_std": float(scores.std()),
            "max_weight": float(top.mean()),
            "top_slope": float((top * (1 - top)).mean()),
            "entropy_bits": float(A.row_entropy(w).mean()),
            "uniform_bits": float(np.log2(seq_len))}


# --- what it costs ---------------------------------------------------------------------------------

def layer_flops(n: int, d_model: int) -> dict:
    """FLOPs (2 per multiply-add) of one self-attention layer on n tokens of width d_model.

    scores: Q K^T over all heads, 2 n^2 d;  mix: weights times V, 2 n^2 d;
    projections: Q, K, V and the output, four d x d matrices applied to n tokens, 8 n d^2.
    The head count does not appear: h heads of width d/h add up to the same totals. Counted without
    skipping the masked half, as a plain implementation computes it."""
    n, d = int(n), int(d_model)
    if n < 1 or d < 1:
        raise ValueError("need at least one token and a positive width")
    return {"scores": 2 * n * n * d, "mix": 2 * n * n * d, "projections": 8 * n * d * d,
            "score_entries_per_head": n * n}


def crossover_length(d_model: int, other_per_token: float = 0.0) -> float:
    """Sequence length at which the quadratic attention FLOPs (4 n^2 d) equal the linear ones
    (8 n d^2 for the projections, plus `other_per_token` FLOPs per token per d^2, e.g. 16 for a
    4d-wide MLP): n = (8 + other) d / 4."""
    return (8.0 + other_per_token) * int(d_model) / 4.0


# --- where a real head looks ----------------------------------------------------------------------

def row(sentence: str, layer: int, head: int, query: str | int, model: str = "tinylm") -> list:
    """One attention row of a shipped model on a sentence: [(token text, weight)] sorted by weight,
    strongest first. `query` is a position or the text of a token: its first exact occurrence
    (" it", with the space, is the pronoun; "it" alone may be the end of " f"+"it"), else the
    first whose text matches with spaces stripped. These are the weights the model computed in its own forward pass (causal, scaled)."""
    ids = tinylm.encode(sentence)
    if not ids:
        raise ValueError("the sentence has no tokens")
    strings = tinylm.token_strings(ids)
    if isinstance(query, str):
        hits = ([i for i, s in enumerate(strings) if s == query]
                or [i for i, s in enumerate(strings) if s.strip() == query.strip()])
        if not hits:
            raise ValueError(f"no token {query!r} in {strings}")
        query = hits[0]
    _, _, attn = tinylm.forward(ids, return_attn=True, model=model)
    if not 0 <= int(query) < len(ids):
        raise ValueError(f"query position {query} is outside 0..{len(ids) - 1}")
    w = np.asarray(attn[int(layer)][int(head)][int(query)], dtype=np.float64)
    order = np.argsort(-w, kind="stable")
    return [(strings[j], float(w[j])) for j in order[: int(query) + 1]]


def row_entropy(sentence: str, layer: int, head: int, query: str | int, model: str = "tinylm") -> float:
    """Entropy in bits of the same row (0 = one key; log2(query position + 1) = spread evenly)."""
    w = np.array([v for _, v in row(sentence, layer, head, query, model)])
    return float(A.row_entropy(w))


def best_head(model: str, pattern: str) -> tuple[int, int, float]:
    """(layer, head, score) of the head of a shipped model that best fits a pattern, scored the way
    `interp` scores it: "induction" on repeated random tokens, "previous_token" on the same test
    sequences (mean weight on the position the pattern predicts; 1 is a perfect fit)."""
    m = tinylm.load(model)
    low = 256 if m.cfg.vocab_size > 256 else 0          # skip tinylm's single-byte tokens
    n = min(30, m.cfg.n_ctx // 2)
    if pattern == "induction":
        s = interp.induction_score(m, n=n, trials=4, seed=99, low=low)
    elif pattern == "previous_token":
        ids = interp.repeated_random_tokens(m.cfg.vocab_size, n, seed=99, low=low)
        s = interp.head_scores(m, ids)["previous_token"]
    else:
        raise ValueError("pattern must be 'induction' or 'previous_token'")
    layer, head = np.unravel_index(int(np.argmax(s)), s.shape)
    return int(layer), int(head), float(s[layer, head])


def lookback(model, n: int = 30, trials: int = 4, max_offset: int = 3, seed: int = 99) -> tuple:
    """The sharpest copy-from-context head of a shipped model: (layer, head, offset, weight).

    On random tokens repeated once (period n), a token at position i of the second copy last
    appeared at i - n. For each head and each offset o in 0..max_offset this averages the weight
    from i on i - n + o; it returns the head and offset with the largest average. The textbook
    induction head has offset 1 (the token after the earlier copy), which is what
    `interp.induction_pattern_score` measures; a trained model may settle on another offset.
    `model` is a shipped model's name or any object with `cfg` and `forward(ids, return_attn=True)`."""
    m = tinylm.load(model) if isinstance(model, str) else model
    low = 256 if m.cfg.vocab_size > 256 else 0
    n = min(int(n), m.cfg.n_ctx // 2 - max_offset)
    acc = interp.lookback_scores(m, n=n, trials=trials, seed=seed, low=low, max_offset=max_offset)
    layer, head, off = np.unravel_index(int(np.argmax(acc)), acc.shape)
    return int(layer), int(head), int(off), float(acc[layer, head, off])
