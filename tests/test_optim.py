"""fieldguide.optim: surfaces, the four update rules, and gradients through depth."""

import math

import numpy as np
import pytest

from fieldguide import optim


@pytest.mark.parametrize("name", list(optim.SURFACES))
def test_surface_gradients_match_finite_differences(name):
    s = optim.surface(name)
    rng = np.random.default_rng(1)
    for _ in range(20):
        x, y = rng.uniform(*s.xrange), rng.uniform(*s.yrange)
        h = 1e-6
        gx = (s.f(x + h, y) - s.f(x - h, y)) / (2 * h)
        gy = (s.f(x, y + h) - s.f(x, y - h)) / (2 * h)
        ax, ay = s.grad(x, y)
        assert ax == pytest.approx(gx, rel=1e-5, abs=1e-6)
        assert ay == pytest.approx(gy, rel=1e-5, abs=1e-6)


def test_sgd_on_the_bowl_is_the_closed_form():
    # On 0.5(a x² + b y²) plain gradient descent multiplies x by (1 − lr·a) every step.
    r = optim.run("sgd", "bowl", lr=0.05, steps=100)
    x0, y0 = optim.surface("bowl").start
    assert r["x"][-1] == pytest.approx(x0 * (1 - 0.05 * optim.BOWL_A) ** 100, rel=1e-12)
    assert r["y"][-1] == pytest.approx(y0 * (1 - 0.05 * optim.BOWL_B) ** 100, abs=1e-12)
    assert len(r["x"]) == len(r["loss"]) == 101


def test_learning_rate_beyond_two_over_curvature_diverges():
    # Along y the curvature is 30: lr < 2/30 converges, lr > 2/30 oscillates outward.
    assert optim.run("sgd", "bowl", lr=0.06, steps=200)["diverged_at"] is None
    assert not optim.run("sgd", "bowl", lr=0.06, steps=200)["grew"]
    slow = optim.run("sgd", "bowl", lr=0.07, steps=100)    # |1 − 0.07·30| = 1.1: 1.1^100 growth
    assert slow["diverged_at"] is None and slow["grew"]
    assert abs(slow["y"][-1]) == pytest.approx(1.5 * 1.1 ** 100, rel=1e-9)
    r = optim.run("sgd", "bowl", lr=0.1, steps=200)
    assert r["diverged_at"] is not None and r["basin"] is None
    assert optim.run("sgd", "rosenbrock", lr=0.05, steps=100)["diverged_at"] is not None
    assert optim.run("adam", "rosenbrock", lr=0.05, steps=100)["diverged_at"] is None


def test_momentum_is_an_ema_and_bias_correction_undoes_the_zero_start():
    g = np.array(optim.surface("bowl").grad(*optim.surface("bowl").start))
    lr = 0.01
    with_bc = optim.run("momentum", "bowl", lr=lr, steps=1, beta1=0.9)
    without = optim.run("momentum", "bowl", lr=lr, steps=1, beta1=0.9, bias_correction=False)
    assert with_bc["first_step"] == pytest.approx(lr * np.linalg.norm(g))         # m̂₁ = g₁
    assert without["first_step"] == pytest.approx(0.1 * lr * np.linalg.norm(g))   # m₁ = (1−β₁)g₁
    # beta1 = 0 makes momentum plain SGD
    a = optim.run("momentum", "basins", beta1=0.0, steps=50)
    b = optim.run("sgd", "basins", steps=50)
    assert np.allclose(a["x"], b["x"]) and np.allclose(a["y"], b["y"])


def test_adam_first_step_with_and_without_bias_correction():
    lr = 0.01
    x0, y0 = optim.surface("bowl").start
    r = optim.run("adam", "bowl", lr=lr, steps=1)
    # m̂/√v̂ = g/|g|: every coordinate moves by lr, whatever its gradient's size.
    assert abs(r["x"][1] - x0) == pytest.approx(lr, rel=1e-6)
    assert abs(r["y"][1] - y0) == pytest.approx(lr, rel=1e-6)
    r = optim.run("adam", "bowl", lr=lr, steps=1, bias_correction=False)
    # m₁/√v₁ = (1−β₁)/√(1−β₂) ≈ 3.16: the uncorrected first step is three times too long.
    k = 0.1 / math.sqrt(0.001)
    assert abs(r["x"][1] - x0) == pytest.approx(lr * k, rel=1e-6)


def test_adamw_adds_decoupled_decay():
    a = optim.run("adam", "bowl", lr=0.01, steps=1)
    w = optim.run("adamw", "bowl", lr=0.01, steps=1)
    x0 = optim.surface("bowl").start[0]
    assert w["x"][1] - a["x"][1] == pytest.approx(-0.01 * optim.ADAMW_DECAY * x0)


def test_noise_is_seeded_and_shared():
    a = optim.run("sgd", "basins", noise=1.0, seed=3)
    b = optim.run("sgd", "basins", noise=1.0, seed=3)
    c = optim.run("sgd", "basins", noise=1.0, seed=4)
    assert a["x"] == b["x"] and a["x"] != c["x"]
    assert optim.run("sgd", "basins", seed=3)["x"] == optim.run("sgd", "basins", seed=4)["x"]
    r = optim.race("bowl", noise=0.5, seed=7)
    assert set(r) == set(optim.OPTIMIZERS)


