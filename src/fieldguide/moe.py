"""Mixture of experts: routing, load balancing, capacity, and what sparsity buys at serving time.

A mixture-of-experts (MoE) layer replaces a block's FFN with N expert FFNs and a router, a linear
map d → N whose scores pick k experts per token. Three gates are in use:

* ``softmax-topk``  softmax over all N scores, keep the k largest probabilities (Switch, GShard);
* ``topk-softmax``  keep the k largest scores, softmax over just those (Mixtral);
* ``sigmoid``       a sigmoid affinity per expert, keep the k largest, divide by their sum
  (DeepSeek-V3). A per-expert bias may shift which experts are *chosen*, never the weights.

Balancing: the Switch/GShard auxiliary loss N·Σ f_i·P_i (f_i = share of routed slots that went to
expert i, P_i = mean router probability of expert i) is 1 when routing is uniform and N/k when every
token goes to the same k experts. DeepSeek-V3 instead nudges a selection bias down for overloaded
experts and up for underloaded ones, with no loss term.

Capacity: each expert accepts at most ceil(capacity_factor · T·k/N) of a batch's T tokens; the rest
overflow ("dropped": they skip the layer and ride the residual stream).
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace

import numpy as np

from . import checks, memory, models, serving

GATINGS = ("softmax-topk", "topk-softmax", "sigmoid")
BALANCING = ("none", "aux", "bias")

# DeepSeekMoE-16B (deepseek-ai/deepseek-moe-16b-base config.json, Jan 2024; DeepSeek-AI,
# "DeepSeekMoE", 2024): its model_type "deepseek" is not one models.from_hf_config reads MoE fields
# for, so the dense shell is read from the config and the expert fields are set here.
DEEPSEEKMOE_16B_CONFIG = {
    "model_type": "llama", "vocab_size": 102400, "hidden_size": 2048, "intermediate_size": 10944,
    "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 16,
    "max_position_embeddings": 4096, "tie_word_embeddings": False,
    "moe_intermediate_size": 1408, "n_routed_experts": 64, "n_shared_experts": 2,
    "num_experts_per_tok": 6, "first_k_dense_replace": 1,
    "source": "huggingface.co/deepseek-ai/deepseek-moe-16b-base config.json (as of 2024-01)",
}


def deepseekmoe_16b() -> models.Architecture:
    c = DEEPSEEKMOE_16B_CONFIG
    shell = models.Architecture.from_hf_config(
        {k: v for k, v in c.items() if k in ("model_type", "vocab_size", "hidden_size",
                                             "intermediate_size", "num_hidden_layers",
                                             "num_attention_heads", "num_key_value_heads",
                                             "max_position_embeddings", "tie_word_embeddings")},
        name="DeepSeekMoE-16B")
    L, first = c["num_hidden_layers"], c["first_k_dense_replace"]
    return replace(shell, num_experts=c["n_routed_experts"], experts_per_token=c["num_experts_per_tok"],
                   expert_intermediate_size=c["moe_intermediate_size"],
                   shared_expert_intermediate_size=c["n_shared_experts"] * c["moe_intermediate_size"],
                   moe_layers=tuple(i >= first for i in range(L)))


def architecture(name: str) -> models.Architecture:
    """A preset from models.json, or "DeepSeekMoE-16B"."""
    if name == "DeepSeekMoE-16B":
        return deepseekmoe_16b()
    return models.Architecture.preset(name)


def param_summary(arch: models.Architecture, with_router_and_norms: bool = True) -> dict:
    """Total and active parameters, the routed-expert weights alone, and the active share."""
    c = arch.param_counts()
    total, active = c["total"], c["active"]
    routed = 0
    if arch.is_moe:
        per = arch._mlp_params(arch.expert_intermediate_size, arch.expert_bias)
        routed = arch.num_experts * per * sum(arch.moe_layers)
        if not with_router_and_norms:
            strip = arch._router_params() * sum(arch.moe_layers) + c["norms"]
            total, active = total - strip, active - strip
    return {"total": total, "active": active, "routed_experts": routed,
            "active_share": active / total, "ratio": total / active}


def experts_touched(n_experts: int, k: int, batch: int) -> float:
    """Distinct experts per layer a batch of B tokens reaches under uniform routing: N·(1−(1−k/N)^B)."""
    n = checks.whole("experts", n_experts, 1)
    kk = checks.whole("experts per token", k, 1, n)
    b = checks.whole("batch", batch, 1)
    return serving.expected_experts_touched(n, kk, b)


def capacity(tokens: int, k: int, n_experts: int, factor: float = 1.0) -> int:
    """Slots per expert: ceil(factor · T·k/N). 256 tokens, k=2, N=8 → 64 at 1.0, 80 at 1.25."""
    t = checks.whole("tokens", tokens, 1)
    n = checks.whole("experts", n_experts, 1)
    kk = checks.whole("experts per token", k, 1, n)
    f = checks.number("capacity factor", factor, 0, positive=True)
    return math.ceil(f * t * kk / n - 1e-9)


# --- routing -------------------------------------------------------------------------------------

def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def route(logits, k: int, gating: str = "softmax-topk", temperature: float = 1.0, bias=None) -> dict:
    """Route T tokens given router scores (T, N).

    Returns ``experts`` (T, k) chosen indices, ``weights`` (T, k) their gate weights, and ``probs``
    (T, N) the router's distribution over all experts (what the auxiliary loss averages; for the
    sigmoid gate the affinities normalised over all N). ``bias`` (N,) shifts only the choice."""
    s = np.asarray(logits, dtype=float)
    if s.ndim != 2 or s.shape[1] < 1 or not np.all(np.isfinite(s)):
        raise ValueError("router scores must be a finite (tokens, experts) array")
    n = s.shape[1]
    kk = checks.whole("experts per token", k, 1, n)
    t = checks.number("router temperature", temperature, 0, positive=True)
    if gating not in GATINGS:
        raise ValueError(f"unknown gating {gating!r}; choose one of {', '.join(GATINGS)}")
    s = s / t
    b = np.zeros(n) if bias is None else np.asarray(bias, dtype=float)
    if gating == "sigmoid":
        aff = 1 / (1 + np.exp(-s))
        probs = aff / aff.sum(axis=1, keepdims=True)
        choose = aff + b
    else:
        probs = _softmax(s)
        choose = (probs if gating == "softmax-topk" else s) + b
    if kk < n:
        part = np.argpartition(-choose, kk - 1, axis=1)[:, :kk]
        order = np.argsort(-np.take_along_axis(choose, part, 1), axis=1, kind="stable")
        idx = np.take_along_axis(part, order, 1)
    else:
        idx = np.argsort(-choose, axis=1, kind="stable")
    if gating == "softmax-topk":
        w = np.take_along_axis(probs, idx, 1)
    elif gating == "topk-softmax":
        w = _softmax(np.take_along_axis(s, idx, 1))
    else:
        a = np.take_along_axis(aff, idx, 1)
        w = a / a.sum(axis=1, keepdims=True)
    return {"experts": idx, "weights": w, "probs": probs}


def load(experts, n_experts: int) -> np.ndarray:
    """Tokens routed to each expert (counts, length N)."""
    return np.bincount(np.asarray(experts).ravel(), minlength=n_experts).astype(float)


def aux_loss(probs, experts, n_experts: int) -> float:
    """Switch/GShard load-balancing loss N·Σ f_i·P_i: 1.0 when uniform, N/k when collapsed."""
    p = np.asarray(probs, dtype=float)
    counts = load(experts, n_experts)
    f = counts / counts.sum()
    P = p.mean(axis=0)
    return float(n_experts * np.sum(f * P))


def dispatch(experts, n_experts: int, cap: int) -> dict:
    """First come, first served: each expert keeps its first `cap` assignments; the rest are dropped.

    Returns ``kept`` (T, k) bools, ``dropped`` (assignments over capacity) and
    ``tokens_unserved`` (tokens none of whose experts had room)."""
    e = np.asarray(experts)
    kept = np.zeros(e.shape, dtype=bool)
    used = np.zeros(n_experts, dtype=int)
    for j in range(e.shape[1]):                    # first choices claim slots before second ones
        for t in range(e.shape[0]):
            x = e[t, j]
            if used[x] < cap:
                used[x] += 1
                kept[t, j] = True
    return {"kept": kept, "dropped": int((~kept).sum()),
            "tokens_unserved": int((~kept.any(axis=1)).sum())}


def bias_balance(bias, counts, rate: float = 1e-3) -> np.ndarray:
    """DeepSeek-V3's update: lower the bias of experts above the mean load, raise those below."""
    c = np.asarray(counts, dtype=float)
    return np.asarray(bias, dtype=float) - rate * np.sign(c - c.mean())


