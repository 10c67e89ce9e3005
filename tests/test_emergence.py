"""The mirage toy (fieldguide.emergence) and its measurement on tinylm."""

import math

import numpy as np
import pytest

from fieldguide import emergence


def test_book_map_vectors_exact_match_is_p_to_the_k():
    em = emergence.exact_match([0.8, 0.9, 0.95, 0.99], 10)
    assert np.round(em, 3).tolist() == [0.107, 0.349, 0.599, 0.904]


def test_metrics_agree_at_k_1_and_order_for_longer_tasks():
    p = np.array([0.1, 0.5, 0.9])
    m1 = emergence.metrics(p, 1)
    assert np.allclose(m1["exact"], p) and np.allclose(m1["partial"], p)
    m = emergence.metrics(p, 10)
    assert np.all(m["exact"] < m["partial"]) and np.all(m["partial"] < m["per-token"])
    assert np.allclose(m["loglik"], np.log(p))
    # partial credit: mean over i = 1..k of p^i, e.g. k = 2, p = 0.5 -> (0.5 + 0.25) / 2
    assert emergence.partial_credit(0.5, 2) == pytest.approx(0.375)


def test_step_success_is_a_smooth_power_law_in_loss():
    assert emergence.step_success(0) == pytest.approx(0.1)
    # loss falls tenfold every 5 scale units at steepness 1, every 2.5 at steepness 2
    assert emergence.step_loss(5) == pytest.approx(math.log(10) / 10)
    assert emergence.step_loss(2.5, 2) == pytest.approx(math.log(10) / 10)
    s = np.linspace(0, 10, 101)
    p = emergence.step_success(s)
    assert np.all(np.diff(p) > 0)
    assert np.max(np.diff(p)) < 0.03          # no jump anywhere in the model itself


def test_exact_match_rises_later_and_sharper_as_k_grows():
    w = [emergence.mirage_curves(k)["rise_width"] for k in (1, 10, 50)]
    assert w[0]["exact"] == pytest.approx(w[0]["per-token"])
    assert w[0]["exact"] > w[1]["exact"] > w[2]["exact"]
    assert all(x["per-token"] == pytest.approx(w[0]["per-token"]) for x in w)
    c = emergence.mirage_curves(10)
    half = np.interp(0.5, c["exact"], c["scale"])
    assert half > np.interp(0.5, c["p"], c["scale"])


def test_needed_step_success():
    assert emergence.needed_step_success(0.5, 10) == pytest.approx(0.933, abs=5e-4)
    assert emergence.exact_match(emergence.needed_step_success(0.5, 37), 37) == pytest.approx(0.5)


def test_rise_width_of_a_line_and_of_a_step():
    s = np.linspace(0, 10, 1001)
    assert emergence.rise_width(s, s) == pytest.approx(8.0)
    assert emergence.rise_width(s, (s >= 5).astype(float)) == pytest.approx(0.0, abs=0.02)
    with pytest.raises(ValueError):
        emergence.rise_width(s, -s)


@pytest.mark.parametrize("bad", [0, -1, 2.5, float("nan"), True])
def test_bad_k_is_rejected(bad):
    with pytest.raises(ValueError, match="k"):
        emergence.exact_match(0.5, bad)


@pytest.mark.parametrize("bad", [-0.1, 1.1, float("nan")])
def test_bad_probability_is_rejected(bad):
    with pytest.raises(ValueError, match="between 0 and 1"):
        emergence.metrics(bad, 3)


def test_bad_steepness_and_scale_are_rejected():
    with pytest.raises(ValueError, match="steepness"):
        emergence.step_loss(1, 0)
    with pytest.raises(ValueError, match="scale"):
        emergence.step_loss(float("nan"))


def test_squeeze_on_tinylm_matches_a_direct_count():
    from fieldguide import tinylm
    text = emergence.PASSAGE
    sq = emergence.squeeze(text, ks=[1, 2, 3])
    ids = tinylm.encode(text)
    # direct count: greedy next token given the true prefix, position by position
    logits = tinylm.forward(ids)[0]
    hit = [int(np.argmax(logits[i])) == ids[i + 1] for i in range(len(ids) - 1)]
    r1, r2, r3 = sq["rows"]
    assert r1["exact"] == pytest.approx(np.mean(hit)) == pytest.approx(sq["top1"])
    assert r2["exact"] == pytest.approx(np.mean([a and b for a, b in zip(hit, hit[1:])]))
    assert r3["windows"] == len(ids) - 3
    # the whole-window probability is the chain rule of continuation_logprobs, window by window
    short = tinylm.decode(ids[:20])
    sids = tinylm.encode(short)
    direct = [math.exp(tinylm.continuation_logprobs(sids[:j + 1], sids[j + 1:j + 4]).sum())
              for j in range(len(sids) - 3)]
    assert emergence.squeeze(short, ks=[3])["rows"][0]["answer_prob"] == pytest.approx(np.mean(direct), rel=1e-4)
    # the squeeze: per-token scores stay put while exact match and answer probability collapse
    assert r3["token_acc"] == pytest.approx(r1["token_acc"], abs=0.05)
    assert r3["exact"] < r2["exact"] < r1["exact"]
    assert r3["answer_prob"] < r2["answer_prob"] < r1["answer_prob"]


def test_squeeze_rejects_too_short_text():
    with pytest.raises(ValueError):
        emergence.squeeze("a")
    with pytest.raises(ValueError, match="longer"):
        emergence.squeeze("Return the value.", ks=[50])


def test_sharpest_drop_finds_the_cliff():
    d = emergence.sharpest_drop([0, 1, 2, 3, 4], [5.0, 4.9, 2.0, 1.9, 1.0])
    assert (d["from_step"], d["to_step"]) == (1, 2)
    assert d["drop"] == pytest.approx(2.9) and d["share"] == pytest.approx(0.725)
    assert d["span_share"] == pytest.approx(0.25)
    with pytest.raises(ValueError):
        emergence.sharpest_drop([0, 1], [1.0, 2.0])


def test_the_induction_model_has_a_real_jump_in_its_loss():
    from fieldguide import tinylm
    d = emergence.induction_jump()
    curve = tinylm.manifest()["models"]["induction"]["loss_curve"]
    i = curve["step"].index(d["from_step"])
    assert curve["val_loss"][i] == d["from_loss"]
    # most of the whole fall happens between two logs, a small slice of training
    assert d["share"] > 0.5 and d["span_share"] < 0.1
    # and the induction score rises across the same interval
    assert curve["induction_max"][i + 1] - curve["induction_max"][i] > 0.3
