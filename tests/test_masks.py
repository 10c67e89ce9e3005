"""fieldguide.masks: the three families' attention masks, BERT's 80/10/10 corruption, loss positions."""

import numpy as np
import pytest

from fieldguide import masks as M

V = 1000


def test_encoder_sees_everything_decoder_only_the_past():
    enc = M.masks("encoder", 5)["encoder"]
    dec = M.masks("decoder", 5)["decoder"]
    assert enc.shape == dec.shape == (5, 5) and enc.all()
    assert np.array_equal(dec, np.tril(np.ones((5, 5), dtype=bool)))
    assert not np.triu(dec, 1).any() and dec.diagonal().all()
    assert dec.sum() == 5 * 6 // 2
    assert [int(r.sum()) for r in dec] == [1, 2, 3, 4, 5]       # row i sees i + 1 keys


def test_encoder_decoder_has_self_and_full_cross_attention():
    g = M.masks("encoder-decoder", 4, 6)
    assert set(g) == {"encoder", "decoder", "cross"}
    assert g["encoder"].shape == (4, 4) and g["encoder"].all()
    assert np.array_equal(g["decoder"], np.tril(np.ones((6, 6), dtype=bool)))
    assert g["cross"].shape == (6, 4) and g["cross"].all()      # queries: decoder, keys: encoder


def test_prefix_lm_is_bidirectional_over_the_prompt_then_causal():
    g = M.masks("prefix-lm", 3, 4)["decoder"]
    assert g.shape == (7, 7)
    assert g[:, :3].all()                                       # everyone sees the whole prompt
    assert np.array_equal(g[3:, 3:], np.tril(np.ones((4, 4), dtype=bool)))
    assert not g[:3, 3:].any()                                  # the prompt never sees the answer
    assert M.masks("prefix-lm", 5, 0)["decoder"].all()          # no continuation: an encoder
    assert np.array_equal(M.masks("prefix-lm", 1, 5)["decoder"], M.masks("decoder", 6)["decoder"])


@pytest.mark.parametrize("args", [("decoder", 0), ("encoder", -1), ("encoder-decoder", 3, 0),
                                  ("sideways", 3), ("encoder", 2.5)])
def test_masks_reject_bad_arguments(args):
    with pytest.raises(ValueError):
        M.masks(*args)


def test_num_to_predict_matches_the_reference_rule():
    assert M.num_to_predict(128, 0.15) == 19                   # round(19.2)
    assert M.num_to_predict(512, 0.15) == 77                   # round(76.8)
    assert M.num_to_predict(128, 0.15, max_predictions=20) == 19
    assert M.num_to_predict(512, 0.15, max_predictions=20) == 20
    assert M.num_to_predict(3, 0.15) == 1                      # at least one
    assert M.num_to_predict(10, 0.0) == 0
    with pytest.raises(ValueError):
        M.num_to_predict(10, 1.5)


def test_mlm_selects_exactly_the_count_and_never_specials():
    cls, sep = V, V + 1
    ids = [cls] + list(range(20)) + [sep]
    for seed in range(50):
        ex = M.mlm_mask(ids, 0.15, np.random.default_rng(seed), vocab_size=V, mask_id=V + 2,
                        special_ids=(cls, sep))
        assert ex.selected.sum() == M.num_to_predict(22, 0.15) == 3
        assert not ex.selected[0] and not ex.selected[-1]
        assert ex.inputs[0] == cls and ex.inputs[-1] == sep
        assert np.array_equal(ex.labels[ex.selected], np.asarray(ids)[ex.selected])
        assert (ex.labels[~ex.selected] == M.IGNORE).all()
        # untouched positions are unchanged; only "mask" writes the mask id
        assert np.array_equal(ex.inputs[~ex.selected], np.asarray(ids)[~ex.selected])
        for i, a in enumerate(ex.action):
            assert (a != "") == bool(ex.selected[i])
            if a == "mask":
                assert ex.inputs[i] == V + 2
            if a == "keep":
                assert ex.inputs[i] == ids[i]
            if a == "random":
                assert 0 <= ex.inputs[i] < V


def test_80_10_10_split_and_uniform_selection_converge_over_many_seeds():
    ids = list(range(100))
    counts = {"mask": 0, "random": 0, "keep": 0}
    hits = np.zeros(100)
    trials = 4000
    for seed in range(trials):
        ex = M.mlm_mask(ids, 0.15, np.random.default_rng(seed), vocab_size=V)
        hits += ex.selected
        for a in ex.action:
            if a:
                counts[a] += 1
    total = sum(counts.values())
    assert total == 15 * trials
    assert counts["mask"] / total == pytest.approx(0.8, abs=0.01)
    assert counts["random"] / total == pytest.approx(0.1, abs=0.01)
    assert counts["keep"] / total == pytest.approx(0.1, abs=0.01)
    rate = hits / trials                                        # each position: 15% of the time
    assert rate.mean() == pytest.approx(0.15)
    assert np.abs(rate - 0.15).max() < 0.03


def test_mlm_is_seeded_and_the_mask_id_defaults_past_the_vocabulary():
    ids = list(range(40))
    a = M.mlm_mask(ids, 0.3, 7, vocab_size=V)
    b = M.mlm_mask(ids, 0.3, np.random.default_rng(7), vocab_size=V)
    assert np.array_equal(a.inputs, b.inputs) and a.action == b.action
    assert V in a.inputs
    assert not M.mlm_mask(ids, 0.0, 0, vocab_size=V).selected.any()
    assert M.mlm_mask([], 0.15, 0, vocab_size=V).selected.size == 0
    assert M.mlm_mask(ids, 0.5, 0, vocab_size=V).selected.sum() == 20


def test_objective_positions():
    sel = np.array([0, 1, 0, 0, 1], dtype=bool)
    assert np.array_equal(M.objective_positions("mlm", 5, selected=sel)["encoder"], sel)
    c = M.objective_positions("causal", 5)["decoder"]
    assert c.tolist() == [True, True, True, True, False]
    s = M.objective_positions("seq2seq", 4, 3)
    assert not s["encoder"].any() and s["encoder"].size == 4 and s["decoder"].tolist() == [True] * 3
    p = M.objective_positions("prefix", 3, 2)["decoder"]
    assert p.tolist() == [False, False, True, True, False]     # positions 2, 3 predict tokens 3, 4
    with pytest.raises(ValueError):
        M.objective_positions("mlm", 5)
    with pytest.raises(ValueError):
        M.objective_positions("mlm", 4, selected=sel)
    with pytest.raises(ValueError):
        M.objective_positions("span", 5)


def test_loss_fraction():
    assert M.loss_fraction("mlm", 128) == pytest.approx(19 / 128)
    assert M.loss_fraction("causal", 128) == pytest.approx(127 / 128)
    assert M.loss_fraction("seq2seq", 10, 5) == pytest.approx(5 / 15)
    assert M.loss_fraction("prefix", 10, 5) == pytest.approx(5 / 15)


def test_only_bidirectional_attention_rewrites_the_past_when_a_token_arrives():
    assert M.stale_after_append("encoder", 10) == 10               # every earlier row reads it
    assert M.stale_after_append("decoder", 10) == 0                # the KV cache stays valid
    assert M.stale_after_append("encoder-decoder", 10, 4) == 0     # appending to the target
    assert M.stale_after_append("prefix-lm", 10, 4) == 0           # appending to the continuation
    assert M.stale_after_append("prefix-lm", 10, 0) == 0
    with pytest.raises(ValueError):
        M.stale_after_append("both", 3)