# --- a toy router, trained live ----------------------------------------------------------------

TOY_DIM = 16
TOY_BATCH = 64           # tokens per training step
TOY_LR, TOY_PULL, TOY_BIAS_RATE = 100.0, 0.005, 0.03


def toy_problem(n_experts: int, skew: float, seed: int = 0) -> dict:
    """Seeded synthetic token vectors (d = 16) and a router whose scores start tilted by `skew`."""
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 1 / math.sqrt(TOY_DIM), (TOY_DIM, n_experts))
    tilt = skew * np.sort(rng.normal(0, 1, n_experts))[::-1]
    return {"rng": rng, "W": w, "tilt": tilt}


def train_router(n_experts: int, k: int, *, gating="softmax-topk", temperature=1.0, skew=1.0,
                 balancing="none", aux_coef=1e-2, steps=0, seed=0, lr=None, pull=None,
                 bias_rate=None) -> dict:
    """Simulate `steps` of router training on fresh random token batches.

    The task's pull on the router is modelled, not learned: experts that got more than their share
    of tokens get better and so score higher next time (logit offset += pull·N·(f_i − 1/N)), the
    rich-get-richer loop that collapses unbalanced MoEs. Balancing then pushes back: ``aux`` takes a
    gradient step of aux_coef·N·Σf_i·P_i on the router weights (f held fixed, as in Switch),
    ``bias`` applies DeepSeek-V3's sign update to a selection-only bias. Returns the router state
    and, per step, the max-load/mean ratio and the aux loss."""
    n = checks.whole("experts", n_experts, 1)
    kk = checks.whole("experts per token", k, 1, n)
    st = checks.whole("steps", steps, 0, 10000)
    coef = checks.number("aux coefficient", aux_coef, 0)
    if balancing not in BALANCING:
        raise ValueError(f"unknown balancing {balancing!r}; choose one of {', '.join(BALANCING)}")
    prob = toy_problem(n, skew, seed)
    rng, W, offset = prob["rng"], prob["W"], prob["tilt"].copy()
    bias = np.zeros(n)
    lr = TOY_LR if lr is None else lr
    pull = TOY_PULL if pull is None else pull
    rate = bias_rate if bias_rate is not None else TOY_BIAS_RATE
    hist_imb, hist_aux = [], []
    for _ in range(st):
        x = rng.normal(0, 1, (TOY_BATCH, TOY_DIM))
        scores = x @ W + offset
        r = route(scores, kk, gating, temperature, bias)
        counts = load(r["experts"], n)
        f = counts / counts.sum()
        hist_imb.append(float(counts.max() / counts.mean()))
        hist_aux.append(aux_loss(r["probs"], r["experts"], n))
        offset = offset + pull * n * (f - 1 / n)
        if balancing == "aux":
            g = coef * n * f / TOY_BATCH                       # dL/dP_i per token
            p = r["probs"]
            if gating == "sigmoid":
                aff = 1 / (1 + np.exp(-scores / temperature))
                dz = aff * (1 - aff) * g[None, :] / aff.sum(axis=1, keepdims=True)
            else:
                dz = p * (g[None, :] - (p * g[None, :]).sum(axis=1, keepdims=True))
            dz = dz / temperature
            W = W - lr * x.T @ dz * TOY_BATCH / 8
            offset = offset - lr * dz.sum(axis=0)
        elif balancing == "bias":
            bias = bias_balance(bias, counts, rate)
    return {"W": W, "offset": offset, "bias": bias, "imbalance": hist_imb, "aux": hist_aux}


