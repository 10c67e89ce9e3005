"""Continuous batching on the roofline: step times, the batch knee, a serving simulation, chunked prefill.

Every time here is a *model*: `serving.decode_step`'s roofline (the larger of bytes ÷ bandwidth and
FLOPs ÷ peak) for a named model preset on a named GPU, not a measurement of any engine.

`StepModel` turns one preset + GPU into the two straight lines decode_step draws, so a simulation
can price thousands of iterations cheaply:

    memory term  = (weight bytes + KV bytes per cached token × Σ context) / bandwidth
    compute term = (2·active params × tokens in the step + attention FLOPs per cached token × Σ context) / peak

and a step takes the larger of the two. (Dense, full-attention models only: sliding windows and
MoE routing make the lines bend; `StepModel.from_preset` refuses those.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import checks, memory, models, serving, speculative

# The source's batch table (000 L1668–1675): step time T_B in ms at batch B, a Llama-70B-class model on
# H100s as the source states it. Throughput is B / T_B; the source's printed tok/s are these rounded.
SOURCE_TABLE_MS = {1: 30.0, 8: 31.0, 32: 34.0, 64: 40.0, 128: 62.0, 256: 118.0}


@dataclass(frozen=True)
class StepModel:
    """One model on one GPU as straight lines (bytes/s and FLOP/s already scaled by efficiency)."""
    weight_bytes: float          # read once per iteration, whatever the batch
    kv_bytes_per_token: float    # read per cached token per iteration
    flops_per_token: float       # 2 × active parameters (weight matmuls) per token through the model
    attn_flops_per_cached: float  # per new token per cached token it attends to
    bandwidth: float
    peak: float
    name: str = ""

    @classmethod
    def from_preset(cls, model: str, gpu: str, weight_dtype: str = "bf16", kv_dtype: str = "bf16",
                    n_gpus: int = 1, efficiency: float = 1.0) -> "StepModel":
        arch = models.Architecture.preset(model)
        if arch.is_moe or any(arch.cached_tokens(i, 10**7) < 10**7 for i in range(arch.num_layers)):
            raise ValueError(f"{model}: the batching model needs a dense, full-attention model")
        d0 = serving.decode_step(arch, gpu, 1, 0, weight_dtype, kv_dtype, n_gpus, efficiency)
        d1 = serving.decode_step(arch, gpu, 1, 1024, weight_dtype, kv_dtype, n_gpus, efficiency)
        if not d0["has_peak"]:
            raise ValueError(f"{gpu} has no published peak for this format")
        bw = d0["weight_bytes_read"] / d0["memory_s"]
        peak = d0["flops"] / d0["compute_s"]
        return cls(d0["weight_bytes_read"], d1["kv_bytes_read"] / 1024, d0["flops"],
                   (d1["flops"] - d0["flops"]) / 1024, bw, peak, f"{model} on {n_gpus}× {gpu}")

    def step(self, batch, sum_context, prefill_flops=0.0, positions=1):
        """Seconds for one iteration: `batch` decoding sequences holding `sum_context` cached tokens in
        all, plus any prefill FLOPs done in the same pass (the weights are read once for both).
        `positions` > 1 scores that many positions per sequence (a speculative verify pass): the
        arithmetic multiplies, the weight and cache reads do not."""
        if isinstance(sum_context, (int, float)):          # scalar fast path: the simulation's hot loop
            return max((self.weight_bytes + self.kv_bytes_per_token * sum_context) / self.bandwidth,
                       (positions * (self.flops_per_token * batch + self.attn_flops_per_cached * sum_context)
                        + prefill_flops) / self.peak)
        mem = (self.weight_bytes + self.kv_bytes_per_token * np.asarray(sum_context, float)) / self.bandwidth
        comp = (positions * (self.flops_per_token * np.asarray(batch, float)
                             + self.attn_flops_per_cached * np.asarray(sum_context, float))
                + prefill_flops) / self.peak
        return np.maximum(mem, comp)

    def prefill_flops(self, tokens, start=0):
        """FLOPs to prefill `tokens` prompt tokens that follow `start` already cached ones (causal)."""
        t = float(tokens)
        return self.flops_per_token * t + self.attn_flops_per_cached * (t * start + t * (t + 1) / 2)


# --- the knee --------------------------------------------------------------------------------------

BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


def knee(batches, step_s) -> int:
    """The largest batch whose step time is at most twice batch 1's: past it, per-user speed has halved."""
    b, t = list(batches), list(step_s)
    return max(x for x, s in zip(b, t) if s <= 2 * t[0])


