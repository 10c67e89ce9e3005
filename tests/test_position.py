"""The position chapter's maths, checked against the book map's test vectors and the papers."""

import math

import numpy as np
import pytest

from fieldguide import position as P


@pytest.mark.parametrize("d", [2, 16, 64, 128, 512])
def test_sinusoidal_dot_depends_only_on_the_offset(d):
    pe = P.sinusoidal(50, d)
    assert np.isclose(pe[3] @ pe[8], pe[40] @ pe[45], rtol=0, atol=1e-12)
    # and it is the closed form sum_i cos(k w_i)
    assert np.isclose(pe[3] @ pe[8], np.cos(5 * P.rope_frequencies(d)).sum(), atol=1e-12)
    # a different offset gives a different value: the test can fail
    assert not np.isclose(pe[3] @ pe[8], pe[3] @ pe[9])


def test_sinusoidal_matches_vaswani_and_the_dot_helper():
    pe = P.sinusoidal(10, 64)
    assert pe[0, 0] == 0 and pe[0, 1] == 1                              # sin 0, cos 0
    assert np.isclose(pe[7, 2 * 5], math.sin(7 / 10000 ** (2 * 5 / 64)))
    assert np.isclose(pe[7, 2 * 5 + 1], math.cos(7 / 10000 ** (2 * 5 / 64)))
    assert np.allclose(P.sinusoidal(4, 64, start=6), pe[6:10])
    assert np.allclose(P.sinusoidal_dot(3, [0, 5], 64), [pe[3] @ pe[3], pe[3] @ pe[8]])
    assert np.isclose(P.sinusoidal_dot(3, 5, 64)[0], 23.504, atol=5e-4)   # the source notes' value


@pytest.mark.parametrize("base", [10000.0, 500000.0])
@pytest.mark.parametrize("d", [16, 64, 128])
def test_rope_score_depends_only_on_the_difference(d, base):
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal(d), rng.standard_normal(d)
    assert np.isclose(P.rope_score(q, k, 10, 7, base), P.rope_score(q, k, 103, 100, base), atol=1e-10)
    assert not np.isclose(P.rope_score(q, k, 10, 7, base), P.rope_score(q, k, 10, 8, base))
    assert np.isclose(P.rope_score(q, k, 5, 5, base), q @ k)          # equal positions: no rotation


def test_rope_rotation_keeps_length_and_matches_complex_multiplication():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 8))
    pos = np.array([0, 1, 7, 300])
    y = P.rope_rotate(x, pos)
    assert np.allclose(np.linalg.norm(y, axis=1), np.linalg.norm(x, axis=1))
    z = (x[:, 0::2] + 1j * x[:, 1::2]) * np.exp(1j * pos[:, None] * P.rope_frequencies(8))
    assert np.allclose(y[:, 0::2], z.real) and np.allclose(y[:, 1::2], z.imag)
    with pytest.raises(ValueError):
        P.rope_rotate(np.ones(5), 1)


def test_frequencies_and_wavelengths():
    w = P.rope_frequencies(128, 10000)
    assert w[0] == 1 and np.isclose(w[-1], 10000 ** (-126 / 128))
    assert np.isclose(P.wavelengths(w)[0], 2 * np.pi)
    assert np.all(np.diff(w) < 0)
    with pytest.raises(ValueError):
        P.rope_frequencies(7)
    with pytest.raises(ValueError):
        P.rope_frequencies(8, base=1)


@pytest.mark.parametrize("h", [1, 2, 4, 8, 16])
def test_alibi_slopes_power_of_two(h):
    assert np.allclose(P.alibi_slopes(h), [2 ** (-8 * i / h) for i in range(1, h + 1)])


def test_alibi_slopes_other_head_counts_follow_the_reference_code():
    # h = 12: the 8-head slopes, then 1/2^0.5, 1/2^1.5, ... (odd entries of the 16-head list)
    s = P.alibi_slopes(12)
    assert np.allclose(s[:8], P.alibi_slopes(8))
    assert np.allclose(s[8:], P.alibi_slopes(16)[0::2][:4])
    assert len(P.alibi_slopes(5)) == 5 and np.all(P.alibi_slopes(7) > 0)


