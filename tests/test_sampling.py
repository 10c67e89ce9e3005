"""fieldguide.sampling: the book map's hand-checked cases and the filter_logits contract."""

import math

import numpy as np
import pytest

from fieldguide import sampling as S

P6 = np.array([0.6, 0.2, 0.1, 0.05, 0.03, 0.02])
Z6 = np.log(P6)


def kept(p):
    return int((np.asarray(p) > 0).sum())


def test_min_p_keeps_three_renormalised():
    np.testing.assert_allclose(S.filter_logits(Z6, min_p=0.1), [2 / 3, 2 / 9, 1 / 9, 0, 0, 0], atol=1e-12)


def test_top_p_away_from_the_boundary():
    np.testing.assert_allclose(S.filter_logits(Z6, top_p=0.85), [2 / 3, 2 / 9, 1 / 9, 0, 0, 0], atol=1e-12)
    assert kept(S.filter_logits(Z6, top_p=0.97)) == 5
    assert kept(S.filter_logits(Z6, top_p=0.5)) == 1          # the top token alone passes 0.5
    assert kept(S.filter_logits(Z6, top_p=1e-9)) == 1         # the most probable always stays


def test_top_p_exact_boundary_is_decided_by_rounding():
    # 1 - 0.9 = 0.09999999999999998 in float64, and the ascending cumulative sum reaches 0.1 at the
    # third-smallest token, so Hugging Face's "drop cumsum <= 1 - p" keeps 4; the textbook rule keeps 3.
    assert 1 - 0.9 < 0.1
    assert kept(S.filter_logits(Z6, top_p=0.9)) == 4


def test_order_matters_temperature_then_min_p_vs_min_p_first():
    assert (1 / 30) ** (2 / 3) == pytest.approx(0.104, abs=5e-4)
    hf = S.filter_logits(Z6, temperature=1.5, min_p=0.1)
    llama = S.filter_logits_ordered(Z6, temperature=1.5, min_p=0.1, order="llama.cpp")
    assert kept(hf) == 6 and kept(llama) == 3
    # llama.cpp's T is applied to the survivors: softmax(log p / 1.5) over the three kept
    w = P6[:3] ** (1 / 1.5)
    np.testing.assert_allclose(llama[:3], w / w.sum(), atol=1e-12)
    same = S.filter_logits_ordered(Z6, 1.5, 0, 1.0, 0.1, order=["temperature", "top_k", "top_p", "min_p"])
    np.testing.assert_array_equal(same, hf)


def test_capital_preset_top_p_07_and_top_k_3_keep_the_same_set():
    ex = S.EXAMPLES["capital-of-Japan"]
    assert sum(ex["probs"]) == pytest.approx(1.0)
    z = np.log(ex["probs"])
    a, b = S.filter_logits(z, top_p=0.7), S.filter_logits(z, top_k=3)
    assert kept(a) == 3
    np.testing.assert_array_equal(a > 0, b > 0)
    for name, e in S.EXAMPLES.items():
        assert sum(e["probs"]) == pytest.approx(1.0), name
        assert len(e["tokens"]) == len(e["probs"])


def test_temperature_divides_logits_and_zero_is_greedy():
    z = np.array([2.0, 1.0, 0.0])
    t2 = S.filter_logits(z, temperature=2.0)
    e = np.exp(z / 2)
    np.testing.assert_allclose(t2, e / e.sum(), atol=1e-15)
    np.testing.assert_array_equal(S.filter_logits(z, temperature=0), [1, 0, 0])
    assert S.filter_logits(z).dtype == np.float64


def test_top_k_keeps_ties_and_large_k_keeps_all():
    z = np.array([3.0, 2.0, 2.0, 1.0])
    assert kept(S.filter_logits(z, top_k=2)) == 3
    assert kept(S.filter_logits(z, top_k=1)) == 1
    assert kept(S.filter_logits(z, top_k=10)) == 4
    assert S.filter_logits(z, top_k=1)[0] == 1.0


def test_filtered_tokens_are_exactly_zero_and_rest_sums_to_one():
    rng = np.random.default_rng(0)
    z = rng.normal(size=50) * 3
    p = S.filter_logits(z, temperature=0.8, top_k=20, top_p=0.9, min_p=0.05)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert set(np.unique(p[p < 1e-300])) <= {0.0}


