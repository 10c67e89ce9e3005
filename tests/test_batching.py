"""Continuous batching on the roofline: hand-checked step times, the source table, simulation identities."""

import numpy as np
import pytest

from fieldguide import batching, serving

SM = batching.StepModel.from_preset("Llama-3.1-8B", "H100 SXM")


@pytest.mark.parametrize("b, ctx", [(1, 0), (1, 4096), (16, 3000), (300, 8192)])
def test_step_model_is_decode_step(b, ctx):
    d = serving.decode_step("Llama-3.1-8B", "H100 SXM", b, ctx)
    assert float(SM.step(b, b * ctx)) == pytest.approx(d["step_s"], rel=1e-12)


def test_batch_one_is_the_weight_read():
    # 8B in BF16: ~15.0 GB of non-embedding weights over 3.35 TB/s ≈ 4.48 ms at zero context
    assert float(SM.step(1, 0)) == pytest.approx(SM.weight_bytes / 3.35e12)
    assert float(SM.step(1, 0)) * 1e3 == pytest.approx(4.48, abs=0.01)


def test_prefill_flops_by_hand():
    # 3 tokens after 2 cached: matmuls 3·f, attention over 3, 4, 5 cached tokens = 2·3 + 6
    f, a = SM.flops_per_token, SM.attn_flops_per_cached
    assert SM.prefill_flops(3, 2) == pytest.approx(3 * f + a * (3 + 4 + 5))


def test_moe_and_sliding_windows_are_refused():
    with pytest.raises(ValueError, match="dense"):
        batching.StepModel.from_preset("Mixtral-8x7B", "H100 SXM")


def test_source_table_recomputes():
    c = batching.throughput_curve(table=True, tpot_slo_ms=40)
    assert [round(x, 1) for x in c["tokens_per_s"]] == [33.3, 258.1, 941.2, 1600.0, 2064.5, 2169.5]
    assert c["knee"] == 64 and c["slo_batch"] == 64


def test_roofline_curve():
    c = batching.throughput_curve("Llama-3.1-8B", "H100 SXM", 2048, 40)
    tps = c["tokens_per_s"]
    assert all(b > a for a, b in zip(tps, tps[1:]))                    # throughput keeps rising …
    gains = [b / a for a, b in zip(tps, tps[1:])]
    assert all(b < a for a, b in zip(gains, gains[1:]))                 # … by less at every doubling
    i = c["batches"].index(c["knee"])
    assert c["step_s"][i] <= 2 * c["step_s"][0] < c["step_s"][i + 1]
    s = c["slo_batch"]                                                  # exact integer boundary
    assert float(SM.step(s, s * 2048)) <= 0.040 < float(SM.step(s + 1, (s + 1) * 2048))
    assert c["kv_fit_batch"] < s                                        # 8B at 2K: memory binds first


def _one(prompt, out, t=0.0):
    return {"arrival": np.array([t], float), "prompt": np.array(prompt), "output": np.array(out)}


def test_single_request_by_hand():
    r = _one([100], [3])
    s = batching.simulate(SM, r, 4, "continuous")
    t0 = float(SM.step(1, 100, SM.prefill_flops(100)))
    t1, t2 = float(SM.step(1, 101)), float(SM.step(1, 102))
    assert s["first"][0] == pytest.approx(t0)
    assert s["finish"][0] == pytest.approx(t0 + t1 + t2)
    assert s["utilization"] == pytest.approx(0.25)


def test_static_strands_slots_continuous_refills():
    # two slots; a 2-token and a 10-token reply at t=0, a third request right behind them
    r = {"arrival": np.array([0.0, 0.0, 1e-6]), "prompt": np.array([10, 10, 10]), "output": np.array([2, 10, 2])}
    st = batching.simulate(SM, r, 2, "static")
    co = batching.simulate(SM, r, 2, "continuous")
    assert st["admit"][2] == pytest.approx(st["finish"][1])           # waits for the whole batch
    assert co["admit"][2] == pytest.approx(co["finish"][0])           # takes the freed slot
    assert co["finish"][2] < st["finish"][2]
    assert co["utilization"] > st["utilization"]


@pytest.mark.parametrize("workload", list(batching.WORKLOADS))
@pytest.mark.parametrize("mode", batching.MODES)
def test_simulation_identities(workload, mode):
    r = batching.requests(workload, 40, 20, 3)
    s = batching.simulate(SM, r, 16, mode, batching.step_model(batching.DRAFT))
    assert s["tokens_per_s"] * s["makespan_s"] == pytest.approx(r["output"].sum())
    assert np.all(r["arrival"] <= s["admit"]) and np.all(s["admit"] < s["first"])
    assert np.all(s["first"] <= s["finish"])
    assert 0 < s["utilization"] <= 1 and s["mean_batch"] == pytest.approx(16 * s["utilization"])
    # each iteration takes at least the batch-1 weight read, and yields 1 token per stream (or the
    # speculative average)
    gain = 1 if mode != "continuous + speculative" else batching.speculative.expected_tokens(0.7, 4)
    assert np.all(s["finish"] - s["first"] >= ((r["output"] - 1) / gain - 1) * float(SM.step(1, 0)))
    # no slot ever holds two requests at once
    for lane in set(s["lane"]):
        idx = np.flatnonzero(s["lane"] == lane)
        order = idx[np.argsort(s["admit"][idx])]
        assert np.all(s["admit"][order[1:]] >= s["finish"][order[:-1]] - 1e-12)


