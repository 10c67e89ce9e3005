"""The attention chapter's numbers: fieldguide.attention_math, checked against theory and by hand."""

import math

import numpy as np
import pytest

from fieldguide import attention_math as M
from fieldguide import sampling, tinylm

SENTENCE = "The bottle would not fit in the bag because it was too wide"


def test_worked_softmax_example():
    w = sampling.softmax([2.0, 0.5, -1.0])
    assert w.sum() == pytest.approx(1.0)
    e = np.exp([2.0, 0.5, -1.0])
    assert np.allclose(w, e / e.sum())
    assert w[0] == pytest.approx(0.786, abs=5e-4)
    # temperature 0.5 sharpens, 4 flattens toward 1/3
    assert sampling.softmax([4.0, 1.0, -2.0])[0] > w[0] > sampling.softmax([0.5, 0.125, -0.25])[0] > 1 / 3


@pytest.mark.parametrize("d_k", [16, 64, 1024])
def test_unscaled_scores_spread_like_sqrt_d(d_k):
    raw, scaled = M.saturation(d_k, False), M.saturation(d_k, True)
    assert raw["score_std"] == pytest.approx(math.sqrt(d_k), rel=0.1)      # Var(q.k) = d_k
    assert scaled["score_std"] == pytest.approx(1.0, rel=0.1)
    assert raw["max_weight"] > scaled["max_weight"]
    assert raw["entropy_bits"] < scaled["entropy_bits"] < scaled["uniform_bits"] == 4.0


def test_saturation_grows_with_width_only_without_scaling():
    r64, r1024 = M.saturation(64, False), M.saturation(1024, False)
    assert r1024["max_weight"] > r64["max_weight"] > 0.8
    assert r1024["top_slope"] < 0.05 < M.saturation(64, True)["top_slope"]
    s64, s1024 = M.saturation(64, True), M.saturation(1024, True)
    assert abs(s64["max_weight"] - s1024["max_weight"]) < 0.03


def test_saturation_rejects_bad_sizes():
    with pytest.raises(ValueError):
        M.saturation(0)
    with pytest.raises(ValueError):
        M.saturation(8, seq_len=1)


def test_layer_flops_by_hand_and_crossover():
    f = M.layer_flops(4096, 4096)
    assert f["score_entries_per_head"] == 16_777_216
    assert f["scores"] == f["mix"] == 2 * 4096 ** 3
    assert f["projections"] == 8 * 4096 ** 3
    assert M.crossover_length(4096) == 8192          # 4 n^2 d = 8 n d^2 at n = 2d
    assert M.crossover_length(4096, 16) == 24576      # with a 4d MLP: n = 6d
    n = int(M.crossover_length(512))
    g = M.layer_flops(n, 512)
    assert g["scores"] + g["mix"] == g["projections"]
    with pytest.raises(ValueError):
        M.layer_flops(0, 8)


def test_row_is_the_models_own_attention_row():
    row = M.row(SENTENCE, 1, 0, " it")
    ids = tinylm.encode(SENTENCE)
    q = tinylm.token_strings(ids).index(" it")
    assert len(row) == q + 1                          # causal: only positions 0..q
    assert sum(w for _, w in row) == pytest.approx(1.0, abs=1e-5)
    assert all(a[1] >= b[1] for a, b in zip(row, row[1:]))
    _, _, attn = tinylm.forward(ids, return_attn=True)
    assert row[0][1] == pytest.approx(float(attn[1][0][q].max()), abs=1e-6)
    h = M.row_entropy(SENTENCE, 1, 0, " it")
    assert 0 <= h <= math.log2(q + 1) + 1e-9
    with pytest.raises(ValueError):
        M.row(SENTENCE, 0, 0, "zebra")


def test_best_head_and_lookback_agree_with_direct_scores():
    layer, head, score = M.best_head("induction", "previous_token")
    m = tinylm.load("induction")
    assert 0 <= layer < m.cfg.n_layer and 0 <= head < m.cfg.n_head and 0 <= score <= 1
    L, H, off, w = M.lookback("induction")
    assert 0 <= off <= 3 and 0 < w <= 1
    # recompute the look-back weight for that head and offset by hand on the first trial sequence
    from fieldguide import interp
    n = 30
    ids = interp.repeated_random_tokens(m.cfg.vocab_size, n, 99)
    _, _, attn = m.forward(ids, return_attn=True)
    i = np.arange(n, 2 * n - 3)
    assert attn[L][H][i, i - n + off].mean() > 0.5 * w
    with pytest.raises(ValueError):
        M.best_head("induction", "sideways")


class _PlantedModel:
    """One layer, two heads: head 0 attends to the previous token, head 1 is a hand-built
    induction head (key j + 1 after an earlier copy j of the query's token)."""

    def __init__(self):
        self.cfg = tinylm.Config(vocab_size=512, n_ctx=64, d_model=8, n_layer=1, n_head=2, d_ff=8)

    def forward(self, ids, return_attn=False):
        from fieldguide.tinylm import attention as A
        heads = [A.weights_from_scores(A.pattern_scores(ids, p, strength=20.0))[0]
                 for p in ("previous token", "induction")]
        return None, None, [np.stack(heads)]


def test_lookback_finds_a_planted_induction_head_at_offset_one():
    layer, head, off, w = M.lookback(_PlantedModel())
    assert (layer, head, off) == (0, 1, 1) and w > 0.9     # < 1 only where a random token repeats
