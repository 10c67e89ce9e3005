"""fieldguide.kv_sharing: GQA grouping and pooling, tinylm's real Q/K/V, and MLA's absorbed scores."""

import numpy as np
import pytest

from fieldguide import kv_sharing as K
from fieldguide import memory, models, tinylm

TEXT = ("def split(self, text):\n    \"\"\"Return the words of text, separated by whitespace. "
        "If text is empty, return an empty list.\"\"\"\n")


# --- grouping ------------------------------------------------------------------------------------

def test_group_map_and_reduction():
    assert K.group_of(8, 2) == [0, 0, 0, 0, 1, 1, 1, 1]
    assert K.group_of(4, 4) == [0, 1, 2, 3]
    assert K.group_of(4, 1) == [0, 0, 0, 0]
    assert K.cache_reduction(64, 8) == 8          # Llama 3.1 70B
    assert K.cache_reduction(128, 8) == 16        # Llama 3.1 405B
    for bad in [(8, 3), (8, 16), (8, 0), (8.5, 1), (True, 1)]:
        with pytest.raises(ValueError):
            K.group_of(*bad)


def test_real_configs_give_the_book_map_reductions():
    for name, factor in [("Llama-3.1-70B", 8), ("Llama-3.1-405B", 16), ("Qwen2.5-7B", 7)]:
        a = models.Architecture.preset(name)
        assert K.cache_reduction(a.num_heads, a.num_kv_heads) == factor
        mha = a.with_kv_heads(a.num_heads)
        assert memory.kv_cache_bytes(mha, 4096) == factor * memory.kv_cache_bytes(a, 4096)


def test_mean_pool_averages_each_group():
    x = np.arange(4 * 2 * 3, dtype=float).reshape(4, 2, 3)
    p = K.mean_pool_heads(x, 2)
    assert p.shape == (2, 2, 3)
    assert np.array_equal(p[0], (x[0] + x[1]) / 2) and np.array_equal(p[1], (x[2] + x[3]) / 2)
    assert np.array_equal(K.mean_pool_heads(x, 4), x)


def test_grouped_attention_equals_repeated_heads():
    rng = np.random.default_rng(1)
    q = rng.standard_normal((6, 5, 4))
    k, v = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 3))
    out = K.grouped_attention(q, k, v)
    rep = K.grouped_attention(q, np.repeat(k, 3, axis=0), np.repeat(v, 3, axis=0))
    assert np.allclose(out, rep, atol=1e-14)
    # the first token can only see itself under the causal mask
    assert np.allclose(out[:, 0], np.repeat(v, 3, axis=0)[:, 0])
    # each head's output row is a convex mix of value rows: inside their range
    assert (out <= v.max() + 1e-12).all() and (out >= v.min() - 1e-12).all()


def test_gqa_with_as_many_kv_heads_as_query_heads_is_exact():
    q, k, v = K.random_qkv(8, 12, 16, seed=3)
    r = K.gqa_from_mha(q, k, v, 8)
    assert r["rel_error"] == 0.0 and r["reduction"] == 1
    assert r["per_head_error"] == [0.0] * 8


def test_pooling_identical_heads_is_exact_and_pooling_different_heads_is_not():
    q, k, v = K.random_qkv(8, 12, 16, seed=4)
    k_same, v_same = np.repeat(k[:2], 4, axis=0), np.repeat(v[:2], 4, axis=0)
    assert K.gqa_from_mha(q, k_same, v_same, 2)["rel_error"] < 1e-14
    errs = [K.gqa_from_mha(q, k, v, g)["rel_error"] for g in (8, 4, 2, 1)]
    assert errs[0] == 0.0 and all(e > 0.1 for e in errs[1:])
    assert errs == sorted(errs)                     # more sharing, more error, on independent heads


def test_gqa_checks_shapes():
    q, k, v = K.random_qkv(4, 6, 8)
    with pytest.raises(ValueError):
        K.gqa_from_mha(q, k[:, :3], v, 2)
    with pytest.raises(ValueError):
        K.gqa_from_mha(q, k, v, 3)


# --- tinylm's real heads -------------------------------------------------------------------------

def test_tinylm_qkv_matches_the_model():
    ids = tinylm.encode(TEXT)[:24]
    layers = K.tinylm_qkv(ids)
    qk = tinylm.load().queries_keys(ids)
    assert len(layers) == len(qk) == tinylm.load().cfg.n_layer
    for t, (q, k) in zip(layers, qk):
        assert t["q"].shape == q.shape and t["v"].shape == q.shape
        assert np.allclose(t["q"], q, atol=1e-4) and np.allclose(t["k"], k, atol=1e-4)
        # recomputing the layer with all heads kept (MHA) reproduces the model's attention output
        r = K.gqa_from_mha(t["q"], t["k"], t["v"], t["q"].shape[0], w_o=t["w_o"])
        assert np.allclose(r["out_mha"] + t["b_o"], t["attn_out"], atol=1e-4)
        assert r["rel_error"] == 0.0


