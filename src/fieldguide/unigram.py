"""Unigram language-model tokenization: score every way to cut a word, keep the best (Kudo, 2018).

BPE builds a vocabulary bottom-up by merging pairs. The Unigram LM goes the other way: start
from a large vocabulary of candidate pieces, give each piece a probability p(piece), and say that
a segmentation x1 x2 ... xm of a word has probability p(x1)·p(x2)·...·p(xm) -- the pieces are
independent draws. Encoding a word means finding the most probable segmentation. The candidate
segmentations form a lattice (a DAG over character positions 0..n, one arc per vocabulary piece
that matches there), and the best path through it is found by the Viterbi algorithm in
O(n · max_piece_len) steps. Encoding is therefore deterministic; *sampling* a segmentation
instead of taking the best one is an optional regulariser used only during training ("subword
regularization").

We work in log space: a product of dozens of probabilities around 1e-2 underflows float64 long
before a paragraph ends, while a sum of logs does not.

Training (`train`) is expectation-maximisation: count how often each piece is *expected* to be
used under the current probabilities (forward-backward over each word's lattice), renormalise,
then prune the pieces whose removal costs the corpus the least likelihood, and repeat until the
vocabulary has the size you asked for. Single characters are never pruned, so every word in the
training corpus stays encodable.
"""

from __future__ import annotations

import math

# The feed's UNICORN example (a fragment of a bigger vocabulary; AUTHORED numbers, so they need not
# sum to 1). Its printed products were wrong; the right ones are 9.6e-11, 2.4e-9 and 2.0e-8.
TOY_PROBS = {"UN": 0.02, "UNI": 0.015, "UNIC": 0.005,
             "I": 0.03, "C": 0.04, "O": 0.02, "R": 0.01, "N": 0.02}

# The corpus the BPE trainer uses for its worked example: low x8, lower x1, lowest x7.
TOY_CORPUS = {"low": 8, "lower": 1, "lowest": 7}

# A character that no piece covers gets this log-probability (SentencePiece gives <unk> a score
# well below every real piece, so the search avoids it whenever it can).
UNK_PENALTY = 10.0

MAX_WORD = 64


def _check_word(word: str) -> str:
    if not isinstance(word, str):
        raise ValueError("the word must be text")
    if len(word) > MAX_WORD:
        raise ValueError(f"the word is {len(word)} characters long; the lattice view takes at most "
                         f"{MAX_WORD}. Try a single word.")
    return word


def log_table(probs: dict[str, float]) -> dict[str, float]:
    """{piece: log p}, rejecting probabilities that are not in (0, 1]."""
    out = {}
    for piece, p in probs.items():
        if not piece:
            raise ValueError("a vocabulary piece cannot be empty")
        p = float(p)
        if not 0.0 < p <= 1.0 or math.isnan(p):
            raise ValueError(f"probability of {piece!r} must be in (0, 1], got {p}")
        out[piece] = math.log(p)
    return out


def unk_logp(logp: dict[str, float]) -> float:
    """The score of an uncovered character: UNK_PENALTY nats below the least likely piece."""
    return (min(logp.values()) if logp else 0.0) - UNK_PENALTY


def lattice(word: str, probs: dict[str, float]) -> list[tuple[int, int, str, float, bool]]:
    """Every arc (start, end, piece, log p, is_unknown) of the segmentation lattice of `word`.

    An arc covers word[start:end] with one vocabulary piece. A position that no piece starts at
    gets a single-character <unk> arc, so there is always at least one path.
    """
    word = _check_word(word)
    logp = log_table(probs)
    longest = max((len(p) for p in logp), default=1)
    arcs = []
    for i in range(len(word)):
        if word[i] not in logp:  # no single-character piece: <unk> keeps the lattice connected
            arcs.append((i, i + 1, word[i], unk_logp(logp), True))
        for j in range(i + 1, min(len(word), i + longest) + 1):
            if word[i:j] in logp:
                arcs.append((i, j, word[i:j], logp[word[i:j]], False))
    return arcs


def viterbi(word: str, probs: dict[str, float]) -> tuple[list[str], float]:
    """The most probable segmentation of `word` and its log-probability.

    best[j] = max over arcs (i, j) of best[i] + log p(word[i:j]); follow the back-pointers.
    """
    n = len(_check_word(word))
    if n == 0:
        return [], 0.0
    best = [-math.inf] * (n + 1)
    back: list[tuple[int, str] | None] = [None] * (n + 1)
    best[0] = 0.0
    for i, j, piece, lp, _unk in sorted(lattice(word, probs)):
        if best[i] + lp > best[j]:
            best[j], back[j] = best[i] + lp, (i, piece)
    pieces, j = [], n
    while j > 0:
        i, piece = back[j]
        pieces.append(piece)
        j = i
    return pieces[::-1], best[n]


def count_paths(word: str, probs: dict[str, float]) -> int:
    """How many segmentations the lattice holds (it grows exponentially with word length)."""
    n = len(_check_word(word))
    ways = [0] * (n + 1)
    ways[0] = 1
    for i, j, *_ in sorted(lattice(word, probs)):
        ways[j] += ways[i]
    return ways[n]


