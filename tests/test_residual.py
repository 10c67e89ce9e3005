"""fieldguide.residual: the residual highway toy (book-map test vectors) and the tinylm probe."""

import math

import numpy as np
import pytest

from fieldguide import optim, residual as R, tinylm


def geomean(xs):
    return float(np.exp(np.mean(np.log(xs))))


# --- the book map's test vectors: depth 50, scale 0.5 --------------------------------------------

def test_predictions_at_depth_50_scale_half():
    assert R.expected_first_grad(50, 0.5, residual=False) == pytest.approx(0.5 ** 50)
    assert R.expected_first_grad(50, 0.5, residual=False) == pytest.approx(8.88e-16, rel=1e-3)
    assert R.expected_first_grad(50, 0.5, residual=True) == pytest.approx(1.25 ** 25)
    assert R.expected_first_grad(50, 0.5, residual=True) == pytest.approx(264.7, rel=1e-3)


def test_the_real_stack_matches_the_vectors():
    plain = [R.highway(50, 0.5, residual=False, seed=s)["first"] for s in range(20)]
    resid = [R.highway(50, 0.5, residual=True, seed=s)["first"] for s in range(20)]
    assert max(plain) < 1e-14                              # vanished, every seed
    assert min(resid) > 30                                 # never vanishes: it grows
    # typical values: within a factor of 2 of the predictions (the measured factor per layer sits
    # slightly below the prediction at width 32, as Act I's chapter explains)
    assert 0.5 < geomean(plain) / 8.88e-16 < 2
    assert 0.5 < geomean(resid) / 264.7 < 2
    # the default seed, as the chapter quotes it
    assert R.highway(50, 0.5, residual=True)["first"] == pytest.approx(214, rel=0.01)


def test_the_toy_agrees_with_act_ones_shortcut():
    fast = [optim.jacobian_chain(50, 0.5, R.WIDTH, residual=True, seed=s)[0] for s in range(30)]
    real = [R.highway(50, 0.5, residual=True, seed=s)["first"] for s in range(30)]
    assert abs(math.log(geomean(fast) / geomean(real))) < 0.5


def test_pre_norm_grows_like_the_square_root_of_depth():
    assert R.pre_norm_growth(50, 0.5) == pytest.approx(math.sqrt(13.5))
    for norm in ("layernorm", "rmsnorm"):
        runs = [R.highway(50, 0.5, True, norm, "pre", seed=s) for s in range(10)]
        g = geomean([r["first"] for r in runs])
        a = geomean([r["activation"][-1] for r in runs])
        assert g == pytest.approx(math.sqrt(13.5), rel=0.2)
        assert a == pytest.approx(math.sqrt(13.5), rel=0.2)
    p = R.expected_profile(50, 0.5, True, "rmsnorm", "pre")
    assert p["grad"][-1] == 1 and p["activation"][0] == 1
    assert p["grad"][0] == pytest.approx(p["activation"][-1])


def test_post_norm_pins_the_activations_and_has_no_formula():
    for norm in ("layernorm", "rmsnorm", "batchnorm"):
        h = R.highway(50, 1.0, True, norm, "post")
        assert h["activation"][-1] == pytest.approx(1.0, rel=1e-3)
        assert h["expected"] is None and R.expected_profile(50, 1.0, True, norm, "post") is None
        assert 0.1 < h["first"] < 10


def test_residual_without_norm_runs_away():
    h = R.highway(50, 1.0, True, "none")
    assert h["first"] > 1e6 and h["activation"][-1] > 1e6        # 2^25 ≈ 3.4e7 typical


def test_batchnorm_without_residual_inflates_the_gradient_with_depth():
    for s in range(5):
        shallow = R.highway(20, 0.5, False, "batchnorm", "post", seed=s)["first"]
        deep = R.highway(200, 0.5, False, "batchnorm", "post", seed=s)["first"]
        assert deep > 10 * shallow > 10


