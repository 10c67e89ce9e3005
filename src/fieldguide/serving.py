"""Serving: where KV memory goes, and where decode time goes.

Two halves.

1. **Allocating the KV cache.** A server does not know how long a reply will be. The simple policy
   reserves a contiguous region for the longest allowed sequence when a request is admitted; most
   of it is never written. PagedAttention (Kwon et al., 2023) cuts the cache into fixed blocks of
   `block` tokens, hands them out as a sequence grows and keeps a per-sequence block table, so the
   only waste is the unfilled tail of each sequence's last block. Blocks with identical content — a
   shared system prompt — can be held once with a reference count. `kv_allocator` simulates a queue
   of requests under all three policies, step by step, and measures the waste.

2. **The decode floor and the roofline.** Generating one token reads every weight the token uses
   plus the whole KV cache, and does about 2 FLOPs per weight per sequence in the batch. The step
   cannot be faster than bytes ÷ bandwidth, nor than FLOPs ÷ peak; whichever is larger binds
   (Williams, Waterman & Patterson, "Roofline", 2009). The ratio peak ÷ bandwidth — the critical
   intensity, ≈295 FLOP/byte on an H100 in BF16 — says how much work per byte the chip needs
   before its arithmetic, not its memory, is the limit.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from . import data, memory
from .models import Architecture

MODES = ("naive", "paged", "prefix")


# --- small, exact pieces -----------------------------------------------------------------------

def blocks_needed(tokens: int, block: int) -> int:
    """Blocks a sequence of `tokens` tokens occupies: ⌈tokens / block⌉ (⌈150/16⌉ = 10)."""
    t, b = memory._count("tokens", tokens), memory._count("block size", block)
    if b < 1:
        raise ValueError("block size must be at least 1")
    return -(-t // b)


def reservation_waste(used: int, reserved: int) -> float:
    """Share of a reservation never written: 300 tokens used of 4,096 reserved → 0.9268."""
    u, r = memory._count("used tokens", used), memory._count("reserved tokens", reserved)
    if r == 0 or u > r:
        raise ValueError("need 0 ≤ used ≤ reserved and a non-empty reservation")
    return (r - u) / r


def paged_waste_bound(block: int, tokens: int) -> float:
    """Worst-case share of a paged sequence's blocks left empty: (block − 1) / allocated."""
    n = blocks_needed(tokens, block)
    return (n * block - tokens) / (n * block) if n else 0.0


# --- the allocator simulation ------------------------------------------------------------------

