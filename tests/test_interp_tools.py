"""Interventions, the logit lens and the toy model of superposition (fieldguide.interp)."""

import numpy as np
import pytest

from fieldguide import interp, sampling, tinylm

IND = "induction"


def _repeat(seed=5, n=30):
    m = tinylm.load(IND)
    return m, interp.repeated_random_tokens(m.cfg.vocab_size, n, seed), n


# --- losses and corruption ----------------------------------------------------------------------

def test_token_losses_are_the_chain_rule_terms():
    m, ids, n = _repeat()
    losses = interp.token_losses(m.run(ids)["logits"], ids)
    lp = tinylm.continuation_logprobs(ids[:1], ids[1:], model=IND)
    assert losses.shape == (len(ids) - 1,)
    np.testing.assert_allclose(losses, -lp, rtol=1e-5, atol=1e-6)
    # hand check on a 2-token vocabulary
    z = np.array([[0.0, np.log(3.0)], [0.0, 0.0]])
    assert interp.token_losses(z, [0, 1]) == pytest.approx([np.log(4 / 3)])


def test_corrupt_copy_replaces_exactly_the_first_copy():
    _, ids, n = _repeat()
    c = interp.corrupt_copy(ids, n, 64, seed=1)
    assert (c[:n] != ids[:n]).all() and (c[n:] == ids[n:]).all()
    assert (interp.corrupt_copy(ids, n, 64, seed=1) == c).all()        # deterministic


# --- interventions --------------------------------------------------------------------------------

def test_patching_a_head_with_its_own_activation_changes_nothing():
    m, ids, _ = _repeat()
    clean = m.run(ids)
    r = m.run(ids, patch={(1, 1): clean["heads"][1][1]})
    np.testing.assert_allclose(r["logits"], clean["logits"], atol=1e-5)
    # and patching from a run of the very same sequence is the identity too
    np.testing.assert_allclose(interp.patch(IND, ids, ids, (0, 2))["logits"], clean["logits"], atol=1e-5)


def test_patch_takes_the_corrupted_runs_activation():
    m, ids, n = _repeat()
    bad = interp.corrupt_copy(ids, n, m.cfg.vocab_size)
    r = interp.patch(m, ids, bad, (0, 1))
    np.testing.assert_allclose(r["heads"][0][1], m.run(bad)["heads"][0][1], atol=1e-6)
    np.testing.assert_allclose(r["heads"][0][0], m.run(ids)["heads"][0][0], atol=1e-6)
    with pytest.raises(ValueError):
        interp.patch(m, ids, bad[:-1], (0, 1))


def test_mean_ablation_uses_the_reference_mean():
    m, ids, _ = _repeat()
    r = interp.intervene(m, ids, (1, 2), "mean-ablate")
    mean = interp.head_means(m)[1][2]
    assert mean.shape == (m.cfg.head_dim,)
    np.testing.assert_allclose(r["heads"][1][2], np.broadcast_to(mean, r["heads"][1][2].shape), atol=1e-6)
    assert not np.allclose(mean, 0)
    with pytest.raises(ValueError):
        interp.intervene(m, ids, (0, 0), "snip")
    with pytest.raises(ValueError):
        interp.intervene(m, ids, (0, 0), "patch")


def test_the_previous_token_head_is_necessary_for_copying():
    """The causal claim behind the chapter: the intact model copies the repeat almost perfectly;
    knock out the layer-0 head that scores highest as a previous-token head, by any of the three
    methods, and the loss on the repeat goes back to roughly guessing."""
    m, ids, n = _repeat(seed=11)
    base = interp.token_losses(m.run(ids)["logits"], ids)
    assert interp.copy_loss(base, n) < 0.1
    assert np.mean(base[:n - 1]) > 0.8 * np.log(m.cfg.vocab_size)          # the first copy is unguessable
    prev = interp.previous_token_score(np.stack(m.run(ids)["attn"]))
    h = int(np.argmax(prev[0]))
    bad = interp.corrupt_copy(ids, n, m.cfg.vocab_size)
    for kind in ("zero-ablate", "mean-ablate", "patch"):
        eff = interp.ablation_effects(m, ids, n, kind, bad)
        assert eff.shape == (m.cfg.n_layer, m.cfg.n_head)
        assert eff[0, h] > 0.5 * np.log(m.cfg.vocab_size), (kind, eff)
        assert np.unravel_index(int(np.argmax(eff)), eff.shape) == (0, h), (kind, eff)
    # no single induction head is necessary: layer 1 has several, and they back each other up
    eff = interp.ablation_effects(m, ids, n, "patch", bad)
    ind = interp.induction_pattern_score(np.stack(m.run(ids)["attn"]), n)
    assert (ind[1] > 0.5).sum() >= 2
    assert eff[1].max() < eff[0, h] / 4


