"""Power-law fits for the scaling-laws chapter (fieldguide.scaling.power_law, fit_power_law)."""

import numpy as np
import pytest

from fieldguide import scaling


def test_power_law_values():
    assert scaling.power_law(1e6, 400, 0.076, 1.7) == pytest.approx(400 * 1e6 ** -0.076 + 1.7)
    assert scaling.power_law(1.0, 3.0, 0.5) == pytest.approx(3.0)
    out = scaling.power_law(np.array([1.0, 100.0]), 2.0, 0.5, 1.0)
    assert out == pytest.approx([3.0, 1.2])


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_power_law_rejects_bad_x(bad):
    with pytest.raises(ValueError, match="positive"):
        scaling.power_law(bad, 1.0, 0.1)


@pytest.mark.parametrize("a,b,E", [(400.0, 0.076, 1.7), (10.0, 0.3, 0.0), (1000.0, 0.5, 2.5), (50.0, 0.2, 1.0)])
def test_noiseless_fit_recovers_a_b_E(a, b, E):
    x = np.logspace(5, 9, 8)
    fit = scaling.fit_power_law(x, scaling.power_law(x, a, b, E))
    assert fit["b"] == pytest.approx(b, rel=2e-3)
    assert fit["a"] == pytest.approx(a, rel=2e-2)
    assert fit["E"] == pytest.approx(E, abs=2e-3 * max(E, 1))
    assert fit["rms"] < 1e-4


def test_only_loss_minus_floor_is_straight_on_log_log():
    x = np.logspace(6, 12, 13)
    L = scaling.power_law(x, 10.0, 0.076, 1.7)
    lx = np.log(x)
    slopes_raw = np.diff(np.log(L)) / np.diff(lx)
    slopes_gap = np.diff(np.log(L - 1.7)) / np.diff(lx)
    assert np.allclose(slopes_gap, -0.076)                      # L − E: one straight line
    assert np.all(np.diff(slopes_raw) > 0)                      # L: the slope flattens steadily
    assert abs(slopes_raw[-1]) < 0.7 * abs(slopes_raw[0])       # by a visible amount


def test_fixing_E_at_zero_on_a_floored_law_misses_the_exponent():
    x = np.logspace(6, 8, 5)
    L = scaling.power_law(x, 10.0, 0.076, 1.7)
    naive = scaling.fit_power_law(x, L, E=0.0)
    assert naive["b"] < 0.055                                    # far too shallow
    assert naive["rms"] > 1e-4


def test_noisy_fit_extrapolates_with_seeded_noise():
    runs = scaling.synthetic_runs(10, 0.076, 1.7, runs=8, noise=0.002, seed=3)
    assert np.array_equal(runs["loss"], scaling.synthetic_runs(10, 0.076, 1.7, runs=8, noise=0.002, seed=3)["loss"])
    assert not np.array_equal(runs["loss"], scaling.synthetic_runs(10, 0.076, 1.7, runs=8, noise=0.002, seed=4)["loss"])
    fit = scaling.fit_power_law(runs["x"], runs["loss"])
    pred = scaling.power_law(1e11, fit["a"], fit["b"], fit["E"])
    assert pred == pytest.approx(scaling.power_law(1e11, 10, 0.076, 1.7), rel=0.05)


def test_exponential_with_same_start_collapses_to_the_floor():
    a, b, E = 10.0, 0.076, 1.7
    rate = scaling.matched_exponential_rate(1e6, 1e8, a, b, E)
    assert scaling.exponential_decay(1e6, 1e6, scaling.power_law(1e6, a, b, E), rate, E) == pytest.approx(scaling.power_law(1e6, a, b, E))
    assert scaling.exponential_decay(1e8, 1e6, scaling.power_law(1e6, a, b, E), rate, E) == pytest.approx(scaling.power_law(1e8, a, b, E))
    far = scaling.exponential_decay(1e10, 1e6, scaling.power_law(1e6, a, b, E), rate, E)
    assert far - E < 1e-6 < scaling.power_law(1e10, a, b, E) - E