def test_continuous_beats_static_on_ragged_lengths():
    r = batching.requests("bimodal 50 & 5,000", 60, 5, 0)
    st, co = (batching.simulate(SM, r, 32, m) for m in ("static", "continuous"))
    assert co["tokens_per_s"] > 1.5 * st["tokens_per_s"]
    assert co["latency_mean_s"] < st["latency_mean_s"] / 2


def test_light_load_throughput_is_the_offered_load():
    r = batching.requests("chat-uniform", 60, 0.2, 1)
    co = batching.simulate(SM, r, 32, "continuous")
    offered = r["output"].sum() / (r["arrival"][-1] - r["arrival"][0])
    assert co["tokens_per_s"] == pytest.approx(offered, rel=0.1)


def test_speculative_mode():
    # α = 0.7, γ = 4: (1 − 0.7⁵)/(1 − 0.7) ≈ 2.77 tokens per pass; each pass costs a verify over 5
    # positions plus 4 draft steps of the 1B model
    draft = batching.step_model("Llama-3.2-1B")
    r = _one([100], [12])
    s = batching.simulate(SM, r, 4, "continuous + speculative", draft)
    gain = batching.speculative.expected_tokens(0.7, 4)
    assert gain == pytest.approx(2.7731, abs=1e-4)
    passes = int(np.ceil(12 / gain))
    assert passes == 5
    t = float(SM.step(1, 100, SM.prefill_flops(100), 5)) + 4 * float(draft.step(1, 100)) \
        + draft.prefill_flops(100) / draft.peak
    t += sum(float(SM.step(1, 100 + j * gain, 0, 5)) + 4 * float(draft.step(1, 100 + j * gain))
             for j in range(1, passes))
    assert s["finish"][0] == pytest.approx(t)
    # at light load speculation cuts time per token; it needs a draft
    a, b = (batching.serve("chat-uniform", m) for m in ("continuous", "continuous + speculative"))
    assert b["tpot_mean_s"] < 0.7 * a["tpot_mean_s"]
    with pytest.raises(ValueError, match="draft"):
        batching.simulate(SM, r, 4, "continuous + speculative")


def test_chunked_prefill():
    whole = batching.chunked_prefill_sim(SM, 32768, None, 16, 2048)
    ch = batching.chunked_prefill_sim(SM, 32768, 512, 16, 2048)
    assert ch["pieces"] == [512] * 64 and whole["pieces"] == [32768]
    assert whole["max_gap_s"] > 50 * ch["plain_step_s"]                # the stall
    assert ch["max_gap_s"] < 4 * ch["plain_step_s"]                    # protected
    assert whole["ttft_s"] < ch["ttft_s"] < 1.1 * whole["ttft_s"]      # a small TTFT cost
    # the budget caps the chunk: 512 − 16 decode tokens leaves 496
    assert batching.chunked_prefill_sim(SM, 1000, 4096, 16, 512)["pieces"] == [496, 496, 8]
    with pytest.raises(ValueError, match="budget"):
        batching.chunked_prefill_sim(SM, 1000, 512, 64, 64)


def test_bad_inputs():
    with pytest.raises(ValueError, match="workload"):
        batching.requests("nope", 5, 1, 0)
    with pytest.raises(ValueError, match="mode"):
        batching.simulate(SM, batching.requests("chat-uniform", 5, 1, 0), 4, "greedy")
    with pytest.raises(ValueError, match="slots"):
        batching.simulate(SM, batching.requests("chat-uniform", 5, 1, 0), 0)


# --- the chapter's sentences (docs/act-5/batching.md) stay true --------------------------------------

def test_chapter_claims():
    c2, c16 = batching.throughput_curve(context=2048), batching.throughput_curve(context=16384)
    assert c16["knee"] < c2["knee"]                                     # the knee moves left at 16K …
    assert c16["kv_fit_batch"] < c16["slo_batch"]                       # … and memory binds, not the SLO
    assert batching.throughput_curve(tpot_slo_ms=10)["slo_batch"] < c2["slo_batch"]
    # at B = 64 and 2K the cache read outweighs the weights, and the arithmetic is a small share
    assert 64 * 2048 * SM.kv_bytes_per_token > SM.weight_bytes
    assert 64 * (SM.flops_per_token + SM.attn_flops_per_cached * 2048) / SM.peak < 0.2 * float(SM.step(64, 64 * 2048))
    st, co, sp = (batching.serve("bimodal 50 & 5,000", m) for m in batching.MODES)
    assert co["utilization"] > st["utilization"] and co["tokens_per_s"] > st["tokens_per_s"]
    assert co["ttft_mean_s"] < 0.01 * st["ttft_mean_s"]
    assert sp["tpot_mean_s"] < co["tpot_mean_s"]
    # long prompts admitted whole stall the decoders: continuous has the worse time per token here
    ag_st, ag_co = (batching.serve("bursty agent", m) for m in ("static", "continuous"))
    assert ag_co["tpot_mean_s"] > ag_st["tpot_mean_s"] and ag_co["latency_mean_s"] < ag_st["latency_mean_s"]
    # at 1 request/s both modes serve about the offered load
    lo = [batching.serve("chat-uniform", m, 32, 1)["tokens_per_s"] for m in ("static", "continuous")]
    assert abs(lo[0] - lo[1]) < 0.05 * lo[1]
