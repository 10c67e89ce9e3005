"""fieldguide.overparam: double descent with random ReLU features, and the GPT lineage table."""

import math

import numpy as np
import pytest

from fieldguide import overparam, scaling


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [20, 40, 80])
def test_test_error_peaks_at_the_interpolation_threshold(seed, n):
    dd = overparam.double_descent(10, n, 0.3, 0.0, seed)
    at = dict(zip(dd["n_features"], dd["test_mse"]))
    assert abs(dd["peak_features"] - n) <= 3
    best_under = min(t for k, t in at.items() if k < n - 3)
    # the spike is well above the classical optimum, and the far side comes down again
    assert max(dd["test_mse"]) > 5 * best_under
    assert at[overparam.MAX_FEATURES] < max(dd["test_mse"]) / 5


def test_second_descent_beats_the_classical_optimum_for_the_default_seed():
    dd = overparam.double_descent(20, 40, 0.3, 0.0, 0)
    at = dict(zip(dd["n_features"], dd["test_mse"]))
    assert at[200] < min(t for k, t in at.items() if k < 40)


def test_noise_free_labels_still_show_the_spike():
    # the target is not in the span of the features, so the threshold still hurts
    dd = overparam.double_descent(10, 40, 0.0, 0.0, 0)
    assert abs(dd["peak_features"] - 40) <= 3


@pytest.mark.parametrize("seed", range(5))
def test_ridge_tames_the_peak(seed):
    plain = overparam.double_descent(10, 40, 0.3, 0.0, seed)
    tamed = overparam.double_descent(10, 40, 0.3, 1e-3, seed)
    assert max(tamed["test_mse"]) < max(plain["test_mse"]) / 3
    at = dict(zip(tamed["n_features"], tamed["test_mse"]))
    assert at[40] < 1.5 * tamed["test_mse"][0]       # no spike left at k = n


def test_too_much_ridge_underfits():
    light = overparam.fit(200, 40, 0.3, 1e-3, 0)
    heavy = overparam.fit(200, 40, 0.3, 1e-1, 0)
    assert heavy["test_mse"] > 3 * light["test_mse"]
    assert heavy["weight_norm"] < light["weight_norm"]


def test_interpolation_past_the_threshold():
    assert overparam.fit(30, 40, 0.3, 0.0, 0)["train_mse"] > 1e-3
    for k in (40, 60, 200):
        assert overparam.fit(k, 40, 0.3, 0.0, 0)["train_mse"] < 1e-12
    norms = overparam.double_descent(10, 40, 0.3, 0.0, 0)
    assert abs(norms["n_features"][int(np.argmax(norms["weight_norm"]))] - 40) <= 3


def test_lstsq_returns_the_minimum_norm_interpolant():
    k, n = 120, 40
    f_train, y, _, _ = overparam._problem(n, 0.3, 0)
    phi = f_train[:, :k] / math.sqrt(k)
    w = np.linalg.pinv(phi) @ y
    assert overparam.fit(k, n, 0.3, 0.0, 0)["weight_norm"] == pytest.approx(np.linalg.norm(w), rel=1e-6)
    # any other exact fit adds a null-space component and is longer
    null = np.linalg.svd(phi)[2][-1]
    assert np.allclose(phi @ (w + null), y)
    assert np.linalg.norm(w + null) > np.linalg.norm(w)


def test_ridge_matches_the_closed_form():
    k, n, lam = 50, 40, 1e-2
    f_train, y, _, _ = overparam._problem(n, 0.3, 3)
    phi = f_train[:, :k] / math.sqrt(k)
    w = np.linalg.solve(phi.T @ phi + n * lam * np.eye(k), phi.T @ y)
    assert overparam.fit(k, n, 0.3, lam, 3)["weight_norm"] == pytest.approx(np.linalg.norm(w), rel=1e-6)


def test_seeded_and_nested():
    a = overparam.fit(25, 40, 0.3, 0.0, 7)
    assert a == overparam.fit(25, 40, 0.3, 0.0, 7)
    assert a["test_mse"] != overparam.fit(25, 40, 0.3, 0.0, 8)["test_mse"]
    # noise only scales one fixed draw: the same inputs and features at every noise level
    f0 = overparam._problem(40, 0.0, 7)
    f1 = overparam._problem(40, 1.0, 7)
    assert np.array_equal(f0[0], f1[0]) and not np.array_equal(f0[1], f1[1])


def test_grid_covers_the_threshold():
    g = overparam.feature_grid(40)
    assert g[0] == 1 and g[-1] == overparam.MAX_FEATURES and set(range(37, 44)) <= set(g)


