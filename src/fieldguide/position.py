"""Positional encodings: how a model that sees a set of tokens learns where each one sits.

Attention is permutation-equivariant (the attention chapter checks it), so order must come from
somewhere else. This module computes each answer the position chapter discusses:

* `sinusoidal(n, d, base)` — Vaswani et al. (2017): PE[p, 2i] = sin(p w_i), PE[p, 2i+1] = cos(p w_i),
  w_i = base^(-2i/d). The dot product PE[p] . PE[p+k] = sum_i cos(k w_i) depends on k only.
* `learned_table` — a lookup table with one trained row per position seen in training (tinylm's is
  real: `tinylm_positions`); a row past the training length was never updated.
* `rope_frequencies`, `rope_rotate`, `rope_score` — RoPE (Su et al., *RoFormer*, 2021): rotate each
  pair (2i, 2i+1) of a query or key by m theta_i; the score then depends on m - n only.
* `alibi_slopes`, `alibi_bias` — ALiBi (Press, Smith and Lewis, *Train Short, Test Long*, 2022): add
  -slope * distance to the scores, one slope per head, 2^(-8 i / h) when h is a power of two.
* `nope_signal` — no positional encoding at all: under the causal mask a uniform head still
  averages over p + 1 tokens, a quantity that depends on position (Kazemnejad et al., 2023).
* Context extension for RoPE: `interpolate_positions` (Chen et al., 2023, position interpolation),
  `ntk_aware_base` (the "NTK-aware" base change), `yarn_ramp`, `yarn_scale` and
  `yarn_attention_factor` (Peng et al., *YaRN*, 2023), dispatched by `scaled_frequencies`; and
  `band_status`, `score_decay` for what each method does to each frequency band.

Pairs are interleaved (2i, 2i+1), as in the RoFormer paper; implementations that rotate the two
halves of the vector instead give the same scores up to a fixed permutation of coordinates.
"""

from __future__ import annotations

import math

import numpy as np

from .embeddings import unit_rows

METHODS = ("none", "position interpolation", "NTK-aware", "YaRN")


def _check_d(d) -> int:
    d = int(d)
    if d < 2 or d % 2:
        raise ValueError(f"the width d must be an even number >= 2 (got {d})")
    return d


def _check_base(base) -> float:
    base = float(base)
    if not math.isfinite(base) or base <= 1:
        raise ValueError(f"the base must be a finite number > 1 (got {base})")
    return base


def _check_scale(scale) -> float:
    scale = float(scale)
    if not math.isfinite(scale) or scale < 1:
        raise ValueError(f"the scale factor must be >= 1 (got {scale})")
    return scale


# --- sinusoidal ------------------------------------------------------------------------------------

def rope_frequencies(d: int, base: float = 10000.0) -> np.ndarray:
    """The d/2 angular frequencies theta_i = base^(-2i/d), i = 0 .. d/2 - 1 (radians per position).

    The same ladder serves the sinusoidal table and RoPE. Pair 0 turns one radian per token; the
    last pair turns base^(-(d-2)/d) radians, a wavelength of almost 2 pi base tokens."""
    d, base = _check_d(d), _check_base(base)
    return base ** (-np.arange(0, d, 2, dtype=np.float64) / d)


def wavelengths(freqs) -> np.ndarray:
    """Tokens per full turn of each pair: 2 pi / theta."""
    return 2 * np.pi / np.asarray(freqs, dtype=np.float64)


def sinusoidal_rows(positions, d: int, base: float = 10000.0) -> np.ndarray:
    """Rows of the sinusoidal table (Vaswani et al., 2017) for the given positions:
    column 2i is sin(p w_i), column 2i + 1 is cos(p w_i)."""
    pos = np.asarray(positions, dtype=np.float64)
    if (pos < 0).any():
        raise ValueError("positions must be >= 0")
    w = rope_frequencies(d, base)
    ang = pos[..., None] * w
    pe = np.empty(pos.shape + (2 * len(w),))
    pe[..., 0::2], pe[..., 1::2] = np.sin(ang), np.cos(ang)
    return pe


def sinusoidal(n: int, d: int, base: float = 10000.0, start: int = 0) -> np.ndarray:
    """The (n, d) sinusoidal table for positions start .. start + n - 1."""
    n, start = int(n), int(start)
    if n < 0 or start < 0:
        raise ValueError("positions must be >= 0")
    return sinusoidal_rows(np.arange(start, start + n), d, base)


