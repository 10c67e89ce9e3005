"""Embeddings: a token id becomes a row of a matrix, and meaning becomes direction.

An embedding matrix E has one row per vocabulary entry (V rows) and d columns. Looking a token
up is just "take row `id`", which is the same as multiplying a one-hot vector by E -- nobody
computes it that way, but the identity is why the lookup is a linear layer that gradients flow
through.

Where do useful coordinates come from? From an objective that makes words used in the same
contexts get similar rows. This module builds the oldest such recipe that still works well:

1. count how often word w appears within a few words of context c (a V x V co-occurrence table);
2. turn counts into PPMI, positive pointwise mutual information, max(0, log P(w,c)/(P(w)P(c))):
   "how much more often than chance do w and c meet?" -- frequent words stop dominating;
3. factor the PPMI matrix with a truncated SVD and keep the top `dims` directions.

Levy & Goldberg (2014) showed that word2vec's skip-gram with negative sampling is implicitly
factorising a shifted PMI matrix, so this is a close cousin of word2vec, small enough to read.
The shipped model (`load_cooc`) was built by `scripts/build_cooccurrence.py` from the docstrings
and comments of Python's standard library; its JSON records the file list, hashes and settings.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache

import numpy as np

from . import data

WORD = re.compile(r"[a-z]+")


# ---------------------------------------------------------------- lookup

def one_hot(ids, vocab_size: int) -> np.ndarray:
    """A (len(ids), V) matrix with a single 1 per row, at the token's id."""
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"token ids must lie in 0..{vocab_size - 1}")
    out = np.zeros((ids.size, vocab_size))
    out[np.arange(ids.size), ids] = 1.0
    return out


def lookup(E: np.ndarray, ids) -> np.ndarray:
    """Rows `ids` of E: what an embedding layer does (equal to one_hot(ids) @ E)."""
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    if ids.size and (ids.min() < 0 or ids.max() >= E.shape[0]):
        raise ValueError(f"token ids must lie in 0..{E.shape[0] - 1}")
    return E[ids]


# ---------------------------------------------------------------- geometry

