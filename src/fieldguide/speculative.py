"""Speculative decoding: a cheap draft proposes, the target checks several tokens in one pass.

The rule (Leviathan, Kalman & Matias 2023; Chen et al. 2023): the draft proposes gamma tokens
x_1..x_gamma from its distributions q_i; one target pass over them gives p_1..p_{gamma+1}.
  * greedy mode: accept while x_i equals the target's argmax; at the first mismatch emit the
    target's argmax instead. If all gamma match, the last row gives one more token for free.
  * sampling mode: accept x_i with probability min(1, p_i(x_i) / q_i(x_i)); at the first rejection
    draw from the residual norm(max(0, p_i - q_i)); if all are accepted, draw from p_{gamma+1}.
Either way a pass yields (accepted + 1) tokens, and in sampling mode they are distributed exactly
as the target's own samples would be.

Economics, with a per-token acceptance alpha and a draft that costs c target passes per token:
  E[tokens per pass] = (1 - alpha^(gamma+1)) / (1 - alpha),   speedup = that / (gamma*c + 1).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import checks, sampling

MODES = ("greedy", "sampling")


# ---------- distributions ----------

def _dist(p, name="p") -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or p.size < 1 or not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
        raise ValueError(f"{name} must be a non-empty vector of non-negative finite numbers")
    return p / p.sum()


def tv(p, q) -> float:
    """Total-variation distance: half the L1 distance between two distributions."""
    return 0.5 * float(np.abs(_dist(p) - _dist(q, "q")).sum())


def acceptance(p, q) -> float:
    """Probability that one drafted token survives the min(1, p/q) test: sum min(p, q) = 1 - TV."""
    return float(np.minimum(_dist(p), _dist(q, "q")).sum())


def residual(p, q) -> np.ndarray:
    """The distribution to resample from after a rejection: norm(max(0, p - q)). When p == q there
    is no rejection to repair and p itself is returned."""
    p, q = _dist(p), _dist(q, "q")
    r = np.maximum(0.0, p - q)
    s = r.sum()
    return r / s if s > 1e-15 else p


def noise_floor(p, n: int) -> float:
    """Expected TV between p and an n-sample histogram of p, to first order:
    1/2 * sum sqrt(2 p (1 - p) / (pi n)) (each count is near-normal; E|Z| = sigma sqrt(2/pi))."""
    p = _dist(p)
    n = checks.whole("samples", n, 1)
    return 0.5 * float(np.sqrt(2 * p * (1 - p) / (np.pi * n)).sum())


def toy_pair(quality: float, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """A toy target p over k outcomes (Zipf-like) and a draft q that mixes p with a distribution
    that ranks the outcomes the other way round: quality 1 is a perfect draft, 0 a contrary one."""
    quality = checks.number("draft quality", quality, 0, 1)
    k = checks.whole("outcomes", k, 2, 1000)
    p = 1.0 / np.arange(1, k + 1)
    p /= p.sum()
    wrong = p[::-1].copy()
    return p, quality * p + (1 - quality) * wrong


def sample_exact(p, q, n: int, residual: bool = True, seed: int = 0) -> dict:
    """n independent single-token speculative steps: draw x ~ q, accept with min(1, p(x)/q(x)),
    otherwise draw from norm(max(0, p - q)) (residual=True) or, the tempting shortcut, from p
    itself (residual=False). Returns counts, output frequencies, TV to p, the empirical acceptance
    and the theory (1 - TV(p, q)); without the residual the output is min(p, q) + (1 - alpha) p."""
    p, q = _dist(p), _dist(q, "q")
    if p.shape != q.shape:
        raise ValueError("p and q must cover the same outcomes")
    n = checks.whole("samples", n, 1, 10_000_000)
    rng = np.random.default_rng(checks.whole("seed", seed, 0))
    # Drawn per outcome rather than per step (same distribution, O(k) work): how many drafts
    # land on each outcome, how many of those pass the min(1, p/q) test, where the rejected go.
    drafted = rng.multinomial(n, q)
    safe_q = np.where(q > 0, q, 1.0)
    kept = rng.binomial(drafted, np.minimum(1.0, p / safe_q))
    fix = _residual_of(p, q) if residual else p
    counts = kept + rng.multinomial(int(n - kept.sum()), fix)
    freq = counts / n
    alpha = float(np.minimum(p, q).sum())
    expected = p if residual else np.minimum(p, q) + (1 - alpha) * p
    return {"counts": counts, "freq": freq, "tv": 0.5 * float(np.abs(freq - p).sum()),
            "accept_rate": float(kept.sum() / n), "alpha": alpha, "expected": expected,
            "bias": 0.5 * float(np.abs(expected - p).sum()), "floor": noise_floor(p, n)}


_residual_of = residual      # sample_exact's argument shadows the function's name


# ---------- economics ----------

def expected_tokens(alpha: float, gamma: int, bonus: bool = True) -> float:
    """Expected tokens one target pass yields: (1 - alpha^(gamma+1)) / (1 - alpha) with the
    correction/bonus token counted; one fewer (the accepted drafts alone) without it."""
    a = checks.number("acceptance alpha", alpha, 0, 1)
    g = checks.whole("draft length gamma", gamma, 1, 1000)
    tokens = g + 1.0 if a == 1 else (1 - a ** (g + 1)) / (1 - a)
    return tokens if bonus else tokens - 1


def speedup(alpha: float, gamma: int, c: float, bonus: bool = True) -> float:
    """Tokens per unit of time relative to plain decoding: a pass costs gamma draft steps of c
    target passes each plus one target pass, and yields expected_tokens."""
    c = checks.number("cost ratio c", c, 0, 10)
    return expected_tokens(alpha, gamma, bonus) / (checks.whole("draft length gamma", gamma, 1, 1000) * c + 1)


def optimal_gamma(alpha: float, c: float, gamma_max: int = 64, bonus: bool = True) -> int:
    """The draft length in 1..gamma_max with the largest speedup (the smallest one on a tie)."""
    gm = checks.whole("largest gamma", gamma_max, 1, 1000)
    s = [speedup(alpha, g, c, bonus) for g in range(1, gm + 1)]
    return int(np.argmax(s)) + 1


def speedup_at_concurrency(alpha: float, gamma: int, c: float, concurrency: int,
                           ridge: float = 295.0, bonus: bool = True) -> float:
    """A MODEL of why speculation loses under load (not a measurement). A target pass over n token
    positions costs max(1, n / ridge) of a batch-1 pass: free until the batch reaches the roofline's
    ridge, then proportional to the work (ridge = fieldguide.serving.ridge_batch, about 295 for BF16
    weights on an H100). Plain decoding of B streams costs t(B) per token each; a speculative pass
    costs t(B (gamma + 1)) for the verify plus gamma draft steps of c * t(B), and yields
    expected_tokens per stream. Attention, the draft's own ridge and scheduling are ignored."""
    b = checks.number("concurrency", concurrency, 1, 1e6)
    ridge = checks.number("ridge batch", ridge, 1, 1e6)
    g = checks.whole("draft length gamma", gamma, 1, 1000)
    c = checks.number("cost ratio c", c, 0, 10)

    def t(n):
        return max(1.0, n / ridge)
    return expected_tokens(alpha, g, bonus) * t(b) / (t(b * (g + 1)) + g * c * t(b))


