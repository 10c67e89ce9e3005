import numpy as np
import pytest

from fieldguide import grokking as g


def test_split_covers_every_pair_once():
    (a, b, y), (ta, tb, ty) = g.split(11, 0.3, 0)
    pairs = set(zip(a.tolist(), b.tolist())) | set(zip(ta.tolist(), tb.tolist()))
    assert len(pairs) == 121 and len(a) == round(0.3 * 121)
    assert np.all(y == (a + b) % 11) and np.all(ty == (ta + tb) % 11)


def test_backward_matches_finite_differences():
    p = 7
    (a, b, y), _ = g.split(p, 0.6, 3)
    params = g.init(p, 4, 6, 3)
    for k in params:
        params[k] = params[k] + 0.1 * np.random.default_rng(1).normal(size=params[k].shape)
    _, _, grads = g.loss_and_grads(params, a, b, y)
    rng = np.random.default_rng(0)
    for k, w in params.items():
        for _ in range(5):
            i = tuple(rng.integers(0, s) for s in w.shape)
            old = w[i]
            w[i] = old + 1e-6
            lp = g.loss_and_grads(params, a, b, y)[0]
            w[i] = old - 1e-6
            lm = g.loss_and_grads(params, a, b, y)[0]
            w[i] = old
            assert (lp - lm) / 2e-6 == pytest.approx(grads[k][i], rel=1e-4, abs=1e-8), k


def test_fourier_power_of_a_pure_wave():
    p = 23
    a = np.arange(p)
    E = np.stack([np.cos(2 * np.pi * 5 * a / p), np.sin(2 * np.pi * 5 * a / p)], axis=1)
    f = g.fourier_power(E)
    assert len(f) == p // 2 + 1 and f.sum() == pytest.approx(1)
    assert f[5] == pytest.approx(1, abs=1e-12)
    with pytest.raises(ValueError):
        g.fourier_power(np.zeros(5))


def test_weight_decay_zero_memorizes_and_training_fits():
    r = g.train(13, 0.0, 0.5, 300, 0, d=8, hidden=32, lr=1e-2)
    assert r["train_acc"][-1] == 1.0 and r["steps"][-1] == 300 and r["steps"][0] == 0


def test_shipped_grid_groks_with_weight_decay():
    data = g.load_runs()
    assert set(data["runs"]) == {(wd, f) for wd in g.WEIGHT_DECAYS for f in g.TRAIN_FRACS}
    r = data["runs"][(0.3, 0.5)]
    tr, te = g.grok_step(r["steps"], r["train_acc"], r["test_acc"])
    assert tr is not None and te is not None and te > 3 * tr     # test lags train: grokking
    assert data["runs"][(0.0, 0.5)]["test_acc"][-1] < 0.5     # no weight decay: memorizes
    assert data["meta"]["total_cpu_time_s"] < 900


def test_live_run_checks_arguments():
    with pytest.raises(ValueError, match="steps"):
        g.train_live(23, 1.0, 0.5, 5000, 0)
    r = g.train_live(23, 1.0, 0.5, 50, 0)
    assert r["steps"][-1] == 50 and len(r["fourier"]) == 12


def test_live_run_continues_exactly_like_a_fresh_run():
    g._LIVE.clear()
    first = g.train_live(23, 0.3, 0.3, 200, 5)
    longer = g.train_live(23, 0.3, 0.3, 400, 5)         # continues the cached run
    fresh = g.train(23, 0.3, 0.3, 400, 5, d=g.LIVE["d"], hidden=g.LIVE["hidden"], lr=g.LIVE["lr"])
    assert longer["test_acc"][-1] == fresh["test_acc"][-1] and longer["fourier"] == fresh["fourier"]
    assert g.train_live(23, 0.3, 0.3, 200, 5) == first
    g._LIVE.clear()
    assert g.train_live(23, 0.3, 0.3, 150, 5)["steps"][-1] == 150
