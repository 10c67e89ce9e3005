"""fieldguide.tinylm.attention: the opened-up formula behind the attention grid."""

import numpy as np
import pytest

from fieldguide import tinylm
from fieldguide.tinylm import attention as A


def test_rows_sum_to_one_masked_cells_zero():
    rng = np.random.default_rng(0)
    q, k = rng.normal(size=(6, 8)), rng.normal(size=(6, 8))
    w, s = A.attention_weights(q, k)
    np.testing.assert_allclose(w.sum(-1), 1)
    assert np.all(w[np.triu_indices(6, 1)] == 0) and np.all(np.isinf(s[np.triu_indices(6, 1)]))
    w2, _ = A.attention_weights(q, k, causal=False)
    assert np.all(w2 > 0)


def test_scaling_and_temperature_are_the_same_knob():
    rng = np.random.default_rng(1)
    q, k = rng.normal(size=(5, 16)), rng.normal(size=(5, 16))
    a, _ = A.attention_weights(q, k, scale=True, temperature=1.0)
    b, _ = A.attention_weights(q, k, scale=False, temperature=4.0)     # sqrt(16) = 4
    np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError):
        A.attention_weights(q, k, temperature=0)


def test_equivariance_holds_without_mask_and_breaks_with_it():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(7, 12))
    w = [rng.normal(size=(12, 4)) for _ in range(3)]
    assert A.equivariance_check(x, *w, causal=False) is True
    assert A.equivariance_check(x, *w, causal=True) is False


def test_row_entropy():
    assert A.row_entropy(np.full(8, 1 / 8)) == pytest.approx(3.0)
    assert A.row_entropy(np.array([1.0, 0, 0])) == 0


def test_patterns():
    ids = [5, 6, 7, 5, 6]
    s = A.pattern_scores(ids, "induction")
    assert s[3, 1] > 0 and s[4, 2] > 0 and s[3].sum() == s[3, 1]
    assert A.pattern_scores(ids, "previous token")[2, 1] > 0
    with pytest.raises(ValueError):
        A.pattern_scores(ids, "telepathy")


def test_queries_keys_reproduce_the_models_own_attention():
    m = tinylm.load("tinylm")
    ids = tinylm.encode("Return the number of items in the list.")
    _, _, attn = m.forward(ids, return_attn=True)
    for (q, k), a in zip(m.queries_keys(ids), attn):
        w, _ = A.attention_weights(q, k)
        np.testing.assert_allclose(w, a, atol=2e-5)
