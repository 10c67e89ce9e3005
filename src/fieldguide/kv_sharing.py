"""Sharing keys and values between query heads: MQA, GQA and MLA, checked numerically.

Multi-head attention (MHA) gives every query head its own key and value head, so the KV cache holds
2 · n_heads · head_dim numbers per token and layer. Grouped-query attention (GQA; Ainslie et al.,
2023) lets a group of query heads read one shared K/V head; multi-query attention (MQA; Shazeer,
2019) is the extreme of one K/V head for all. Query head i reads K/V head i // (n_heads / n_kv).

Converting a trained MHA model to GQA starts by mean-pooling the K and V heads of each group (the
GQA paper's recipe, followed by a short "uptraining"). `gqa_from_mha` does that pooling on real or
random per-head Q/K/V and measures how far the attention output moves before any uptraining.

Multi-head latent attention (MLA; DeepSeek-V2, 2024) caches one latent c = h · W_DKV of
kv_lora_rank numbers per token instead of per-head keys and values, plus one small RoPE key shared by
all heads. Head h's key is c · W_UK[h], so q · kᵀ = (q · W_UK[h]ᵀ) · cᵀ: the up-projection can be
folded into the query ("absorbed") and the keys never materialised. `mla_scores` computes the scores
both ways and shows that the absorption only works because the position rotation is kept out of the
latent part (the decoupled RoPE key).
"""

from __future__ import annotations

import math

import numpy as np

from dataclasses import replace

from . import checks, memory, position
from .models import FULL, Architecture
from .tinylm import attention as _A
from .tinylm import layers as _L

# The two baselines an MLA ratio is quoted against in this book: a GQA layer with 8 K/V heads of
# width 128 (Llama 3's shape) and an MHA layer with 128 heads of width 128 (DeepSeek-V3's head count).
BASELINES = {"GQA-8": (8, 128), "MHA-128": (128, 128)}

# A docstring in the style of tinylm's training corpus (written for this book), long enough for
# windows of up to 128 of tinylm's tokens.
SAMPLE_TEXT = (
    "class Queue:\n"
    "    \"\"\"A first-in, first-out queue of items.\n\n"
    "    Items are added at the back with put() and removed from the front with get(). If the\n"
    "    queue is empty, get() blocks until an item is available, unless block is false, in which\n"
    "    case it raises Empty at once. The optional timeout gives the number of seconds to wait.\n"
    "    \"\"\"\n\n"
    "    def put(self, item, block=True, timeout=None):\n"
    "        \"\"\"Put an item into the queue.\n\n"
    "        If the queue is full and block is true, wait until a free slot is available. If\n"
    "        timeout is a positive number, wait at most that many seconds and raise Full if no\n"
    "        slot became free in that time. Otherwise put the item if a slot is free at once.\n"
    "        \"\"\"\n\n"
    "    def get(self, block=True, timeout=None):\n"
    "        \"\"\"Remove and return an item from the queue.\n\n"
    "        Return the oldest item. If the queue is empty and block is false, raise Empty.\n"
    "        The count of unfinished tasks goes down when task_done() is called for each item.\n"
    "        \"\"\"\n"
)


# --- argument checks -------------------------------------------------------------------------------

def _whole(name: str, x, minimum: int = 1) -> int:
    return checks.whole(name, x, minimum)

def _check_groups(q_heads, kv_heads) -> tuple[int, int]:
    h, g = _whole("q_heads", q_heads), _whole("kv_heads", kv_heads)
    if g > h or h % g:
        raise ValueError(f"kv_heads ({g}) must divide q_heads ({h}): each K/V head serves a whole "
                         "group of query heads")
    return h, g


# --- grouping --------------------------------------------------------------------------------------