# --- logit lens ---------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["tinylm", IND])
def test_logit_lens_last_layer_is_the_models_own_prediction(model):
    m = tinylm.load(model)
    ids = tinylm.encode("Return the number of items in the") if model == "tinylm" else \
        list(interp.repeated_random_tokens(64, 10, 3))
    lens = interp.logit_lens(m, ids, k=5)
    L, T = m.cfg.n_layer, len(ids)
    assert lens["top_ids"].shape == (L + 1, T, 5) and lens["logprobs"].shape == (L + 1, T, m.cfg.vocab_size)
    logits = m.forward(ids)[0].astype(np.float64)
    np.testing.assert_allclose(lens["logprobs"][L], [sampling.log_softmax(r) for r in logits], atol=2e-4)
    assert (lens["top_ids"][L, :, 0] == logits.argmax(-1)).all()
    p = lens["top_probs"]
    assert (np.diff(p, axis=-1) <= 1e-12).all() and (p.sum(-1) <= 1 + 1e-9).all()
    np.testing.assert_allclose(np.exp(lens["logprobs"]).sum(-1), 1.0, atol=1e-6)


def test_logit_lens_at_the_embedding_reads_back_the_current_token():
    """With tied embeddings, the embedding of token t scores itself highly: layer 0's lens mostly
    predicts the token it sits on."""
    ids = tinylm.encode("The function returns a list of the keys in the dictionary.")
    top = interp.logit_lens("tinylm", ids)["top_ids"][0, :, 0]
    assert np.mean(top == np.array(ids)) > 0.5


# --- the toy model of superposition --------------------------------------------------------------

def test_toy_batch_sparsity_and_values():
    x = interp.toy_batch(np.random.default_rng(0), 20000, 5, 0.9)
    assert np.mean(x > 0) == pytest.approx(0.1, abs=0.01)
    assert x.max() < 1 and x[x > 0].mean() == pytest.approx(0.5, abs=0.02)
    assert (interp.toy_batch(np.random.default_rng(0), 10, 3, 0.0) > 0).all()


def test_toy_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    W, b = rng.normal(size=(2, 5)), rng.normal(size=5) * 0.1
    x = interp.toy_batch(rng, 16, 5, 0.5)
    imp = 0.9 ** np.arange(5)
    gW, gb = interp.toy_grads(W, b, x, imp)
    eps = 1e-6
    for (i, j) in [(0, 0), (1, 3), (0, 4)]:
        Wp, Wm = W.copy(), W.copy()
        Wp[i, j] += eps
        Wm[i, j] -= eps
        num = (interp.toy_loss(Wp, b, x, imp) - interp.toy_loss(Wm, b, x, imp)) / (2 * eps)
        assert gW[i, j] == pytest.approx(num, rel=1e-4, abs=1e-8)
    bp, bm = b.copy(), b.copy()
    bp[2] += eps
    bm[2] -= eps
    assert gb[2] == pytest.approx((interp.toy_loss(W, bp, x, imp) - interp.toy_loss(W, bm, x, imp)) / (2 * eps),
                                  rel=1e-4, abs=1e-8)


def test_sparse_features_go_into_superposition_dense_ones_do_not():
    """Elhage et al.'s headline: 5 features in 2 dimensions. Dense: only about 2 are kept and the
    loss cannot beat keeping the 2 most important ones. Sparse: all 5 are kept (more features
    than dimensions) and the loss falls well below that baseline. Same settings as the chapter."""
    sparse = interp.toy_superposition(5, 2, 0.9, 0.9, 500, seed=0)
    g = interp.toy_geometry(sparse["W"])
    assert g["represented"] == 5 and g["features_per_dim"] == 2.5
    assert sparse["loss"] < 0.5 * sparse["baseline_loss"]
    assert (sparse["b"] < 0).all()                      # the bias filters out interference
    angles = np.sort(np.degrees(np.arctan2(sparse["W"][1], sparse["W"][0])) % 360)
    gaps = np.diff(np.r_[angles, angles[0] + 360])
    assert np.allclose(gaps, 72, atol=12), gaps        # a pentagon
    dense = interp.toy_superposition(5, 2, 0.0, 0.9, 1000, seed=0)     # the chapter's numbers
    gd = interp.toy_geometry(dense["W"])
    assert gd["represented"] == 2
    assert dense["loss"] > 0.9 * dense["baseline_loss"]
    assert (gd["norms"][:2] > 0.8).all()               # the two most important features are kept