def throughput_curve(model: str = "Llama-3.1-8B", gpu: str = "H100 SXM", context: int = 2048,
                     tpot_slo_ms: float = 40.0, table: bool = False, efficiency: float = 1.0) -> dict:
    """T_B and B/T_B over a grid of batches, the knee, the largest batch within a time-per-token SLO,
    and the most `context`-token sequences whose KV cache fits beside the weights.

    With `table`, T_B is the source's table (SOURCE_TABLE_MS) instead of the roofline.
    """
    ctx = checks.whole("context", context, 1, 10**7)
    slo = checks.number("time-per-token SLO", tpot_slo_ms, positive=True) / 1e3
    fits = memory.max_concurrent(model, gpu, 1, ctx)
    if table:
        batches = list(SOURCE_TABLE_MS)
        step = [SOURCE_TABLE_MS[b] / 1e3 for b in batches]
        ok = [b for b, s in zip(batches, step) if s <= slo]
        slo_batch = max(ok) if ok else 0
    else:
        sm = StepModel.from_preset(model, gpu, efficiency=efficiency)
        batches = list(BATCHES)
        step = [float(sm.step(b, b * ctx)) for b in batches]
        # the step time rises with B, so the largest B within the SLO is one bisection away
        lo, hi = 0, 1
        while float(sm.step(hi, hi * ctx)) <= slo and hi < 10**6:
            lo, hi = hi, hi * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if float(sm.step(mid, mid * ctx)) <= slo else (lo, mid)
        slo_batch = lo
    tput = [b / s for b, s in zip(batches, step)]
    return {"batches": batches, "step_s": step, "tokens_per_s": tput, "knee": knee(batches, step),
            "slo_batch": slo_batch, "kv_fit_batch": fits, "table": bool(table)}


# --- a serving simulation --------------------------------------------------------------------------

WORKLOADS = {
    "chat-uniform": "prompts 200–2,000 tokens, replies 50–500, Poisson arrivals",
    "bimodal 50 & 5,000": "prompts 500 tokens; 80% of replies are 50 tokens, 20% are 5,000",
    "bursty agent": "prompts 3,000–6,000 tokens (tool context), replies 20–300, arrivals in bursts of 8",
}
MODES = ("static", "continuous", "continuous + speculative")
# speculative mode: a Llama-3.2-1B draft proposes SPEC_GAMMA tokens per pass, each accepted with an
# assumed probability SPEC_ALPHA (a TOY choice, not a measured rate)
DRAFT, SPEC_ALPHA, SPEC_GAMMA = "Llama-3.2-1B", 0.7, 4