# ---------- drafts and a target ----------

def _data() -> Path:
    import fieldguide.data
    return Path(fieldguide.data.__file__).parent


class BigramDraft:
    """Counts of which token follows which in tinylm's own training corpus (top k per previous
    token, built by scripts/train_draft.py): a real, nearly free draft sharing tinylm's tokenizer.
    Unseen previous tokens fall back to unigram counts."""

    name = "bigram"

    def __init__(self):
        z = np.load(_data() / "draft_bigram.npz")
        self.top_ids = z["top_ids"].astype(np.int64)
        self.top_counts = z["top_counts"].astype(np.float64)
        self.unigram = z["unigram"].astype(np.float64)
        self.vocab_size = self.unigram.size

    def probs(self, ids, temperature: float = 1.0) -> np.ndarray:
        """q(next | ids) over the whole vocabulary (zero outside the kept top k)."""
        prev = int(ids[-1])
        cnt, idx = self.top_counts[prev], self.top_ids[prev]
        if cnt.sum() <= 0:
            cnt, idx = self.unigram, np.arange(self.vocab_size)
        keep = cnt > 0
        logits = np.full(self.vocab_size, -np.inf)
        logits[idx[keep]] = np.log(cnt[keep])
        return sampling.softmax(logits, temperature)


class RandomDraft:
    """A draft that knows nothing: uniform over the vocabulary."""

    name = "random"

    def __init__(self, vocab_size: int = 2048):
        self.vocab_size = vocab_size

    def probs(self, ids, temperature: float = 1.0) -> np.ndarray:
        return np.full(self.vocab_size, 1.0 / self.vocab_size)