def test_toy_superposition_is_deterministic_and_validates():
    a = interp.toy_superposition(4, 2, 0.8, 0.9, 50, seed=3)
    b = interp.toy_superposition(4, 2, 0.8, 0.9, 50, seed=3)
    np.testing.assert_array_equal(a["W"], b["W"])
    assert a["W"].shape == (2, 4) and len(a["curve_steps"]) == len(a["curve_loss"]) == 50
    z = interp.toy_superposition(4, 2, 0.8, 0.9, 0, seed=3)
    assert z["curve_steps"] == [] and z["steps"] == 0
    for bad in (dict(sparsity=1.0), dict(sparsity=-0.1), dict(hidden=0)):
        with pytest.raises(ValueError):
            interp.toy_superposition(**bad)


def test_toy_geometry_on_a_hand_built_W():
    W = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]])     # f0 and f2 share a line, f1 has its own
    g = interp.toy_geometry(W)
    np.testing.assert_allclose(g["norms"], 1.0)
    np.testing.assert_allclose(g["superposition"], [1.0, 0.0, 1.0])
    np.testing.assert_allclose(g["gram"], W.T @ W)
    assert g["represented"] == 3


def test_the_chapters_claims_about_the_shipped_induction_model():
    """docs/act-2/interpretability.md states these in words around its computed numbers."""
    s = interp.knockout_summary()
    assert s["copy_loss"] < 0.05 and abs(s["first_copy_loss"] - s["uniform_loss"]) < 0.5
    prev = s["prev_head"]
    assert prev[0] == 0 and s["prev_score"] > 0.9
    for kind in ("zero-ablate", "mean-ablate", "patch"):
        assert s["effects"][kind][prev] + s["copy_loss"] > 0.8 * s["uniform_loss"]   # "copying is gone"
    assert s["n_induction_heads"] >= 2
    assert s["max_induction_head_effect"] < 1.0                                      # "the others still do the job"
    # "a head can matter without looking like anything"
    second = s["second_head"]
    assert s["second_effect"] > 1.0
    assert s["previous_token"][second] < 0.3 and s["induction"][second] < 0.3
    assert s["effects"]["zero-ablate"][second] < s["second_effect"] / 2


# --- the shipped sparse autoencoder ----------------------------------------------------------------

def test_sae_belongs_to_the_shipped_tinylm_weights():
    """scripts/train_sae.py must be rerun whenever tinylm's weights change."""
    info = interp.sae_load()["info"]
    assert info["tinylm_weights_sha256"] == tinylm.load().weights_sha256()
    assert info["script"] == "scripts/train_sae.py" and info["model"] == "tinylm"


def test_sae_shapes_and_encode_decode():
    s = interp.sae_load()
    F, d = s["info"]["n_features"], tinylm.load().cfg.d_model
    assert F == 8 * d
    assert s["w_enc"].shape == (F, d) and s["w_dec"].shape == (d, F)
    np.testing.assert_allclose(np.linalg.norm(s["w_dec"], axis=0), 1.0, atol=2e-3)   # unit decoder columns
    ids = tinylm.encode("Return the number of items in the list.")
    x = tinylm.run(ids)["resid"][s["info"]["layer"]]
    f = interp.sae_encode(x)
    assert f.shape == (len(ids), F) and (f >= 0).all()
    np.testing.assert_allclose(interp.sae_features(ids), f, atol=1e-5)
    # sparse, and the reconstruction is much closer than the mean
    assert (f > 0).sum(1).mean() < F / 10
    rec = interp.sae_decode(f)
    assert ((rec - x) ** 2).sum() < 0.5 * ((x - x.mean(0)) ** 2).sum()
    # the record's held-out numbers
    q = s["info"]["held_out"]
    assert 0.5 < q["fraction_variance_explained"] <= 1 and 0 < q["mean_active_features"] < F / 10


def test_top_examples_really_activate_their_feature():
    """The stored snippets are recomputable: re-encode one and the feature peaks where stored."""
    f = interp.top_features(12)[0]
    ex = interp.top_examples(f, 3)
    assert ex and all(e["peak"] > 0 for e in ex)
    assert [e["peak"] for e in ex] == sorted((e["peak"] for e in ex), reverse=True)
    e = ex[0]
    # a snippet re-encoded in isolation has less context than in its window, so compare the
    # position of the peak, not its exact value
    j = int(np.argmax(e["acts"]))
    live = interp.sae_features(e["ids"][:j + 1])[:, f]
    assert live[-1] > 0
    mass = interp.sae_load()["mass"]
    assert mass[f] == mass.max() and len(set(interp.top_features(12))) == 12
    assert interp.feature_label(f)