@pytest.mark.parametrize("x,y,msg", [([1, 2], [3, 2], "at least 3"), ([1, 2, 3], [3, 2], "same length"),
                                     ([1, 1, 1], [3, 2, 1], "two different"), ([1, 2, -3], [3, 2, 1], "positive")])
def test_fit_rejects_bad_input(x, y, msg):
    with pytest.raises(ValueError, match=msg):
        scaling.fit_power_law(x, y)


def test_kaplan_exponents_as_published():
    k = scaling.KAPLAN_EXPONENTS
    assert (k["alpha_N"], k["alpha_D"], k["alpha_C"]) == (0.076, 0.095, 0.050)


def test_forecast_bundles_the_experiment():
    f = scaling.forecast(10, 0.076, 1.7, runs=6, noise=0.0, target=1e12)
    assert f["fit"]["b"] == pytest.approx(0.076, rel=2e-3)
    assert f["predicted"] == pytest.approx(f["true"], rel=1e-3)
    assert f["exponential"] == pytest.approx(1.7)
    noisy = [scaling.forecast(10, 0.076, 1.7, runs=5, noise=0.02, target=1e12, seed=s)["error"] for s in range(6)]
    assert max(abs(e) for e in noisy) > 0.05          # noise over two decades: the floor is poorly pinned


def test_frontier_keeps_only_points_nothing_cheaper_beats():
    assert scaling.frontier([1, 2, 3, 4, 5], [5.0, 4.0, 4.5, 3.0, 3.5]).tolist() == [0, 1, 3]
    assert scaling.frontier([3, 1, 2], [1.0, 3.0, 2.0]).tolist() == [1, 2, 0]


def test_sweep_runs_axes():
    sweep = {"runs": [{"n_params_non_embedding": 100, "n_params": 300, "tokens": 1000, "final_val_loss": 6.0,
                       "d_model": 8}]}
    assert scaling.sweep_runs("params", sweep)[0]["x"] == 100
    assert scaling.sweep_runs("tokens", sweep)[0]["x"] == 1000
    assert scaling.sweep_runs("compute", sweep)[0]["x"] == 6 * 100 * 1000
    with pytest.raises(ValueError, match="axis"):
        scaling.sweep_runs("width", sweep)


def test_shipped_tinylm_sweep():
    s = scaling.load_sweep("tinylm")
    runs = s["runs"]
    widths, budgets = sorted({r["d_model"] for r in runs}), sorted({r["tokens"] for r in runs})
    assert len(runs) == len(widths) * len(budgets) == 18
    assert s["script"] == "scripts/train_sweep.py" and isinstance(s["seed"], int) and s["as_of"]
    assert s["wall_seconds_total"] < 600                      # the sweep is meant to be cheap to rerun
    for r in runs:
        assert r["tokens"] == r["steps"] * s["config"]["batch"] * s["config"]["n_ctx"]
        assert 0 < r["final_val_loss"] < np.log(2048)          # better than guessing uniformly
        assert r["curve"]["val_loss"][-1] == r["final_val_loss"]
    for w in widths:                                          # more data always helped every width
        losses = [r["final_val_loss"] for r in sorted(runs, key=lambda r: r["tokens"]) if r["d_model"] == w]
        assert losses == sorted(losses, reverse=True)
    with pytest.raises(ValueError, match="tinylm"):
        scaling.load_sweep("gpt")


def test_sweep_fit_on_the_shipped_sweep():
    f = scaling.sweep_fit("params")
    assert len(f["used"]) == 6 and not f["floor_fixed"]
    assert 0 < f["b"] and f["E"] < min(p["loss"] for p in f["used"])
    t = scaling.sweep_fit("tokens")
    assert t["floor_fixed"] and t["E"] == 0 and len(t["used"]) == 3 and t["b"] > 0
    c = scaling.sweep_fit("compute")
    losses = [p["loss"] for p in c["used"]]
    assert losses == sorted(losses, reverse=True)
    with pytest.raises(ValueError, match="budget"):
        scaling.sweep_fit("params", budget=123)
