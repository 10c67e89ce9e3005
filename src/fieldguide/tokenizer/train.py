"""Learning a byte-level BPE vocabulary: count adjacent pairs, merge the most frequent, repeat.

Start with the 256 single bytes, so any text at all can be written down. Cut the corpus into
pieces with the same pre-tokenizer the encoder uses (so no token ever spans " the" and "cat"),
and count how often each piece occurs. Then, again and again:

1. count every adjacent pair of symbols across the corpus (each piece weighted by its count);
2. take the most frequent pair -- ties broken by a stated rule -- and make it a new symbol;
3. rewrite every piece that contains it.

Each merge adds one token, so a vocabulary of V tokens is 256 bytes plus V - 256 merges. The
result is saved in tiktoken's format: a token's rank is the step at which it was made, which is
exactly the order `bpe.byte_pair_encode` needs to replay the merges.

The classic worked example (Sennrich et al., 2016): "low" x8, "lower" x1, "lowest" x7 gives
(l,o) 16 -> (lo,w) 16 -> (low,e) 8 -> (lowe,s) 7 -> (lowes,t) 7 -> (lowe,r) 1.

`rule="wordpiece"` scores a pair by count(ab) / (count(a) * count(b)) instead of count(ab): it
prefers pairs whose parts are rare on their own (WordPiece's likelihood-gain criterion).

Only the pieces that contain the chosen pair are rewritten and recounted, so training a few
thousand merges on megabytes of text takes seconds, not hours.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from . import pretokenize as _pretok

RULES = ("bpe", "wordpiece")
TIE_BREAKS = ("first", "lexical")


@dataclass
class Step:
    """One merge: what was counted, what was chosen, and the corpus size afterwards."""
    pair: tuple[bytes, bytes]
    count: int
    score: float
    tied: int                           # how many pairs shared the best score
    top: list[tuple[tuple[bytes, bytes], int, float]] = field(default_factory=list)
    tokens: int = 0                     # corpus length in tokens after this merge
    new_token: bool = True              # False if these bytes were already a token


@dataclass
class BPE:
    """A trained vocabulary: the merges in order, and the tiktoken-format ranks."""
    merges: list[tuple[bytes, bytes]]
    ranks: dict[bytes, int]
    steps: list[Step]
    words: list[bytes]                  # the corpus pieces, in order of first appearance
    counts: list[int]
    bytes_total: int                    # corpus length in bytes (= tokens before any merge)

    @property
    def vocab_size(self) -> int:
        return len(self.ranks)

    def save(self, path) -> None:
        """Write the ranks as a tiktoken rank file (what get_encoding loads)."""
        from .encoding import save_tiktoken_ranks
        save_tiktoken_ranks(self.ranks, path)

    def segment(self, word: bytes, n_merges: int | None = None) -> list[bytes]:
        """How training had split `word` after the first n_merges merges (all by default)."""
        return apply_merges(word, self.merges[:n_merges])


def apply_merges(word: bytes, merges) -> list[bytes]:
    """Replay merges in order on one piece, left to right, as training did."""
    syms = [word[i:i + 1] for i in range(len(word))]
    for a, b in merges:
        if len(syms) < 2:
            break
        syms = _merge_word(syms, a, b)
    return syms


def _merge_word(syms: list[bytes], a: bytes, b: bytes) -> list[bytes]:
    out, i, n = [], 0, len(syms)
    while i < n:
        if i + 1 < n and syms[i] == a and syms[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(syms[i])
            i += 1
    return out


def corpus_pieces(corpus, pretokenize: bool = True, pattern: str = "o200k_base") -> Counter:
    """The training units and their counts, in order of first appearance.

    `corpus` is text, or a {word: count} table. With `pretokenize` off, text is one long sequence
    (merges may then cross spaces and punctuation) and a table is written out as running text.
    """
    if isinstance(corpus, dict):
        if pretokenize:
            return Counter({w: int(c) for w, c in corpus.items() if c > 0 and w})
        corpus = " ".join(w for w, c in corpus.items() for _ in range(int(c)))
    if not isinstance(corpus, str):
        raise ValueError("the corpus must be text or a {word: count} table")
    if not pretokenize:
        return Counter({corpus: 1} if corpus else {})
    return Counter(_pretok.split(corpus, pattern))


def train_bpe(corpus, n_merges: int | None = None, rule: str = "bpe", *, vocab_size: int | None = None,
              tie_break: str = "first", pretokenize: bool = True, pattern: str = "o200k_base",
              trace: bool = False, top: int = 10) -> BPE:
    """Learn up to `n_merges` merges (or enough for `vocab_size` tokens) from `corpus`.

    Ties on the best score are broken by `tie_break`: "first" takes the pair that occurs earliest
    in the corpus (pieces in order of first appearance, then left to right); "lexical" takes the
    smallest (left, right) pair of byte strings. Training stops early when no pair is left.
    With `trace`, each Step also keeps the `top` pairs by score before that merge.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, not {rule!r}")
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break must be one of {TIE_BREAKS}, not {tie_break!r}")
    if vocab_size is not None:
        if vocab_size < 256:
            raise ValueError("a byte-level vocabulary has at least 256 tokens (one per byte)")
        n_merges = vocab_size - 256
    if n_merges is None or n_merges < 0:
        raise ValueError("give n_merges >= 0 or vocab_size >= 256")

    table = corpus_pieces(corpus, pretokenize, pattern)
    words = [w.encode("utf-8", "replace") if isinstance(w, str) else bytes(w) for w in table]
    counts = list(table.values())
    segs = [[w[i:i + 1] for i in range(len(w))] for w in words]
    total = sum(len(w) * c for w, c in zip(words, counts))

    pairs: dict[tuple[bytes, bytes], int] = defaultdict(int)     # pair -> weighted count
    where: dict[tuple[bytes, bytes], set[int]] = defaultdict(set)  # pair -> pieces containing it
    syms: dict[bytes, int] = defaultdict(int)                      # symbol -> weighted count
    for i, (s, c) in enumerate(zip(segs, counts)):
        _add(s, c, i, pairs, where, syms, +1)

    ranks = {bytes([b]): b for b in range(256)}
    merges: list[tuple[bytes, bytes]] = []
    steps: list[Step] = []
    tokens = total
    heap = [(-c, p) for p, c in pairs.items()] if rule == "bpe" else None
    if heap is not None:
        heapq.heapify(heap)
    while len(ranks) - 256 < n_merges and pairs:
        score = _scorer(rule, pairs, syms)
        if heap is not None:
            best, tied = _best_from_heap(heap, pairs)
        else:
            best = max(map(score, pairs))
            tied = [p for p in pairs if score(p) == best]
        pair = tied[0] if len(tied) == 1 else _break_tie(tied, tie_break, where, segs)
        step = Step(pair, pairs[pair], best, len(tied))
        if trace:
            step.top = [(p, pairs[p], score(p)) for p in heapq.nlargest(top, pairs, key=score)]
        a, b = pair
        changed: set = set()
        for i in sorted(where[pair]):
            old = segs[i]
            new = _merge_word(old, a, b)
            _add(old, counts[i], i, pairs, where, syms, -1)
            _add(new, counts[i], i, pairs, where, syms, +1)
            changed.update(zip(old, old[1:]), zip(new, new[1:]))
            tokens -= (len(old) - len(new)) * counts[i]
            segs[i] = new
        if heap is not None:
            for p in changed:
                if p in pairs:
                    heapq.heappush(heap, (-pairs[p], p))
        step.tokens = tokens
        merges.append(pair)
        if a + b in ranks:
            step.new_token = False
        else:
            ranks[a + b] = len(ranks)
        steps.append(step)
    return BPE(merges, ranks, steps, words, counts, total)


