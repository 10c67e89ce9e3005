"""Serving memory: the weights, the KV cache, and how many sequences fit on a GPU.

The KV cache. To generate token t+1 the model attends to the keys and values of every earlier
token in every layer. Recomputing them each step would redo the whole prefix, so the engine keeps
them. For an ordinary (MHA/GQA) layer that is one key and one value vector per K/V head per token:

    bytes = Σ_layers 2 · n_kv_heads · head_dim · tokens_cached(layer) · batch · bytes_per_value

where tokens_cached is the context length on a full-attention layer and min(context, window) on a
sliding-window layer (the engine may drop what the window no longer sees). Multi-head latent
attention (MLA, DeepSeek-V2/V3) caches one compressed latent of kv_lora_rank values plus a shared
RoPE key of qk_rope_head_dim values per token and layer — no factor 2, no per-head copies.

This is the memory an engine that understands the architecture must hold. A naive engine that
ignores windows, or a tensor-parallel layout that replicates heads, can need more (see `fit`).

Weights are parameters × bytes per parameter. We store every parameter in the chosen dtype, which
is how a checkpoint is usually described; int4 adds one 16-bit scale per group of 128 weights
(4 + 16/128 = 4.125 bits per weight), the common GPTQ/AWQ layout. Real int4 checkpoints often keep
embeddings and norms in 16 bits, which this count leaves out.
"""

from __future__ import annotations

import math

from . import checks, data
from .models import Architecture
from .units import GB, GIB, MIB

# bits per stored value
DTYPE_BITS = {"fp32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "int4": 4}
KV_DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8", "int4")
WEIGHT_DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8", "int4")
INT4_GROUP = 128            # weights per 16-bit scale in int4 weight formats
RUNTIME_UTILIZATION = 0.9   # share of GPU memory an engine may use (vLLM's default); the rest is
                            # left for the CUDA context, activations and allocator slack


# --- argument checks -----------------------------------------------------------------------------

def _count(name: str, x) -> int:
    """A whole number ≥ 0, or a ValueError that says what was wrong."""
    return checks.whole(name, x, 0)

def _arch(arch) -> Architecture:
    if isinstance(arch, Architecture):
        return arch
    if isinstance(arch, str):
        return Architecture.preset(arch)
    if isinstance(arch, dict):
        return Architecture.from_hf_config(arch)
    raise ValueError(f"expected an Architecture, a preset name or a config dict, got {type(arch).__name__}")


def dtype_bits(dtype: str) -> int:
    if dtype not in DTYPE_BITS:
        raise ValueError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPE_BITS)}")
    return DTYPE_BITS[dtype]


def weight_bits(dtype: str, group_size: int = INT4_GROUP) -> float:
    """Bits stored per weight, counting int4's per-group 16-bit scale (4.125 at group 128)."""
    bits = dtype_bits(dtype)
    if dtype == "int4":
        g = _count("group_size", group_size)
        if g < 1:
            raise ValueError("group_size must be at least 1")
        return bits + 16 / g
    return float(bits)


# --- the KV cache --------------------------------------------------------------------------------

def kv_values_by_layer(arch, tokens) -> list[int]:
    """Numbers cached for one sequence of `tokens` tokens, layer by layer."""
    a = _arch(arch)
    t = _count("tokens", tokens)
    return [a.kv_values_per_token(i) * a.cached_tokens(i, t) for i in range(a.num_layers)]


def kv_cache_bytes(arch, tokens, batch=1, dtype="bf16") -> int:
    """Bytes of KV cache for `batch` sequences of `tokens` tokens each (design.md contract)."""
    a = _arch(arch)
    t, b, bits = _count("tokens", tokens), _count("batch", batch), dtype_bits(dtype)
    values = sum(kv_values_by_layer(a, t))
    return math.ceil(values * b * bits / 8)


def kv_cache_bytes_by_layer(arch, tokens, dtype="bf16") -> list[int]:
    """One sequence's cache per layer, in bytes: flat for full layers, capped for sliding ones."""
    bits = dtype_bits(dtype)
    return [math.ceil(v * bits / 8) for v in kv_values_by_layer(arch, tokens)]


def kv_bytes_per_token(arch, dtype="bf16") -> float:
    """Bytes one more token adds while the context is shorter than every window."""
    a = _arch(arch)
    return sum(a.kv_values_per_token(i) for i in range(a.num_layers)) * dtype_bits(dtype) / 8


# --- weights -------------------------------------------------------------------------------------

