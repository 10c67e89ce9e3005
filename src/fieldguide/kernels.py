"""Attention kernels in NumPy: the maths of FlashAttention, FlashDecoding and kernel fusion.

`flash_forward` is the tiled forward pass of FlashAttention (Dao et al., 2022, Algorithm 1) with
the online softmax of Milakov & Gimelshein (2018): K/V blocks of B_c columns in the outer loop, Q
blocks of B_r rows in the inner loop, and per row a running max m, a running sum ℓ and an output O
kept normalised by ℓ. It never forms the N×N matrix; `naive_attention` does, for comparison.
Both run in the dtype of their inputs (float16 storage is emulated by rounding every matmul's
float32 result to float16), so the demo can show that the tiled result is exact in maths but not
bitwise equal to the naive one.

`attention_io` counts HBM traffic for the two algorithms (the paper's Theorem 2:
Θ(Nd + N²) against Θ(N²d²/M)); `split_kv_merge` is FlashDecoding's split-KV pass with its
log-sum-exp merge; `occupancy` counts SM waves; `fusion_bytes` counts HBM bytes and kernel launches
of three chains of small kernels, unfused and fused.
"""

from __future__ import annotations

import math

import numpy as np

from . import data

DTYPES = {"float64": np.float64, "float32": np.float32, "float16": np.float16}
VARIANTS = ("correct", "missing-rescale")
BYTES = {"float64": 8, "float32": 4, "fp32": 4, "float16": 2, "fp16": 2, "bf16": 2, "fp8": 1}


def _dtype(dtype) -> np.dtype:
    if isinstance(dtype, str):
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
        return np.dtype(DTYPES[dtype])
    return np.dtype(dtype)


