"""Paged vs contiguous KV allocation, the decode floor and the roofline: the book map's values for
act-5/paged-prefix and act-5/roofline."""

from __future__ import annotations

import pytest

from fieldguide import memory, serving as s
from fieldguide.models import Architecture

L70 = Architecture.preset("Llama-3.1-70B")
L8 = Architecture.preset("Llama-3.1-8B")


def test_block_arithmetic():
    assert s.blocks_needed(150, 16) == 10
    assert s.blocks_needed(5000, 16) == 313
    assert s.blocks_needed(0, 16) == 0
    assert round(100 * s.reservation_waste(300, 4096), 2) == 92.68
    assert s.paged_waste_bound(16, 4081) == 15 / 4096            # worst case: block − 1 tokens
    with pytest.raises(ValueError):
        s.blocks_needed(10, 0)
    with pytest.raises(ValueError):
        s.reservation_waste(5000, 4096)


def test_naive_admission_is_pool_over_reservation():
    r = s.kv_allocator("naive", requests=40, max_seq_len=4096, pool_tokens=65536)
    assert r["admitted_first_step"] == 16 == r["peak_running"]


def test_paged_beats_naive_on_waste_and_concurrency():
    runs = {m: s.kv_allocator(m, requests=60, seed=3) for m in s.MODES}
    assert runs["naive"]["waste_pct"] > 40
    assert runs["paged"]["waste_pct"] < 5
    assert runs["paged"]["peak_running"] > runs["naive"]["peak_running"]
    assert runs["paged"]["steps"] <= runs["naive"]["steps"]
    # sharing the prefix stores it once, so the pool holds fewer tokens for the same work
    assert runs["prefix"]["pool_used_pct"] < runs["paged"]["pool_used_pct"]
    assert max(runs["prefix"]["series"]["shared_saved"]) > 0


def test_every_request_finishes_and_tables_are_consistent():
    for mode in s.MODES:
        r = s.kv_allocator(mode, requests=30, max_seq_len=2048, block=8, shared_prefix=300,
                           pool_tokens=16384, seed=7)
        assert r["series"]["running"][-1] >= 0 and r["steps"] > 0
        for t in r["tables"].values():
            if mode != "naive":
                own = len(t["blocks"]) - t["shared"]
                assert own == s.blocks_needed(t["tokens"] - t["shared"] * 8, 8)
    pre = s.kv_allocator("paged", requests=60, max_seq_len=8192, pool_tokens=16384, seed=1)
    assert pre["preemptions"] > 0            # a tight pool forces whole-sequence preemption


def test_prefix_blocks_are_shared_by_reference():
    r = s.kv_allocator("prefix", requests=10, max_seq_len=4096, block=16, shared_prefix=1000)
    tables = list(r["tables"].values())
    assert r["shared_blocks"] == 62                  # ⌊1000/16⌋ whole blocks; 8 tokens are copied
    assert all(t["blocks"][:62] == tables[0]["blocks"][:62] for t in tables)
    assert len({b for t in tables for b in t["blocks"][62:]}) == sum(len(t["blocks"]) - 62 for t in tables)


def test_allocator_refuses_bad_input():
    with pytest.raises(ValueError, match="mode"):
        s.kv_allocator("magic")
    with pytest.raises(ValueError, match="pool"):
        s.kv_allocator("naive", max_seq_len=8192, pool_tokens=4096)
    with pytest.raises(ValueError):
        s.kv_allocator("paged", requests=-1)


def test_roofline_numbers():
    assert round(s.critical_intensity("H100 SXM")) == 295
    assert round(s.critical_intensity("H200")) == 206
    assert s.matmul_intensity(1, 2) == 1.0                        # batch-1 BF16 decode
    assert round(s.ridge_batch("H100 SXM", 2)) == 295
    assert round(s.ridge_batch("H100 SXM", 1)) == 295            # FP8 weights with FP8 maths
    assert round(s.ridge_batch("H100 SXM", 1, "bf16")) == 148     # FP8 weights, BF16 maths
    assert round(s.ridge_batch("H100 SXM", 0.5)) == 74
    assert s.attainable("H100 SXM", 1) == 3.35e12
    assert s.attainable("H100 SXM", 1000) == 989.4e12
    assert 1 / 295 < 0.01                                          # batch-1 decode: >99% idle
    with pytest.raises(ValueError, match="no published"):
        s.peak_flops("Apple M4 Max")


def test_decode_floor():
    # the map's floors: weights ÷ bandwidth
    assert round(memory.weights_bytes(L70) / 3.35e12 * 1e3) == 42
    assert round(140e9 / 3e12 * 1e3, 1) == 46.7
    t8 = memory.weights_bytes(L8) / 3.35e12
    assert round(t8 * 1e3, 1) == 4.8 and int(1 / t8) == 208      # ≤ 209 tok/s
    d = s.decode_step(L70, "H100 SXM", batch=1, context=4096)
    assert d["bound"] == "memory" and not d["fits"]                # 70B BF16 on one H100
    assert 40e-3 < d["step_s"] < 43e-3 and 23 < d["tokens_per_s_stream"] < 25
    assert s.decode_step(L70, "H100 SXM", n_gpus=2)["fits"]
    # without the input table (one row read per token) the 8B floor is a little lower
    assert s.decode_step(L8, "H100 SXM", context=0)["step_s"] < t8
    big = s.decode_step(L8, "H100 SXM", batch=512, context=128)
    assert big["bound"] == "compute"


def test_moe_reads_only_routed_experts():
    mix = Architecture.preset("Mixtral-8x7B")
    one = s.decode_step(mix, "H100 SXM", batch=1, context=0)
    many = s.decode_step(mix, "H100 SXM", batch=256, context=0)
    assert one["experts_touched"] == 2
    assert one["weight_bytes_read"] < 0.3 * memory.weights_bytes(mix)
    assert many["experts_touched"] == pytest.approx(8, abs=1e-6)


def test_cost():
    assert round(s.usd_per_mtok(5, 33) / 1000, 3) == 0.042         # $ per 1K tokens
    with pytest.raises(ValueError):
        s.usd_per_mtok(5, 0)


def test_cached_attention_equals_full():
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 8))
    w = [rng.standard_normal((8, 8)) / 3 for _ in range(4)]
    assert np.allclose(s.attention_full(x, *w), s.attention_cached(x, *w), atol=1e-12)
    # a change to a later token leaves earlier outputs alone (why caching is allowed at all)
    y = x.copy()
    y[-1] += 5
    assert np.allclose(s.attention_full(x, *w)[:-1], s.attention_full(y, *w)[:-1])


def test_generation_flops():
    d, T = 16, 32
    full = s.generation_flops(d, 1, 0, T, cached=False)
    inc = s.generation_flops(d, 1, 0, T, cached=True)
    # counted by hand: four d×d matmuls per token; attention 4·s·d at position s
    assert inc["projections"].sum() == T * 2 * 4 * d * d
    assert full["projections"].sum() == sum(t * 2 * 4 * d * d for t in range(1, T + 1))
    assert inc["attention"].sum() == sum(4 * t * d for t in range(1, T + 1))
    assert full["attention"][-1] == sum(4 * s_ * d for s_ in range(1, T + 1))
    # projections: O(N) with the cache vs O(N^2) without; attention stays O(N^2) in total
    big = s.generation_flops(d, 1, 0, 2 * T, cached=True)
    assert big["projections"].sum() == 2 * inc["projections"].sum()
    assert 3.9 < big["attention"].sum() / inc["attention"].sum() < 4.1