def sinusoidal_dot(p: int, k, d: int, base: float = 10000.0) -> np.ndarray:
    """PE(p) . PE(p + k) for one position p and one or many offsets k, from the table's rows
    (not from the closed form sum_i cos(k w_i), so the test of that identity can fail)."""
    k = np.atleast_1d(np.asarray(k, dtype=np.int64))
    return sinusoidal_rows(int(p) + k, d, base) @ sinusoidal_rows(int(p), d, base)


# --- learned absolute ------------------------------------------------------------------------------

def tinylm_positions() -> dict:
    """tinylm's real position table and the random table it started from.

    `trained` is the shipped `wpe` (n_ctx x d_model); `init` is rebuilt with the same call and seed
    the training script used (`init_params(cfg, seed)`), so `trained - init` is what training wrote."""
    from . import tinylm
    from .tinylm import init_params

    model = tinylm.load()
    seed = int(tinylm.manifest()["models"]["tinylm"]["seed"])
    init = init_params(model.cfg, seed)["wpe"].astype(np.float64)
    return {"trained": model.params["wpe"].astype(np.float64), "init": init, "seed": seed}


def learned_table(trained: np.ndarray, init: np.ndarray, train_len: int | None = None) -> np.ndarray:
    """A learned position table as training at length train_len would leave it.

    Training updates a row only if some training sequence reaches that position, so rows
    0 .. train_len - 1 are the `trained` rows and every later row is still its random starting
    value from `init` (AdamW's weight decay, if applied to this table, would also shrink it a
    little). The table has no row at all past len(trained): the model cannot be run there."""
    trained = np.asarray(trained, dtype=np.float64)
    init = np.asarray(init, dtype=np.float64)
    if trained.ndim != 2 or init.shape != trained.shape:
        raise ValueError("need a 2-D trained table and a starting table of the same shape")
    keep = len(trained) if train_len is None else max(0, min(int(train_len), len(trained)))
    return np.concatenate([trained[:keep], init[keep:]])


def row_cosines(table: np.ndarray, k: int = 1) -> np.ndarray:
    """cos(row p, row p + k) for every p: how alike positions k apart look."""
    u = unit_rows(table)
    k = int(k)
    if k < 1 or k >= len(u):
        raise ValueError(f"offset k must be in 1 .. {len(u) - 1}")
    return (u[:-k] * u[k:]).sum(1)


def mean_abs_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |cos| between every row of a and every row of b (near 0: nearly orthogonal directions)."""
    return float(np.abs(unit_rows(a) @ unit_rows(b).T).mean())


# --- RoPE ------------------------------------------------------------------------------------------

def rope_rotate(x, pos, base: float = 10000.0, freqs=None) -> np.ndarray:
    """Rotate each pair (x[2i], x[2i+1]) by pos * theta_i. x is (..., d); pos a number or an array
    broadcasting against x's leading axes (one position per row). `freqs` overrides the ladder
    (for scaled RoPE)."""
    x = np.asarray(x, dtype=np.float64)
    d = _check_d(x.shape[-1])
    w = rope_frequencies(d, base) if freqs is None else np.asarray(freqs, dtype=np.float64)
    if w.shape != (d // 2,):
        raise ValueError(f"need {d // 2} frequencies for width {d}")
    ang = np.asarray(pos, dtype=np.float64)[..., None] * w
    c, s = np.cos(ang), np.sin(ang)
    a, b = x[..., 0::2], x[..., 1::2]
    out = np.empty(np.broadcast_shapes(x.shape, ang.shape[:-1] + (d,)))
    out[..., 0::2], out[..., 1::2] = a * c - b * s, a * s + b * c
    return out


def rope_score(q, k, m, n, base: float = 10000.0, freqs=None) -> np.ndarray:
    """q rotated to position m, dotted with k rotated to position n (m, n may be arrays)."""
    return (rope_rotate(q, m, base, freqs) * rope_rotate(k, n, base, freqs)).sum(-1)


def score_decay(freqs, distances) -> np.ndarray:
    """RoPE score of a query and key that are the same all-ones vector, against distance, divided
    by its value at distance 0: mean_i cos(distance * theta_i). RoFormer's long-range decay."""
    w = np.asarray(freqs, dtype=np.float64)
    dist = np.asarray(distances, dtype=np.float64)
    return np.cos(dist[..., None] * w).mean(-1)


# --- ALiBi -----------------------------------------------------------------------------------------

