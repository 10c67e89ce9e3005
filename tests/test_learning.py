"""The backprop check (fieldguide.autodiff) and the Prologue's runtime demo (fieldguide.runtime)."""

import numpy as np
import pytest

from fieldguide import autodiff, optim, runtime


@pytest.mark.parametrize("hidden,seed", [(2, 0), (8, 1), (64, 2)])
def test_backprop_matches_finite_differences(hidden, seed):
    r = autodiff.check(hidden=hidden, eps=1e-5, seed=seed)
    assert r["relative_error"] < 1e-8
    assert all(e < 1e-7 for e in r["per_param"].values())
    assert r["n_params"] == 4 * hidden + hidden + hidden * 3 + 3
    assert r["forward_passes_numeric"] == 2 * r["n_params"]


def test_a_capped_check_samples_parameters():
    full = autodiff.check(hidden=8)
    assert autodiff.check(hidden=8, max_checked=200)["n_checked"] == full["n_params"] == 67
    r = autodiff.check(hidden=64, max_checked=200, seed=3)
    assert r["n_checked"] == 200 == sum(r["checked_per_param"].values())
    assert r["n_params"] == 515 and r["relative_error"] < 1e-8


def test_the_map_names_live_in_optim():
    assert optim.mlp_grad is autodiff.mlp_grad and optim.numeric_grad is autodiff.numeric_grad


def test_the_check_catches_a_wrong_backward_pass():
    params, X, y = autodiff.init_mlp(hidden=8, seed=0)
    loss, g = autodiff.mlp_grad(params, X, y)
    n = autodiff.numeric_grad(lambda p: autodiff.mlp_loss(p, X, y), params)
    assert loss == pytest.approx(autodiff.mlp_loss(params, X, y), rel=1e-14)
    # The classic bug: forgetting tanh' = 1 − h² in the backward pass.
    h = np.tanh(X @ params["W1"] + params["b1"])
    p = np.exp(h @ params["W2"] + params["b2"])
    p /= p.sum(1, keepdims=True)
    dz = p.copy()
    dz[np.arange(len(y)), y] -= 1
    wrong_W1 = X.T @ (dz / len(y) @ params["W2"].T)
    assert autodiff.relative_error(wrong_W1, n["W1"]) > 1e-2
    assert autodiff.relative_error(g["W1"], n["W1"]) < 1e-8


def test_eps_sweep_is_u_shaped():
    eps, err = autodiff.eps_sweep(hidden=8, seed=0)
    best = int(np.argmin(err))
    assert 0 < best < len(err) - 1
    assert 1e-7 <= eps[best] <= 1e-3            # the sweet spot sits near the cube root of 1e-16
    assert err[-1] > 1e4 * err[best]            # truncation error, O(ε²)
    assert err[0] > 1e3 * err[best]             # round-off error, O(1/ε)


def test_relative_error_definition():
    assert autodiff.relative_error(np.ones(3), np.ones(3)) == 0
    assert autodiff.relative_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(1.0)
    assert autodiff.relative_error(np.zeros(2), np.zeros(2)) == 0
    with pytest.raises(ValueError):
        autodiff.numeric_grad(lambda p: 0.0, {"a": np.zeros(1)}, eps=0)


def test_describe_reports_the_interpreter():
    d = runtime.describe()
    assert d["numpy"] == np.__version__ and d["bit_generator"] == "PCG64"
    assert d["in_browser"] is False and d["implementation"] == "CPython"


def test_anatomy_is_deterministic_and_runs_the_code_it_shows():
    a = runtime.anatomy(8, 0)
    assert a["hash"] == "df43d89c429a6b57"                  # numpy 2.0.2, PCG64, seed 0
    assert a["values"][0] == pytest.approx(0.12573022, abs=1e-8)
    assert runtime.anatomy(8, 0)["hash"] == a["hash"]
    assert runtime.anatomy(8, 1)["hash"] != a["hash"]
    assert runtime.anatomy(9, 0)["values"][:8].tolist() == a["values"].tolist()   # a stream
    ns = {}
    exec(a["source"], ns)
    assert ns["draws"](8, 0).tolist() == a["values"].tolist()
    assert np.array_equal(np.random.default_rng(0).standard_normal(8), a["values"])
    assert a["counts"].sum() == 8 and len(a["bin_centres"]) == 16
    assert runtime.anatomy(64, 5)["counts"].sum() == 64
    with pytest.raises(ValueError):
        runtime.anatomy(0, 0)


# --- the demos print what the core computes -----------------------------------------------------

from fieldguide import demo as runner  # noqa: E402
from fieldguide_site import demos  # noqa: E402


def _stats(blocks):
    return {it["label"]: it["value"] for b in blocks if b["kind"] == "stats" for it in b["items"]}


def test_backprop_check_demo_reports_the_core_numbers():
    out = runner.call(demos.load("backprop_check"), {})
    r = autodiff.check(hidden=8, eps=1e-5, seed=0)
    s = _stats(out)
    assert s["Relative error"] == f"{r['relative_error']:.2e}"
    assert s["Parameters checked"] == "67 of 67" and s["Forward passes"] == "1 vs 134"
    capped = _stats(runner.call(demos.load("backprop_check"), {"hidden": 64}))
    assert capped["Parameters checked"] == "200 of 515"


def test_optimizer_race_demo_reports_every_optimizer():
    out = runner.call(demos.load("optimizer_race"), {"surface": "rosenbrock"})
    table = next(b for b in out if b["kind"] == "table")
    ends = {row[0]: row[2] for row in table["rows"]}
    assert ends["SGD"].startswith("diverged at step") and ends["Adam"] == "the minimum (1, 1)"
    s = _stats(runner.call(demos.load("optimizer_race"), {"optimizer": "adam",
                                                          "bias_correction": False}))
    assert float(s["First step length"]) == pytest.approx(0.05 * 0.1 / 0.001 ** 0.5 * 2 ** 0.5,
                                                          rel=3e-3)


def test_depth_demo_matches_the_chain():
    s = _stats(runner.call(demos.load("depth_gradients"), {"depth": 50, "jacobian_scale": 0.5}))
    g0 = optim.jacobian_chain(50, 0.5, 64, seed=0)[0]
    assert s["‖g‖ at the first layer"] == f"{g0:.2e}"
    assert s["Expected s^depth"] == f"{0.5 ** 50:.2e}"


def test_anatomy_demo_shows_the_code_only_when_asked():
    mod = demos.load("demo_anatomy")
    assert not any(b["kind"] == "code" for b in runner.call(mod, {}))
    code = [b for b in runner.call(mod, {"show_source": True}) if b["kind"] == "code"]
    assert code and runtime.ANATOMY_SOURCE in code[0]["text"]
    assert _stats(runner.call(mod, {}))["SHA-256 of the draws"] == "df43d89c429a6b57"