@functools.lru_cache(maxsize=16)
def _trained(*args) -> dict:
    """train_router, remembered: a demo that only changes the routed batch does not retrain."""
    n, k, gating, temperature, skew, balancing, aux_coef, steps, seed = args
    return train_router(n, k, gating=gating, temperature=temperature, skew=skew, balancing=balancing,
                        aux_coef=aux_coef, steps=steps, seed=seed)


def simulate(n_experts: int, k: int, tokens: int, *, gating="softmax-topk", temperature=1.0,
             skew=1.0, balancing="none", aux_coef=1e-2, capacity_factor=1.25, steps=0,
             seed=0) -> dict:
    """Train the toy router for `steps`, then route one evaluation batch of `tokens` tokens."""
    tr = _trained(int(n_experts), int(k), gating, float(temperature), float(skew), balancing,
                  float(aux_coef), int(steps), int(seed))
    t = checks.whole("tokens", tokens, 1, 100000)
    x = np.random.default_rng(seed + 1).normal(0, 1, (t, TOY_DIM))
    r = route(x @ tr["W"] + tr["offset"], k, gating, temperature, tr["bias"])
    cap = capacity(t, k, n_experts, capacity_factor)
    d = dispatch(r["experts"], n_experts, cap)
    counts = load(r["experts"], n_experts)
    return {**r, "counts": counts, "capacity": cap, **d,
            "aux": aux_loss(r["probs"], r["experts"], n_experts),
            "imbalance": float(counts.max() / counts.mean()),
            "history_imbalance": list(tr["imbalance"]), "history_aux": list(tr["aux"])}