def test_alibi_bias_matrix():
    b = P.alibi_bias(5, 8)
    assert b.shape == (8, 5, 5)
    assert b[0, 4, 1] == -0.5 * 3 and b[7, 4, 0] == -(2 ** -8) * 4
    assert np.all(np.diagonal(b, axis1=1, axis2=2) == 0)
    assert np.isneginf(b[3, 1, 2])
    assert np.isclose(P.alibi_weight_ratio(0.5, 2), math.exp(-1))


def test_nope_signal():
    assert np.allclose(P.nope_signal(4, True), [1, 1 / 2, 1 / 3, 1 / 4])
    assert np.allclose(P.nope_signal(4, False), 0.25)


def test_learned_table_rows_past_training_keep_their_start():
    trained = np.arange(40, dtype=float).reshape(10, 4) + 1
    init = -np.ones((10, 4))
    t = P.learned_table(trained, init, train_len=6)
    assert np.array_equal(t[:6], trained[:6]) and np.array_equal(t[6:], init[6:])
    assert np.array_equal(P.learned_table(trained, init), trained)
    assert np.array_equal(P.learned_table(trained, init, 99), trained)
    with pytest.raises(ValueError):
        P.learned_table(trained, init[:5])
    assert np.allclose(P.row_cosines(np.array([[1.0, 0], [1, 0], [0, 1]])), [1, 0])


def test_tinylm_position_table_is_real_and_moved_from_its_start():
    t = P.tinylm_positions()
    from fieldguide import tinylm
    assert t["trained"].shape == (tinylm.load().cfg.n_ctx, tinylm.load().cfg.d_model)
    assert t["init"].shape == t["trained"].shape
    moved = np.linalg.norm(t["trained"] - t["init"], axis=1)
    assert moved.min() > 0
    # the rebuilt start is the real one: trained rows still point partly along it
    cos = (t["trained"] * t["init"]).sum(1) / np.linalg.norm(t["trained"], axis=1) / np.linalg.norm(t["init"], axis=1)
    # a wrong rebuild would average ~0 +- 0.006 over 256 rows; the real start stays well above that
    assert cos.mean() > 0.05


def test_position_interpolation_and_ntk():
    w = P.rope_frequencies(64, 10000)
    assert np.allclose(P.interpolate_positions(w, 4), w / 4)
    b = P.ntk_aware_base(10000, 4, 64)
    assert np.isclose(b, 10000 * 4 ** (64 / 62))
    v = P.rope_frequencies(64, b)
    assert np.isclose(v[0], w[0]) and np.isclose(v[-1], w[-1] / 4)
    with pytest.raises(ValueError):
        P.interpolate_positions(w, 0.5)


def test_yarn_ramp_matches_peng_et_al():
    # gamma(r) = 0 for r < alpha, 1 for r > beta, (r - alpha) / (beta - alpha) between
    r = np.array([0.1, 1.0, 16.5, 32.0, 100.0])
    assert np.allclose(P.yarn_ramp(r, 1, 32), [0, 0, 0.5, 1, 1])
    w = P.rope_frequencies(128, 10000)
    L, s = 4096, 8
    h = P.yarn_scale(w, s, L)
    rot = L / P.wavelengths(w)
    assert np.allclose(h[rot > 32], w[rot > 32])              # fast pairs left alone
    assert np.allclose(h[rot < 1], w[rot < 1] / s)            # slow pairs interpolated
    mid = (rot > 1) & (rot < 32)
    assert mid.any() and np.all((h[mid] < w[mid]) & (h[mid] > w[mid] / s))
    g = (rot[mid] - 1) / 31
    assert np.allclose(h[mid], (1 - g) * w[mid] / s + g * w[mid])
    assert P.yarn_attention_factor(1) == 1
    assert np.isclose(P.yarn_attention_factor(32), 0.1 * math.log(32) + 1)


