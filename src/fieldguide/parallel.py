"""Splitting one training run across many GPUs: who holds what, what crosses the wire, and the
pipeline bubble.

Four ways to split a model, and the fifth for mixtures of experts:

* **data parallel (DP)** — every GPU holds the whole model and its optimizer state and reads its
  own slice of the batch; the gradients are all-reduced once per step;
* **pipeline parallel (PP)** — each GPU holds a contiguous stage of layers; activations go forward
  and their gradients back between neighbours, point to point;
* **tensor parallel (TP)** — every weight matrix is cut across the GPUs (Megatron-LM's column then
  row split), which costs two all-reduces of the activations per layer forward and two backward;
* **fully sharded data parallel (FSDP / ZeRO-3)** — every GPU keeps 1/n of the parameters,
  gradients and optimizer state, all-gathers each layer's weights just before using it (forward
  and again backward) and reduce-scatters the gradients;
* **expert parallel (EP)** — the experts of an MoE layer live on different GPUs; each token is
  sent to its experts and back with two all-to-alls forward and two backward.

Training state is counted as mixed-precision Adam's 16 bytes per parameter (2 BF16 weights + 2 BF16
gradients + 12 for the FP32 master copy and the two moments; Rajbhandari et al., "ZeRO", 2020);
activations are left out (the training-memory chapter counts them). Bytes on the wire are what one
GPU sends per step with the standard ring algorithms: all-reduce 2(n−1)/n·S, all-gather and
reduce-scatter (n−1)/n·S, all-to-all (n−1)/n of its own buffer, point-to-point S. Link speeds come
from `data/links.json`, per direction: NVLink 4 inside a node, one 400 Gb/s InfiniBand port per GPU
between nodes.
"""

from __future__ import annotations

import math

from . import data, memory, scaling
from .models import Architecture

MODES = ("DP", "PP", "TP", "FSDP", "EP")
TRAIN_BYTES_PER_PARAM = 16          # mixed-precision Adam (ZeRO paper, Rajbhandari et al. 2020)
GRAD_BYTES = 2                      # BF16 gradients and weights on the wire
ACT_BYTES = 2                       # BF16 activations
TOKENS_PER_STEP = 2 ** 20           # the toy layout's global batch: 256 sequences of 4,096 tokens
NODE_GPUS = 8                       # the toy cluster: 8 × H100 SXM per node
TOY_EXPERTS, TOY_TOP_K = 64, 4      # the toy MoE used for expert parallelism
HEAD_DIM = 128


# --- links and collectives -----------------------------------------------------------------------

def link_bandwidth(spans_nodes: bool) -> dict:
    """The per-direction bandwidth a collective runs at: NVLink 4 inside a node, one InfiniBand
    NDR port (400 Gb/s) per GPU between nodes. Bytes per second, with the source."""
    L = data.load("links")
    if spans_nodes:
        r = L["network"]
        return {"name": "InfiniBand 400 Gb/s", "bytes_per_s": r["per_direction_gbs"] * 1e9,
                "source": r["source"]}
    r = next(x for x in L["nvlink"] if x["prefix"] == "NVLink 4")
    return {"name": "NVLink 4", "bytes_per_s": r["per_direction_gbs"] * 1e9, "source": r["source"]}


def comm_bytes(kind: str, size: float, n: int) -> float:
    """Bytes one GPU sends for one collective over n GPUs on a buffer of `size` bytes (the full
    tensor for all-reduce/all-gather/reduce-scatter; the GPU's own buffer for all-to-all and
    point-to-point), with the bandwidth-optimal ring algorithms."""
    n = int(n)
    if n < 1:
        raise ValueError(f"a collective needs at least one GPU, got {n}")
    if not (size >= 0 and math.isfinite(size)):
        raise ValueError(f"size must be a finite number of bytes ≥ 0, got {size!r}")
    share = (n - 1) / n
    if kind == "all-reduce":
        return 2 * share * size
    if kind in ("all-gather", "reduce-scatter", "all-to-all"):
        return share * size
    if kind == "send":
        return float(size) if n > 1 else 0.0
    raise ValueError(f"unknown collective {kind!r}; known: all-reduce, all-gather, reduce-scatter, "
                     "all-to-all, send")


