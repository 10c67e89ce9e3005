"""Training memory: the ZeRO paper's 7.5B worked example (Rajbhandari et al. 2020, Fig. 1),
optimizer variants, activations with and without √n checkpointing, and refusals."""

from __future__ import annotations

import math

import pytest

from fieldguide import memory as m
from fieldguide.models import Architecture

L7 = Architecture.preset("Llama-2-7B")


@pytest.mark.parametrize("stage,gb", [(0, 120.0), (1, 31.4), (2, 16.6), (3, 1.875)])
def test_zero_stages_75b_at_dp64(stage, gb):
    r = m.training_bytes(L7, stage, 64, params=7.5e9)
    assert round(r["model_states"] / 1e9, 3 if stage == 3 else 1) == gb


def test_stage1_partitions_twelve_bytes_per_param():
    r0 = m.training_bytes(L7, 0, 64, params=7.5e9)
    r1 = m.training_bytes(L7, 1, 64, params=7.5e9)
    assert r0["bytes_per_param"] == 16
    assert r0["optimizer"] == 12 * 7.5e9
    assert r1["optimizer"] == 12 * 7.5e9 / 64
    assert r1["weights"] == r1["grads"] == 2 * 7.5e9
    # the source's "8 bytes/param" would leave 60.9 GB, not 31.4
    assert round((16 - 8 + 8 / 64) * 7.5, 1) == 60.9 != round(r1["model_states"] / 1e9, 1)


def test_stage3_is_sixteen_over_dp_and_costs_more_traffic():
    for dp in (1, 8, 1024):
        r = m.training_bytes(L7, 3, dp, params=1e9)
        assert r["model_states"] == pytest.approx(16e9 / dp)
    assert m.training_bytes(L7, 3, 64)["comm"] == 1.5
    assert m.training_bytes(L7, 2, 64)["comm"] == 1.0
    assert m.training_bytes(L7, 3, 1)["comm"] == 0.0


def test_eight_bit_adam():
    r = m.training_bytes(L7, 0, 1, "adam8bit", params=1e9)
    assert r["bytes_per_param"] == 10 and r["optimizer"] == 6e9


def test_uses_the_architecture_count_by_default():
    r = m.training_bytes(L7, 0, 1)
    assert r["params"] == L7.n_params and r["model_states"] == 16 * L7.n_params


def test_activations():
    s, b, h, L = 4096, 1, L7.hidden_size, L7.num_layers
    assert m.activation_bytes(L7, s, b) == 34 * s * b * h * L
    assert m.activation_bytes(L7, s, 4) == 4 * m.activation_bytes(L7, s, 1)
    k = math.ceil(math.sqrt(L))
    ck = m.activation_bytes(L7, s, b, checkpointing=True)
    assert ck == 2 * s * b * h * k + 34 * s * b * h * math.ceil(L / k)
    assert ck < 0.25 * m.activation_bytes(L7, s, b)
    r = m.training_bytes(L7, 3, 64, checkpointing=True, seq=s, micro_batch=b)
    assert r["activations"] == ck and r["total"] == r["model_states"] + ck


def test_checkpointing_grows_like_sqrt_n():
    deep = Architecture.preset("Llama-3.1-405B")       # 126 layers
    ratio = m.activation_bytes(deep, 2048, 1, True) / m.activation_bytes(deep, 2048, 1)
    assert ratio < 0.15


@pytest.mark.parametrize("kw,msg", [({"stage": 4}, "ZeRO stage"), ({"dp": 0}, "data-parallel"),
                                    ({"optimizer": "sgd"}, "optimizer"), ({"seq": -1}, "sequence"),
                                    ({"params": float("nan")}, "parameter count")])
def test_refusals(kw, msg):
    with pytest.raises(ValueError, match=msg):
        m.training_bytes(L7, **kw)