def test_a_norm_alone_leaves_the_gradient_scale_to_chance():
    """No systematic decay without the residual, but a random walk: seeds disagree by orders of
    magnitude at depth 200. With the residual and pre-norm they agree within a factor of 3."""
    for norm in ("layernorm", "rmsnorm"):
        lo, hi = R.seed_spread(200, 0.5, False, norm, "pre")
        assert hi / lo > 100
        lo, hi = R.seed_spread(200, 0.5, True, norm, "pre")
        assert hi / lo < 3
        assert lo < R.pre_norm_growth(200, 0.5) < hi


# --- what each normalization averages over -------------------------------------------------------

def test_norm_groups():
    ln = R.norm_groups("layernorm", 3, 4, 6)
    assert ln.shape == (3, 4, 6) and len(np.unique(ln)) == 12
    assert all((ln == g).sum() == 6 for g in np.unique(ln))          # one token's features
    assert np.array_equal(ln, R.norm_groups("rmsnorm", 3, 4, 6))
    bn = R.norm_groups("batchnorm", 3, 4, 6)
    assert len(np.unique(bn)) == 6 and all((bn == g).sum() == 12 for g in range(6))
    assert len(np.unique(R.norm_groups("none", 3, 4, 6))) == 72
    with pytest.raises(ValueError):
        R.norm_groups("groupnorm")


def test_normalize_one_vector():
    ln = R.normalize([2, 4, 6, 8], "layernorm")
    rms = R.normalize([2, 4, 6, 8], "rmsnorm")
    assert ln.mean() == pytest.approx(0, abs=1e-12) and ln.std() == pytest.approx(1, rel=1e-5)
    assert np.sqrt((rms ** 2).mean()) == pytest.approx(1, rel=1e-5)
    assert rms == pytest.approx(np.array([2, 4, 6, 8]) / math.sqrt(30), rel=1e-5)
    with pytest.raises(ValueError):
        R.normalize([1, 2], "batchnorm")


# --- the real model -------------------------------------------------------------------------------

IDS = tinylm.encode("Return a new list containing all items from the iterable in ascending order.")


def test_losses_match_continuation_logprobs():
    lp = tinylm.continuation_logprobs(IDS[:1], IDS[1:])
    assert np.allclose(R.stream(IDS)["losses"], -lp, atol=1e-4)


def test_a_skipped_block_passes_the_stream_unchanged():
    n = tinylm.load().cfg.n_layer
    full = R.stream(IDS)["norms"]
    assert full.shape == (n + 1, len(IDS))
    for k in range(n):
        cut = R.stream(IDS, k)["norms"]
        assert np.allclose(cut[:k + 1], full[:k + 1])          # blocks before k: untouched
        assert np.allclose(cut[k + 1], cut[k])                 # block k adds nothing


def test_skip_costs_are_real_losses():
    c = R.skip_costs(IDS)
    assert c["full"] == pytest.approx(float(R.stream(IDS)["losses"].mean()))
    assert len(c["skip"]) == tinylm.load().cfg.n_layer
    assert c["delta"] == pytest.approx([s - c["full"] for s in c["skip"]])
    with pytest.raises(ValueError):
        R.skip_costs(IDS[:1])
    with pytest.raises(ValueError):
        R.stream([])


def test_what_the_chapter_says_about_the_reference_passage():
    """The prose states these shapes in words; retrained weights must still show them."""
    r = R.reference()
    norms, delta = r["norms"], r["delta"]
    assert norms[0] < 5 and norms[1] > 10 * norms[0]                # block 0 writes a big vector
    assert np.all(np.diff(norms[1:]) > 0)                            # then the stream keeps growing
    assert np.all(r["growth"][1:] < 1.5)                             # ...slowly
    assert r["dearest"] == 0                                         # block 0 is indispensable
    assert all(d > 0 for d in delta)                                 # every block helps
    assert max(delta[1:]) < delta[0] / 5                             # the others cost far less
    ids = tinylm.encode(R.REFERENCE)                                 # without block 0 the stream
    assert np.all(R.stream(ids, 0)["norms"][1:].mean(axis=1) < norms[1:])   # stays smaller