# --- a model of a given size, for the toy layouts -----------------------------------------------

def toy_arch(params: float, layers: int, moe: bool = False) -> Architecture:
    """A Llama-shaped model with about `params` parameters in `layers` layers: width d from
    12·layers·d² ≈ params (4d² attention + 8d² SwiGLU MLP), rounded to a multiple of 1,024 so the
    heads of 128 come in eights; a 32,000-token vocabulary.
    With moe=True the MLP becomes 64 experts (4 per token) holding the same 8d² per layer."""
    if not (1e6 <= float(params) <= 1e13):
        raise ValueError(f"parameters must be between 1e6 and 1e13, got {params!r}")
    layers = int(layers)
    if layers < 1:
        raise ValueError(f"layers must be at least 1, got {layers}")
    d = max(1024, round(math.sqrt(float(params) / (12 * layers)) / 1024) * 1024)   # heads: 8k
    heads = d // HEAD_DIM
    cfg = {"model_type": "llama", "hidden_size": d, "num_hidden_layers": layers,
           "num_attention_heads": heads, "num_key_value_heads": heads, "vocab_size": 32000,
           "intermediate_size": max(64, round(8 * d / 3 / 64) * 64)}
    if moe:
        cfg.update(model_type="mixtral", num_local_experts=TOY_EXPERTS,
                   num_experts_per_tok=TOY_TOP_K,
                   intermediate_size=max(8, round(8 * d / 3 / TOY_EXPERTS / 8) * 8))
    return Architecture.from_hf_config(cfg, name=f"toy {'MoE ' if moe else ''}{layers}-layer")


def layer_params(arch: Architecture) -> list[int]:
    """Parameters in each transformer layer (attention, norms, MLP or experts and router)."""
    pc = arch.param_counts()
    flags = arch.moe_layers or (False,) * arch.num_layers
    n_moe = sum(flags)
    n_dense = arch.num_layers - n_moe
    final_norm = pc["norms"] // (arch.norms_per_layer * arch.num_layers + 1)
    base = (pc["attention"] + pc["norms"] - final_norm) / arch.num_layers
    dense = pc["mlp_dense"] / n_dense if n_dense else 0
    moe = pc["experts"] / n_moe if n_moe else 0
    return [round(base + (moe if f else dense)) for f in flags]


def stages(arch: Architecture, p: int) -> list[dict]:
    """Split the layers into p contiguous stages as evenly as possible; the first stage also holds
    the input embedding, the last the output head and final norm. Each: first/last layer, params."""
    L = arch.num_layers
    p = int(p)
    if not 1 <= p <= L:
        raise ValueError(f"pipeline stages must be between 1 and the {L} layers, got {p}")
    per = layer_params(arch)
    pc = arch.param_counts()
    head = pc["unembedding"] + (arch.n_params - pc["embedding"] - pc["unembedding"] - sum(per))
    out, start = [], 0
    for i in range(p):
        size = L // p + (1 if i < L % p else 0)
        n = sum(per[start:start + size])
        if i == 0:
            n += pc["embedding"]
        if i == p - 1:
            n += head
        out.append({"first": start, "last": start + size - 1, "params": n})
        start += size
    return out


# --- who holds what ------------------------------------------------------------------------------

def _collective(name, kind, size, n, count, spans):
    link = link_bandwidth(spans)
    sent = comm_bytes(kind, size, n) * count
    return {"name": name, "kind": kind, "group": n, "size": size, "count": count,
            "bytes_per_gpu": sent, "link": link["name"], "seconds": sent / link["bytes_per_s"]}