def _mm(a, b):
    """a @ b in a's dtype; float16 products are accumulated in float32 and rounded once."""
    if a.dtype == np.float16:
        return (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
    return a @ b


def _check_qkv(Q, K, V):
    Q, K, V = (np.asarray(x) for x in (Q, K, V))
    if Q.ndim != 2 or K.ndim != 2 or V.ndim != 2:
        raise ValueError("Q, K and V must be 2-D arrays (tokens × head dim)")
    if Q.shape[1] != K.shape[1] or K.shape[0] != V.shape[0]:
        raise ValueError(f"shapes do not fit: Q {Q.shape}, K {K.shape}, V {V.shape}")
    if len({Q.dtype, K.dtype, V.dtype}) != 1 or Q.dtype not in DTYPES.values():
        raise ValueError("Q, K and V must share one dtype: float64, float32 or float16")
    return Q, K, V


def _scaled(Q):
    return (Q * Q.dtype.type(1.0 / math.sqrt(Q.shape[1]))).astype(Q.dtype)


def naive_attention(Q, K, V, causal: bool = False) -> np.ndarray:
    """softmax(QKᵀ/√d)V, materialising the full score matrix S and probabilities P."""
    Q, K, V = _check_qkv(Q, K, V)
    S = _mm(_scaled(Q), K.T)
    if causal:
        S = np.where(np.tri(S.shape[0], S.shape[1], dtype=bool), S, S.dtype.type(-np.inf))
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P = (P / P.sum(axis=1, keepdims=True)).astype(Q.dtype)
    return _mm(P, V)


def tile_order(N: int, Br: int, Bc: int, causal: bool = False) -> list[tuple[int, int]]:
    """(q_block, kv_block) pairs in FlashAttention-1's order: outer loop over K/V blocks of Bc
    columns, inner loop over Q blocks of Br rows. Under a causal mask, tiles lying wholly above
    the diagonal are skipped (every score in them is masked)."""
    if N < 1 or Br < 1 or Bc < 1:
        raise ValueError("N, Br and Bc must be positive")
    Tr, Tc = -(-N // Br), -(-N // Bc)
    return [(i, j) for j in range(Tc) for i in range(Tr)
            if not (causal and j * Bc > min((i + 1) * Br, N) - 1)]


def flash_forward(Q, K, V, Br: int, Bc: int, variant: str = "correct", upto: int | None = None,
                  causal: bool = False) -> dict:
    """Tiled attention with online softmax, stopped after `upto` tiles (None: all of them).

    Returns O (rows not reached yet are 0), the per-row running max m (−inf before any tile) and
    running sum ℓ, the list of tiles visited, and the total tile count. `variant="missing-rescale"`
    applies the output update some write-ups give, which forgets to multiply the new tile's P·V by
    exp(m_tile − m_new) although P was computed against the tile's own max.
    """
    Q, K, V = _check_qkv(Q, K, V)
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    if Q.shape[0] != K.shape[0]:
        raise ValueError("this tiler needs as many queries as keys (self-attention)")
    N, dt = Q.shape[0], Q.dtype.type
    order = tile_order(N, Br, Bc, causal)
    done = order if upto is None else order[:max(0, int(upto))]
    Qs = _scaled(Q)
    m = np.full(N, -np.inf, dtype=Q.dtype)
    l = np.zeros(N, dtype=Q.dtype)
    O = np.zeros((N, V.shape[1]), dtype=Q.dtype)
    rows_of = {}
    for i, j in done:                       # rows each K/V block touches, in visiting order
        rows_of.setdefault(j, []).append(i)
    # Every row's update depends only on that row, so the tiles of one K/V column can be processed
    # together: the arithmetic per row is exactly the tile-by-tile arithmetic, in the same order.
    for j, blocks in rows_of.items():
        c0, c1 = j * Bc, min((j + 1) * Bc, N)
        r = np.concatenate([np.arange(i * Br, min((i + 1) * Br, N)) for i in blocks])
        S = _mm(Qs[r], K[c0:c1].T)
        if causal:
            S = np.where(np.arange(c0, c1)[None, :] <= r[:, None], S, dt(-np.inf))
        live = np.isfinite(S).any(axis=1)   # a row of a diagonal tile may be wholly masked
        r, S = r[live], S[live]
        m_t = S.max(axis=1)
        P = np.exp(S - m_t[:, None]).astype(Q.dtype)
        l_t = P.sum(axis=1, dtype=Q.dtype)
        m_old, l_old = m[r], l[r]
        m_new = np.maximum(m_old, m_t)
        a_old = np.exp(m_old - m_new)       # exp(−inf) = 0 on a row's first tile
        a_t = np.exp(m_t - m_new)
        l_new = (a_old * l_old + a_t * l_t).astype(Q.dtype)
        PV = _mm(P, V[c0:c1])
        keep = (a_old * l_old / l_new)[:, None] * O[r]
        if variant == "correct":
            O[r] = keep + (a_t / l_new)[:, None] * PV
        else:
            O[r] = keep + PV / l_new[:, None]
        m[r], l[r] = m_new, l_new
    return {"O": O, "m": m, "l": l, "tiles": done, "n_tiles": len(order),
            "grid": (-(-N // Br), -(-N // Bc))}


def max_abs_error(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


# ---------------------------------------------------------------- HBM traffic (IO complexity)

def score_bytes(N: int, dtype: str = "fp16") -> int:
    """Bytes of one head's N×N score matrix S (P is the same size again)."""
    if N < 1:
        raise ValueError("sequence length must be at least 1")
    return int(N) * int(N) * _bytes(dtype)


def _bytes(dtype: str) -> int:
    if dtype not in BYTES:
        raise ValueError(f"unknown dtype {dtype!r}; choose one of {', '.join(BYTES)}")
    return BYTES[dtype]


def attention_io(N: int, d: int, heads: int = 1, dtype: str = "fp16", M: float = 192 * 1024) -> dict:
    """HBM traffic of one attention forward pass, naive vs FlashAttention-1, counted in bytes.

    Naive (the paper's Algorithm 0): read Q, K, write S, read S, write P, read P and V, write O:
    4Nd + 4N² elements per head, Θ(Nd + N²). Tiled (Algorithm 1): with M bytes of on-chip SRAM
    (M/b elements), K/V blocks of B_c = ⌈M_el/4d⌉ columns and Q blocks of B_r = min(B_c, d) rows;
    K and V are read once (2Nd) and each of the T_c = ⌈N/B_c⌉ passes reads Q and O and writes O
    (3Nd) plus the row statistics m and ℓ (read and written, 4N): Θ(N²d²/M) once T_c > 1.
    """
    N, d, heads = int(N), int(d), int(heads)
    if N < 1 or d < 1 or heads < 1:
        raise ValueError("N, d and heads must be at least 1")
    if not M > 0:
        raise ValueError("SRAM size M must be positive")
    b = _bytes(dtype)
    m_el = M / b
    Bc = max(1, math.ceil(m_el / (4 * d)))
    Br = max(1, min(Bc, d))
    Tc = math.ceil(N / Bc)
    naive_el = 4 * N * d + 4 * N * N
    tiled_el = 2 * N * d + Tc * (3 * N * d + 4 * N)
    return {"N": N, "d": d, "heads": heads, "bytes_per_element": b, "M_bytes": M, "M_elements": m_el,
            "Bc": Bc, "Br": Br, "passes": Tc,
            "s_bytes_per_head": N * N * b, "s_bytes_per_layer": N * N * b * heads,
            "naive_bytes_per_head": naive_el * b, "tiled_bytes_per_head": tiled_el * b,
            "naive_bytes": naive_el * b * heads, "tiled_bytes": tiled_el * b * heads,
            "ratio": naive_el / tiled_el,
            "tiled_asymptotic_elements": N * N * d * d / m_el}


def sram(gpu: str) -> dict:
    """Per-SM shared memory/L1 and its whole-chip total for one GPU (gpu_sram.json)."""
    rows = {r["name"]: r for r in data.load("gpu_sram")["gpus"]}
    rec = dict(data.pick(rows, gpu, "GPU"))
    spec = data.gpu(gpu)
    rec["sms"] = spec["sms"]
    rec["chip_bytes"] = rec["per_sm_kib"] * 1024 * spec["sms"]
    rec["per_sm_bytes"] = rec["per_sm_kib"] * 1024
    rec["bandwidth_tbs"] = spec["bandwidth_tbs"]
    return rec


def sram_gpus() -> list[str]:
    return [r["name"] for r in data.load("gpu_sram")["gpus"]]


# ---------------------------------------------------------------- FlashDecoding

def split_kv_merge(q, K, V, splits: int) -> dict:
    """One query against L keys, computed in `splits` chunks of the KV sequence and merged.

    Each chunk s returns its own normalised output o_s and log-sum-exp lse_s = m_s + log ℓ_s; the
    merge weights them by exp(lse_s − lse) with lse = log Σ exp(lse_s). The result equals softmax
    attention over the whole sequence (up to rounding)."""
    q, K, V = np.asarray(q, np.float64), np.asarray(K, np.float64), np.asarray(V, np.float64)
    L = K.shape[0]
    splits = int(splits)
    if not 1 <= splits <= L:
        raise ValueError(f"splits must be between 1 and the KV length ({L})")
    s = K @ q / math.sqrt(q.shape[0])
    edges = np.linspace(0, L, splits + 1).round().astype(int)
    outs, lses = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        m = s[a:b].max()
        p = np.exp(s[a:b] - m)
        outs.append(p @ V[a:b] / p.sum())
        lses.append(m + math.log(p.sum()))
    lses = np.array(lses)
    top = lses.max()
    lse = top + math.log(np.exp(lses - top).sum())
    w = np.exp(lses - lse)
    merged = w @ np.array(outs)
    p = np.exp(s - s.max())
    full = p @ V / p.sum()
    return {"out": merged, "full": full, "lse": lse, "chunk_lse": lses, "weights": w,
            "max_error": max_abs_error(merged, full), "edges": edges}


def occupancy(batch_heads: int, splits: int, sms: int) -> dict:
    """Thread blocks, waves and the fraction of SM slots busy when each (sequence, head) pair's KV
    is cut into `splits` chunks, one thread block per chunk (one block per SM at a time)."""
    bh, splits, sms = int(batch_heads), int(splits), int(sms)
    if bh < 1 or splits < 1 or sms < 1:
        raise ValueError("batch×heads, splits and SMs must be at least 1")
    blocks = bh * splits
    waves = -(-blocks // sms)
    return {"blocks": blocks, "waves": waves, "busy": blocks / (waves * sms),
            "busy_first_wave": min(blocks, sms) / sms}


def decode_speedup(kv_len: int, batch_heads: int, splits: int, sms: int) -> float:
    """Toy model: a block's time is proportional to the keys it reads; the merge costs one key's
    worth per split. Unsplit time ∝ waves(bh)·L; split time ∝ waves(bh·s)·⌈L/s⌉ + s."""
    one = occupancy(batch_heads, 1, sms)["waves"] * kv_len
    many = occupancy(batch_heads, splits, sms)["waves"] * -(-kv_len // splits) + (splits if splits > 1 else 0)
    return one / many


# ---------------------------------------------------------------- fusion

CHAINS = ("add_rmsnorm_matmul", "qkv", "swiglu")


def fusion_bytes(chain: str, hidden: int, tokens: int, dtype_bytes: int = 2) -> dict:
    """HBM bytes and kernel launches for a chain of kernels, one kernel per op vs one fused kernel.

    T tokens, hidden size h, every tensor stored with `dtype_bytes` bytes per element; weights are
    read once per kernel that needs them. SwiGLU uses an intermediate size f = ⌊8h/3⌋.
    - add_rmsnorm_matmul: y = x + r; z = RMSNorm(y)·g; out = z·W (h×h). Unfused: add (read 2Th,
      write Th), norm (read Th + h, write Th), matmul (read Th + h², write Th). Fused: read x, r,
      g, W; write y (the residual stream needs it) and out.
    - qkv: three h×h projections of x (read x three times) vs one h×3h projection (read x once).
    - swiglu: gate and up matmuls, SiLU, multiply (4 kernels) vs one kernel that writes only the
      product."""
    h, T, b = int(hidden), int(tokens), int(dtype_bytes)
    if h < 1 or T < 1 or b < 1:
        raise ValueError("hidden, tokens and bytes per element must be at least 1")
    if chain == "add_rmsnorm_matmul":
        unfused, fused, launches = 7 * T * h + h + h * h, 4 * T * h + h + h * h, 3
        steps = ["add", "RMSNorm", "matmul"]
    elif chain == "qkv":
        unfused, fused, launches = 3 * (2 * T * h + h * h), T * h + 3 * h * h + 3 * T * h, 3
        steps = ["Q proj", "K proj", "V proj"]
    elif chain == "swiglu":
        f = 8 * h // 3
        unfused = 2 * (T * h + h * f + T * f) + 2 * T * f + 3 * T * f
        fused, launches = T * h + 2 * h * f + T * f, 4
        steps = ["gate matmul", "up matmul", "SiLU", "multiply"]
    else:
        raise ValueError(f"unknown chain {chain!r}; choose one of {', '.join(CHAINS)}")
    return {"unfused_bytes": unfused * b, "fused_bytes": fused * b, "unfused_launches": launches,
            "fused_launches": 1, "steps": steps}


def tiler_error(N: int = 64, d: int = 16, Br: int = 16, Bc: int = 16, dtype: str = "float64",
                variant: str = "correct", seed: int = 0, causal: bool = False, against: str = "same") -> float:
    """Max |O_tiled − O_naive| for unit-normal Q, K, V drawn with `seed`. `against="same"` runs the
    naive algorithm in the same dtype; `"exact"` compares with naive attention in float64."""
    rng = np.random.default_rng(seed)
    Q, K, V = (rng.standard_normal((N, d)).astype(dtype) for _ in range(3))
    ref = naive_attention(Q, K, V, causal) if against == "same" else \
        naive_attention(*(x.astype(np.float64) for x in (Q, K, V)), causal)
    return max_abs_error(flash_forward(Q, K, V, Br, Bc, variant, causal=causal)["O"], ref)