@lru_cache(maxsize=None)
def draft(name: str):
    """A shipped draft by name: "bigram" or "random"."""
    if name == "bigram":
        return BigramDraft()
    if name == "random":
        from . import tinylm
        return RandomDraft(tinylm.load().cfg.vocab_size)
    raise ValueError(f"unknown draft {name!r}: choose bigram or random")


def draft_record() -> dict:
    """How the bigram draft was built: script, corpus SHA-256, k, as-of date."""
    return json.loads((_data() / "draft_bigram.json").read_text(encoding="utf-8"))


class TinyLMTarget:
    """The shipped tinylm as a target: rows(ids, drafted) scores every drafted position in ONE
    forward pass over the drafted tokens, on top of the prompt's cached KV."""

    def __init__(self, model: str = "tinylm"):
        from . import tinylm
        self.model = model
        self.n_ctx = tinylm.load(model).cfg.n_ctx
        self.vocab_size = tinylm.load(model).cfg.vocab_size

    def rows(self, ids, drafted) -> np.ndarray:
        """Logits (len(drafted) + 1, V): the next-token scores after ids, ids + x_1, ...,
        ids + x_1..x_gamma."""
        from . import tinylm
        first, cache = tinylm._prefix(tuple(int(i) for i in ids), self.model)
        rows = [first[None]]
        if len(drafted):
            rows.append(tinylm.load(self.model).forward([int(t) for t in drafted], cache=cache.copy())[0])
        return np.concatenate(rows).astype(np.float64)


# ---------- one verify pass ----------

def verify(target, draft, ids, gamma: int, mode: str = "greedy", T: float = 1.0, rng=None) -> dict:
    """One speculative pass. The draft proposes gamma tokens (its argmax in greedy mode, a sample
    from q at temperature T in sampling mode); the target scores them all in one pass; tokens are
    accepted up to the first rejection, then one token comes from the target (the correction, or
    the bonus when everything was accepted). Returns per position: drafted token, q(x), p(x),
    target argmax, acceptance probability, u, accepted flag, alpha_i = 1 - TV(p_i, q_i); and
    n_accepted, the extra token (`fix`, `fix_kind` = correction/bonus) and `produced`."""
    if mode not in MODES:
        raise ValueError(f"mode must be greedy or sampling, got {mode!r}")
    gamma = checks.whole("draft length gamma", gamma, 1, 64)
    T = checks.number("temperature", T, 0.01, 10)
    rng = rng if rng is not None else np.random.default_rng(0)
    ids = [int(i) for i in ids]
    if not ids:
        raise ValueError("need at least one token of context")
    if hasattr(target, "n_ctx"):
        ids = ids[-(target.n_ctx - gamma - 1):]
    greedy = mode == "greedy"
    ctx, drafted, qs = list(ids), [], []
    for _ in range(gamma):                       # the draft's gamma cheap steps
        q = draft.probs(ctx, T)
        x = int(np.argmax(q)) if greedy and not isinstance(draft, RandomDraft) else int(rng.choice(q.size, p=q))
        drafted.append(x)
        qs.append(q)
        ctx.append(x)
    logits = target.rows(ids, drafted)           # the target's one pass: gamma + 1 rows
    ps = [sampling.softmax(z, T) for z in logits]
    steps, n_acc, rejected = [], 0, False
    for i, (x, q, p) in enumerate(zip(drafted, qs, ps)):
        top = int(np.argmax(logits[i]))
        a = float(x == top) if greedy else float(min(1.0, p[x] / q[x]))
        u = None if greedy else float(rng.random())
        ok = (not rejected) and (a == 1.0 if greedy else u < a)
        steps.append({"token": x, "q": float(q[x]), "p": float(p[x]), "target_top": top,
                      "target_top_p": float(p[top]), "accept_prob": a, "u": u,
                      "accepted": bool(ok), "checked": not rejected,
                      "alpha": float(np.minimum(p, q).sum())})
        if ok:
            n_acc += 1
        elif not rejected:
            rejected = True
            fix_row = i
    if not rejected:                              # every draft accepted: the bonus row
        fix_row, kind = gamma, "bonus"
        fix = int(np.argmax(logits[gamma])) if greedy else int(rng.choice(ps[gamma].size, p=ps[gamma]))
        dist = ps[gamma]
    else:
        kind = "correction"
        if greedy:
            fix, dist = int(np.argmax(logits[fix_row])), ps[fix_row]
        else:
            dist = residual(ps[fix_row], qs[fix_row])
            fix = int(rng.choice(dist.size, p=dist))
    return {"ids": ids, "drafted": drafted, "steps": steps, "n_accepted": n_acc, "fix": fix,
            "fix_kind": kind, "fix_row": fix_row, "fix_prob": float(dist[fix]),
            "produced": drafted[:n_acc] + [fix], "mode": mode, "gamma": gamma, "T": T}