@pytest.mark.parametrize("kw,msg", [
    ({"temperature": -1}, "temperature"), ({"temperature": float("nan")}, "temperature"),
    ({"top_p": 0}, "top_p"), ({"top_p": 1.5}, "top_p"), ({"top_p": float("nan")}, "top_p"),
    ({"min_p": -0.1}, "min_p"), ({"min_p": 2}, "min_p"), ({"top_k": -1}, "top_k"),
    ({"top_k": 2.5}, "top_k")])
def test_bad_arguments_raise_clear_errors(kw, msg):
    with pytest.raises(ValueError, match=msg):
        S.filter_logits(Z6, **kw)


def test_bad_logits_raise():
    for bad in ([], [1.0, float("nan")], [float("inf"), 0.0], [-np.inf, -np.inf]):
        with pytest.raises(ValueError):
            S.filter_logits(bad)
    with pytest.raises(ValueError, match="order"):
        S.filter_logits_ordered(Z6, order="vllm?")
    # an already-banned token (-inf) is fine and stays at 0
    assert S.filter_logits([0.0, -np.inf])[1] == 0


def test_penalties_formula():
    z = np.array([2.0, 1.0, -1.0, 0.5])
    c = np.array([3, 0, 1, 0])
    out = S.apply_penalties(z, c, presence=0.5, frequency=0.25)
    np.testing.assert_allclose(out, [2 - 0.5 - 0.75, 1.0, -1 - 0.5 - 0.25, 0.5])
    rep = S.apply_penalties(z, c, repetition=2.0)
    np.testing.assert_allclose(rep, [1.0, 1.0, -2.0, 0.5])
    np.testing.assert_array_equal(S.token_counts([0, 0, 2, 0], 4), c)
    with pytest.raises(ValueError, match="counts"):
        S.apply_penalties(z, [1, 2])
    with pytest.raises(ValueError, match="repetition"):
        S.apply_penalties(z, c, repetition=0)


def test_sample_is_seeded_and_follows_p():
    p = np.array([0.7, 0.2, 0.1, 0.0])
    a, b = S.sample(p, 5000, seed=1), S.sample(p, 5000, seed=1)
    np.testing.assert_array_equal(a, b)
    freq = np.bincount(a, minlength=4) / 5000
    np.testing.assert_allclose(freq, p, atol=0.03)
    assert freq[3] == 0
    with pytest.raises(ValueError, match="sum to 1"):
        S.sample([0.5, 0.6])


def test_entropy_nll_perplexity():
    assert S.entropy(np.full(8, 1 / 8), base=2) == pytest.approx(3.0)
    assert S.entropy([1.0, 0.0]) == 0.0
    assert S.nll([0.25, 0.75], 0) == pytest.approx(math.log(4))
    assert S.nll([1.0, 0.0], 1) == math.inf
    assert S.perplexity([math.log(4)] * 3) == pytest.approx(4.0)
    np.testing.assert_allclose(S.softmax([1000.0, 1000.0]), [0.5, 0.5])


def test_top_p_mask_and_presets():
    np.testing.assert_array_equal(S.top_p_mask(P6, 0.85), [1, 1, 1, 0, 0, 0])
    for name, pre in S.PRESETS.items():
        p = S.filter_logits(Z6, pre["temperature"], pre["top_k"], pre["top_p"], pre["min_p"])
        assert p.sum() == pytest.approx(1.0), name
    assert kept(S.filter_logits(Z6, **{k: S.PRESETS["deterministic"][k]
                                       for k in ("temperature", "top_p")})) == 1


def test_distinct_n_and_repeats():
    assert S.distinct_n([1, 2, 3, 4], 2) == 1.0
    assert S.distinct_n([1, 2, 1, 2, 1, 2], 2) == pytest.approx(2 / 5)
    assert math.isnan(S.distinct_n([1], 2))
    np.testing.assert_array_equal(S.repeated_ngram_mask([5, 6, 7, 5, 6, 8], 2), [0, 0, 0, 1, 1, 0])
