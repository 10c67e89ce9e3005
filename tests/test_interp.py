"""Head scores: exact on hand-built patterns, and the shipped induction model really has the circuit."""

import numpy as np
import pytest

from fieldguide import interp, tinylm
from fieldguide.tinylm import attention as A


def _weights(ids, pattern):
    w, _ = A.weights_from_scores(A.pattern_scores(ids, pattern, strength=60.0))
    return w[None]          # one head


def test_scores_are_one_on_the_pattern_they_name():
    ids = interp.repeated_random_tokens(1000, 20, seed=3)      # no repeats inside one copy
    assert interp.previous_token_score(_weights(ids, "previous token"))[0] == pytest.approx(1.0)
    assert interp.first_token_score(_weights(ids, "first token"))[0] == pytest.approx(1.0)
    assert interp.induction_pattern_score(_weights(ids, "induction"), 20)[0] == pytest.approx(1.0, abs=1e-9)
    # and low on the others
    assert interp.induction_pattern_score(_weights(ids, "previous token"), 20)[0] < 0.01
    assert interp.previous_token_score(_weights(ids, "first token"))[0] < 0.1


def test_uniform_head_scores_at_chance():
    w, _ = A.weights_from_scores(np.zeros((10, 10)))
    assert interp.previous_token_score(w[None])[0] == pytest.approx(np.mean(1 / np.arange(2, 11)))


def test_find_period():
    assert interp.find_period([1, 2, 3, 4, 5, 1, 2, 3, 4, 5]) == 5
    assert interp.find_period([1, 2, 3, 4, 5, 6]) is None
    ids = interp.repeated_random_tokens(50, 7, seed=1)
    assert len(ids) == 14 and list(ids[:7]) == list(ids[7:])


def test_lookback_scores_find_the_offset_of_a_hand_built_head():
    ids = interp.repeated_random_tokens(1000, 20, seed=3)
    look = interp.lookback_pattern_scores(_weights(ids, "induction"), 20)
    assert np.argmax(look[0]) == 1 and look[0, 1] == pytest.approx(1.0, abs=1e-6)
    look = interp.lookback_pattern_scores(_weights(ids, "same token"), 20)
    assert np.argmax(look[0]) == 0


def test_shipped_induction_model_has_a_previous_token_head_and_textbook_induction_heads():
    m = tinylm.load("induction")
    # on fresh random tokens repeated once, the second copy is predicted almost perfectly
    ids = interp.repeated_random_tokens(m.cfg.vocab_size, 30, seed=2024)
    lp = tinylm.continuation_logprobs(ids[:31], ids[31:], model="induction")
    assert -lp.mean() < 0.1 < np.log(m.cfg.vocab_size)
    # layer 0 has a clean previous-token head ...
    prev = interp.head_scores(m, ids)["previous_token"]
    assert prev[0].max() > 0.9, prev
    # ... and layer 1 has induction heads by the standard score: from each token of the second
    # copy, most of the weight lands on the token *after* its earlier occurrence (offset +1)
    ind = interp.induction_score(m, n=30, trials=4, seed=123)
    assert ind[1].max() > 0.85, ind
    assert ind[0].max() < 0.1                  # layer 0 cannot: it has nothing to compose with
    look = interp.lookback_scores(m, n=30, trials=4, seed=123)
    layer, head, offset = np.unravel_index(int(np.argmax(look)), look.shape)
    assert (layer, offset) == (1, 1), look
    rec = tinylm.manifest()["models"]["induction"]
    assert rec["lookback_score"]["best"]["layer"] == 1 and rec["lookback_score"]["best"]["offset"] == 1
    best = np.unravel_index(int(np.argmax(rec["induction_score"])), (m.cfg.n_layer, m.cfg.n_head))
    assert ind[best] > 0.85                    # the manifest names a head this test confirms