def requests(workload: str, n: int, arrival_rate: float, seed: int) -> dict:
    """A seeded synthetic workload: arrival times (s), prompt and reply lengths (tokens)."""
    if workload not in WORKLOADS:
        raise ValueError(f"workload must be one of {', '.join(WORKLOADS)}, got {workload!r}")
    rate = checks.number("arrival rate", arrival_rate, positive=True)
    rng = np.random.default_rng(checks.whole("seed", seed, 0, 2**32 - 1))
    if workload == "chat-uniform":
        t = np.cumsum(rng.exponential(1 / rate, n))
        prompt = rng.integers(200, 2001, n)
        out = rng.integers(50, 501, n)
    elif workload == "bimodal 50 & 5,000":
        t = np.cumsum(rng.exponential(1 / rate, n))
        prompt = np.full(n, 500)
        out = np.where(rng.random(n) < 0.8, 50, 5000)
    else:
        bursts = -(-n // 8)
        t = np.repeat(np.cumsum(rng.exponential(8 / rate, bursts)), 8)[:n]
        prompt = rng.integers(3000, 6001, n)
        out = rng.integers(20, 301, n)
    return {"arrival": t - t[0], "prompt": prompt.astype(int), "output": out.astype(int)}


def simulate(sm: StepModel, reqs: dict, slots: int, mode: str = "continuous", draft: StepModel | None = None,
             alpha: float = SPEC_ALPHA, gamma: int = SPEC_GAMMA) -> dict:
    """Serve `reqs` with at most `slots` sequences per iteration, iteration by iteration.

    static: when the engine is idle it takes up to `slots` waiting requests, prefills them together and
    decodes until the *last* of them finishes; a finished request's slot stays empty. continuous
    (Orca-style iteration-level scheduling): before every iteration, finished requests leave and
    waiting ones fill the free slots. A newly admitted request is prefilled whole in the iteration that
    admits it, which also emits its first token; every running request emits one token per iteration.
    continuous + speculative: as continuous, but each iteration is `gamma` steps of the `draft` model
    plus one verify pass of the target over gamma + 1 positions per sequence, and every running
    request gains speculative.expected_tokens(alpha, gamma) tokens — the average, not a random draw.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    cap = checks.whole("slots", slots, 1, 100000)
    spec = mode == "continuous + speculative"
    if spec and draft is None:
        raise ValueError("speculative mode needs a draft StepModel")
    gain = speculative.expected_tokens(alpha, gamma) if spec else 1.0
    positions = gamma + 1 if spec else 1
    arr, pr, out = reqs["arrival"], reqs["prompt"], reqs["output"]
    n = len(arr)
    admit, first, finish, lane = (np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, int))
    t, nxt, done = 0.0, 0, 0
    queue: list[int] = []
    active: list[int] = []
    remaining = out.astype(float).copy()
    ctx = pr.astype(float).copy()
    free = list(range(cap))[::-1]
    busy_s = slot_s = 0.0
    while done < n:
        while nxt < n and arr[nxt] <= t:
            queue.append(nxt)
            nxt += 1
        new = []
        if mode != "static" or not active:
            while queue and free:
                i = queue.pop(0)
                lane[i] = free.pop()
                admit[i] = t
                new.append(i)
            active += new
        if not active:
            t = float(arr[nxt])
            continue
        act = np.array(active)
        b = len(active)
        k = max(1, math.ceil(float(remaining[act].min()) / gain - 1e-9))
        s0 = float(ctx[act].sum())
        look_ahead = mode != "static" and free and nxt < n
        if look_ahead:
            # steps only grow, so the first one bounds how many can pass before the next arrival
            t_lo = sm.step(b, s0, 0.0, positions) + (gamma * draft.step(b, s0) if spec else 0.0)
            k = min(k, math.ceil((arr[nxt] - t) / t_lo) + 1)
        sums = s0 + gain * b * np.arange(k)
        times = sm.step(b, sums, 0.0, positions)
        if spec:
            times = times + gamma * draft.step(b, sums)
        if new:
            pre = sum(sm.prefill_flops(pr[i]) for i in new)
            times[0] = float(sm.step(b, s0, pre, positions))
            if spec:
                times[0] += gamma * float(draft.step(b, s0)) + sum(draft.prefill_flops(pr[i]) for i in new) / draft.peak
        cum = t + np.cumsum(times)
        if look_ahead:
            # stop after the iteration during which the next request arrives
            k = min(k, int(np.searchsorted(cum, arr[nxt])) + 1)
        for i in new:
            first[i] = cum[0]
        busy_s += float(cum[k - 1] - t)
        slot_s += float(cum[k - 1] - t) * b
        t = float(cum[k - 1])
        remaining[act] -= k * gain
        ctx[act] += k * gain
        ended = remaining[act] <= 1e-9
        finish[act[ended]] = t
        free += lane[act[ended]].tolist()
        done += int(ended.sum())
        active = act[~ended].tolist()
    lat = finish - arr
    tokens = int(out.sum())
    span = float(finish.max() - arr[0])
    return {"mode": mode, "slots": cap, "n": n, "tokens": tokens, "makespan_s": span,
            "tokens_per_s": tokens / span, "busy_s": busy_s,
            "utilization": slot_s / (cap * busy_s), "mean_batch": slot_s / busy_s,
            "latency_mean_s": float(lat.mean()), "latency_p99_s": float(np.percentile(lat, 99)),
            "ttft_mean_s": float((first - arr).mean()),
            "tpot_mean_s": float(np.mean((finish - first) / np.maximum(out - 1, 1))),
            "arrival": arr, "admit": admit, "first": first, "finish": finish, "lane": lane}


@lru_cache(maxsize=32)
def step_model(model: str = "Llama-3.1-8B", gpu: str = "H100 SXM") -> StepModel:
    """StepModel.from_preset for BF16 weights and cache on one GPU, cached (demos reuse it)."""
    return StepModel.from_preset(model, gpu)


def serve(workload: str, mode: str, slots: int = 32, arrival_rate: float = 5.0, seed: int = 0, n: int = 60,
          model: str = "Llama-3.1-8B", gpu: str = "H100 SXM") -> dict:
    """`n` requests of a synthetic workload served on the roofline model of `model` on one `gpu`."""
    draft = step_model(DRAFT, gpu) if mode == "continuous + speculative" else None
    return simulate(step_model(model, gpu), requests(workload, n, arrival_rate, seed), slots, mode, draft)


# --- chunked prefill --------------------------------------------------------------------------------

def chunked_prefill_sim(sm: StepModel, prompt_len: int, chunk: int | None, decoders: int,
                        token_budget: int, context: int = 2048, iterations: int = 0) -> dict:
    """`decoders` sequences are decoding (each at `context` cached tokens) when a `prompt_len`-token
    prompt arrives at iteration 0. Without chunking (`chunk=None`) its whole prefill rides in one
    iteration; with chunking each iteration carries the decoders plus at most
    min(chunk, token_budget − decoders) prompt tokens (Sarathi-Serve's stall-free batching).
    Returns per-iteration times — the gap between two tokens of every decoder — and the new request's
    time to first token (the iteration that finishes its prompt also emits its first token)."""
    p = checks.whole("prompt length", prompt_len, 1, 10**7)
    d = checks.whole("decoders", decoders, 1, 10**5)
    budget = checks.whole("token budget", token_budget, 1, 10**7)
    if chunk is None:
        pieces = [p]
    else:
        c = min(checks.whole("chunk", chunk, 1, 10**7), budget - d)
        if c < 1:
            raise ValueError(f"token budget {budget:,} leaves no room for prefill beside {d:,} decoders")
        pieces = [c] * (p // c) + ([p % c] if p % c else [])
    times, start, sum_ctx = [], 0, d * context
    for j, c in enumerate(pieces):
        times.append(float(sm.step(d, sum_ctx + j * d, sm.prefill_flops(c, start))))
        start += c
    ttft = sum(times)
    plain = float(sm.step(d, sum_ctx + len(pieces) * d))
    times += [float(sm.step(d, sum_ctx + (len(pieces) + j) * d)) for j in range(iterations)]
    return {"times_s": times, "pieces": pieces, "ttft_s": ttft, "max_gap_s": max(times),
            "plain_step_s": plain, "stalled_iterations": len(pieces)}
