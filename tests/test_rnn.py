"""fieldguide.rnn (gradient products, step counts, shipped copy curves) and rnn_train (BPTT)."""

import math

import numpy as np
import pytest

from fieldguide import rnn, rnn_train
from fieldguide.autodiff import numeric_grad, relative_error


# --- bptt_norms: products of tanh′ · W -------------------------------------------------------

@pytest.mark.parametrize("s", [0.5, 0.9, 1.0, 1.2])
def test_bptt_without_inputs_is_exactly_s_to_the_k(s):
    # zero inputs keep every pre-activation at 0, so tanh′ = 1 and ‖(sQ)ᵀ g‖ = s ‖g‖ exactly
    norms = rnn.bptt_norms(10, s, input_scale=0.0)
    assert len(norms) == 11
    assert norms == pytest.approx([s ** k for k in range(11)], rel=1e-12)


def test_bptt_hand_checked_vector():
    assert rnn.bptt_norms(3, 0.9, input_scale=0.0) == pytest.approx([1.0, 0.9, 0.81, 0.729])


@pytest.mark.parametrize("s", [0.95, 1.5])
def test_tanh_only_shrinks_the_linear_ceiling(s):
    norms = rnn.bptt_norms(60, s, input_scale=0.1, seed=3)
    for k, n in enumerate(norms):
        assert n <= s ** k * (1 + 1e-12)
    assert norms[-1] < s ** 60


def test_bptt_matches_finite_differences_of_the_forward_pass():
    # an independent check: perturb h_{T-k} and watch L = g·h_T move
    distance, k = 6, 4
    W, xs, g = rnn.vanilla_setup(distance, 1.1, hidden=5, input_scale=0.5, seed=7)
    hs = [np.zeros(5)]
    for x in xs:
        hs.append(np.tanh(W @ hs[-1] + x))

    def L(h_start):
        h = h_start
        for x in xs[distance - k:]:
            h = np.tanh(W @ h + x)
        return float(g @ h)

    base = hs[distance - k]
    eps = 1e-6
    fd = np.array([(L(base + eps * e) - L(base - eps * e)) / (2 * eps) for e in np.eye(5)])
    got = rnn.bptt_norms(distance, 1.1, hidden=5, input_scale=0.5, seed=7)[k]
    assert got == pytest.approx(np.linalg.norm(fd), rel=1e-7)


def test_vanishing_and_exploding_regimes():
    assert rnn.bptt_norms(60, 0.5)[-1] < 1e-15
    assert rnn.bptt_norms(60, 1.5)[-1] > 1.0


# --- gated_norms: products of forget-gate values -----------------------------------------------

def test_gated_constant_gates_are_sigma_to_the_k():
    sig3 = 1 / (1 + math.exp(-3))                     # 0.95257…
    norms = rnn.gated_norms(6, forget_bias=3.0, bias_spread=0.0, jitter=0.0)
    assert norms == pytest.approx([sig3 ** k for k in range(7)], rel=1e-12)
    assert norms[6] == pytest.approx(0.7471, abs=1e-4)  # 0.95257^6, by hand


def test_gated_path_outlasts_the_vanilla_product_at_the_same_distance():
    for seed in range(5):
        assert rnn.gated_norms(60, seed=seed)[-1] > 10 * rnn.bptt_norms(60, 0.95, seed=seed)[-1]


def test_gated_norms_never_grow():
    norms = rnn.gated_norms(50, seed=2)
    assert all(b <= a for a, b in zip(norms, norms[1:]))


# --- step_counts --------------------------------------------------------------------------------

def test_step_counts_hand_checked():
    r = rnn.step_counts(512, 1024)
    assert (r["rnn_steps"], r["rnn_work"], r["rnn_ticks"]) == (512, 512, 512)
    assert (r["attn_steps"], r["attn_work"], r["attn_ticks"]) == (1, 262144, 256)
    assert r["speedup"] == 2.0
    r = rnn.step_counts(4096, 1024)
    assert (r["rnn_ticks"], r["attn_ticks"]) == (4096, 16384)
    r = rnn.step_counts(8, 1)
    assert (r["rnn_ticks"], r["attn_ticks"], r["rnn_utilisation"]) == (8, 64, 1.0)


def test_crossover_is_where_lanes_equal_the_length():
    for n in (64, 1000):
        r = rnn.step_counts(n, n)
        assert r["rnn_ticks"] == r["attn_ticks"] == n