def group_of(q_heads, kv_heads) -> list[int]:
    """The K/V head each query head reads: query head i uses K/V head i // (q_heads / kv_heads)."""
    h, g = _check_groups(q_heads, kv_heads)
    size = h // g
    return [i // size for i in range(h)]


def cache_reduction(q_heads, kv_heads) -> int:
    """How many times smaller the KV cache is than MHA's with the same heads: q_heads / kv_heads."""
    h, g = _check_groups(q_heads, kv_heads)
    return h // g


def gqa_architecture(q_heads, kv_heads, like: str = "Llama-3.1-70B") -> Architecture:
    """A real preset (layers, head width) with its query and K/V head counts replaced."""
    h, g = _check_groups(q_heads, kv_heads)
    a = Architecture.preset(like)
    return replace(a, num_heads=h, num_kv_heads=g,
                   hypothetical=a.hypothetical or (h, g) != (a.num_heads, a.num_kv_heads))


def mean_pool_heads(x, kv_heads) -> np.ndarray:
    """(H, T, D) per-head keys or values → (kv_heads, T, D): each group's heads averaged."""
    x = np.asarray(x, dtype=np.float64)
    h, g = _check_groups(x.shape[0], kv_heads)
    return x.reshape(g, h // g, *x.shape[1:]).mean(axis=1)


def grouped_attention(q, k, v, causal: bool = True) -> np.ndarray:
    """Attention of H query heads over G ≤ H shared K/V heads. q (H, T, D), k and v (G, S, D).

    Query head i reads K/V head i // (H / G). Returns the per-head outputs (H, T, Dv), softmax
    weights times values, before the output projection."""
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    h, g = _check_groups(q.shape[0], k.shape[0])
    T, D = q.shape[1], q.shape[2]
    qg = q.reshape(g, h // g, T, D)                       # queries of one group share its K/V head
    out, _ = _A.scaled_dot_product(qg, k[:, None], v[:, None], causal=causal)
    return out.reshape(h, T, v.shape[-1])


def _rel(a, b) -> float:
    den = float(np.linalg.norm(b))
    return float(np.linalg.norm(a - b)) / den if den else 0.0


def gqa_from_mha(q, k, v, kv_heads, w_o=None, causal: bool = True) -> dict:
    """Mean-pool an MHA layer's K/V heads into `kv_heads` groups and compare the attention outputs.

    q, k, v: (H, T, D) per-head queries, keys and values of one layer. w_o, if given, is the output
    projection (H·D, d_model) and the error is measured on the projected output (what the layer adds
    to the residual stream); otherwise on the concatenated head outputs.

    Returns rel_error = ‖out_gqa − out_mha‖ / ‖out_mha‖, the per-query-head relative errors, the
    group map, the cache reduction and the fraction of K/V numbers cached (kv_heads / H)."""
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    if q.ndim != 3 or k.shape != q.shape or v.shape[:2] != q.shape[:2]:
        raise ValueError("q, k and v must be (heads, tokens, head_dim) arrays of one layer")
    h, g = _check_groups(q.shape[0], kv_heads)
    z_mha = grouped_attention(q, k, v, causal)
    z_gqa = grouped_attention(q, mean_pool_heads(k, g), mean_pool_heads(v, g), causal)
    per_head = [_rel(z_gqa[i], z_mha[i]) for i in range(h)]
    if w_o is not None:
        w_o = np.asarray(w_o, dtype=np.float64)
        T = q.shape[1]
        out_mha = z_mha.transpose(1, 0, 2).reshape(T, -1) @ w_o
        out_gqa = z_gqa.transpose(1, 0, 2).reshape(T, -1) @ w_o
    else:
        out_mha, out_gqa = z_mha, z_gqa
    return {"rel_error": _rel(out_gqa, out_mha), "per_head_error": per_head,
            "group": group_of(h, g), "reduction": h // g, "kv_fraction": g / h,
            "out_mha": out_mha, "out_gqa": out_gqa}


def random_qkv(q_heads, seq_len, head_dim=16, seed=0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Independent standard-normal per-head Q, K, V, each (q_heads, seq_len, head_dim), float64.

    The heads share nothing, which is the worst case for pooling: no two heads are redundant."""
    h, t, d = _whole("q_heads", q_heads), _whole("seq_len", seq_len), _whole("head_dim", head_dim)
    rng = np.random.default_rng(_whole("seed", seed, minimum=0))
    return tuple(rng.standard_normal((h, t, d)) for _ in range(3))


def tinylm_qkv(ids, model: str = "tinylm") -> list[dict]:
    """Every layer's real per-head queries, keys and values from one tinylm forward pass.

    The residual stream entering each layer comes from `tinylm.run`; the layer's LayerNorm and its
    fused projection h{i}.attn.w_qkv (plus bias) then give Q, K and V, split into heads exactly as
    the model does. One dict per layer: q, k, v (heads, T, head_dim) in float64, the output
    projection w_o (d_model, d_model), its bias b_o, and the model's own attention output."""
    from . import tinylm

    m = tinylm.load(model)
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    if ids.size == 0:
        raise ValueError("need at least one token")
    out = tinylm.run(ids, model=model)
    p, n_head, T = m.params, m.cfg.n_head, len(ids)
    layers = []
    for i in range(m.cfg.n_layer):
        hn, _ = _L.layernorm_forward(out["resid"][i][None], p[f"h{i}.ln1.g"], p[f"h{i}.ln1.b"])
        qkv = hn[0].astype(np.float64) @ p[f"h{i}.attn.w_qkv"].astype(np.float64) \
            + p[f"h{i}.attn.b_qkv"].astype(np.float64)
        C = qkv.shape[-1] // 3
        q, k, v = (qkv[:, j * C:(j + 1) * C].reshape(T, n_head, C // n_head).transpose(1, 0, 2)
                   for j in range(3))
        layers.append({"q": q, "k": k, "v": v, "w_o": p[f"h{i}.attn.w_o"].astype(np.float64),
                       "b_o": p[f"h{i}.attn.b_o"].astype(np.float64), "attn_out": out["attn_out"][i]})
    return layers


def sample_window(seq_len, seed=0) -> tuple[list[int], int]:
    """`seq_len` consecutive tinylm tokens of SAMPLE_TEXT, starting at seed mod the number of
    possible starts. Returns (ids, start)."""
    from . import tinylm

    ids = tinylm.encode(SAMPLE_TEXT)
    t = _whole("seq_len", seq_len)
    if t > len(ids):
        raise ValueError(f"seq_len can be at most {len(ids)} tokens of the sample text, got {t}")
    start = _whole("seed", seed, minimum=0) % (len(ids) - t + 1)
    return ids[start:start + t], start


def tinylm_pooling_error(kv_heads, seq_len=32, seed=0) -> float:
    """Mean over tinylm's layers of the relative output error after mean-pooling to kv_heads K/V
    heads per layer, on a window of SAMPLE_TEXT (the numbers the chapter quotes)."""
    rows = tinylm_gqa_errors(tinylm_qkv(sample_window(seq_len, seed)[0]), kv_heads)
    return sum(r["rel_error"] for r in rows) / len(rows)


def tinylm_gqa_errors(layers, kv_heads) -> list[dict]:
    """`gqa_from_mha` on every layer returned by `tinylm_qkv`, measured on the projected output."""
    rows = []
    for i, t in enumerate(layers):
        r = gqa_from_mha(t["q"], t["k"], t["v"], kv_heads, w_o=t["w_o"])
        rows.append({"layer": i, "rel_error": r["rel_error"], "per_head_error": r["per_head_error"]})
    return rows


# --- MLA -------------------------------------------------------------------------------------------

def mla_scores(kv_lora_rank=512, rope_dim=64, n_heads=4, nope_dim=32, d_model=128, seq_len=16,
               seed=0) -> dict:
    """Attention scores of one MLA layer computed two ways, in float64, on random weights.

    Explicit: cache the latent c_j = h_j · W_DKV (kv_lora_rank numbers) and the shared RoPE key
    r_j = RoPE(h_j · W_KR, j) (rope_dim numbers); rebuild each head's key k_j = [c_j · W_UK[h], r_j]
    and take q_i · k_j with q_i = [q_nope, RoPE(q_rope, i)].
    Absorbed: fold W_UK[h] into the query once, q̃ = q_nope · W_UK[h]ᵀ (kv_lora_rank numbers), and
    score q̃ · c_j + RoPE(q_rope, i) · r_j straight from the cache — no per-head key is ever built.

    As a counter-example it also rotates the *latent* keys by position (RoPE applied to
    c_j · W_UK[h], as a naive design would) and tries the same absorption: the rotation sits between
    W_UK and the query, so the folded query is wrong and the scores differ.

    Returns explicit and absorbed scores (heads, T, T), max_abs_diff between them, the naive
    design's difference, and the numbers cached per token and layer (kv_lora_rank + rope_dim)."""
    r = _whole("kv_lora_rank", kv_lora_rank)
    dr = _whole("rope_dim", rope_dim, minimum=0)
    if dr % 2:
        raise ValueError(f"rope_dim must be even (RoPE rotates pairs), got {rope_dim!r}")
    h, dn = _whole("n_heads", n_heads), _whole("nope_dim", nope_dim)
    d, T = _whole("d_model", d_model), _whole("seq_len", seq_len)
    if dn % 2:
        raise ValueError(f"nope_dim must be even, got {nope_dim!r}")
    rng = np.random.default_rng(_whole("seed", seed, minimum=0))
    x = rng.standard_normal((T, d))
    w_dkv = rng.standard_normal((d, r)) / math.sqrt(d)
    w_uk = rng.standard_normal((h, r, dn)) / math.sqrt(r)
    w_qn = rng.standard_normal((h, d, dn)) / math.sqrt(d)
    w_qr = rng.standard_normal((h, d, dr)) / math.sqrt(d)
    w_kr = rng.standard_normal((d, dr)) / math.sqrt(d)
    pos = np.arange(T)

    def rope(a):                                   # rotate rows of a (…, T, width) to their positions
        return position.rope_rotate(a, pos) if a.shape[-1] else a

    c = x @ w_dkv                                  # (T, r): the cached latent
    k_rope = rope(x @ w_kr)                        # (T, dr): the cached shared RoPE key
    q_nope = x @ w_qn                              # (h, T, dn)
    q_rope = rope(x @ w_qr)
    scale = 1.0 / math.sqrt(dn + dr)

    k_nope = c @ w_uk                              # explicit per-head keys, rebuilt from the latent
    explicit = (q_nope @ k_nope.transpose(0, 2, 1) + q_rope @ k_rope.T) * scale
    q_lat = q_nope @ w_uk.transpose(0, 2, 1)       # absorbed query: W_UK folded in
    absorbed = (q_lat @ c.T + q_rope @ k_rope.T) * scale

    naive_explicit = (rope(q_nope) @ rope(k_nope).transpose(0, 2, 1) + q_rope @ k_rope.T) * scale
    naive_absorbed = (rope(q_nope) @ w_uk.transpose(0, 2, 1) @ c.T + q_rope @ k_rope.T) * scale
    naive_diff = float(np.abs(naive_explicit - naive_absorbed).max()) if T > 1 else 0.0
    return {"explicit": explicit, "absorbed": absorbed,
            "max_abs_diff": float(np.abs(explicit - absorbed).max()),
            "score_scale": float(np.abs(explicit).max()),
            "naive_rope_diff": naive_diff,
            "cached_per_token": r + dr,
            "dtype": str(explicit.dtype)}


def mla_architecture(kv_lora_rank=512, rope_dim=64, layers=61) -> Architecture:
    """DeepSeek-V3's real config (the `models` preset) with its latent width, RoPE-key width and
    layer count replaced; the defaults are the shipped values (512, 64, 61)."""
    r, dr = _whole("kv_lora_rank", kv_lora_rank), _whole("rope_dim", rope_dim, minimum=0)
    n = _whole("layers", layers)
    base = Architecture.preset("DeepSeek-V3")
    changed = (r, dr, n) != (base.kv_lora_rank, base.qk_rope_head_dim, base.num_layers)
    return replace(base, kv_lora_rank=r, qk_rope_head_dim=dr, num_layers=n,
                   layer_types=(FULL,) * n, moe_layers=tuple(base.moe_layers[:n]),
                   hypothetical=base.hypothetical or changed)


def baseline_architecture(kind: str, layers=61) -> Architecture:
    """An ordinary (non-latent) attention stack of `layers` layers with one of BASELINES' shapes."""
    if kind not in BASELINES:
        raise ValueError(f"unknown baseline {kind!r}; choose one of {', '.join(BASELINES)}")
    kv, hd = BASELINES[kind]
    a = mla_architecture(layers=layers)
    return replace(a, kv_lora_rank=0, q_lora_rank=0, num_kv_heads=kv, head_dim=hd, v_head_dim=hd,
                   hypothetical=True)


def mla_cache_comparison(kv_lora_rank=512, rope_dim=64, layers=61, context=131072,
                         dtype="bf16") -> dict:
    """One sequence's KV cache under MLA against each baseline, all from memory.kv_cache_bytes.

    values_per_layer: numbers cached per token and layer; bytes_per_token: over all layers;
    bytes: for `context` tokens; ratio: baseline bytes / MLA bytes (how many times smaller)."""
    t = _whole("context", context)
    mla = mla_architecture(kv_lora_rank, rope_dim, layers)
    rows = {"MLA": mla, **{k: baseline_architecture(k, layers) for k in BASELINES}}
    out = {}
    for name, a in rows.items():
        out[name] = {"values_per_layer": a.kv_values_per_token(0),
                     "bytes_per_token": memory.kv_bytes_per_token(a, dtype),
                     "bytes": memory.kv_cache_bytes(a, t, 1, dtype)}
    for name in BASELINES:
        out[name]["ratio"] = out[name]["bytes"] / out["MLA"]["bytes"]
    return out
