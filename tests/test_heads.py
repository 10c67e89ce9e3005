"""The heads chapter: attention parameter counts and FLOPs (fieldguide.models.attn_params), and the
head gallery's scores and ablations (fieldguide.heads)."""

import numpy as np
import pytest

from fieldguide import heads as H
from fieldguide import interp, models, tinylm


# --- attn_params ------------------------------------------------------------------------------

@pytest.mark.parametrize("d", [512, 4096, 12288])
def test_multi_head_attention_is_4_d_squared_whatever_the_head_count(d):
    for h in (1, 2, 4, 8, 16, 32, 64, 128):
        if d % h == 0:
            p = models.attn_params(d, h, h)
            assert p["total"] == p["mha_total"] == 4 * d * d
            assert p["head_dim"] * h == d


def test_published_head_widths():
    assert models.attn_params(512, 8, 8)["head_dim"] == 64            # Transformer base, 2017
    assert models.attn_params(12288, 96, 96)["head_dim"] == 128       # GPT-3 175B
    assert models.attn_params(12288, 96, 96)["total"] == 603_979_776


def test_gqa_shrinks_only_k_and_v():
    mha, gqa, mqa = (models.attn_params(4096, 32, g) for g in (32, 8, 1))
    assert gqa["q"] == mha["q"] == gqa["o"] == mha["o"] == 4096 * 4096
    assert gqa["k"] == gqa["v"] == 4096 * 8 * 128 == mha["k"] // 4
    assert mqa["k"] == 4096 * 128
    assert gqa["total"] == 2 * 4096**2 + 2 * 4096 * 1024
    assert gqa["group_size"] == 4 and mqa["group_size"] == 32
    assert (mha["kv_per_token"], gqa["kv_per_token"], mqa["kv_per_token"]) == (8192, 2048, 256)


@pytest.mark.parametrize("name", ["Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B"])
def test_agrees_with_the_architecture_count_of_real_configs(name):
    a = models.Architecture.preset(name)
    p = models.attn_params(a.hidden_size, a.num_heads, a.num_kv_heads)
    assert p["head_dim"] == a.head_dim
    assert p["total"] * a.num_layers == a.param_counts()["attention"]


def test_the_head_counts_the_chapter_quotes():
    assert models.Architecture.preset("Llama-3.1-70B").num_heads == 64
    assert models.Architecture.preset("Llama-3.1-405B").num_heads == 128
    assert models.Architecture.preset("Llama-3.1-70B").num_kv_heads == 8


@pytest.mark.parametrize("args", [(4096, 96, 96), (4096, 32, 5), (4096, 32, 64), (0, 1, 1),
                                  (4096.5, 32, 8), (True, 1, 1)])
def test_bad_shapes_are_refused(args):
    with pytest.raises(ValueError):
        models.attn_params(*args)


def test_flops_per_token():
    f = models.attn_flops_per_token(4096, 32, 8, 8192)
    assert f["projections"] == 2 * models.attn_params(4096, 32, 8)["total"]
    assert f["scores"] == f["mix"] == 2 * 4096 * 8192
    assert f["total"] == f["projections"] + 4 * 4096 * 8192
    # sharing K/V saves projection work only: every query head still scores every position
    f_mqa = models.attn_flops_per_token(4096, 32, 1, 8192)
    assert f_mqa["scores"] == f["scores"] and f_mqa["projections"] < f["projections"]
    with pytest.raises(ValueError):
        models.attn_flops_per_token(4096, 32, 8, 0)


# --- the head gallery ---------------------------------------------------------------------------

