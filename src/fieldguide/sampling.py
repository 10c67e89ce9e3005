"""From logits to a chosen token: softmax, temperature, top-k, top-p, min-p, penalties, draws.

A model's last layer gives one score (logit) per vocabulary entry. Softmax turns scores into
probabilities; the knobs below reshape that distribution before a token is drawn from it:

* temperature T divides the logits: T < 1 sharpens, T > 1 flattens, T -> 0 is argmax (greedy);
* top-k keeps the k highest-scoring tokens;
* top-p (nucleus) keeps the smallest head of the distribution holding probability p;
* min-p keeps tokens whose probability is at least min_p times the most likely one's;
* presence / frequency / repetition penalties lower the scores of tokens already generated.

`filter_logits` follows Hugging Face transformers' logits warpers exactly, including where their
boundaries fall (see its docstring); `filter_logits_ordered` runs the same steps in another
engine's order, because the order changes the result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

STEPS = ("temperature", "top_k", "top_p", "min_p")
ORDERS = {
    "hf": ("temperature", "top_k", "top_p", "min_p"),          # transformers' warper order
    "llama.cpp": ("top_k", "top_p", "min_p", "temperature"),    # llama.cpp's default chain: T last
}

# Common starting points, not laws (the chapter says why each is there). T = 0 means greedy.
PRESETS = {
    "deterministic": {"temperature": 0.0, "top_k": 0, "top_p": 1.0, "min_p": 0.0,
                      "presence": 0.0, "frequency": 0.0},
    "chat": {"temperature": 0.7, "top_k": 0, "top_p": 1.0, "min_p": 0.05,
             "presence": 0.0, "frequency": 0.0},
    "code": {"temperature": 0.2, "top_k": 0, "top_p": 0.95, "min_p": 0.0,
             "presence": 0.0, "frequency": 0.0},
    "creative": {"temperature": 1.0, "top_k": 0, "top_p": 0.95, "min_p": 0.0,
                 "presence": 0.0, "frequency": 0.2},
}

# Hand-authored next-token distributions for the sampling chapter (AUTHORED, not from a model):
# token texts and probabilities. "capital-of-Japan" is calibrated so that top-p 0.7 and top-k 3
# keep the same three tokens.
EXAMPLES = {
    "capital-of-Japan": {
        "prompt": "The capital of Japan is",
        "tokens": [" Tokyo", " Kyoto", " a", " the", " located", " Osaka", " known", " one", " not",
                   " home"],
        "probs": [0.55, 0.12, 0.08, 0.06, 0.05, 0.04, 0.035, 0.03, 0.025, 0.01]},
    "peaked": {
        "prompt": "2 + 2 =",
        "tokens": [" 4", " four", " 5", " 3", " 22", " ?", " 2", " 8"],
        "probs": [0.93, 0.03, 0.012, 0.01, 0.008, 0.005, 0.003, 0.002]},
    "flat": {
        "prompt": "My favourite colour is",
        "tokens": [" blue", " green", " red", " purple", " black", " yellow", " orange", " pink",
                   " white", " grey"],
        "probs": [0.14, 0.13, 0.12, 0.11, 0.1, 0.1, 0.09, 0.08, 0.07, 0.06]},
}


# --- basics ----------------------------------------------------------------------------------------

def as_logits(logits) -> np.ndarray:
    """A 1-D float64 copy; -inf (an already-banned token) is allowed, NaN and +inf are not."""
    z = np.array(logits, dtype=np.float64).reshape(-1)
    if z.size == 0:
        raise ValueError("logits are empty: need at least one token")
    if np.isnan(z).any():
        raise ValueError("logits contain NaN")
    if np.isposinf(z).any():
        raise ValueError("logits contain +infinity")
    if not np.isfinite(z).any():
        raise ValueError("every logit is -infinity: no token can be chosen")
    return z


def softmax(logits, temperature: float = 1.0) -> np.ndarray:
    """exp(z/T - max) / sum: subtracting the max changes nothing mathematically and avoids overflow."""
    z = as_logits(logits) / _check_temperature(temperature, allow_zero=False)
    e = np.exp(z - z.max())
    return e / e.sum()


def log_softmax(logits) -> np.ndarray:
    z = as_logits(logits)
    z = z - z.max()
    return z - np.log(np.exp(z).sum())


def entropy(p, base: float = math.e) -> float:
    """Shannon entropy of a distribution (nats by default; base=2 for bits). 0 log 0 counts as 0."""
    p = np.asarray(p, dtype=np.float64)
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum() / math.log(base))


def nll(p, target: int) -> float:
    """-log p(target): the loss a model pays for this token. Infinite if p(target) is 0."""
    q = float(np.asarray(p)[int(target)])
    return math.inf if q <= 0 else -math.log(q)


def perplexity(nlls) -> float:
    """exp(mean NLL): the size of a uniform choice that would be as surprising on average."""
    return float(math.exp(float(np.mean(nlls))))


# --- validation --------------------------------------------------------------------------------------

def _check_temperature(t, allow_zero=True) -> float:
    t = float(t)
    if math.isnan(t) or math.isinf(t):
        raise ValueError(f"temperature must be a finite number, got {t}")
    if t < 0 or (t == 0 and not allow_zero):
        raise ValueError(f"temperature must be greater than 0 (0 means greedy where allowed), got {t:g}")
    return t


def _check(top_k, top_p, min_p) -> tuple[int, float, float]:
    if isinstance(top_k, float) and not float(top_k).is_integer() or int(top_k) < 0:
        raise ValueError(f"top_k must be a whole number >= 0 (0 turns it off), got {top_k}")
    top_p, min_p = float(top_p), float(min_p)
    if math.isnan(top_p) or not 0 < top_p <= 1:
        raise ValueError(f"top_p must lie in (0, 1] (1 turns it off), got {top_p}")
    if math.isnan(min_p) or not 0 <= min_p <= 1:
        raise ValueError(f"min_p must lie in [0, 1] (0 turns it off), got {min_p}")
    return int(top_k), top_p, min_p


# --- the four warpers, each on logits with -inf marking removed tokens -------------------------------

def apply_temperature(z: np.ndarray, t: float) -> np.ndarray:
    """z / T. T = 0 is greedy: keep only the highest logit (every one tied at the top)."""
    if t == 0:
        return np.where(z == z.max(), 0.0, -np.inf)
    return z / t


def apply_top_k(z: np.ndarray, k: int) -> np.ndarray:
    """Keep every token whose logit is >= the k-th largest (ties at that value stay)."""
    if k <= 0 or k >= z.size:
        return z
    kth = np.partition(z, -k)[-k]
    return np.where(z < kth, -np.inf, z)


def apply_top_p(z: np.ndarray, p: float) -> np.ndarray:
    """Hugging Face's nucleus rule: sort ascending, softmax, cumulative sum, and drop the tokens
    whose cumulative sum is <= 1 - p. The most probable token always stays.

    The textbook rule ("the fewest top tokens whose probabilities reach p") keeps the same set
    except exactly on a boundary, where float rounding of 1 - p decides: see the chapter.
    """
    if p >= 1.0:
        return z
    order = np.argsort(z, kind="stable")
    zs = z[order]
    e = np.exp(zs - zs.max())
    cum = np.cumsum(e / e.sum())
    drop = cum <= 1.0 - p
    drop[-1] = False
    out = z.copy()
    out[order[drop]] = -np.inf
    return out


def apply_min_p(z: np.ndarray, m: float) -> np.ndarray:
    """Drop tokens whose probability is < m x the largest probability; the top token stays."""
    if m <= 0:
        return z
    e = np.exp(z - z.max())
    prob = e / e.sum()
    drop = prob < m * prob.max()
    drop[np.argmax(z)] = False
    return np.where(drop, -np.inf, z)


def _finish(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


# --- the contract --------------------------------------------------------------------------------------

def filter_logits(logits, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
                  min_p: float = 0.0) -> np.ndarray:
    """Next-token probabilities after the Hugging Face warpers, in their order, in float64:

    1. temperature: logits / T (T = 0: greedy, only the top logit survives);
    2. top-k (k > 0): keep every token whose logit >= the k-th largest; k >= vocabulary keeps all;
    3. top-p (p < 1): sort ascending, softmax, cumulative sum; drop tokens whose cumulative sum
       <= 1 - p; the most probable token always stays;
    4. min-p (m > 0): softmax of what is left; drop tokens with probability < m x the largest;
    5. softmax of the survivors. Removed tokens get exactly 0.

    Bad arguments (T < 0, NaN, p outside (0, 1], ...) raise ValueError.
    """
    return filter_logits_ordered(logits, temperature, top_k, top_p, min_p, order="hf")


def filter_logits_ordered(logits, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
                          min_p: float = 0.0, order: str | Sequence[str] = "hf") -> np.ndarray:
    """The same four steps in another order: "hf", "llama.cpp" (temperature last, so the filters
    see the untempered distribution and T only reshapes the survivors) or any sequence of the step
    names "temperature", "top_k", "top_p", "min_p". Each step keeps its Hugging Face boundary rule.
    """
    z = as_logits(logits)
    t = _check_temperature(temperature)
    k, p, m = _check(top_k, top_p, min_p)
    steps = ORDERS.get(order) if isinstance(order, str) else tuple(order)
    if steps is None or sorted(steps) != sorted(STEPS):
        raise ValueError(f"order must be one of {', '.join(ORDERS)} or a permutation of {STEPS}")
    for s in steps:
        if s == "temperature":
            z = apply_temperature(z, t)
        elif s == "top_k":
            z = apply_top_k(z, k)
        elif s == "top_p":
            z = apply_top_p(z, p)
        else:
            z = apply_min_p(z, m)
    return _finish(z)


def top_p_mask(p, top_p: float) -> np.ndarray:
    """Which tokens of a probability vector survive top-p (Hugging Face's rule): a boolean mask."""
    _, top_p, _ = _check(0, top_p, 0.0)
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        z = np.log(p)
    return np.isfinite(apply_top_p(z, top_p))


# --- penalties -----------------------------------------------------------------------------------------

def token_counts(ids, vocab_size: int) -> np.ndarray:
    """How often each token id occurs in `ids` (what the penalties look at)."""
    return np.bincount(np.asarray(ids, dtype=np.intp).reshape(-1), minlength=vocab_size)[:vocab_size]


def apply_penalties(logits, counts, presence: float = 0.0, frequency: float = 0.0,
                    repetition: float = 1.0) -> np.ndarray:
    """Lower the logits of tokens already generated.

    presence and frequency (OpenAI's API): z - presence * [count > 0] - frequency * count.
    repetition (Keskar et al., CTRL, 2019; transformers' `repetition_penalty`): for seen tokens,
    z / r if z > 0 else z * r, so r > 1 always pushes them down.
    """
    z = as_logits(logits)
    c = np.asarray(counts, dtype=np.float64).reshape(-1)
    if c.shape != z.shape:
        raise ValueError(f"counts has {c.size} entries but there are {z.size} logits")
    if (c < 0).any():
        raise ValueError("counts cannot be negative")
    for name, v in (("presence", presence), ("frequency", frequency)):
        if not math.isfinite(float(v)) or abs(float(v)) > 100:
            raise ValueError(f"{name} penalty must be a finite number in [-100, 100], got {v}")
    r = float(repetition)
    if not math.isfinite(r) or r <= 0:
        raise ValueError(f"repetition penalty must be > 0 (1 turns it off), got {repetition}")
    z = z - float(presence) * (c > 0) - float(frequency) * c
    if r != 1.0:
        seen = c > 0
        z = np.where(seen & (z > 0), z / r, np.where(seen, z * r, z))
    return z


# --- drawing -------------------------------------------------------------------------------------------

def sample(p, n: int = 1, seed: int = 0) -> np.ndarray:
    """n independent draws (token ids) from distribution p with numpy's seeded generator."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or (p < 0).any() or not np.isfinite(p).all():
        raise ValueError("p must be a 1-D vector of non-negative finite probabilities")
    total = p.sum()
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"probabilities must sum to 1 (these sum to {total:.6g})")
    if not 0 <= int(n) <= 1_000_000:
        raise ValueError("number of draws must lie in 0..1,000,000")
    rng = np.random.default_rng(int(seed))
    return rng.choice(p.size, size=int(n), p=p / total)


# --- looking at generated text -----------------------------------------------------------------------

def distinct_n(ids, n: int) -> float:
    """Distinct n-grams / all n-grams: 1 = nothing repeats, near 0 = a loop. NaN if too short."""
    ids = list(ids)
    grams = [tuple(ids[i:i + n]) for i in range(len(ids) - n + 1)]
    return len(set(grams)) / len(grams) if grams else float("nan")


def repeated_ngram_mask(ids, n: int) -> np.ndarray:
    """True for every position inside an n-gram that already occurred earlier in `ids`."""
    ids = list(ids)
    mask = np.zeros(len(ids), dtype=bool)
    seen = set()
    for i in range(len(ids) - n + 1):
        g = tuple(ids[i:i + n])
        if g in seen:
            mask[i:i + n] = True
        seen.add(g)
    return mask