@pytest.mark.parametrize("bad", [0, 201, float("nan"), "x", 2.5])
def test_bad_feature_counts(bad):
    with pytest.raises(ValueError, match="features"):
        overparam.fit(bad)


def test_bad_other_inputs():
    with pytest.raises(ValueError, match="noise"):
        overparam.fit(10, 40, -1)
    with pytest.raises(ValueError, match="ridge"):
        overparam.fit(10, 40, 0.3, float("nan"))
    with pytest.raises(ValueError, match="training points"):
        overparam.double_descent(10, 1)


# --- the lineage -----------------------------------------------------------------------------

def test_lineage_rows_and_sources():
    rows = overparam.lineage()
    names = [r["name"] for r in rows]
    assert names == ["GPT-1", "GPT-2", "GPT-3", "Gopher", "Chinchilla",
                     "Llama 3 8B", "Llama 3 70B", "Llama 3 405B"]
    for r in rows:
        s = r["source"]
        assert s["title"] and s["authors"] and 2018 <= s["year"] <= 2024 and r["as_of"]


def test_gpt2_tokens_and_compute_are_not_invented():
    by = {r["name"]: r for r in overparam.lineage()}
    for name in ("GPT-1", "GPT-2"):
        assert by[name]["n_tokens"] is None and by[name]["flops"] is None
        assert by[name]["tokens_per_param"] is None
    assert dict(overparam.lineage_metric("flops"))["GPT-2"] is None


def test_lineage_numbers():
    by = {r["name"]: r for r in overparam.lineage()}
    assert by["GPT-3"]["n_params"] / by["GPT-2"]["n_params"] == pytest.approx(116.7, abs=0.05)
    assert by["GPT-2"]["n_params"] / by["GPT-1"]["n_params"] == pytest.approx(12.8, abs=0.05)
    assert by["Chinchilla"]["tokens_per_param"] == pytest.approx(20)
    assert by["Llama 3 8B"]["tokens_per_param"] == pytest.approx(1875)
    # 6ND lands within 1% of what the authors report
    for name in ("GPT-3", "Llama 3 405B"):
        assert by[name]["flops"] == pytest.approx(by[name]["reported_flops"], rel=0.01)
    assert by["GPT-3"]["flops"] == scaling.train_flops(175e9, 300e9)


def test_lineage_metric():
    assert dict(overparam.lineage_metric("params"))["Gopher"] == 280e9
    assert dict(overparam.lineage_metric("tokens"))["Chinchilla"] == 1.4e12
    with pytest.raises(ValueError, match="metric"):
        overparam.lineage_metric("vibes")


def test_lineage_row():
    assert overparam.lineage_row("Gopher")["n_tokens"] == 300e9
    with pytest.raises(ValueError, match="unknown model"):
        overparam.lineage_row("GPT-5")


# --- sentences in docs/act-3/surprise.md that the numbers must keep true ----------------------

def test_chapter_claims_at_the_defaults():
    dd = overparam.double_descent()
    assert dd["threshold"] == 40 and dd["peak_features"] == 40
    at40, at200 = overparam.fit(40), overparam.fit(200)
    # "With 200 features the error is back down ..., better than anything on the classical side"
    assert at200["test_mse"] < dd["best_below_threshold"] < dd["test_mse"][0]
    assert at200["test_mse"] < min(overparam.fit(k)["test_mse"] for k in range(1, 40))
    # "The weight norm tells the same story": up to the threshold, then down
    assert overparam.fit(30)["weight_norm"] < at40["weight_norm"] > at200["weight_norm"]
    # "near the threshold, more data can hurt"
    assert overparam.fit(40, 30)["test_mse"] < at40["test_mse"] / 10
    # "At λ = 1e-3 the spike is gone"; "at λ = 0.1 everything is flattened, accuracy included"
    assert overparam.fit(40, 40, 0.3, 1e-3)["test_mse"] < dd["best_below_threshold"]
    assert overparam.fit(200, 40, 0.3, 0.1)["test_mse"] > 2 * dd["best_below_threshold"]
    # the stat "predicting 0 everywhere scores ..." is the error of the zero function
    assert at40["zero_mse"] > dd["best_below_threshold"]


def test_ridge_svd_matches_the_stacked_least_squares_problem():
    k, n, lam = 200, 40, 1e-4
    f_train, y, _, _ = overparam._problem(n, 0.3, 1)
    phi = f_train[:, :k] / math.sqrt(k)
    a = np.vstack([phi, math.sqrt(n * lam) * np.eye(k)])
    w = np.linalg.lstsq(a, np.concatenate([y, np.zeros(k)]), rcond=None)[0]
    assert overparam.fit(k, n, 0.3, lam, 1)["weight_norm"] == pytest.approx(np.linalg.norm(w), rel=1e-8)
