"""fieldguide.moe: the book map's vectors for act-5/moe."""

import math

import numpy as np
import pytest

from fieldguide import models, moe


def test_aux_loss_uniform_is_one_and_collapsed_is_n_over_k():
    n, k, t = 8, 2, 64
    probs = np.full((t, n), 1 / n)
    experts = np.array([[(2 * i) % n, (2 * i + 1) % n] for i in range(t)])   # every expert 16 slots
    assert moe.aux_loss(probs, experts, n) == pytest.approx(1.0)
    collapsed = np.zeros((t, n))
    collapsed[:, :2] = 0.5
    assert moe.aux_loss(collapsed, np.tile([0, 1], (t, 1)), n) == pytest.approx(4.0)


def test_capacity():
    assert moe.capacity(256, 2, 8, 1.0) == 64
    assert moe.capacity(256, 2, 8, 1.25) == 80
    with pytest.raises(ValueError, match="capacity factor"):
        moe.capacity(256, 2, 8, 0)


def test_dispatch_drops_overflow_first_come_first_served():
    experts = np.array([[0, 1]] * 5)
    d = moe.dispatch(experts, 4, 3)
    assert d["dropped"] == 4 and d["tokens_unserved"] == 2
    assert d["kept"][:3].all() and not d["kept"][3:].any()


def test_gates():
    s = np.array([[2.0, 1.0, 0.0, -1.0]])
    a = moe.route(s, 2, "softmax-topk")
    assert list(a["experts"][0]) == [0, 1]
    e = np.exp(s[0]) / np.exp(s[0]).sum()
    assert a["weights"][0] == pytest.approx(e[:2])                 # not renormalised
    b = moe.route(s, 2, "topk-softmax")
    assert b["weights"][0].sum() == pytest.approx(1.0)
    assert b["weights"][0][0] == pytest.approx(1 / (1 + math.exp(-1)))
    c = moe.route(s, 2, "sigmoid", bias=[0, 0, 0, 5])               # bias changes the choice only
    assert list(c["experts"][0]) == [3, 0]
    sig = 1 / (1 + np.exp(-s[0]))
    assert c["weights"][0] == pytest.approx([sig[3] / (sig[3] + sig[0]), sig[0] / (sig[3] + sig[0])])
    with pytest.raises(ValueError, match="gating"):
        moe.route(s, 2, "argmax")


def test_bias_update_moves_against_load():
    b = moe.bias_balance([0.0, 0.0, 0.0], [10, 5, 0], 0.1)
    assert list(b) == pytest.approx([-0.1, 0.0, 0.1])


def test_mixtral_and_v3_total_vs_active():
    mix = moe.param_summary(models.Architecture.preset("Mixtral-8x7B"))
    assert mix["total"] / 1e9 == pytest.approx(46.7, abs=0.05)
    assert mix["active"] / 1e9 == pytest.approx(12.9, abs=0.05)
    assert mix["ratio"] == pytest.approx(3.6, abs=0.05)              # not 4x
    v3 = moe.param_summary(models.Architecture.preset("DeepSeek-V3"))
    assert v3["total"] / 1e9 == pytest.approx(671, abs=0.5)
    assert v3["active"] / 1e9 == pytest.approx(37.6, abs=0.1)
    assert 37 / 671 == pytest.approx(0.0551, abs=5e-5)


def test_deepseekmoe_16b():
    a = moe.deepseekmoe_16b()
    s = moe.param_summary(a)
    assert s["total"] / 1e9 == pytest.approx(16.38, abs=0.005)
    assert s["active"] / 1e9 == pytest.approx(2.83, abs=0.005)
    bare = moe.param_summary(a, with_router_and_norms=False)
    assert bare["total"] / 1e9 == pytest.approx(16.37, abs=0.005)
    assert bare["active"] / 1e9 == pytest.approx(2.82, abs=0.005)
    assert s["routed_experts"] / 1e9 == pytest.approx(14.95, abs=0.005)
    assert s["routed_experts"] * 2 / 1e9 == pytest.approx(29.9, abs=0.05)    # FP16 GB, not 45


def test_experts_touched():
    assert moe.experts_touched(8, 2, 1) == pytest.approx(2)
    assert moe.experts_touched(8, 2, 2) == pytest.approx(8 * (1 - 0.75 ** 2))   # 3.5
    assert moe.experts_touched(256, 8, 64) == pytest.approx(256 * (1 - (1 - 8 / 256) ** 64))
    assert moe.experts_touched(256, 8, 512) > 255.9                  # decode reads nearly all
    with pytest.raises(ValueError):
        moe.experts_touched(8, 9, 1)


def test_toy_router_collapses_without_balancing_and_recovers_with_it():
    none = moe.simulate(8, 2, 256, balancing="none", steps=300, seed=0)
    aux = moe.simulate(8, 2, 256, balancing="aux", steps=300, seed=0)
    bias = moe.simulate(8, 2, 256, balancing="bias", steps=300, seed=0)
    assert none["aux"] > 3.5 and none["imbalance"] == pytest.approx(4.0)
    assert aux["aux"] < 1.2 and aux["imbalance"] < 2
    assert bias["imbalance"] < 2.5
    assert none["dropped"] > aux["dropped"]
    again = moe.simulate(8, 2, 256, balancing="aux", steps=300, seed=0)
    assert again["counts"].tolist() == aux["counts"].tolist()


def test_serving_view_bandwidth_is_not_sparse():
    a = models.Architecture.preset("Mixtral-8x7B")
    one = moe.serving_view(a, "H100 SXM", 1, "bf16")
    many = moe.serving_view(a, "H100 SXM", 64, "bf16")
    assert one["weights_bytes"] / 1e9 == pytest.approx(93.4, abs=0.1)   # cannot fit 2x24 GB
    assert one["n_gpus"] == 2
    assert one["experts_touched"] == pytest.approx(2)
    assert many["experts_touched"] > 7.99
    assert many["step"]["weight_bytes_read"] > 3 * one["step"]["weight_bytes_read"]
    assert one["flops_per_token"] == 2 * a.param_counts()["active_excluding_input_embedding"]