def weights_bytes(arch, dtype="bf16", group_size=INT4_GROUP) -> int:
    """Bytes of weights with every parameter stored as `dtype` (int4 with its group scales)."""
    a = _arch(arch)
    return math.ceil(a.n_params * weight_bits(dtype, group_size) / 8)


# --- what fits -----------------------------------------------------------------------------------

def gpu_capacity_bytes(gpu: str) -> int:
    """Memory of one GPU in bytes: what the driver reports where known, else the label (GB)."""
    g = data.gpu(gpu)
    if g.get("usable_mib"):
        return int(g["usable_mib"] * MIB)
    return int(g["memory_gb"] * GB)


def kv_replication(arch, n_gpus: int) -> int:
    """How many copies of each cached head tensor parallelism over n_gpus keeps.

    Heads are split across GPUs; with fewer K/V heads than GPUs each head is copied so that every
    GPU holds one. MLA's latent is shared by all heads, so every GPU keeps all of it.
    """
    a = _arch(arch)
    n = _count("GPU count", n_gpus)
    if n < 1:
        raise ValueError("GPU count must be at least 1")
    if a.is_mla:
        return n
    return max(1, math.ceil(n / a.num_kv_heads))


def fit(arch, gpu: str, n_gpus=1, context=4096, kv_dtype="bf16", weight_dtype="bf16",
        utilization=RUNTIME_UTILIZATION) -> dict:
    """Weights + KV against the memory of `n_gpus` GPUs, and how many sequences fit.

    budget   = utilization × total memory (the runtime reserve is the rest);
    kv_pool  = budget − weights;
    max_seqs = ⌊kv_pool / (KV bytes per sequence × replication)⌋.
    """
    a = _arch(arch)
    n = _count("GPU count", n_gpus)
    if n < 1:
        raise ValueError("GPU count must be at least 1")
    u = float(utilization)
    if not (0 < u <= 1):
        raise ValueError(f"utilization is a fraction in (0, 1], got {utilization!r}")
    capacity = gpu_capacity_bytes(gpu) * n
    budget = capacity * u
    weights = weights_bytes(a, weight_dtype)
    rep = kv_replication(a, n)
    per_seq = kv_cache_bytes(a, context, 1, kv_dtype) * rep
    pool = budget - weights
    max_seqs = int(pool // per_seq) if pool > 0 and per_seq > 0 else 0
    return {"capacity": capacity, "budget": budget, "reserve": capacity - budget,
            "weights": weights, "kv_per_seq": per_seq, "replication": rep,
            "kv_pool": pool, "max_seqs": max_seqs, "weights_fit": pool > 0}


def max_concurrent(arch, gpu: str, n_gpus=1, context=4096, kv_dtype="bf16", weight_dtype="bf16",
                   utilization=RUNTIME_UTILIZATION) -> int:
    """The largest number of `context`-token sequences whose cache fits beside the weights."""
    return fit(arch, gpu, n_gpus, context, kv_dtype, weight_dtype, utilization)["max_seqs"]


def kv_exceeds_weights_batch(arch, context, kv_dtype="bf16", weight_dtype="bf16") -> int | None:
    """The smallest batch of `context`-token sequences whose KV cache outweighs the weights."""
    a = _arch(arch)
    per_seq = kv_cache_bytes(a, context, 1, kv_dtype)
    if per_seq == 0:
        return None
    return weights_bytes(a, weight_dtype) // per_seq + 1


def to_unit(nbytes: float, unit: str = "GB") -> float:
    """Bytes in GB (10^9) or GiB (2^30)."""
    if unit == "GB":
        return nbytes / GB
    if unit == "GiB":
        return nbytes / GIB
    raise ValueError(f"unit must be 'GB' or 'GiB', got {unit!r}")


def human_bytes(nbytes: float, unit: str = "GB", digits: int = 3) -> str:
    """Bytes for a reader, in decimal (kB, MB, GB, TB) or binary (KiB, MiB, GiB, TiB) steps.

    human_bytes(1_342_177_280) == '1.34 GB'; human_bytes(1_342_177_280, 'GiB') == '1.25 GiB'.
    """
    if unit not in ("GB", "GiB"):
        raise ValueError(f"unit must be 'GB' or 'GiB', got {unit!r}")
    x = float(nbytes)
    base, names = (1000.0, ("B", "kB", "MB", "GB", "TB", "PB")) if unit == "GB" else \
        (1024.0, ("B", "KiB", "MiB", "GiB", "TiB", "PiB"))
    k = 0
    while abs(x) >= base * (1 - 0.5 * 10 ** -digits) and k < len(names) - 1:
        x /= base
        k += 1
    if k == 0:
        return f"{x:,.0f} B"
    return f"{x:.{digits}g} {names[k]}"


# --- training memory (act-3/training-memory) -----------------------------------------------------
#
# Model states per parameter under mixed-precision training (Micikevicius et al. 2017; the ZeRO
# paper's accounting, Rajbhandari et al. 2020): 2 bytes of 16-bit weights, 2 bytes of 16-bit
# gradients, and K bytes of optimizer state. For Adam K = 12: an FP32 master copy of the weights
# (4), the first moment m (4) and the second moment v (4) — 16 bytes per parameter in all.
# 8-bit Adam (Dettmers et al. 2021, block-wise quantised m and v) keeps the FP32 master copy and
# stores m and v in one byte each: K = 6 (its per-block scales, one per 2,048 values, are ignored).
#
# ZeRO partitions these across the Nd data-parallel GPUs: stage 1 the optimizer state, stage 2 also
# the gradients, stage 3 (= PyTorch FSDP's full sharding) also the weights.
#
# Activations (per GPU: data parallelism gives each GPU its own micro-batch, so they are never
# split) follow Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer
# Models": 34·s·b·h bytes per layer with 16-bit activations, a 4h MLP and no stored attention-score
# matrix (what FlashAttention-style kernels give). With √n checkpointing (Chen et al. 2016) only
# k = ⌈√L⌉ segment inputs of 2·s·b·h bytes stay, plus one segment of ⌈L/k⌉ layers held in full
# while it is recomputed. Logits, temporary buffers and fragmentation are not counted.

OPTIMIZER_STATE_BYTES = {"adam": 12, "adam8bit": 6}
OPTIMIZERS = {"adam": "Adam, mixed precision (16 B/param)", "adam8bit": "8-bit Adam (10 B/param)"}
ACT_BYTES_PER_LAYER = 34          # × seq × micro_batch × hidden, 16-bit activations
CHECKPOINT_BYTES = 2              # × seq × micro_batch × hidden: one 16-bit layer input
ZERO_COMM = {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.5}   # × plain data parallelism's all-reduce volume


def activation_bytes(arch, seq, micro_batch=1, checkpointing=False) -> int:
    """Activation memory kept for the backward pass on one GPU (see the block comment above)."""
    a = _arch(arch)
    s, b = _count("sequence length", seq), _count("micro-batch", micro_batch)
    per_layer = ACT_BYTES_PER_LAYER * s * b * a.hidden_size
    L = a.num_layers
    if not checkpointing:
        return per_layer * L
    k = math.ceil(math.sqrt(L))
    return CHECKPOINT_BYTES * s * b * a.hidden_size * k + per_layer * math.ceil(L / k)


def training_bytes(arch, stage=0, dp=1, optimizer="adam", checkpointing=False, seq=4096,
                   micro_batch=1, params=None) -> dict:
    """Per-GPU training memory under ZeRO stage 0–3 at data-parallel degree `dp`.

    `params` overrides the parameter count of `arch` (whose layers and width still set the
    activations). Returns bytes for weights, grads, optimizer, model_states (their sum),
    activations and total, plus `comm` (communication volume relative to plain data parallelism:
    1× for stages 0–2, 1.5× for stage 3) and `bytes_per_param` of model state per GPU.
    """
    a = _arch(arch)
    st = _count("ZeRO stage", stage)
    if st > 3:
        raise ValueError(f"ZeRO stage is 0, 1, 2 or 3, got {stage!r}")
    n = _count("data-parallel degree", dp)
    if n < 1:
        raise ValueError("data-parallel degree must be at least 1")
    if optimizer not in OPTIMIZER_STATE_BYTES:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZER_STATE_BYTES)}")
    psi = a.n_params if params is None else float(params)
    if not (math.isfinite(psi) and psi > 0):
        raise ValueError(f"parameter count must be a positive number, got {params!r}")
    k = OPTIMIZER_STATE_BYTES[optimizer]
    weights = 2 * psi / (n if st >= 3 else 1)
    grads = 2 * psi / (n if st >= 2 else 1)
    opt = k * psi / (n if st >= 1 else 1)
    acts = activation_bytes(a, seq, micro_batch, checkpointing)
    states = weights + grads + opt
    return {"weights": weights, "grads": grads, "optimizer": opt, "model_states": states,
            "activations": acts, "total": states + acts, "comm": ZERO_COMM[st] if n > 1 else 0.0,
            "bytes_per_param": states / psi, "params": psi}
