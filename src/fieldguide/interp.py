"""Reading a model's attention: scores that say what each head does.

A head's attention row for query position i is a probability distribution over positions 0..i.
Three simple questions about those rows name the best-known head types:

* previous-token head: does position i look at i - 1?
* induction head: on a sequence that repeats, does position i look at the token *after* the
  earlier occurrence of its own token? That is the "A B ... A -> B" copying circuit (Olsson et al.,
  "In-context Learning and Induction Heads", 2022). Its test: random tokens r_1..r_n followed by
  the same n tokens again. In the second copy, the token at position n + j last appeared at j, so an
  induction head puts its weight on j + 1.
* first-token head: does it park its weight on position 0 (a "no-op" sink)?

Each score is the mean attention weight on the position the pattern predicts, so it lies in
[0, 1]: 1 means the head does exactly that, and chance is about 1 / (number of visible positions).

A trained circuit need not match the textbook drawing. While building the book's induction model,
runs started from GPT-2's usual small token embeddings copied perfectly but with heads that look
*two* positions after the earlier occurrence, reading the answer from that position's
previous-token slot instead of from the token itself (scripts/train.py says which change gave the
textbook circuit). `lookback_scores` measures every offset, so that kind of circuit is found
rather than missed.
"""

from __future__ import annotations

import numpy as np


def previous_token_score(attn: np.ndarray) -> np.ndarray:
    """attn: (..., heads, T, T). Mean weight on i - 1 over i = 1..T-1, per head."""
    T = attn.shape[-1]
    i = np.arange(1, T)
    return attn[..., i, i - 1].mean(-1)


def first_token_score(attn: np.ndarray) -> np.ndarray:
    """Mean weight on position 0 over queries i = 1..T-1, per head."""
    return attn[..., 1:, 0].mean(-1)


def induction_pattern_score(attn: np.ndarray, period: int) -> np.ndarray:
    """On a sequence whose second part repeats the first with this period: mean weight from
    position i (i >= period) on i - period + 1, the token after the earlier copy."""
    T = attn.shape[-1]
    i = np.arange(period, T)
    return attn[..., i, i - period + 1].mean(-1)


def lookback_pattern_scores(attn: np.ndarray, period: int, max_offset: int = 3) -> np.ndarray:
    """(..., max_offset + 1): mean weight from position i (second copy) on i - period + o, for
    o = 0 (the earlier copy of the same token), 1 (the token after it: classic induction), 2, ..."""
    T = attn.shape[-1]
    i = np.arange(period, T - max_offset)
    return np.stack([attn[..., i, i - period + o].mean(-1) for o in range(max_offset + 1)], -1)


def repeated_random_tokens(vocab_size: int, n: int, seed: int = 0, low: int = 0) -> np.ndarray:
    """n random token ids (from low..vocab_size-1) followed by the same n again."""
    rng = np.random.default_rng(seed)
    half = rng.integers(low, vocab_size, n)
    return np.concatenate([half, half])


def induction_score(model, n: int = 30, trials: int = 4, seed: int = 0, low: int = 0) -> np.ndarray:
    """(layers, heads) induction scores of a model, averaged over a few repeated random sequences.

    `model.forward(ids, return_attn=True)` must give one (heads, T, T) attention array per layer.
    `low` skips the smallest token ids (e.g. the 256 single bytes of a BPE vocabulary).
    """
    n = min(n, model.cfg.n_ctx // 2)
    scores = []
    for t in range(trials):
        ids = repeated_random_tokens(model.cfg.vocab_size, n, seed + t, low)
        _, _, attn = model.forward(ids, return_attn=True)
        scores.append(induction_pattern_score(np.stack(attn), n))
    return np.mean(scores, axis=0)


def lookback_scores(model, n: int = 30, trials: int = 4, seed: int = 0, low: int = 0,
                    max_offset: int = 3) -> np.ndarray:
    """(layers, heads, max_offset + 1) look-back weights on repeated random sequences; [..., 1] is
    the induction score."""
    n = min(n, model.cfg.n_ctx // 2)
    out = []
    for t in range(trials):
        ids = repeated_random_tokens(model.cfg.vocab_size, n, seed + t, low)
        _, _, attn = model.forward(ids, return_attn=True)
        out.append(lookback_pattern_scores(np.stack(attn), n, max_offset))
    return np.mean(out, axis=0)


def head_scores(model, ids, period: int | None = None) -> dict[str, np.ndarray]:
    """Previous-token, first-token and (if the sequence repeats with `period`) induction scores of
    every head on one sequence: each a (layers, heads) array."""
    _, _, attn = model.forward(ids, return_attn=True)
    a = np.stack(attn)
    out = {"previous_token": previous_token_score(a), "first_token": first_token_score(a)}
    if period:
        out["induction"] = induction_pattern_score(a, period)
    return out


def find_period(ids) -> int | None:
    """The shift p at which the tail of a sequence best repeats its earlier part, if any: the
    smallest p with at least 3 matching positions ids[i] == ids[i - p] and most of the tail
    matching. Used to score induction on a reader's own repeated text."""
    ids = np.asarray(ids)
    T = len(ids)
    best, best_hits = None, 2
    for p in range(2, T // 2 + 1):
        hits = int((ids[p:] == ids[:-p]).sum())
        if hits > best_hits:
            best, best_hits = p, hits
    return best