def generate(target, draft, ids, n: int, gamma: int = 4, mode: str = "greedy", T: float = 1.0,
             seed: int = 0) -> dict:
    """Speculative decoding to at least n new tokens (a pass may overshoot; the output is cut at n).
    Returns the tokens, the number of target passes, and the tokens each pass produced."""
    n = checks.whole("tokens", n, 1, 10_000)
    rng = np.random.default_rng(checks.whole("seed", seed, 0))
    ids = [int(i) for i in ids]
    out, per_pass, accepted, drafted = [], [], 0, 0
    while len(out) < n:
        r = verify(target, draft, ids + out, gamma, mode, T, rng)
        out += r["produced"]
        per_pass.append(len(r["produced"]))
        accepted += r["n_accepted"]
        drafted += sum(s["checked"] for s in r["steps"])
    return {"ids": out[:n], "passes": len(per_pass), "per_pass": per_pass,
            "tokens_per_pass": float(np.mean(per_pass)),
            "accept_rate": accepted / drafted if drafted else 0.0}


def acceptance_on_text(draft, ids, temperatures=(0.0, 0.5, 1.0, 1.5), model: str = "tinylm") -> dict:
    """Mean per-token acceptance of a draft against tinylm along a real token sequence (each
    position conditioned on the true prefix): at T = 0 the share of positions where the two
    argmaxes agree (greedy acceptance), at T > 0 the mean of sum min(p_T, q_T) = 1 - TV."""
    from . import tinylm
    ids = [int(i) for i in ids][: tinylm.load(model).cfg.n_ctx]
    if len(ids) < 2:
        raise ValueError("need at least two tokens of text")
    logits = tinylm.load(model).forward(ids)[0].astype(np.float64)[:-1]
    out = {}
    for T in temperatures:
        T = checks.number("temperature", T, 0, 10)
        vals = []
        for i, z in enumerate(logits):
            if T == 0:
                vals.append(float(np.argmax(z) == np.argmax(draft.probs(ids[: i + 1], 1.0))))
            else:
                vals.append(float(np.minimum(sampling.softmax(z, T), draft.probs(ids[: i + 1], T)).sum()))
        out[T] = float(np.mean(vals))
    return out


# A passage written for this book in the style of the corpus (not copied from it), for measuring
# acceptance along text the draft did not count.
SAMPLE_TEXT = (
    "Return a new list containing the items of the iterable in sorted order. If the key function "
    "is given, it is called once for each item and the items are compared by the values it returns. "
    "The sort is stable: two items that compare equal keep their original order. Raise a TypeError "
    "if the items cannot be compared with each other, and a ValueError if the list was modified "
    "while it was being sorted. The default value of reverse is False; set it to True to sort from "
    "the largest item to the smallest.\n\nThis function does not change its argument. To sort a "
    "list in place, call its sort method instead, which returns None."
)


@lru_cache(maxsize=None)
def measured_acceptance(draft_name: str, T: float) -> float:
    """acceptance_on_text for a shipped draft along SAMPLE_TEXT at one temperature (0 = greedy)."""
    from . import tinylm
    return acceptance_on_text(draft(draft_name), tinylm.encode(SAMPLE_TEXT), (float(T),))[float(T)]


@lru_cache(maxsize=32)
def measured_run(draft_name: str, prompt: str, n: int = 60, gamma: int = 4, mode: str = "greedy",
                 T: float = 1.0, seed: int = 0) -> dict:
    """generate() with tinylm as the target and a shipped draft, from a prompt's text (cached)."""
    from . import tinylm
    return generate(TinyLMTarget(), draft(draft_name), tinylm.encode(prompt), n, gamma, mode, T, seed)