def unit_rows(E: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (zero rows stay zero)."""
    E = np.asarray(E, dtype=np.float64)
    n = np.linalg.norm(E, axis=-1, keepdims=True)
    return np.divide(E, n, out=np.zeros_like(E), where=n > 0)


def cosine(E: np.ndarray, v: np.ndarray) -> np.ndarray:
    """cos(angle) between v and every row of E: dot product of unit vectors, in [-1, 1]."""
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    nv = np.linalg.norm(v)
    if nv == 0:
        return np.zeros(E.shape[0])
    return unit_rows(E) @ (v / nv)


def nearest(E: np.ndarray, v: np.ndarray, k: int = 8, exclude=()) -> list[tuple[int, float]]:
    """The k rows most similar to v by cosine, as (index, cosine), skipping `exclude`."""
    sims = cosine(E, v)
    sims[list(exclude)] = -np.inf
    k = max(0, min(int(k), E.shape[0] - len(set(exclude))))
    order = np.argsort(-sims, kind="stable")[:k]
    return [(int(i), float(sims[i])) for i in order]


def analogy(E: np.ndarray, a: int, b: int, c: int, k: int = 5) -> list[tuple[int, float]]:
    """Rows nearest to a − b + c (unit vectors, a, b and c themselves excluded).

    With a=king, b=man, c=woman the hoped-for answer is queen (Mikolov et al., 2013). Leaving the
    three inputs out matters: without it the nearest row is very often a itself.
    """
    U = unit_rows(E)
    return nearest(U, U[a] - U[b] + U[c], k, exclude=(a, b, c))


def pca2(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project rows onto their top two principal axes; also return the variance share of each."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError("PCA needs at least two points")
    Xc = X - X.mean(axis=0)
    # The principal axes of n points are the eigenvectors of the small n x n Gram matrix Xc Xcᵀ:
    # its eigenvalues are the variances along the axes, and eigenvector · sqrt(eigenvalue) gives
    # each point's coordinates. (Cheaper than an SVD of the n x d matrix when n is small.)
    lam, vec = np.linalg.eigh(Xc @ Xc.T)
    order = np.argsort(lam)[::-1][:2]
    lam2 = np.clip(lam[order], 0.0, None)
    coords = vec[:, order] * np.sqrt(lam2)
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((coords.shape[0], 2 - coords.shape[1]))])
    total = np.clip(lam, 0.0, None).sum()
    share = lam2 / total if total > 0 else np.zeros(2)
    return coords, np.pad(share, (0, 2 - share.size))


# ---------------------------------------------------------------- co-occurrence model

def words(text: str) -> list[str]:
    """Lower-case alphabetic words: the tokenizer of the co-occurrence model."""
    return WORD.findall(text.lower())


def cooccurrence(docs: list[list[int]], vocab_size: int, window: int = 4) -> np.ndarray:
    """V x V counts of word pairs at most `window` positions apart inside one document.

    Each doc is a list of word ids, with -1 for words outside the vocabulary (they still take
    up a position, so they do not bring distant words closer). The table is symmetric.
    """
    flat = np.concatenate([np.asarray(d, dtype=np.int64) for d in docs] or [np.zeros(0, np.int64)])
    doc_of = np.repeat(np.arange(len(docs)), [len(d) for d in docs])
    keys = []
    for off in range(1, window + 1):
        a, b = flat[:-off], flat[off:]
        ok = (a >= 0) & (b >= 0) & (doc_of[:-off] == doc_of[off:])  # same document only
        keys.append(a[ok] * vocab_size + b[ok])
    keys = np.concatenate(keys) if keys else np.zeros(0, np.int64)
    counts = np.bincount(keys, minlength=vocab_size ** 2).astype(np.float64)
    counts = counts.reshape(vocab_size, vocab_size)
    return counts + counts.T


def ppmi(counts: np.ndarray, alpha: float = 0.75) -> np.ndarray:
    """Positive PMI: max(0, log P(w,c) / (P(w) · P_alpha(c))).

    P_alpha raises context counts to the power alpha before normalising ("context distribution
    smoothing", Levy, Goldberg & Dagan 2015): it keeps rare contexts from getting huge PMI.
    """
    C = np.asarray(counts, dtype=np.float64)
    if C.ndim != 2 or (C < 0).any():
        raise ValueError("counts must be a non-negative matrix")
    total = C.sum()
    if total == 0:
        return np.zeros_like(C)
    pw = C.sum(axis=1) / total
    cc = C.sum(axis=0) ** alpha
    pc = cc / cc.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log((C / total) / np.outer(pw, pc))
    pmi[~np.isfinite(pmi)] = 0.0
    return np.maximum(pmi, 0.0)


def ppmi_svd(counts: np.ndarray, dims: int, alpha: float = 0.75,
             power: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Word vectors from a co-occurrence table: PPMI, then the top `dims` SVD directions.

    PPMI ≈ U S Vᵀ; the word vectors are U · S^power (power 0.5 splits S evenly between words
    and contexts). Returns (vectors of shape (V, dims), all singular values).
    """
    M = ppmi(counts, alpha)
    if not 1 <= dims <= min(M.shape):
        raise ValueError(f"dims must be between 1 and {min(M.shape)}")
    U, s, _ = np.linalg.svd(M, full_matrices=False)
    return U[:, :dims] * s[:dims] ** power, s


@lru_cache(maxsize=1)
def load_cooc() -> dict:
    """The shipped co-occurrence model: {"words", "index", "vectors" (V x 300), "meta"}."""
    raw = data.load("embeddings_cooc")
    V, D = raw["shape"]
    vec = np.frombuffer(base64.b64decode(raw["vectors_f16_b64"]), dtype="<f2")
    vec = vec.reshape(V, D).astype(np.float64)
    meta = {k: v for k, v in raw.items() if k not in ("vectors_f16_b64", "words")}
    return {"words": raw["words"], "index": {w: i for i, w in enumerate(raw["words"])},
            "vectors": vec, "meta": meta}


def cooc_vectors(dims: int) -> np.ndarray:
    """The co-occurrence model truncated to its first `dims` SVD directions."""
    m = load_cooc()
    if not 1 <= dims <= m["vectors"].shape[1]:
        raise ValueError(f"dims must be between 1 and {m['vectors'].shape[1]}")
    return m["vectors"][:, :dims]


# A fixed, AUTHORED set of in-domain analogies, written down before measuring, so the accuracy
# reported for the small model is not a cherry-picked success. Each pair is (x, y) with the same
# relation; questions are y1 − x1 + x2 → y2 for every ordered pair of pairs.
ANALOGY_PAIRS = {
    "plural": [("file", "files"), ("line", "lines"), ("value", "values"), ("key", "keys"),
               ("argument", "arguments"), ("object", "objects"), ("string", "strings"),
               ("byte", "bytes"), ("character", "characters"), ("element", "elements"),
               ("method", "methods"), ("function", "functions"), ("module", "modules"),
               ("item", "items"), ("name", "names"), ("type", "types")],
    "past tense": [("return", "returned"), ("call", "called"), ("raise", "raised"),
                   ("create", "created"), ("open", "opened"), ("close", "closed"),
                   ("use", "used"), ("pass", "passed"), ("add", "added"), ("change", "changed"),
                   ("ignore", "ignored"), ("define", "defined"), ("start", "started")],
}


def analogy_questions(index: dict[str, int]) -> list[tuple[str, str, str, str, str]]:
    """(relation, a, b, c, expected) with a − b + c → expected, for words in the vocabulary."""
    qs = []
    for rel, pairs in ANALOGY_PAIRS.items():
        pairs = [(x, y) for x, y in pairs if x in index and y in index]
        for x1, y1 in pairs:
            for x2, y2 in pairs:
                if x1 != x2:
                    qs.append((rel, y1, x1, x2, y2))
    return qs


def analogy_accuracy(E: np.ndarray, index: dict[str, int], k: int = 1) -> dict[str, float]:
    """Share of the authored analogy questions whose answer is in the top k, per relation.

    All questions at once: one (questions x V) matrix of cosines, inputs masked out.
    """
    qs = analogy_questions(index)
    if not qs:
        return {"all": 0.0}
    U = unit_rows(E)
    a, b, c, want = (np.array([index[q[i]] for q in qs]) for i in (1, 2, 3, 4))
    sims = unit_rows(U[a] - U[b] + U[c]) @ U.T
    rows = np.arange(len(qs))
    for col in (a, b, c):
        sims[rows, col] = -np.inf
    target = sims[rows, want]
    hit = (sims > target[:, None]).sum(axis=1) < k  # fewer than k words beat the answer
    rel = np.array([q[0] for q in qs])
    out = {r: float(hit[rel == r].mean()) for r in ANALOGY_PAIRS if (rel == r).any()}
    out["all"] = float(hit.mean())
    return out


@lru_cache(maxsize=64)
def cooc_analogy_scores(dims: int = 100, k: int = 1) -> dict[str, float]:
    """Accuracy of the shipped co-occurrence model on the authored analogy set, per relation."""
    return analogy_accuracy(cooc_vectors(int(dims)), load_cooc()["index"], k)


def cooc_analogy_accuracy(dims: int = 100, k: int = 1) -> float:
    """Overall accuracy of the shipped co-occurrence model on the authored analogy set.

    Precomputed for every dims by the build script (tests check it against cooc_analogy_scores),
    so the demo's slider does not redo ~400 analogies per move in the browser.
    """
    table = load_cooc()["meta"]["analogy_accuracy_by_dims"]["top_k"][str(int(k))]
    if not 1 <= dims <= len(table):
        raise ValueError(f"dims must be between 1 and {len(table)}")
    return table[int(dims) - 1]


def analogy_question_count() -> int:
    """How many authored analogy questions the shipped vocabulary can ask."""
    return len(analogy_questions(load_cooc()["index"]))


# ---------------------------------------------------------------- one interface for both models

@lru_cache(maxsize=8)
def cooc_space(dims: int) -> dict:
    """The co-occurrence model as {"E", "index", "words", "label"}, truncated to `dims`, rows
    scaled to length 1 (cosine and analogy only look at directions)."""
    m = load_cooc()
    return {"E": unit_rows(cooc_vectors(dims)), "index": m["index"], "words": m["words"],
            "label": f"PPMI + SVD, {dims} dims, {len(m['words']):,} words"}


def project(E: np.ndarray, dims: int) -> np.ndarray:
    """E centred and expressed in its top `dims` principal directions (dims ≤ its width)."""
    E = np.asarray(E, dtype=np.float64)
    dims = max(1, min(int(dims), E.shape[1]))
    Ec = E - E.mean(axis=0)
    _, _, vt = np.linalg.svd(Ec, full_matrices=False)
    return Ec @ vt[:dims].T


def missing_words(index: dict[str, int], *ws: str) -> list[str]:
    """The words (lower-cased, stripped) that the space has no row for."""
    return [w for w in ws if w.strip().lower() not in index]


def one_hot_gap(E: np.ndarray, token_id: int) -> float:
    """max |one_hot(id) @ E − E[id]|: zero, because the product just copies row `id`."""
    return float(np.max(np.abs(one_hot([token_id], E.shape[0]) @ E - lookup(E, [token_id]))))


@lru_cache(maxsize=1)
def _tinylm_table():
    """tinylm's input embedding matrix, its principal axes, and its whole-word tokens."""
    from . import tinylm
    W = np.asarray(tinylm.load().params["wte"], dtype=np.float64)
    strings = tinylm.token_strings(range(W.shape[0]))
    index = {}
    for i, s in enumerate(strings):
        w = s[1:]
        if s.startswith(" ") and w.isascii() and w.isalpha() and w.islower():
            index.setdefault(w, i)
    Wc = W - W.mean(axis=0)
    _, _, vt = np.linalg.svd(Wc, full_matrices=False)
    return Wc, vt, strings, index


def tinylm_space(dims: int) -> dict:
    """tinylm's token embeddings as a word space: rows are token ids, words are the tokens that
    are a space plus a lower-case word (" files" answers to "files"). `dims` keeps that many
    principal directions of the 128-wide matrix (all of them if dims ≥ 128)."""
    Wc, vt, strings, index = _tinylm_table()
    k = max(1, min(int(dims), vt.shape[0]))
    return {"E": Wc @ vt[:k].T, "index": index,
            "words": [s.replace(" ", "␣") for s in strings],
            "label": f"tinylm input embeddings, {k} of {vt.shape[0]} principal directions, "
                     f"{len(index):,} whole-word tokens"}