def _add(seg, c, i, pairs, where, syms, sign):
    """Add (sign=+1) or remove (-1) one piece's pairs and symbols from the running counts."""
    for s in seg:
        syms[s] += sign * c
    for p in zip(seg, seg[1:]):
        pairs[p] += sign * c
        if sign > 0:
            where[p].add(i)
        elif pairs[p] == 0:
            del pairs[p]
            where.pop(p, None)
    if sign < 0:                    # pieces that no longer contain a pair are dropped lazily
        for p in set(zip(seg, seg[1:])):
            if p in where:
                where[p].discard(i)


def _best_from_heap(heap, pairs):
    """The highest count and every pair that has it, from a heap of (-count, pair) entries.

    Counts change as merges rewrite the corpus; an entry whose count is no longer the pair's
    count is stale and dropped. Tied pairs that are not chosen go back on the heap.
    """
    tied: list = []
    best = None
    while heap:
        neg, p = heap[0]
        if pairs.get(p) != -neg or p in tied:
            heapq.heappop(heap)
            continue
        if best is not None and -neg != best:
            break
        best = -neg
        tied.append(heapq.heappop(heap)[1])
    for p in tied:
        heapq.heappush(heap, (-best, p))
    return best, tied


def _scorer(rule, pairs, syms):
    if rule == "bpe":
        return pairs.__getitem__
    return lambda p: pairs[p] / (syms[p[0]] * syms[p[1]])


def _break_tie(tied, tie_break, where, segs):
    if tie_break == "lexical":
        return min(tied)

    def first_position(p):
        i = min(where[p])
        s = segs[i]
        return i, next(j for j in range(len(s) - 1) if (s[j], s[j + 1]) == p)
    return min(tied, key=first_position)