def layout(mode: str, n_gpu: int, arch: Architecture, tokens: int = TOKENS_PER_STEP) -> dict:
    """What each of n_gpu GPUs holds under one pure strategy, its training state (16 B/param,
    activations excluded), and the collectives one step of `tokens` tokens needs.

    Returns {"mode", "n_gpu", "nodes", "gpus": [{"gpu", "node", "group", "holds", "params",
    "state_bytes"}], "collectives": [...], "comm_seconds", "compute_seconds", "max_state_bytes",
    "notes"}. compute_seconds is 6·N_active·tokens shared evenly by the GPUs that hold layers, at the
    H100's dense BF16 peak — a floor to set the link times against, not a prediction (a pipeline adds
    its bubble, and real runs reach perhaps 40% of peak)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    n = int(n_gpu)
    if n < 1:
        raise ValueError(f"the number of GPUs must be at least 1, got {n_gpu!r}")
    a = arch
    N, d, L = a.n_params, a.hidden_size, a.num_layers
    spans = n > NODE_GPUS
    nodes = math.ceil(n / NODE_GPUS)
    notes, coll, gpus = [], [], []

    def gpu_row(i, group, holds, params):
        gpus.append({"gpu": i, "node": i // NODE_GPUS, "group": group, "holds": holds,
                     "params": params, "state_bytes": params * TRAIN_BYTES_PER_PARAM})

    if mode == "DP":
        for i in range(n):
            gpu_row(i, 0, "the whole model + its optimizer state", N)
        coll.append(_collective("gradient all-reduce", "all-reduce", N * GRAD_BYTES, n, 1, spans))
    elif mode == "FSDP":
        for i in range(n):
            gpu_row(i, i, f"shard {i + 1}/{n} of every parameter, gradient and optimizer value",
                    N / n)
        w = N * GRAD_BYTES
        coll += [_collective("all-gather weights (forward)", "all-gather", w, n, 1, spans),
                 _collective("all-gather weights (backward)", "all-gather", w, n, 1, spans),
                 _collective("reduce-scatter gradients", "reduce-scatter", w, n, 1, spans)]
    elif mode == "PP":
        p = min(n, L)
        if n > L:
            notes.append(f"only {L} layers: {n - L} GPUs have no stage and sit idle")
        for i, s in enumerate(stages(a, p)):
            gpu_row(i, i, f"layers {s['first']}–{s['last']}" if s["first"] != s["last"]
                    else f"layer {s['first']}", s["params"])
        for i in range(p, n):
            gpu_row(i, -1, "nothing (more GPUs than layers)", 0)
        act = tokens * d * ACT_BYTES
        if p > 1:
            cross = p > NODE_GPUS                  # the slowest hop: a stage boundary between servers
            coll += [_collective("send activations to the next stage", "send", act, p, 1, cross),
                     _collective("send gradients to the previous stage", "send", act, p, 1, cross)]
    elif mode == "TP":
        if a.num_heads % n:
            notes.append(f"{a.num_heads} heads do not split evenly over {n} GPUs")
        for i in range(n):
            gpu_row(i, i, f"slice {i + 1}/{n} of every weight matrix", N / n)
        act = tokens * d * ACT_BYTES
        coll.append(_collective("activation all-reduces (2 forward + 2 backward per layer)",
                                "all-reduce", act, n, 4 * L, spans))
        if spans:
            notes.append("tensor parallelism across nodes: every layer waits on InfiniBand")
    else:                                                    # EP
        if not a.is_moe:
            raise ValueError("expert parallelism needs a mixture-of-experts model")
        E, k = a.num_experts, a.experts_per_token
        pc = a.param_counts()
        shared = N - pc["experts"]
        per = E / n
        for i in range(n):
            lo, hi = math.floor(i * per), math.floor((i + 1) * per) - 1
            holds = (f"experts {lo}–{hi}" if hi > lo else f"expert {lo}") + " + a copy of the rest"
            gpu_row(i, i, holds, shared + pc["experts"] * (hi - lo + 1) / E)
        if E < n:
            notes.append(f"{E} experts over {n} GPUs: some GPUs hold no expert")
        buf = tokens / n * k * d * ACT_BYTES
        moe_layers = sum(a.moe_layers)
        coll += [_collective("all-to-all: tokens to their experts and back (2 forward + 2 backward "
                             "per MoE layer)", "all-to-all", buf, n, 4 * moe_layers, spans),
                 _collective("all-reduce of the replicated (non-expert) gradients", "all-reduce",
                             shared * GRAD_BYTES, n, 1, spans)]
    peak = data.gpu("H100 SXM")["bf16_tflops"] * 1e12
    busy = [g for g in gpus if g["params"]]
    compute = scaling.train_flops(a.n_active_params, tokens) / len(busy) / peak
    return {"mode": mode, "n_gpu": n, "nodes": nodes, "gpus": gpus, "collectives": coll,
            "comm_seconds": sum(c["seconds"] for c in coll), "compute_seconds": compute,
            "max_state_bytes": max(g["state_bytes"] for g in gpus), "notes": notes,
            "tokens": tokens, "arch": a}


# --- the pipeline bubble -------------------------------------------------------------------------

def bubble_fraction(p: int, m: int) -> float:
    """Idle share of a GPipe or 1F1B pipeline with p stages and m micro-batches: (p−1)/(m+p−1)."""
    return (p - 1) / (m + p - 1)


def pipeline_schedule(p: int, m: int, kind: str = "GPipe", t_f: int = 1, t_b: int = 2) -> dict:
    """Simulate one training step of a p-stage pipeline on m micro-batches.

    GPipe (Huang et al. 2019): every stage runs all m forwards, then all m backwards.
    1F1B (PipeDream-flush, Narayanan et al. 2021): stage s runs min(p−s−1, m) forwards to fill the
    pipe, then alternates one forward and one backward, then drains the remaining backwards.
    A forward takes t_f time units and a backward t_b; each op starts as soon as its stage is free
    and its input (the previous stage's forward, the next stage's backward) is done.

    Returns {"ops": [(stage, "F"/"B", microbatch, start, end)], "makespan", "bubble",
    "peak_activations": per stage, the most micro-batches whose activations are held at once}."""
    p, m = int(p), int(m)
    if p < 1 or m < 1:
        raise ValueError(f"stages and micro-batches must be at least 1, got p={p}, m={m}")
    if kind not in ("GPipe", "1F1B"):
        raise ValueError(f"unknown schedule {kind!r}; choose GPipe or 1F1B")
    order = []
    for s in range(p):
        if kind == "GPipe":
            seq = [("F", j) for j in range(m)] + [("B", j) for j in range(m)]
        else:
            warm = min(p - s - 1, m)
            seq = [("F", j) for j in range(warm)]
            f, b = warm, 0
            while f < m:
                seq += [("F", f), ("B", b)]
                f, b = f + 1, b + 1
            seq += [("B", j) for j in range(b, m)]
        order.append(seq)
    done = {}
    free = [0] * p
    nxt = [0] * p
    ops = [[] for _ in range(p)]
    remaining = 2 * p * m
    while remaining:
        progressed = False
        for s in range(p):
            seq, mine = order[s], ops[s]
            while nxt[s] < len(seq):
                op, j = seq[nxt[s]]
                if op == "F":
                    ready = 0 if s == 0 else done.get((s - 1, "F", j))
                else:
                    ready = done.get((s + 1, "B", j) if s < p - 1 else (s, "F", j))
                if ready is None:
                    break
                start = max(free[s], ready)
                end = start + (t_f if op == "F" else t_b)
                done[(s, op, j)] = free[s] = end
                mine.append((s, op, j, start, end))
                nxt[s] += 1
                remaining -= 1
                progressed = True
        if not progressed:                                  # cannot happen for these schedules
            raise RuntimeError("pipeline schedule deadlocked")
    makespan = max(o[-1][4] for o in ops)
    busy = p * m * (t_f + t_b)
    peak = []
    for mine in ops:                      # a micro-batch's activations live from its forward's
        held = best = 0                   # start until its backward ends
        for _, op, _, _, _ in mine:
            if op == "F":
                held += 1
                best = max(best, held)
            else:
                held -= 1
        peak.append(best)
    ops = [o for mine in ops for o in mine]
    return {"p": p, "m": m, "kind": kind, "ops": ops,
            "makespan": makespan, "bubble": 1 - busy / (p * makespan), "peak_activations": peak,
            "t_f": t_f, "t_b": t_b}


# --- the planner -----------------------------------------------------------------------------------

def _pow2_upto(g: int) -> list[int]:
    out, t = [], 1
    while t <= g:
        out.append(t)
        t *= 2
    return out


def plan(arch, gpu: str, gpus_per_node: int = 8, precision: str = "bf16", moe: bool | None = None) -> dict:
    """The smallest model-parallel layout whose GPUs can hold the weights at all.

    Rule: fits on one GPU → data parallel only; fits on one node → tensor parallel inside it (the
    smallest power of two that fits and divides the heads); bigger → TP over the whole node plus
    as few pipeline stages as fit; with `moe` the experts are spread over the node by expert
    parallelism (EP) instead of being cut by TP. Only the weights are counted: gradients, optimizer
    state and activations need more, which data parallel sharding (ZeRO/FSDP) and more stages
    provide. Capacity is what the driver reports (`memory.gpu_capacity_bytes`). "tried" lists
    every layout considered, in order, with its weights per GPU; the last is the answer."""
    a = arch if isinstance(arch, Architecture) else Architecture.preset(arch)
    if precision not in ("bf16", "fp8"):
        raise ValueError(f"precision must be bf16 or fp8, got {precision!r}")
    g = int(gpus_per_node)
    if g < 1:
        raise ValueError(f"GPUs per node must be at least 1, got {gpus_per_node!r}")
    use_ep = a.is_moe if moe is None else bool(moe and a.is_moe)
    bpp = memory.dtype_bits(precision) / 8
    cap = memory.gpu_capacity_bytes(gpu)
    total = memory.weights_bytes(a, precision)
    pc = a.param_counts()
    E = a.num_experts

    def per_gpu(tp, pp, ep):
        worst = 0.0
        for s in stages(a, pp):
            frac_exp = 0.0
            if a.is_moe:
                n_exp_layers = sum(a.moe_layers[s["first"]:s["last"] + 1])
                frac_exp = pc["experts"] * n_exp_layers / max(1, sum(a.moe_layers))
            dense = s["params"] - frac_exp
            held = dense / tp + (frac_exp / ep if ep > 1 else frac_exp / tp)
            worst = max(worst, held * bpp)
        return worst

    tps = [t for t in _pow2_upto(g) if a.num_heads % t == 0]
    tried = [{"tp": 1, "pp": 1, "ep": 1, "per_gpu": float(total)}]
    tp = pp = ep = 1
    if total <= cap:
        rule = "fits on one GPU: data parallel only"
    else:
        ep = max(t for t in _pow2_upto(min(g, E)) if E % t == 0) if use_ep else 1
        found = False
        for t in tps[1:] if ep == 1 else tps:
            tried.append({"tp": t, "pp": 1, "ep": ep, "per_gpu": per_gpu(t, 1, ep)})
            if tried[-1]["per_gpu"] <= cap:
                tp, found = t, True
                break
        if found:
            rule = "fits on one node: tensor parallel inside it, data parallel across nodes"
        else:
            tp = tps[-1]
            for q in range(2, a.num_layers + 1):
                tried.append({"tp": tp, "pp": q, "ep": ep, "per_gpu": per_gpu(tp, q, ep)})
                if tried[-1]["per_gpu"] <= cap:
                    pp, found = q, True
                    break
            if not found:
                raise ValueError(f"{a.name} does not fit even with one layer per pipeline stage")
            rule = "bigger than a node: TP inside each node, pipeline stages across nodes, then DP"
        if use_ep:
            rule += "; experts spread by expert parallelism"
    weights_gpu = tried[-1]["per_gpu"]
    gpus = tp * pp
    return {"arch": a, "gpu": gpu, "gpus_per_node": g, "precision": precision, "tp": tp, "pp": pp,
            "ep": ep, "gpus": gpus, "nodes": math.ceil(gpus / g), "rule": rule,
            "weights_total": total, "weights_per_gpu": weights_gpu, "capacity": cap,
            "node_capacity": cap * g, "free_per_gpu": cap - weights_gpu,
            "train_state_total": a.n_params * TRAIN_BYTES_PER_PARAM,
            "min_gpus_full_shard": math.ceil(a.n_params * TRAIN_BYTES_PER_PARAM / cap),
            "moe": use_ep, "tried": tried}