def test_scaled_frequencies_and_band_status():
    d, base, L, s = 128, 10000.0, 4096, 8
    w = P.rope_frequencies(d, base)
    assert np.array_equal(P.scaled_frequencies("none", d, base, s, L), w)
    st = P.band_status(w, P.scaled_frequencies("none", d, base, s, L), s, L)
    assert "extrapolated" in st and "unchanged" in st and "interpolated" not in st
    st = P.band_status(w, P.scaled_frequencies("position interpolation", d, base, s, L), s, L)
    assert set(st) == {"interpolated"}
    st = P.band_status(w, P.scaled_frequencies("YaRN", d, base, s, L), s, L)
    assert {"unchanged", "interpolated", "blended"} <= set(st) and "extrapolated" not in st
    with pytest.raises(ValueError):
        P.scaled_frequencies("magic", d, base, s, L)


def test_score_decay():
    w = P.rope_frequencies(64)
    dec = P.score_decay(w, [0, 1, 10, 1000])
    assert dec[0] == 1 and np.all(np.abs(dec) <= 1)
    # interpolation stretches the curve: decay at distance s*x equals the original at x
    assert np.isclose(P.score_decay(w / 4, 40), P.score_decay(w, 10))


def test_chapter_helpers():
    assert np.isclose(P.rope_score_example(10, 7), P.rope_score_example(103, 100))
    assert not np.isclose(P.rope_score_example(10, 7), P.rope_score_example(10, 9))
    s = P.tinylm_table_stats()
    assert s["rows"] == 256 and s["d"] == 128
    assert abs(s["neighbour_cos_init"]) < 0.05            # a random start has no neighbour structure
    assert 0 < s["random_cos"] < 0.1
    ds = P.model_rope("DeepSeek-V3")
    assert ds["scaling"] == "yarn" and ds["rope_dim"] == 64 and ds["factor"] * ds["original"] <= ds["context"]
    ll = P.model_rope("Llama-3.1-8B")
    assert ll["theta"] == 500000 and ll["original"] == 8192 and ll["context"] == 131072
    with pytest.raises(ValueError):
        P.model_rope("GPT-7")
    # Llama 2's ladder: the pairs whose wavelength exceeds 4,096 tokens
    w = P.wavelengths(P.rope_frequencies(128, 10000))
    assert P.unseen_pairs(128, 10000, 4096) == int((w > 4096).sum()) == 18


def test_position_explorer_shows_what_the_chapter_says():
    from fieldguide import demo
    from fieldguide_site import demos
    mod = demos.load("position_explorer")
    for scheme, word in (("sinusoidal", "coincide"), ("rope", "coincide"), ("learned", "differ")):
        out = demo.call(mod, {"scheme": scheme, "p": 50, "offset": 20})
        assert word in out[2]["alt"], (scheme, out[2]["alt"])
    # a shorter training length leaves tinylm's later rows at their random start
    table = demo.call(mod, {"scheme": "learned", "p": 100, "offset": 5, "train_len": 64})[3]
    learned = next(r for r in table["rows"] if r[0].startswith("learned"))
    assert "row 105: random start" in learned[3] and "row 100: random start" in learned[3]


def test_rope_scaling_bands():
    from fieldguide import demo
    from fieldguide_site import demos
    mod = demos.load("rope_scaling")
    labels = lambda out: {it["label"] for it in out[0]["items"]}      # noqa: E731
    assert "Pairs extrapolated" in labels(demo.call(mod, {"method": "none", "scale": 8}))
    assert "Pairs extrapolated" not in labels(demo.call(mod, {"method": "YaRN", "scale": 8}))
    assert labels(demo.call(mod, {"method": "position interpolation", "scale": 8})) == {
        "Context", "Pairs interpolated"}


def test_the_chapters_claims_about_tinylms_table_hold():
    """The prose computes these numbers live; the sentences around them say what they show."""
    s = P.tinylm_table_stats()
    t = P.tinylm_positions()
    norms = np.linalg.norm(t["trained"], axis=1)
    assert norms.argmax() == 0 and s["row0_norm"] > 2 * s["init_norm"]      # row 0 marked most
    assert s["neighbour_cos"] > s["cos_128"] and s["neighbour_cos"] > s["neighbour_cos_init"] + 0.05
    assert s["token_position_cos"] < 0.3                                      # far from aligned