def test_noise_and_step_size_move_sgd_from_the_narrow_to_the_wide_basin():
    assert optim.run("sgd", "basins", steps=300)["basin"] == "narrow"
    quiet = optim.basin_tally("sgd", "basins", 30, lr=0.07, steps=300, noise=0.5)
    loud = optim.basin_tally("sgd", "basins", 30, lr=0.07, steps=300, noise=2.0)
    assert quiet == {"narrow": 30}
    assert loud["wide"] >= 10 and sum(loud.values()) == 30
    # Adam's normalized steps do not grow with the noise: it mostly stays in the narrow basin.
    adam = optim.basin_tally("adam", "basins", 30, lr=0.07, steps=300, noise=2.0)
    assert adam.get("wide", 0) * 3 < loud["wide"]


def test_bad_arguments_raise_value_error():
    for kwargs in ({"opt": "rmsprop", "surf": "bowl"}, {"opt": "sgd", "surf": "saddle"},
                   {"opt": "sgd", "surf": "bowl", "lr": -1}, {"opt": "adam", "surf": "bowl", "beta1": 1.0},
                   {"opt": "sgd", "surf": "bowl", "lr": float("nan")}):
        with pytest.raises(ValueError):
            optim.run(**kwargs)
    with pytest.raises(ValueError):
        optim.jacobian_chain(10, float("inf"), 16)


def test_jacobian_chain_book_map_vectors():
    # Depth 50, scale 0.5: the plain chain shrinks like 0.5⁵⁰ ≈ 8.9e-16; with residuals it grows
    # like (1 + 0.5²)^25 ≈ 2.6e2. Checked as a geometric mean over seeds.
    assert optim.expected_chain_norm(50, 0.5) == pytest.approx(8.88e-16, rel=1e-3)
    assert optim.expected_chain_norm(50, 0.5, residual=True) == pytest.approx(264.7, rel=1e-3)
    plain = [optim.jacobian_chain(50, 0.5, 64, seed=s)[0] for s in range(20)]
    res = [optim.jacobian_chain(50, 0.5, 64, residual=True, seed=s)[0] for s in range(20)]
    assert 1e-16 < math.exp(np.mean(np.log(plain))) < 1e-14
    assert 1e2 < math.exp(np.mean(np.log(res))) < 5e2
    n = optim.jacobian_chain(50, 0.5, 64)
    assert len(n) == 51 and n[50] == 1.0 and np.all(np.diff(np.log(n)) > 0)   # shrinks going back


def test_jacobian_chain_shortcut_matches_explicit_matrices():
    # Drawing Jᵀg directly and building J give the same distribution of log-norms.
    fast = [math.log(optim.jacobian_chain(20, 0.9, 32, seed=s)[0]) for s in range(200)]
    slow = [math.log(optim.jacobian_chain(20, 0.9, 32, seed=s, explicit=True)[0]) for s in range(200)]
    assert np.mean(fast) == pytest.approx(np.mean(slow), abs=0.1)
    assert np.std(fast) == pytest.approx(np.std(slow), rel=0.25)
    # E log‖Jᵀg‖ = log s + ½ E log(χ²_d / d) ≈ log s − 1/(2d): slightly below s per layer.
    assert np.mean(fast) == pytest.approx(20 * (math.log(0.9) - 1 / 64), abs=0.15)


def test_scale_one_keeps_the_gradient_order_one_on_average():
    logs = [math.log(optim.jacobian_chain(100, 1.0, 256, seed=s)[0]) for s in range(20)]
    assert abs(np.mean(logs)) < 1.0


# --- the real stack with normalization (fieldguide.depth) ---------------------------------------

from fieldguide import depth  # noqa: E402


@pytest.mark.parametrize("norm", depth.NORMS)
@pytest.mark.parametrize("placement", depth.PLACEMENTS)
@pytest.mark.parametrize("residual", [True, False])
def test_stack_backward_matches_finite_differences(norm, placement, residual):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5))
    Ws = [rng.standard_normal((5, 5)) * 0.6 for _ in range(3)]
    r = rng.standard_normal((4, 5))
    _, _, grads = depth.forward_backward(x, Ws, r, residual, norm, placement)
    num = np.zeros_like(x)
    h = 1e-6
    for i in range(4):
        for j in range(5):
            xp, xm = x.copy(), x.copy()
            xp[i, j] += h
            xm[i, j] -= h
            num[i, j] = (depth.forward_backward(xp, Ws, r, residual, norm, placement)[0]
                         - depth.forward_backward(xm, Ws, r, residual, norm, placement)[0]) / (2 * h)
    assert np.allclose(grads[0], num, rtol=1e-5, atol=1e-7)


def test_norm_keeps_activations_at_unit_scale():
    plain = depth.deep_stack(50, 1.0, 64, residual=True, norm="none")
    post = depth.deep_stack(50, 1.0, 64, residual=True, norm="layernorm", placement="post")
    pre = depth.deep_stack(50, 1.0, 64, residual=True, norm="rmsnorm", placement="pre")
    assert plain["activation"][-1] > 1e5                     # (1 + 1)^(50/2) ≈ 3e7
    assert post["activation"][-1] == pytest.approx(1.0, rel=1e-3)
    # pre-norm: the residual stream still grows with depth, but only about like √depth
    assert 2 < pre["activation"][-1] < 20
    assert np.all(np.isfinite(pre["grad"])) and pre["grad"][0] > 1


def test_jacobian_chain_delegates_to_the_real_stack_for_norms():
    g = optim.jacobian_chain(20, 0.5, 32, residual=True, norm="layernorm")
    assert len(g) == 21 and np.all(np.isfinite(g))
    with pytest.raises(ValueError):
        optim.jacobian_chain(20, 0.5, 32, norm="groupnorm")
