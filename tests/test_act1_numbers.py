"""Numbers the Act I chapters state, and the float-order model behind the seed_drift demo."""

import numpy as np
import pytest

from fieldguide import floatorder as fo


def test_float_addition_is_not_associative():
    a, b, c = np.float32(1e8), np.float32(-1e8), np.float32(1.0)
    assert (a + b) + c == np.float32(1.0)
    assert a + (b + c) == np.float32(0.0)


def test_ordered_sum_orders_agree_in_float64_and_differ_in_float32():
    rng = np.random.default_rng(0)
    t = rng.standard_normal(4096)
    s64 = [fo.ordered_sum(t, o, "float64") for o in fo.ORDERS]
    assert np.ptp(s64) < 1e-11
    s32 = [float(fo.ordered_sum(t, o, "float32")) for o in fo.ORDERS]
    assert len(set(s32)) > 1
    assert np.ptp(s32) < 1e-3
    assert fo.ordered_sum(t[:5], "pairwise", "float64") == pytest.approx(t[:5].sum())


def test_split_k_model():
    assert fo.split_k(1) == 64 and fo.split_k(2) == 32 and fo.split_k(64) == 1
    assert fo.split_k(48) == 2
    with pytest.raises(ValueError):
        fo.split_k(0)


def test_nonassoc_logits_close_to_exact_and_batch_dependent():
    x, W = fo.toy_layer(0)
    exact = fo.exact_logits(x, W)
    alone = fo.nonassoc_logits(x, W, "sequential", "float32", 1)
    batched = fo.nonassoc_logits(x, W, "sequential", "float32", 64)
    assert np.max(np.abs(alone - exact)) < 1e-4
    assert np.max(np.abs(batched - alone)) > 0        # the batch changed the digits...
    assert np.max(np.abs(batched - alone)) < 1e-3     # ...only the last few of them
    assert np.array_equal(alone, fo.nonassoc_logits(x, W, "sequential", "float32", 1))


def test_toy_layer_plants_a_near_tie():
    x, W = fo.toy_layer(3)
    exact = fo.exact_logits(x, W)
    assert np.argmax(exact) == 0
    assert 1e-7 < exact[0] - exact[1] < 3e-7


def test_drift_seed_fixes_draws_not_arithmetic():
    same = fo.drift(1, "sequential", "float32", 5)
    assert same["max_diff"] == 0 and same["changed_draws"] == 0
    flips = sum(fo.drift(64, "shuffled", "float32", s)["argmax_batched"]
                != fo.drift(64, "shuffled", "float32", s)["argmax_alone"] for s in range(20))
    assert flips > 0                         # float32 near-ties flip with the batch
    f64 = [fo.drift(64, "shuffled", "float64", s) for s in range(10)]
    assert all(r["argmax_batched"] == r["argmax_exact"] for r in f64)   # float64 resolves 2e-7
    assert max(r["max_diff"] for r in f64) < 1e-12


def test_bad_arguments():
    with pytest.raises(ValueError):
        fo.ordered_sum([1.0], "random")
    with pytest.raises(ValueError):
        fo.nonassoc_logits(np.ones(3), np.ones((2, 4)))
    with pytest.raises(ValueError):
        fo.ordered_sum([1.0], dtype="bfloat16")