def test_tinylm_pooling_moves_the_output():
    ids = tinylm.encode(TEXT)[:32]
    layers = K.tinylm_qkv(ids)
    for g in (2, 1):
        rows = K.tinylm_gqa_errors(layers, g)
        assert len(rows) == len(layers)
        assert all(0 < r["rel_error"] for r in rows)
    mqa = [r["rel_error"] for r in K.tinylm_gqa_errors(layers, 1)]
    gqa2 = [r["rel_error"] for r in K.tinylm_gqa_errors(layers, 2)]
    assert np.mean(mqa) > np.mean(gqa2)
    with pytest.raises(ValueError):
        K.tinylm_qkv([])


# --- MLA -----------------------------------------------------------------------------------------

def test_deepseek_v3_cache_at_128k():
    """61 layers × 576 values × 131,072 tokens × 2 bytes = 9.21 GB (4.6 GB at one byte)."""
    a = models.Architecture.preset("DeepSeek-V3")
    assert a.kv_values_per_token(0) == 576
    assert memory.kv_cache_bytes(a, 131072) == 61 * 576 * 131072 * 2 == 9_210_691_584
    assert round(memory.kv_cache_bytes(a, 131072) / 1e9, 2) == 9.21
    c = K.mla_cache_comparison()
    assert c["MLA"]["bytes"] == 9_210_691_584
    assert K.mla_cache_comparison(dtype="fp8")["MLA"]["bytes"] == 4_605_345_792


def test_mla_ratios_name_their_baseline():
    c = K.mla_cache_comparison()
    assert c["MLA"]["values_per_layer"] == 576
    assert c["GQA-8"]["values_per_layer"] == 2 * 8 * 128 == 2048
    assert c["MHA-128"]["values_per_layer"] == 2 * 128 * 128 == 32768
    assert c["GQA-8"]["ratio"] == pytest.approx(2048 / 576) and round(c["GQA-8"]["ratio"], 1) == 3.6
    assert c["MHA-128"]["ratio"] == pytest.approx(32768 / 576) and round(c["MHA-128"]["ratio"]) == 57
    # the ratio does not depend on layers, context or dtype
    c2 = K.mla_cache_comparison(512, 64, 7, 1000, "fp8")
    assert c2["GQA-8"]["ratio"] == pytest.approx(c["GQA-8"]["ratio"])
    assert K.mla_cache_comparison(448, 0)["GQA-8"]["ratio"] == pytest.approx(2048 / 448)


def test_mla_architecture_defaults_are_the_real_config():
    a = K.mla_architecture()
    real = models.Architecture.preset("DeepSeek-V3")
    assert (a.kv_lora_rank, a.qk_rope_head_dim, a.num_layers) == (512, 64, 61)
    assert not a.hypothetical and a.is_mla
    assert memory.kv_cache_bytes(a, 5000) == memory.kv_cache_bytes(real, 5000)
    assert K.mla_architecture(256).hypothetical
    with pytest.raises(ValueError):
        K.baseline_architecture("GQA-3")
    with pytest.raises(ValueError):
        K.mla_architecture(layers=0)


def test_absorbed_mla_scores_equal_the_explicit_ones():
    for r, dr in [(512, 64), (64, 0), (1024, 128), (100, 2)]:
        out = K.mla_scores(r, dr, seed=r)
        assert out["dtype"] == "float64"
        assert out["explicit"].shape == (4, 16, 16)
        assert out["max_abs_diff"] < 1e-10
        assert out["score_scale"] > 0.1                 # the scores are not trivially zero
        assert out["cached_per_token"] == r + dr


def test_rope_on_the_latent_keys_breaks_absorption():
    out = K.mla_scores(512, 64)
    assert out["naive_rope_diff"] > 1e-3 * out["score_scale"]
    assert K.mla_scores(512, 64, seq_len=1)["naive_rope_diff"] == 0.0   # one position, no rotation
    with pytest.raises(ValueError):
        K.mla_scores(512, 63)


def test_sample_window_and_pooling_summary():
    ids, start = K.sample_window(128, 9999)
    assert len(ids) == 128 and start > 0
    assert K.sample_window(32, 0) == (tinylm.encode(K.SAMPLE_TEXT)[:32], 0)
    with pytest.raises(ValueError):
        K.sample_window(10_000)
    assert K.tinylm_pooling_error(4) == 0.0
    assert 0 < K.tinylm_pooling_error(2) < K.tinylm_pooling_error(1)


def test_random_heads_are_the_worse_case_the_chapter_says():
    """The chapter calls independent random heads the worst case for pooling: tinylm's trained
    heads lose less of their output at the same sharing ratio (4 heads of 32, as tinylm has)."""
    q, k, v = K.random_qkv(4, 32, 32, seed=0)
    for g in (2, 1):
        assert K.gqa_from_mha(q, k, v, g)["rel_error"] > K.tinylm_pooling_error(g)