@pytest.mark.parametrize("bad", [0, -3, 2.5, float("nan"), "x"])
def test_step_counts_rejects_bad_input(bad):
    with pytest.raises(ValueError, match="seq_len"):
        rnn.step_counts(bad, 10)


def test_bad_distance_and_scale():
    with pytest.raises(ValueError, match="distance"):
        rnn.bptt_norms(-1, 0.9)
    with pytest.raises(ValueError, match="recurrent_scale"):
        rnn.bptt_norms(5, float("inf"))
    with pytest.raises(ValueError, match="distance"):
        rnn.gated_norms(1.5)


# --- the trainer: hand-written BPTT against finite differences ---------------------------------

@pytest.mark.parametrize("cell", rnn_train.CELLS)
def test_bptt_gradient_matches_finite_differences(cell):
    p = rnn_train.init_params(cell, 5, 3, seed=0)
    noise = np.random.default_rng(1)
    for k in p:                                       # move off the init (zero biases, etc.)
        p[k] = p[k] + noise.normal(0, 0.3, p[k].shape)
    ids, y = rnn_train.copy_batch(4, 6, 3, np.random.default_rng(2))
    _, _, g = rnn_train.loss_and_grad(cell, p, ids, y)
    ng = numeric_grad(lambda q: rnn_train.loss_and_grad(cell, q, ids, y, grad=False)[0], p,
                      eps=1e-6)
    for k in p:
        assert relative_error(g[k], ng[k]) < 1e-6, k


def test_copy_batch_layout():
    ids, y = rnn_train.copy_batch(5, 4, 8, np.random.default_rng(0))
    assert ids.shape == (4, 6)
    assert (ids[:, -1] == 8).all() and (ids[:, :-1] < 8).all()
    assert (y == ids[:, 0]).all()
    with pytest.raises(ValueError):
        rnn_train.copy_batch(0, 4, 8, np.random.default_rng(0))


def test_training_learns_a_short_delay():
    res = rnn_train.train("lstm", 3, hidden=16, n_symbols=4, steps=150, batch=32, lr=1e-2,
                          clip=1.0, seed=0)
    assert res["losses"][-1] < 0.5 * res["losses"][0]
    assert rnn_train.evaluate("lstm", res["params"], 3, 4, 500, 99) > 0.9


# --- the shipped curves ------------------------------------------------------------------------

def test_shipped_copy_curves_are_well_formed():
    c = rnn.load_copy_curves()
    assert c["script"] == "scripts/train_rnn.py"
    assert c["chance"] == pytest.approx(1 / c["config"]["n_symbols"])
    assert set(c["cells"]) == {"vanilla", "lstm"}
    for cell in c["cells"].values():
        assert cell["delays"] == sorted(cell["delays"])
        assert len(cell["mean"]) == len(cell["delays"]) == len(cell["per_seed"])
        for accs in cell["per_seed"]:
            assert len(accs) == len(c["seeds"])
            assert all(0.0 <= a <= 1.0 for a in accs)
        assert cell["mean"][0] == 1.0                 # the shortest delay is easy for both
    assert 0 < c["cpu_time_s"] <= c["wall_time_s"] * 1.05
    assert c["cpu_time_s"] < 330                      # the brief: about five minutes on one core


def test_shipped_param_counts_match_the_trainer():
    c = rnn.load_copy_curves()
    for name, cell in c["cells"].items():
        p = rnn_train.init_params(name, cell["hidden"], c["config"]["n_symbols"], 0)
        assert cell["params"] == sum(v.size for v in p.values())


def test_longest_delay_learned():
    c = rnn.load_copy_curves()
    for name, cell in c["cells"].items():
        d = rnn.longest_delay_learned(name)
        assert d in cell["delays"]
        assert cell["mean"][cell["delays"].index(d)] >= 0.9
    with pytest.raises(ValueError, match="unknown cell"):
        rnn.longest_delay_learned("gru")


def test_copy_accuracy_and_runs_solved_read_the_shipped_runs():
    c = rnn.load_copy_curves()
    for name, cell in c["cells"].items():
        for d, mean, accs in zip(cell["delays"], cell["mean"], cell["per_seed"]):
            assert rnn.copy_accuracy(name, d) == pytest.approx(sum(accs) / len(accs))
            assert rnn.copy_runs_solved(name, d) == sum(a >= 0.9 for a in accs)
    with pytest.raises(ValueError, match="delay"):
        rnn.copy_accuracy("lstm", 7777)