def test_the_losses_the_gallery_uses_match_a_direct_log_softmax():
    rng = np.random.default_rng(0)
    logits, ids = rng.normal(size=(5, 7)), [1, 3, 0, 6, 2]
    z = logits - logits.max(1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    want = [-np.log(p[t, ids[t + 1]]) for t in range(4)]
    assert np.allclose(interp.token_losses(logits, ids), want)


def test_gallery_scores_are_interp_scores_of_the_real_attention():
    g = H.gallery(H.DEFAULT_TEXT, "tinylm")
    assert g["period"] == interp.find_period(tinylm.encode(H.DEFAULT_TEXT))
    _, _, attn = tinylm.forward(g["ids"], return_attn=True)
    a = np.stack(attn)
    assert np.allclose(g["scores"]["previous_token"], interp.previous_token_score(a), atol=1e-5)
    assert np.allclose(g["scores"]["induction"], interp.induction_pattern_score(a, g["period"]), atol=1e-5)
    assert g["attn"].shape == (4, 4, len(g["ids"]), len(g["ids"]))


def test_default_text_repeats_so_induction_is_scored():
    assert H.gallery(H.DEFAULT_TEXT, "induction")["period"]


def test_induction_model_circuit_shows_on_the_default_text():
    """The 2-layer model: a layer-0 previous-token head, layer-1 induction heads, a much cheaper
    second copy, and zeroing the previous-token head costs more than zeroing most heads."""
    l, h, s = H.best_head(H.DEFAULT_TEXT, "induction", "previous_token")
    assert l == 0 and s > 0.8
    l1, _, s1 = H.best_head(H.DEFAULT_TEXT, "induction", "induction")
    assert l1 == 1 and s1 > 0.5
    gain = H.repeat_gain(H.DEFAULT_TEXT, "induction")
    assert gain["second"] < gain["first"] - 1
    ab = H.ablation(H.DEFAULT_TEXT, "induction", (l, h))
    assert ab["delta"] > 0.3 and ab["delta_repeat"] > ab["delta"]
    assert H.most_harmful(H.DEFAULT_TEXT, "induction")[:2] == (l, h)


def test_ablation_zeroes_the_head_and_changes_the_loss():
    ab = H.ablation(H.DEFAULT_TEXT, "tinylm", (1, 2))
    r = tinylm.run(H.gallery(H.DEFAULT_TEXT)["ids"], ablate=[(1, 2)])
    assert not r["heads"][1][2].any()
    assert ab["delta"] == pytest.approx(ab["ablated"] - ab["base"])
    assert ab["per_token"].shape == (len(r["logits"]) - 1,)
    assert np.abs(ab["per_token"]).max() > 0


def test_bad_input():
    with pytest.raises(ValueError):
        H.ablation(H.DEFAULT_TEXT, "induction", (2, 0))
    with pytest.raises(ValueError):
        H.gallery("", "tinylm")
    with pytest.raises(ValueError):
        H.repeat_gain("no repeat at all here", "tinylm")
    assert len(H.tokens("word " * 500)) == H.MAX_TOKENS


def test_redundant_heads_one_at_a_time_vs_together():
    """Zeroing the induction model's layer-1 heads one by one costs little; zeroing them together
    costs far more than the sum: the heads back each other up (the chapter's pruning point)."""
    singles = H.ablation_table(H.DEFAULT_TEXT, "induction")[1]
    together = H.ablation(H.DEFAULT_TEXT, "induction", [(1, h) for h in range(4)])["delta"]
    assert together > 1 and together > 3 * singles.sum()
    assert H.ablation(H.DEFAULT_TEXT, "induction", [(1, 0), (1, 0)])["delta"] == \
        pytest.approx(H.ablation(H.DEFAULT_TEXT, "induction", (1, 0))["delta"])


def test_what_the_chapter_says_about_tinylm():
    """The prose says tinylm has no strong induction head and gains nothing from the repeat. If a
    retrained tinylm grows one, this fails: rewrite those sentences of docs/act-2/heads.md."""
    _, _, s = H.best_head(H.DEFAULT_TEXT, "tinylm", "induction")
    assert s < 0.3
    gain = H.repeat_gain(H.DEFAULT_TEXT, "tinylm")
    assert gain["second"] >= gain["first"]


def test_flops_do_not_depend_on_the_head_count():
    totals = {models.attn_flops_per_token(4096, h, h, 8192)["total"] for h in (1, 32, 128)}
    assert len(totals) == 1