def alibi_slopes(h: int) -> np.ndarray:
    """Per-head slopes of ALiBi. For h a power of two, 2^(-8 i / h) for i = 1 .. h. Otherwise the
    rule of Press et al.'s reference code: the slopes for the power of two just below h, then every
    other slope of the next power of two, until there are h."""
    h = int(h)
    if h < 1:
        raise ValueError("need at least one head")

    def pow2(n):
        return [2.0 ** (-8.0 * i / n) for i in range(1, n + 1)]

    if h & (h - 1) == 0:
        return np.array(pow2(h))
    low = 2 ** int(math.floor(math.log2(h)))
    return np.array(pow2(low) + pow2(2 * low)[0::2][: h - low])


def alibi_bias(n: int, h: int, start: int = 0) -> np.ndarray:
    """(h, n, n) bias added to the scores: -slope * (i - j) for a query at i and a key at j <= i;
    above the diagonal (the future) it is -inf, as the causal mask makes it."""
    n = int(n)
    if n < 1:
        raise ValueError("need at least one position")
    i = np.arange(n)
    dist = (i[:, None] - i[None, :]).astype(np.float64)
    bias = -alibi_slopes(h)[:, None, None] * dist[None]
    bias[:, dist < 0] = -np.inf
    return bias


def alibi_weight_ratio(slope: float, distance) -> np.ndarray:
    """How much less weight ALiBi alone gives a key `distance` back than one at distance 0:
    exp(-slope * distance) (equal content scores assumed)."""
    return np.exp(-float(slope) * np.asarray(distance, dtype=np.float64))


# --- NoPE ------------------------------------------------------------------------------------------

def nope_signal(n: int, causal: bool = True) -> np.ndarray:
    """What a position-free model can still read off: a head with equal scores everywhere, reading a
    value that is 1 on the first token and 0 elsewhere, outputs 1 / (p + 1) at position p under the
    causal mask (it averages over p + 1 tokens), and 1 / n everywhere without it."""
    n = int(n)
    if n < 1:
        raise ValueError("need at least one position")
    p = np.arange(n, dtype=np.float64)
    return 1.0 / (p + 1.0) if causal else np.full(n, 1.0 / n)


# --- extending RoPE's context ----------------------------------------------------------------------

def interpolate_positions(freqs, scale: float) -> np.ndarray:
    """Position interpolation (Chen et al., 2023): read position m as m / s, i.e. every theta / s."""
    return np.asarray(freqs, dtype=np.float64) / _check_scale(scale)


def ntk_aware_base(base: float, scale: float, d: int) -> float:
    """The "NTK-aware" base: base * s^(d / (d - 2)). Pair 0 keeps its frequency; the last pair is
    slowed by exactly s; the pairs between are slowed by a factor growing from 1 to s."""
    d = _check_d(d)
    if d < 4:
        raise ValueError("NTK-aware scaling needs d >= 4")
    return _check_base(base) * _check_scale(scale) ** (d / (d - 2))


def yarn_ramp(r, alpha: float = 1.0, beta: float = 32.0) -> np.ndarray:
    """YaRN's ramp gamma(r) (Peng et al., 2023), r = training length / wavelength = full turns a
    pair makes inside the training context: 0 below alpha (slow pairs: interpolate), 1 above beta
    (fast pairs: leave alone), linear between."""
    if not alpha < beta:
        raise ValueError("need alpha < beta")
    r = np.asarray(r, dtype=np.float64)
    return np.clip((r - alpha) / (beta - alpha), 0.0, 1.0)


def yarn_scale(freqs, scale: float, train_len: int, alpha: float = 1.0, beta: float = 32.0) -> np.ndarray:
    """YaRN's per-band frequencies: h(theta) = (1 - gamma) theta / s + gamma theta, with gamma =
    yarn_ramp(train_len / wavelength). Pairs that turn many times in training keep their speed;
    pairs that never complete a turn are interpolated; the band between is blended."""
    w = np.asarray(freqs, dtype=np.float64)
    s = _check_scale(scale)
    g = yarn_ramp(int(train_len) / wavelengths(w), alpha, beta)
    return (1 - g) * w / s + g * w


def yarn_attention_factor(scale: float) -> float:
    """YaRN's temperature fix: queries and keys are both multiplied by 0.1 ln(s) + 1 (so the
    scores by its square), to undo the flattening of attention that stretching brings."""
    return 0.1 * math.log(_check_scale(scale)) + 1.0


