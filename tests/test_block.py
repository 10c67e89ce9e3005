"""The block chapter's numbers: the quick rule against exact counts (the book map's test vectors),
SwiGLU vs GELU, the builder, memory and FLOPs, and a real forward-pass trace of tinylm."""

from __future__ import annotations

import numpy as np
import pytest

from fieldguide import block, memory, tinylm


def test_gpt3_is_about_175b():
    a = block.reference("GPT-3 175B")
    assert 12 * 12288 ** 2 * 96 / 1e9 == pytest.approx(173.9, abs=0.05)
    assert block.quick_rule(12288, 96, 50257) / 1e9 == pytest.approx(174.6, abs=0.05)
    assert a.n_params / 1e9 == pytest.approx(175.0, rel=0.005)
    assert a.num_layers == 96 and a.head_dim == 128 and a.intermediate_size == 4 * 12288


def test_llama_8b_exact_and_quick_rule():
    a = block.reference("Llama-3.1-8B")
    assert round(a.n_params / 1e9, 2) == 8.03
    assert round(block.quick_rule_for(a) / 1e9, 2) == 6.97       # V·d counted once
    assert block.quick_rule_for(a) / 1e9 != pytest.approx(7.5, abs=0.1)   # the sources' 7.0 + 0.5


def test_llama_70b_exact_and_quick_rule():
    a = block.reference("Llama-3.1-70B")
    assert round(a.n_params / 1e9, 1) == 70.6
    assert round(block.quick_rule_for(a) / 1e9, 1) == 65.5
    assert round(12 * a.hidden_size ** 2 * a.num_layers / 1e9, 1) == 64.4


@pytest.mark.parametrize("label", list(block.REFERENCES))
def test_gap_to_exact_sums_to_the_total_and_breakdown_is_complete(label):
    a = block.reference(label)
    assert sum(v for _, v in block.gap_to_exact(a)) == a.n_params
    assert sum(block.breakdown(a).values()) == a.n_params
    pub, src = block.published_params(label)
    assert a.n_params == pytest.approx(pub, rel=0.01) and src


def test_llama_8b_gap_terms():
    """8.03B = quick rule + untied head + the 3.5d SwiGLU FFN − what GQA removes (+ norms)."""
    steps = dict(block.gap_to_exact(block.reference("Llama-3.1-8B")))
    d, L = 4096, 32
    assert steps["untied LM head, V·d"] == 128256 * d
    assert steps["FFN as built, minus 8·d² per block"] == (3 * d * 14336 - 8 * d * d) * L > 0
    assert steps["attention as built, minus 4·d² per block"] == -(2 * d * d - 2 * d * 1024) * L < 0


def test_swiglu_vs_gelu():
    d = 3 * 1024
    assert block.ffn_params(d, 8 * d // 3, gated=True) == block.ffn_params(d, 4 * d, gated=False) == 8 * d * d
    w = 11008
    assert block.ffn_params(4096, w, True) / block.ffn_params(4096, w, False) == pytest.approx(1.5)


def test_ffn_width_rounds_like_llama():
    assert block.ffn_width(4096, 3.5) == 14336
    assert block.ffn_width(4096, 8 / 3) == 11008                  # Llama 2 7B's width
    assert block.ffn_width(768, 4) == 3072


def test_build_reproduces_llama_8b_and_reacts_to_every_knob():
    a = block.build()
    assert a.n_params == block.reference("Llama-3.1-8B").n_params
    base = a.n_params
    assert block.build(d_model=8192).n_params > 3 * base                      # width enters squared
    assert block.build(layers=64).n_params < 2 * base                         # depth linearly
    assert block.build(kv_heads=32).n_params > base                           # GQA removes parameters
    assert block.build(ffn_type="GELU").n_params < base
    assert block.build(tied=True).n_params == base - 128256 * 4096
    assert block.build(vocab=1000).n_params < base
    with pytest.raises(ValueError, match="num_key_value_heads"):
        block.build(kv_heads=5)
    with pytest.raises(ValueError, match="ffn_type"):
        block.build(ffn_type="ReLU")


def test_quick_rule_rejects_nonsense():
    with pytest.raises(ValueError, match="d_model"):
        block.quick_rule(float("nan"), 2)
    with pytest.raises(ValueError, match="vocab"):
        block.quick_rule(64, 2, -1)
    assert block.quick_rule(64, 2, 10, untied=True) == 12 * 64 * 64 * 2 + 2 * 10 * 64


def test_memory_and_flops():
    a = block.reference("Llama-3.1-8B")
    m = block.weight_memory(a)
    assert m["fp16"] == 2 * a.n_params and m["fp8"] == a.n_params
    assert m["int4"] == memory.weights_bytes(a, "int4") and m["int4"] < m["fp8"] / 1.9
    # 2N per token, with N the weights a token multiplies (no lookup table, but the LM head)
    assert block.flops_per_token(a) == 2 * (a.n_params - 128256 * 4096)
    g = block.reference("GPT-2 small")                                      # tied: head still costs V·d
    assert block.flops_per_token(g) == 2 * (g.n_params - 1024 * 768)
    mix = block.reference("Mixtral-8x7B")
    assert block.flops_per_token(mix) < 0.6 * 2 * mix.n_params              # only 2 of 8 experts


def test_trace_is_the_real_forward_pass():
    ids = tinylm.encode("The dog slept on the")
    tr = block.trace(ids)
    m = tinylm.load()
    d, f, V = m.cfg.d_model, m.cfg.d_ff, m.cfg.vocab_size
    T = len(ids)
    shapes = {s: block.stage(tr, s, 1)["shape"] for s in block.STAGES}
    assert shapes == {"tokens": (T,), "embed": (T, d), "attention": (T, d), "FFN": (T, f),
                      "residual": (T, d), "unembed": (T, V)}
    p = m.params
    for i in range(m.cfg.n_layer):       # the traced hidden layer reproduces what the FFN adds
        rebuilt = tr["ffn_hidden"][i] @ p[f"h{i}.mlp.w_out"] + p[f"h{i}.mlp.b_out"]
        np.testing.assert_allclose(rebuilt, tr["mlp_out"][i], atol=1e-5)
        np.testing.assert_allclose(tr["resid"][i + 1], tr["resid_mid"][i] + tr["mlp_out"][i], atol=1e-5)
    np.testing.assert_allclose(tr["logits"][-1], tinylm.next_logits(ids), atol=1e-4)
    top = block.top_next(tr)
    assert len(top) == 5 and all(a[1] >= b[1] for a, b in zip(top, top[1:]))
    with pytest.raises(ValueError, match="layer"):
        block.stage(tr, "FFN", 4)
    with pytest.raises(ValueError, match="stage"):
        block.stage(tr, "softmax", 0)
    with pytest.raises(ValueError):
        block.trace([])


def test_prose_helpers():
    assert block.total("Llama-3.1-8B") == 8_030_261_248
    assert round(block.quick("Llama-3.1-70B") / 1e9, 1) == 65.5
    assert block.gap("Llama-3.1-8B", "attention") == -805_306_368          # GQA removes parameters
    assert block.gap("Llama-3.1-8B", "positions") == 0
    assert block.gap("GPT-3 175B", "positions") == 2048 * 12288
    assert block.gap("GPT-3 175B", "head") == 0
    with pytest.raises(ValueError, match="unknown term"):
        block.gap("GPT-3 175B", "bias")
    with pytest.raises(ValueError, match="unknown reference"):
        block.total("GPT-5")