def k_best(word: str, probs: dict[str, float], k: int = 10) -> list[tuple[list[str], float]]:
    """The k most probable segmentations, best first, as (pieces, log p).

    Same dynamic programme as Viterbi, but each position keeps its k best partial paths.
    """
    n = len(_check_word(word))
    if n == 0:
        return [([], 0.0)]
    partial: list[list[tuple[float, list[str]]]] = [[] for _ in range(n + 1)]
    partial[0] = [(0.0, [])]
    for i, j, piece, lp, _unk in sorted(lattice(word, probs)):
        partial[j].extend((s + lp, pieces + [piece]) for s, pieces in partial[i])
        partial[j] = sorted(partial[j], key=lambda t: -t[0])[:k]
    return [(pieces, s) for s, pieces in partial[n]]


def path_probability(pieces: list[str], probs: dict[str, float]) -> float:
    """p(x1)·...·p(xm) in plain float64: fine for a word, underflows for a page."""
    out = 1.0
    for piece in pieces:
        out *= probs[piece]
    return out


# ---------------------------------------------------------------- training (EM + pruning)

def _forward_backward(word: str, logp: dict[str, float], longest: int) -> tuple[float, dict]:
    """log p(word) summed over all segmentations, and each piece's expected count in it."""
    n = len(word)
    arcs = [(i, j, word[i:j]) for i in range(n) for j in range(i + 1, min(n, i + longest) + 1)
            if word[i:j] in logp]
    alpha = [-math.inf] * (n + 1)
    alpha[0] = 0.0
    for i, j, piece in arcs:  # arcs are ordered by start position
        alpha[j] = _logaddexp(alpha[j], alpha[i] + logp[piece])
    beta = [-math.inf] * (n + 1)
    beta[n] = 0.0
    for i, j, piece in reversed(arcs):
        beta[i] = _logaddexp(beta[i], logp[piece] + beta[j])
    total = alpha[n]
    expected: dict[str, float] = {}
    if total == -math.inf:
        return total, expected
    for i, j, piece in arcs:
        post = math.exp(alpha[i] + logp[piece] + beta[j] - total)
        expected[piece] = expected.get(piece, 0.0) + post
    return total, expected


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def _em_step(counts: dict[str, int], logp: dict[str, float],
             smoothing: float = 0.1) -> tuple[dict[str, float], float]:
    """One EM step; every piece gets `smoothing` pseudo-uses so none collapses to probability 0."""
    longest = max(len(p) for p in logp)
    expected: dict[str, float] = {p: smoothing for p in logp}
    loglik = 0.0
    for word, c in counts.items():
        total, exp_w = _forward_backward(word, logp, longest)
        loglik += c * total
        for piece, e in exp_w.items():
            expected[piece] = expected.get(piece, 0.0) + c * e
    z = sum(expected.values())
    return {p: math.log(e / z) for p, e in expected.items() if e > 0}, loglik


def corpus_loglik(counts: dict[str, int], probs: dict[str, float]) -> float:
    """Sum over words of count · log p(word), p(word) summed over every segmentation."""
    logp = log_table(probs)
    longest = max(len(p) for p in logp)
    return sum(c * _forward_backward(w, logp, longest)[0] for w, c in counts.items())


def train(counts: dict[str, int], vocab_size: int, max_piece_len: int = 8, em_steps: int = 3,
          shrink: float = 0.75) -> dict[str, float]:
    """Learn a Unigram vocabulary {piece: probability} of at most `vocab_size` pieces.

    1. Seed: every substring (up to max_piece_len) of the corpus words, p ∝ its frequency.
    2. Repeat: a few EM steps; then, for every multi-character piece, the corpus log-likelihood
       lost if it were removed; keep the best `shrink` fraction (and every single character).
    3. Stop at vocab_size. The M-step adds 0.1 pseudo-uses to every piece, so characters that
       whole words have made redundant keep a small probability instead of exactly zero.

    The loss of each candidate is recomputed exactly, which is fine for a teaching corpus of a few
    hundred distinct words (SentencePiece approximates it to scale to millions).
    """
    if not counts or any(c <= 0 for c in counts.values()):
        raise ValueError("the corpus needs at least one word with a positive count")
    chars = {ch for w in counts for ch in w}
    if vocab_size < len(chars):
        raise ValueError(f"vocab_size must be at least the {len(chars)} distinct characters")
    freq: dict[str, int] = {}
    for w, c in counts.items():
        for i in range(len(w)):
            for j in range(i + 1, min(len(w), i + max_piece_len) + 1):
                freq[w[i:j]] = freq.get(w[i:j], 0) + c
    z = sum(freq.values())
    logp = {p: math.log(f / z) for p, f in freq.items()}
    while True:
        for _ in range(em_steps):
            logp, _ = _em_step(counts, logp)
        if len(logp) <= vocab_size:
            break
        base = _em_step(counts, logp)[1]
        losses = []
        for piece in logp:
            if len(piece) == 1:
                continue
            rest = {p: v for p, v in logp.items() if p != piece}
            longest = max(len(p) for p in rest)
            ll = sum(c * _forward_backward(w, rest, longest)[0] for w, c in counts.items())
            losses.append((base - ll, piece))
        losses.sort()
        target = max(vocab_size, len(logp) - max(1, int(len(losses) * (1 - shrink))))
        n_drop = min(len(logp) - target, len(losses))
        for _, piece in losses[:n_drop]:
            del logp[piece]
    return {p: math.exp(v) for p, v in sorted(logp.items(), key=lambda t: -t[1])}


def toy_learned_probs(vocab_size: int = 12) -> dict[str, float]:
    """A Unigram table learned from the BPE trainer's low/lower/lowest corpus."""
    return train(TOY_CORPUS, vocab_size)