def scaled_frequencies(method: str, d: int, base: float, scale: float, train_len: int,
                       alpha: float = 1.0, beta: float = 32.0) -> np.ndarray:
    """The frequency ladder after extending a RoPE model trained on train_len tokens s-fold."""
    w = rope_frequencies(d, base)
    if method == "none":
        return w
    if method == "position interpolation":
        return interpolate_positions(w, scale)
    if method == "NTK-aware":
        return rope_frequencies(d, ntk_aware_base(base, scale, d))
    if method == "YaRN":
        return yarn_scale(w, scale, train_len, alpha, beta)
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def band_status(freqs, new_freqs, scale: float, train_len: int) -> list[str]:
    """For each pair: 'unchanged' (same speed, and it turned fully in training, so every angle it
    meets in the longer context was seen), 'extrapolated' (same or similar speed but it never turned
    fully in training: the longer context shows it angles it never saw), 'interpolated' (slowed by
    the full factor s) or 'blended' (slowed by less than s, but kept within seen angles)."""
    w, v = np.asarray(freqs, dtype=np.float64), np.asarray(new_freqs, dtype=np.float64)
    s, L = _check_scale(scale), int(train_len)
    out = []
    for a, b in zip(w, v):
        seen_all = a * L >= 2 * np.pi                  # a full turn inside the training context
        new_angles = b * s * L > a * L * (1 + 1e-9)    # the long context reaches angles not seen
        if s > 1 and np.isclose(b, a / s, rtol=1e-6):
            out.append("interpolated")
        elif np.isclose(b, a, rtol=1e-6):
            out.append("unchanged" if (seen_all or s == 1) else "extrapolated")
        elif new_angles and not seen_all:
            out.append("extrapolated")
        else:
            out.append("blended")
    return out


# --- the chapter's worked numbers ------------------------------------------------------------------

def rope_score_example(m: int, n: int, d: int = 64, base: float = 10000.0, seed: int = 0) -> float:
    """The RoPE score of one query at position m and one key at position n, for a query and key
    with iid N(0, 1) entries drawn by numpy.random.default_rng(seed)."""
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal(int(d)), rng.standard_normal(int(d))
    return float(rope_score(q, k, m, n, base))


def tinylm_table_stats() -> dict:
    """What training wrote into tinylm's position table, measured.

    rows, width; mean cosine between neighbouring rows (trained, and in the random table it started
    from) and between rows 128 apart; mean distance each row moved from its start, against the mean
    norm of a starting row; mean |cos| between every token embedding and every position embedding,
    against sqrt(2 / (pi d)), the mean |cos| of two random directions in d dimensions."""
    from . import tinylm

    t = tinylm_positions()
    tr, init = t["trained"], t["init"]
    wte = tinylm.load().params["wte"].astype(np.float64)
    d = tr.shape[1]
    return {"rows": int(tr.shape[0]), "d": int(d),
            "neighbour_cos": float(row_cosines(tr, 1).mean()),
            "neighbour_cos_init": float(row_cosines(init, 1).mean()),
            "cos_128": float(row_cosines(tr, 128).mean()),
            "moved": float(np.linalg.norm(tr - init, axis=1).mean()),
            "init_norm": float(np.linalg.norm(init, axis=1).mean()),
            "row0_norm": float(np.linalg.norm(tr[0])),
            "last_norm": float(np.linalg.norm(tr[-1])),
            "token_position_cos": mean_abs_cosine(wte, tr),
            "random_cos": float(math.sqrt(2 / (math.pi * d)))}


def model_rope(name: str) -> dict:
    """The position fields of a real model's config.json (fieldguide.data 'models', with its as-of
    date): rope_theta, max_position_embeddings, rope_scaling (type, factor, original length) and,
    for MLA models, the width of the decoupled RoPE part of each query and key."""
    from . import data

    rows = {m["name"]: m for m in data.load("models")["models"]}
    if name not in rows:
        raise ValueError(f"unknown model {name!r}")
    c = rows[name]["config"]
    rs = c.get("rope_scaling") or {}
    return {"theta": c.get("rope_theta"), "context": c.get("max_position_embeddings"),
            "scaling": rs.get("rope_type") or rs.get("type"), "factor": rs.get("factor"),
            "original": rs.get("original_max_position_embeddings"),
            "rope_dim": c.get("qk_rope_head_dim"), "nope_dim": c.get("qk_nope_head_dim"),
            "as_of": rows[name]["as_of"], "repo": rows[name]["repo"]}


def unseen_pairs(d: int, base: float, train_len: int) -> int:
    """How many RoPE pairs never complete a full turn inside the training context."""
    return int((wavelengths(rope_frequencies(d, base)) > int(train_len)).sum())
