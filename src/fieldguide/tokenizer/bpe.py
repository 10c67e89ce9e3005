"""Byte-pair encoding of one piece, given a table of ranks (tiktoken's algorithm).

A rank file lists byte strings in the order BPE training created them: rank 0 first. To encode a
piece, start from its single bytes and repeatedly join the adjacent pair whose joined bytes have
the *lowest* rank, the leftmost one when several tie, until no adjacent pair is in the table. Each
remaining part is a token and its rank is its id. Because every multi-byte token was once made from
two lower-ranked tokens, this replays training's merges in training's order.
"""

from __future__ import annotations

import heapq

NONE = 1 << 62          # "this pair is not a token": larger than any rank
SMALL = 48              # pieces up to this many bytes use the simple loop


def byte_pair_encode(piece: bytes, ranks: dict[bytes, int]) -> list[int]:
    """Token ids of one pre-token piece (as UTF-8 bytes)."""
    tok = ranks.get(piece)
    if tok is not None:
        return [tok]
    bounds = _merge(piece, ranks) if len(piece) <= SMALL else _merge_heap(piece, ranks)
    return [ranks[piece[a:b]] for a, b in zip(bounds, bounds[1:])]


def _merge(piece: bytes, ranks: dict[bytes, int]) -> list[int]:
    """Part boundaries after all merges. O(n^2), fastest for short pieces.

    bounds[i] is where part i starts; pair[i] is the rank of part i joined with part i+1.
    """
    get = ranks.get
    n = len(piece)
    bounds = list(range(n + 1))
    pair = [get(piece[i:i + 2], NONE) for i in range(n - 1)]
    while pair:
        best = min(pair)
        if best == NONE:
            break
        i = pair.index(best)                 # leftmost lowest rank
        del bounds[i + 1], pair[i]
        if i > 0:
            pair[i - 1] = get(piece[bounds[i - 1]:bounds[i + 1]], NONE)
        if i < len(pair):
            pair[i] = get(piece[bounds[i]:bounds[i + 2]], NONE)
    return bounds


def _merge_heap(piece: bytes, ranks: dict[bytes, int]) -> list[int]:
    """The same merges in O(n log n), for long pieces (a line of 10,000 'a's is one piece).

    A heap holds (rank, start) for candidate pairs, so the smallest rank and then the leftmost start
    come out first -- the same order as the simple loop. Parts live in a linked list; an entry whose
    parts have changed since it was pushed is stale and skipped.
    """
    get = ranks.get
    n = len(piece)
    nxt = list(range(1, n + 2))              # nxt[s]: start of the part after the part at s
    prv = list(range(-1, n))                 # prv[s]: start of the part before
    alive = [True] * (n + 1)
    heap = [(r, i, i + 2) for i in range(n - 1) if (r := get(piece[i:i + 2])) is not None]
    heapq.heapify(heap)
    while heap:
        r, s, end = heapq.heappop(heap)
        if not alive[s] or nxt[nxt[s]] != end or not alive[nxt[s]]:
            continue                         # stale: one of the two parts has changed
        mid = nxt[s]
        alive[mid] = False
        nxt[s] = end
        prv[end] = s
        if end < n and (r2 := get(piece[s:nxt[end]])) is not None:
            heapq.heappush(heap, (r2, s, nxt[end]))
        p = prv[s]
        if p >= 0 and (r2 := get(piece[p:end])) is not None:
            heapq.heappush(heap, (r2, p, end))
    bounds, s = [], 0
    while s < n:
        bounds.append(s)
        s = nxt[s]
    bounds.append(n)
    return bounds