@lru_cache(maxsize=16)
def workload(requests: int, max_seq_len: int, shared_prefix: int, seed: int) -> tuple:
    """A queue of synthetic requests: prompt = shared prefix + own text, and a reply length.

    Own prompts are uniform between 2% and 25% of the maximum length; replies are exponential with
    a mean of 10% of it, at least one token; every request fits within max_seq_len.
    """
    rng = np.random.default_rng(seed)
    prefix = min(shared_prefix, max_seq_len // 2)
    own = rng.integers(max(1, max_seq_len // 50), max(2, max_seq_len // 4) + 1, size=requests).tolist()
    reply = np.ceil(rng.exponential(0.10 * max_seq_len, size=requests)).astype(int).tolist()
    out = []
    for i in range(requests):
        prompt = min(prefix + own[i], max_seq_len - 1)
        out.append({"id": i, "prompt": prompt, "reply": max(1, min(reply[i], max_seq_len - prompt)),
                    "prefix": prefix})
    return tuple(out)


class _Pool:
    """Physical KV blocks: a free list, and reference counts for blocks that sequences share."""

    def __init__(self, n_blocks: int):
        self.free = list(range(n_blocks - 1, -1, -1))      # pop() hands out 0, 1, 2, ... first

    def take(self, n: int) -> list[int] | None:
        if n > len(self.free):
            return None
        got = self.free[-n:] if n else []
        del self.free[len(self.free) - n:]
        return got[::-1]

    def give(self, ids: list[int]) -> None:
        self.free.extend(ids)


def kv_allocator(mode: str = "paged", requests: int = 25, max_seq_len: int = 4096, block: int = 16,
                 shared_prefix: int = 1024, pool_tokens: int = 65536, seed: int = 0,
                 quantum: int | None = None) -> dict:
    """Serve a queue of requests from a KV pool of `pool_tokens` token slots; measure the waste.

    mode "naive":  each admitted request reserves max_seq_len contiguous slots;
    mode "paged":  blocks of `block` tokens are handed out as sequences grow; when the pool runs
                   dry the newest sequence is preempted (its blocks freed, recomputed later);
    mode "prefix": paged, and the shared prefix's full blocks are stored once, reference-counted.

    All requests wait at time 0. Each step, every running sequence decodes `quantum` tokens
    (default max_seq_len / 128). Returns per-step series and totals.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    n_req = memory._count("requests", requests)
    L = memory._count("max sequence length", max_seq_len)
    blk = memory._count("block size", block)
    pool = memory._count("pool size", pool_tokens)
    if n_req < 1 or L < 2 or blk < 1:
        raise ValueError("need at least one request, a maximum length of 2 or more and a block of 1 or more")
    if pool < L:
        raise ValueError(f"the pool ({pool:,} tokens) must hold at least one full-length sequence ({L:,})")
    q = quantum or max(1, L // 128)
    reqs = workload(n_req, L, memory._count("shared prefix", shared_prefix), seed)
    prefix = reqs[0]["prefix"]
    paged = mode != "naive"
    shared_blocks = prefix // blk if mode == "prefix" else 0       # only whole blocks are shared
    P = _Pool(pool // blk) if paged else None
    slots = pool // L                                               # naive: fixed-size regions

    waiting = list(range(n_req))
    running: list[int] = []                                         # admission order
    length = [0] * n_req
    table: dict[int, list[int]] = {}                                # own blocks per sequence
    shared_ids: list[int] = []
    refcount = 0
    done = 0
    preemptions = 0
    series = {k: [] for k in ("running", "waiting", "used", "allocated", "reserved_unused",
                              "internal", "external", "shared_saved")}
    tables_at_peak: dict = {}
    peak = 0
    steps = 0

    shared_tokens = shared_blocks * blk
    ends = [r["prompt"] + r["reply"] for r in reqs]

    def admit_paged(i) -> bool:
        nonlocal shared_ids, refcount
        need_shared = shared_blocks if (shared_blocks and refcount == 0) else 0
        own = blocks_needed(reqs[i]["prompt"] - shared_blocks * blk, blk)
        if need_shared + own > len(P.free):
            return False
        if need_shared:
            shared_ids = P.take(need_shared)
        if shared_blocks:
            refcount += 1
        length[i] = reqs[i]["prompt"]
        table[i] = P.take(own)
        return True

    def release(i) -> None:
        nonlocal refcount, shared_ids
        if paged:
            P.give(table.pop(i))
            if shared_blocks:
                refcount -= 1
                if refcount == 0:
                    P.give(shared_ids)
                    shared_ids = []

    while done < n_req:
        steps += 1
        if steps > 200_000:
            raise ValueError("the simulation did not finish; enlarge the pool")
        # admit from the head of the queue, first come first served
        while waiting:
            i = waiting[0]
            if paged:
                if not admit_paged(i):
                    break
            else:
                if len(running) >= slots:
                    break
                length[i] = reqs[i]["prompt"]
            running.append(waiting.pop(0))
        # decode q tokens for every running sequence
        live = set(running)
        for i in list(running):
            if i not in live:
                continue
            length[i] = min(ends[i], length[i] + q)
            if paged:
                need = -(-(length[i] - shared_tokens) // blk) - len(table[i])
                while need > len(P.free) and len(running) > 1:
                    victim = running.pop()                          # newest first
                    live.discard(victim)
                    release(victim)
                    length[victim] = 0
                    waiting.insert(0, victim)
                    preemptions += 1
                    if victim == i:
                        break
                if i not in live:
                    continue
                if need > len(P.free):
                    raise ValueError("one sequence does not fit in the pool; enlarge the pool")
                if need > 0:
                    table[i] += P.take(need)
        # measure, then retire finished sequences
        used = sum(length[i] for i in running)
        saved = max(0, refcount - 1) * shared_blocks * blk
        if paged:
            held = sum(len(table[i]) for i in running) + len(shared_ids)
            allocated = held * blk
            internal = allocated - (used - saved)
            reserved_unused, external = 0, 0
        else:
            allocated = len(running) * L
            internal = 0
            reserved_unused = allocated - used
            external = (pool - slots * L) if waiting else 0
        for k, v in (("running", len(running)), ("waiting", len(waiting)), ("used", used - saved),
                     ("allocated", allocated), ("reserved_unused", reserved_unused),
                     ("internal", internal), ("external", external), ("shared_saved", saved)):
            series[k].append(v)
        if len(running) > peak:
            peak = len(running)
            tables_at_peak = {}
            for i in running[:3]:
                if paged:
                    tables_at_peak[i] = {"tokens": length[i], "blocks": shared_ids + table[i],
                                         "shared": len(shared_ids)}
                else:
                    start = running.index(i) * L
                    tables_at_peak[i] = {"tokens": length[i], "region": [start, start + L]}
        finished = [i for i in running if length[i] >= ends[i]]
        if finished:
            running = [i for i in running if length[i] < ends[i]]
            for i in finished:
                release(i)
            done += len(finished)

    alloc = np.array(series["allocated"], dtype=float)
    stored = np.array(series["used"], dtype=float)
    wasted = alloc - stored + np.array(series["external"], dtype=float)
    return {
        "mode": mode, "steps": steps, "quantum": q, "pool_tokens": pool, "block": blk,
        "prefix": prefix, "shared_blocks": shared_blocks, "requests": list(reqs),
        "peak_running": peak, "mean_running": float(np.mean(series["running"])),
        "admitted_first_step": series["running"][0], "preemptions": preemptions,
        "waste_pct": float(100 * wasted.sum() / max(1.0, (alloc + np.array(series["external"])).sum())),
        "pool_used_pct": float(100 * stored.mean() / pool),
        "series": series, "tables": tables_at_peak,
    }


# --- the roofline --------------------------------------------------------------------------------

def peak_flops(gpu: str, compute_dtype: str = "bf16") -> float:
    """Dense tensor-core peak in FLOP/s for bf16/fp16 or fp8 maths (int4 weights compute in bf16)."""
    g = data.gpu(gpu)
    key = {"bf16": "bf16_tflops", "fp16": "bf16_tflops", "fp8": "fp8_tflops"}.get(compute_dtype)
    if key is None:
        raise ValueError(f"compute dtype must be bf16, fp16 or fp8, got {compute_dtype!r}")
    if g.get(key) is None:
        raise ValueError(f"{gpu} has no published dense {compute_dtype} peak")
    return g[key] * 1e12


def bandwidth(gpu: str) -> float:
    """Peak memory bandwidth in bytes/s."""
    return data.gpu(gpu)["bandwidth_tbs"] * 1e12


def compute_dtype_for(weight_bytes: float, gpu: str | None = None) -> str:
    """The maths dtype that goes with a weight width: FP8 weights run FP8 maths (where the GPU has
    FP8 tensor cores); 16- and 4-bit (weight-only) formats multiply in BF16."""
    if weight_bytes == 1 and (gpu is None or data.gpu(gpu).get("fp8_tflops")):
        return "fp8"
    return "bf16"


def critical_intensity(gpu: str, compute_dtype: str = "bf16") -> float:
    """FLOP per byte at the ridge: peak ÷ bandwidth (H100 SXM, BF16: 989.4e12 / 3.35e12 ≈ 295)."""
    return peak_flops(gpu, compute_dtype) / bandwidth(gpu)


def attainable(gpu: str, intensity: float, compute_dtype: str = "bf16") -> float:
    """The roofline: min(peak, intensity × bandwidth), in FLOP/s."""
    i = float(intensity)
    if not math.isfinite(i) or i < 0:
        raise ValueError(f"arithmetic intensity must be a finite number ≥ 0, got {intensity!r}")
    return min(peak_flops(gpu, compute_dtype), i * bandwidth(gpu))


def matmul_intensity(tokens: float, weight_bytes: float) -> float:
    """FLOP per byte of a weight matmul over `tokens` rows: 2·tokens FLOPs per weight read once.

    Batch-1 decode in BF16: 2 / 2 = 1 FLOP/byte. Prefill of P tokens: 2P / bytes per weight.
    (Activations and the KV cache are left out: they matter, but less, and only lower it.)
    """
    t, w = float(tokens), float(weight_bytes)
    if not (math.isfinite(t) and t > 0 and math.isfinite(w) and w > 0):
        raise ValueError("tokens and bytes per weight must be positive numbers")
    return 2 * t / w


def ridge_batch(gpu: str, weight_bytes: float, compute_dtype: str | None = None) -> float:
    """Decode batch at which weight reads stop being the bottleneck: I* × bytes per weight / 2."""
    cd = compute_dtype or compute_dtype_for(weight_bytes, gpu)
    return critical_intensity(gpu, cd) * float(weight_bytes) / 2


def weights_pass(gpu: str, params: float, tokens: float, weight_bytes: float) -> dict:
    """One pass of `tokens` tokens through `params` weights, on the roofline.

    FLOPs = 2·params·tokens; bytes = params·weight_bytes (weights read once); time = FLOPs ÷ the
    attainable rate at that intensity — the same as max(bytes ÷ bandwidth, FLOPs ÷ peak).
    Decode of a batch of B sequences is tokens = B; prefill of a P-token prompt is tokens = P.
    """
    n = float(params)
    if not (math.isfinite(n) and n > 0):
        raise ValueError(f"parameters must be a positive number, got {params!r}")
    cd = compute_dtype_for(float(weight_bytes), gpu)
    i = matmul_intensity(tokens, weight_bytes)
    rate = attainable(gpu, i, cd)
    flops = 2 * n * float(tokens)
    peak = peak_flops(gpu, cd)
    ridge = critical_intensity(gpu, cd)
    return {"intensity": i, "attainable": rate, "peak": peak, "pct_peak": rate / peak,
            "flops": flops, "bytes": n * float(weight_bytes), "time_s": flops / rate,
            "bound": "memory" if i < ridge else "compute", "ridge": ridge,
            "ridge_batch": ridge_batch(gpu, weight_bytes, cd), "compute_dtype": cd}


# --- one decode step -----------------------------------------------------------------------------

WEIGHT_DTYPE_FOR_BITS = {16: "bf16", 8: "fp8", 4: "int4"}


def expected_experts_touched(n_experts: int, per_token: int, batch: int) -> float:
    """Distinct experts a batch routes to, if tokens pick experts uniformly: E·(1 − (1 − k/E)^B)."""
    if n_experts == 0:
        return 0.0
    return n_experts * (1 - (1 - per_token / n_experts) ** batch)


def decode_step(arch, gpu: str, batch=1, context=4096, weight_dtype="bf16", kv_dtype="bf16",
                n_gpus=1, efficiency=1.0) -> dict:
    """Time for one decode step of `batch` sequences at `context` tokens each: the larger of

        memory term  = (weights read + KV cache read) / (bandwidth × GPUs × efficiency)
        compute term = FLOPs / (peak × GPUs × efficiency)

    Weights read: every shared weight, and of an MoE's experts only those the batch routes to
    (uniform routing assumed). FLOPs: 2 per active weight per sequence, plus attention over the
    cache (2 FLOPs per cached value for scores and for the weighted sum).
    """
    a = arch if isinstance(arch, Architecture) else memory._arch(arch)
    b = memory._count("batch", batch)
    ctx = memory._count("context", context)
    n = memory._count("GPU count", n_gpus)
    eff = float(efficiency)
    if b < 1 or n < 1:
        raise ValueError("batch and GPU count must be at least 1")
    if not (0 < eff <= 1):
        raise ValueError(f"efficiency is a fraction in (0, 1], got {efficiency!r}")
    bits = memory.weight_bits(weight_dtype)
    c = a.param_counts()
    if a.is_moe:
        expert_params = c["experts"] / a.num_experts if a.num_experts else 0   # incl. router share
        touched = expected_experts_touched(a.num_experts, a.experts_per_token, b)
        params_read = c["total"] - c["embedding"] - c["experts"] + touched * expert_params
    else:
        touched = 0.0
        params_read = c["total"] - c["embedding"]          # one embedding row per token: negligible
    weight_read = params_read * bits / 8
    kv_read = memory.kv_cache_bytes(a, ctx, b, kv_dtype)
    attn_flops = 0
    for i in range(a.num_layers):
        t = a.cached_tokens(i, ctx)
        per_tok = (a.num_heads * (2 * a.kv_lora_rank + a.qk_rope_head_dim) if a.is_mla
                   else a.num_heads * (a.head_dim + a.v_head_dim))
        attn_flops += 2 * per_tok * t
    flops = b * (2 * c["active_excluding_input_embedding"] + attn_flops)
    wb = bits / 8
    cdt = compute_dtype_for(wb, gpu)
    g = data.gpu(gpu)
    bw = bandwidth(gpu) * n * eff
    memory_s = (weight_read + kv_read) / bw
    peak = g.get("fp8_tflops" if cdt == "fp8" else "bf16_tflops")
    compute_s = flops / (peak * 1e12 * n * eff) if peak else 0.0
    step = max(memory_s, compute_s)
    fit = memory.fit(a, gpu, n, ctx, kv_dtype, weight_dtype)
    return {"weight_bytes_read": weight_read, "kv_bytes_read": kv_read, "flops": flops,
            "memory_s": memory_s, "compute_s": compute_s, "step_s": step,
            "bound": "memory" if memory_s >= compute_s else "compute",
            "tokens_per_s_stream": 1 / step, "tokens_per_s_total": b / step,
            "experts_touched": touched, "has_peak": bool(peak),
            "intensity": flops / (weight_read + kv_read),
            "fits": fit["weights_fit"] and fit["max_seqs"] >= b, "fit": fit}


def usd_per_mtok(usd_per_hour: float, tokens_per_s: float) -> float:
    """Dollars per million generated tokens: $/h ÷ (tok/s × 3600) × 10^6 ($5/h at 33 tok/s → $42)."""
    p, r = float(usd_per_hour), float(tokens_per_s)
    if not (math.isfinite(p) and p >= 0 and math.isfinite(r) and r > 0):
        raise ValueError("price must be ≥ 0 and throughput > 0")
    return p / (r * 3600) * 1e6


# --- what the cache saves -------------------------------------------------------------------------

def generation_flops(d_model: int, n_layer: int, d_ff: int, steps: int, cached: bool) -> dict:
    """FLOPs of each generation step t = 1..steps of a GPT-style decoder, with or without a KV cache.

    Per token and layer the weight matmuls cost 2·(3d·d + d·d + 2·d·d_ff) ("projections": Q, K, V,
    output and the MLP). Attention of a query at position s costs 4·s·d (scores and the weighted sum
    of values). Without a cache step t re-runs all t positions; with it, only the new one:

        projections: t · P     vs   P
        attention:   Σ_{s≤t} 4·s·d = 2·t·(t+1)·d   vs   4·t·d      (per layer)

    The unembedding (one position per step either way) is left out. Returns per-step arrays.
    """
    d, n, f, T = (memory._count(k, v) for k, v in
                  (("d_model", d_model), ("layers", n_layer), ("d_ff", d_ff), ("steps", steps)))
    t = np.arange(1, T + 1, dtype=np.float64)
    per_token = 2 * (4 * d * d + 2 * d * f) * n
    if cached:
        proj = np.full(T, float(per_token))
        attn = 4 * t * d * n
    else:
        proj = t * per_token
        attn = 2 * t * (t + 1) * d * n
    return {"step": t, "projections": proj, "attention": attn}


def _softmax_rows(s):
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def attention_full(x, wq, wk, wv, wo):
    """Causal single-head attention over all of x (T, d) at once: the recompute-everything path."""
    q, k, v = x @ wq, x @ wk, x @ wv
    scores = (q @ k.T) / np.sqrt(np.asarray(x.shape[1], dtype=x.dtype))
    scores = np.where(np.tril(np.ones(scores.shape, dtype=bool)), scores, -np.inf)
    return (_softmax_rows(scores) @ v) @ wo


def attention_cached(x, wq, wk, wv, wo):
    """The same outputs one position at a time: project only the new token, append its key and
    value to the cache, attend over the cache. Row t must equal attention_full's row t."""
    T, d = x.shape
    keys = np.empty((T, wk.shape[1]), dtype=x.dtype)
    values = np.empty((T, wv.shape[1]), dtype=x.dtype)
    out = np.empty((T, wo.shape[1]), dtype=x.dtype)
    scale = np.sqrt(np.asarray(d, dtype=x.dtype))
    for t in range(T):
        xt = x[t:t + 1]
        keys[t], values[t] = (xt @ wk)[0], (xt @ wv)[0]
        s = ((xt @ wq) @ keys[:t + 1].T) / scale
        out[t] = ((_softmax_rows(s) @ values[:t + 1]) @ wo)[0]
    return out