# --- serving: memory holds everything, bandwidth is not sparse -------------------------------------

def serving_view(arch: models.Architecture, gpu: str, batch: int = 1, weight_dtype: str = "bf16",
                 context: int = 2048) -> dict:
    """Storage, GPUs needed, FLOPs per token and a bandwidth-bound decode step for an MoE, next to a
    dense model that reads only the MoE's active weights."""
    b = checks.whole("batch", batch, 1, 100000)
    ps = param_summary(arch)
    wbytes = memory.weights_bytes(arch, weight_dtype)
    n_gpus = max(1, math.ceil(wbytes / (0.9 * memory.gpu_capacity_bytes(gpu))))
    step = serving.decode_step(arch, gpu, b, context, weight_dtype, n_gpus=n_gpus)
    bytes_per = memory.weight_bits(weight_dtype) / 8
    c = arch.param_counts()
    dense_read = (c["active"] - c["embedding"]) * bytes_per
    dense_s = (dense_read + step["kv_bytes_read"]) / (serving.bandwidth(gpu) * n_gpus)
    return {**ps, "weights_bytes": wbytes, "n_gpus": n_gpus,
            "flops_per_token": 2 * c["active_excluding_input_embedding"],
            "experts_touched": step["experts_touched"], "step": step,
            "dense_equal_active_read": dense_read, "dense_equal_active_s": dense_s}


def summary(name: str) -> dict:
    """param_summary of a named model (a preset or "DeepSeekMoE-16B")."""
    return param_summary(architecture(name))


def view(name: str, gpu: str = "H100 SXM", batch: int = 1, weight_dtype: str = "bf16") -> dict:
    """serving_view of a named model, flattened with its decode step's fields."""
    v = serving_view(architecture(name), gpu, batch, weight_dtype)
    return {**v, **{k: v["step"][k] for k in ("weight_bytes_read", "step_s", "bound")}}
