import inspect
import json

import numpy as np
import pytest

from fieldguide import speculative as sp, tinylm


@pytest.mark.parametrize("alpha,tokens,speed", [(0.6, 2.31, 1.92), (0.7, 2.77, 2.31), (0.8, 3.36, 2.80)])
def test_book_map_vectors(alpha, tokens, speed):
    assert sp.expected_tokens(alpha, 4) == pytest.approx(tokens, abs=0.005)
    assert sp.speedup(alpha, 4, 0.05) == pytest.approx(speed, abs=0.005)


def test_more_vectors_and_edges():
    assert sp.expected_tokens(0.9, 5) == pytest.approx(4.69, abs=0.005)
    assert sp.expected_tokens(1.0, 4) == 5          # all 4 accepted + the bonus: 5, not 4
    assert sp.expected_tokens(0.0, 4) == 1          # a useless draft still yields the target's token
    assert sp.expected_tokens(0.7, 4, bonus=False) == pytest.approx(sp.expected_tokens(0.7, 4) - 1)
    # tokens per pass is not the speedup: the draft's cost divides it
    assert sp.speedup(0.8, 4, 0.05) < sp.expected_tokens(0.8, 4)
    assert sp.speedup(0.8, 4, 0.0) == pytest.approx(sp.expected_tokens(0.8, 4))
    with pytest.raises(ValueError, match="alpha"):
        sp.expected_tokens(1.2, 4)
    with pytest.raises(ValueError, match="gamma"):
        sp.speedup(0.5, 0, 0.05)


def test_concurrency_model_turns_speedup_into_slowdown():
    assert sp.speedup_at_concurrency(0.7, 4, 0.05, 1) == pytest.approx(sp.speedup(0.7, 4, 0.05))
    assert sp.speedup_at_concurrency(0.7, 4, 0.05, 256) < 1 < sp.speedup_at_concurrency(0.7, 4, 0.05, 32)


def test_optimal_gamma_is_the_argmax_and_grows_with_alpha():
    for a, c in [(0.6, 0.05), (0.9, 0.02), (0.3, 0.2)]:
        g = sp.optimal_gamma(a, c)
        best = max(sp.speedup(a, k, c) for k in range(1, 65))
        assert sp.speedup(a, g, c) == best
    assert sp.optimal_gamma(0.6, 0.05) < sp.optimal_gamma(0.8, 0.05) < sp.optimal_gamma(0.95, 0.05)


def test_acceptance_is_one_minus_tv():
    rng = np.random.default_rng(3)
    p, q = rng.random(10), rng.random(10)
    assert sp.acceptance(p, q) == pytest.approx(1 - sp.tv(p, q))
    r = sp.residual(p, q)
    assert r.sum() == pytest.approx(1) and np.all(r >= 0)


@pytest.mark.parametrize("k,floor", [(2, 0.001), (8, 0.003)])
def test_noise_floor_matches_the_map(k, floor):
    p, _ = sp.toy_pair(0.5, k)
    assert sp.noise_floor(np.full(k, 1 / k) if k == 2 else p, 100_000) == pytest.approx(floor, abs=0.0006)


@pytest.mark.parametrize("quality", [0.0, 0.3, 0.7])
def test_residual_step_makes_the_output_exact(quality):
    p, q = sp.toy_pair(quality)
    with_r = sp.sample_exact(p, q, 100_000, residual=True, seed=1)
    assert with_r["tv"] < 2.5 * with_r["floor"]
    assert with_r["accept_rate"] == pytest.approx(1 - sp.tv(p, q), abs=0.01)
    without = sp.sample_exact(p, q, 100_000, residual=False, seed=1)
    assert without["tv"] > 5 * without["floor"]
    assert without["tv"] == pytest.approx(without["bias"], abs=3 * without["floor"])


def test_perfect_draft_needs_no_repair():
    p, q = sp.toy_pair(1.0)
    r = sp.sample_exact(p, q, 10_000, residual=False)
    assert r["accept_rate"] == 1.0 and r["bias"] == pytest.approx(0)


@pytest.mark.parametrize("prompt", ["Return the number of", "If the file does not exist,", "def f(x):"])
@pytest.mark.parametrize("draft", ["bigram", "random"])
def test_greedy_speculation_equals_the_targets_own_greedy_text(prompt, draft):
    ids = tinylm.encode(prompt)
    spec = sp.generate(sp.TinyLMTarget(), sp.draft(draft), ids, 30, gamma=4, mode="greedy")
    assert spec["ids"] == tinylm.generate(ids, 30, temperature=0)["ids"]
    assert all(1 <= k <= 5 for k in spec["per_pass"])


def test_verify_pass_structure():
    ids = tinylm.encode("Return the number of")
    for mode in sp.MODES:
        for seed in range(5):
            r = sp.verify(sp.TinyLMTarget(), sp.draft("bigram"), ids, 4, mode, 1.0, np.random.default_rng(seed))
            n = r["n_accepted"]
            assert r["produced"] == r["drafted"][:n] + [r["fix"]]          # accepted + 1 tokens
            assert all(s["accepted"] for s in r["steps"][:n])
            assert r["fix_kind"] == ("bonus" if n == 4 else "correction")
            if mode == "greedy" and n < 4:
                assert r["fix"] == r["steps"][n]["target_top"] != r["drafted"][n]


def test_bigram_draft_beats_random_and_acceptance_peaks_near_greedy():
    big = {T: sp.measured_acceptance("bigram", T) for T in (0.0, 1.0, 1.5)}
    rnd = {T: sp.measured_acceptance("random", T) for T in (0.0, 1.0, 1.5)}
    assert big[0.0] > big[1.0] > big[1.5]                 # a draft that learned something: falls with T
    assert rnd[0.0] < rnd[1.0] < rnd[1.5]                 # a uniform draft: the flat target suits it
    assert big[0.0] > rnd[0.0] and big[1.0] > rnd[1.0]
    ids = tinylm.encode(inspect.getdoc(json.dumps))
    direct = sp.acceptance_on_text(sp.draft("bigram"), ids, (0.0, 1.5))
    assert direct[0.0] > direct[1.5]
    assert sp.draft_record()["corpus_sha256"] == tinylm.manifest()["corpus"]["sha256"]


def test_shipped_bigram_matches_its_record():
    import hashlib
    from pathlib import Path
    import fieldguide.data
    rec = sp.draft_record()
    raw = (Path(fieldguide.data.__file__).parent / "draft_bigram.npz").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == rec["npz_sha256"]
    d = sp.draft("bigram")
    assert d.top_ids.shape == (rec["vocab_size"], rec["k"]) and rec["script"] == "scripts/train_draft.py"
