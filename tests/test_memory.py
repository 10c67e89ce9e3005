"""KV cache and weight memory: the book map's worked values for act-5/kv-cache, act-5/gqa-mla and
act-5/roofline, and refusals for bad arguments."""

from __future__ import annotations

import math

import pytest

from fieldguide import memory as m
from fieldguide.models import Architecture
from fieldguide.units import GB, GIB, KIB, MIB

L70 = Architecture.preset("Llama-3.1-70B")


def test_llama70_worked_numbers():
    assert m.kv_bytes_per_token(L70) == 327_680 == 320 * KIB
    assert m.kv_cache_bytes(L70, 4096) == 1_342_177_280
    b256 = m.kv_cache_bytes(L70, 4096, batch=256)
    assert round(b256 / GB, 1) == 343.6 and b256 == 320 * GIB
    assert m.kv_cache_bytes(L70, 131072) == 40 * GIB
    assert round(m.kv_cache_bytes(L70, 131072) / GB, 1) == 42.9
    assert round(m.kv_cache_bytes(L70, 8192) / GB, 1) == 2.7


def test_table_of_000():
    assert round(m.kv_cache_bytes("Mistral-7B-v0.1", 4096) / 1e6, 1) == 536.9
    assert m.kv_cache_bytes("Mistral-7B-v0.1", 4096) == 512 * MIB
    assert round(m.kv_cache_bytes("Llama-3.1-8B", 8192, 16) / GB, 2) == 17.18
    assert round(m.kv_cache_bytes(L70, 4096, 8) / GB, 2) == 10.74
    assert round(m.kv_cache_bytes(L70, 32768, 8) / GB, 1) == 85.9
    assert round(m.kv_cache_bytes("Hypothetical MHA-70B", 4096, 8) / GB, 1) == 85.9


def test_small_models():
    assert m.kv_bytes_per_token("Llama-3.1-8B") == 128 * KIB
    assert m.kv_cache_bytes("Llama-3.1-8B", 8192) == GIB
    assert m.kv_cache_bytes("Llama-3.1-8B", 131072) == 16 * GIB
    assert m.kv_cache_bytes("Llama-2-7B", 4096) == 2 * GIB


def test_hypothetical_mha_per_direction():
    per_dir = m.kv_bytes_per_token("Hypothetical MHA-70B") / 2
    assert round(per_dir / 1e6, 2) == 1.31
    assert round(m.kv_cache_bytes("Hypothetical MHA-70B", 8192) / GB, 1) == 21.5


def test_mla_deepseek():
    ds = Architecture.preset("DeepSeek-V3")
    assert m.kv_cache_bytes(ds, 131072) == 61 * 576 * 131072 * 2
    assert round(m.kv_cache_bytes(ds, 131072) / GB, 2) == 9.21
    assert round(m.kv_cache_bytes(ds, 131072, dtype="fp8") / GB, 1) == 4.6
    # per layer and token: 576 values vs 2,048 for GQA-8 × 128 and 32,768 for 128-head MHA
    assert 2 * 8 * 128 / 576 == pytest.approx(3.56, abs=0.01)
    assert round(2 * 128 * 128 / 576) == 57


def test_sliding_and_hybrid_layers():
    # Mistral's 4,096 window: the cache stops growing there
    assert m.kv_cache_bytes("Mistral-7B-v0.1", 32768) == m.kv_cache_bytes("Mistral-7B-v0.1", 4096)
    g3 = Architecture.preset("Gemma-3-27B")
    per_layer = m.kv_cache_bytes_by_layer(g3, 131072)
    per_tok = 2 * 16 * 128 * 2
    assert per_layer[5] == 131072 * per_tok and per_layer[0] == 1024 * per_tok
    assert sum(per_layer) == 10 * 131072 * per_tok + 52 * 1024 * per_tok == m.kv_cache_bytes(g3, 131072)
    # below every window, sliding layers cost the same as full ones
    assert m.kv_cache_bytes(g3, 1000) == 62 * 1000 * per_tok
    oss = Architecture.preset("gpt-oss-120b")
    assert m.kv_cache_bytes(oss, 131072) == (18 * 131072 + 18 * 128) * 2 * 8 * 64 * 2


def test_dtypes():
    bf16 = m.kv_cache_bytes(L70, 4096)
    assert m.kv_cache_bytes(L70, 4096, dtype="fp32") == 2 * bf16
    assert m.kv_cache_bytes(L70, 4096, dtype="fp16") == bf16
    assert m.kv_cache_bytes(L70, 4096, dtype="fp8") == bf16 // 2
    assert m.kv_cache_bytes(L70, 4096, dtype="int4") == bf16 // 4
    one_m = 2**20
    assert m.kv_cache_bytes(L70, one_m) == 320 * GIB
    assert m.kv_cache_bytes(L70, one_m, dtype="int4") == 80 * GIB
    assert round(m.kv_cache_bytes(L70, one_m, dtype="int4") / GB, 1) == 85.9
    assert one_m / 8192 == 128 and 1e6 / 8e3 == 125


def test_weights():
    assert round(m.weights_bytes(L70) / GB, 1) == 141.1
    assert round(m.weights_bytes(L70) / GIB, 1) == 131.4
    assert m.weights_bytes(L70, "fp8") == L70.n_params
    assert m.weight_bits("int4") == 4.125
    assert m.weights_bytes(L70, "int4") == math.ceil(L70.n_params * 4.125 / 8)
    assert round(m.weights_bytes("Llama-3.1-8B") / GB, 2) == 16.06


def test_kv_outweighs_weights():
    assert m.kv_exceeds_weights_batch(L70, 4096) == 106            # 141.1 GB / 1.342 GB = 105.1
    assert 140e9 // m.kv_cache_bytes(L70, 4096) + 1 == 105          # with a round 140 GB


def test_what_fits_on_h100():
    """The OOM arithmetic: 70B at FP8 plus 8 sequences, against a 0.9 budget of 81,559 MiB."""
    cap = m.gpu_capacity_bytes("H100 SXM")
    assert cap == 81559 * MIB and round(cap / GIB, 1) == 79.6
    assert round(0.9 * cap / GIB, 1) == 71.7
    w = m.weights_bytes(L70, "fp8")
    assert (w + m.kv_cache_bytes(L70, 4096, 8)) / GIB > 0.9 * cap / GIB          # 4K × 8: OOM
    assert (w + m.kv_cache_bytes(L70, 2048, 8)) / GIB < 0.9 * cap / GIB          # 2K × 8: fits
    f = m.fit(L70, "H100 SXM", 1, 4096, "bf16", "fp8")
    assert f["max_seqs"] == int((0.9 * cap - w) // m.kv_cache_bytes(L70, 4096)) == 4
    assert m.max_concurrent(L70, "H100 SXM", 1, 4096, "bf16", "bf16") == 0       # BF16 doesn't fit
    assert not m.fit(L70, "H100 SXM")["weights_fit"]
    assert m.fit(L70, "H100 SXM", n_gpus=2)["weights_fit"]


def test_h200_leaves_little_for_kv():
    cap = m.gpu_capacity_bytes("H200")
    assert round(cap / GIB, 1) == 140.4 and round(cap / GB, 1) == 150.8
    left = (cap - m.weights_bytes(L70)) / GIB
    assert 8.5 < left < 9.5


def test_tensor_parallel_replication():
    assert m.kv_replication(L70, 8) == 1 and m.kv_replication(L70, 16) == 2
    assert m.kv_replication("DeepSeek-V3", 8) == 8        # the latent is not split by head


@pytest.mark.parametrize("kwargs, msg", [
    ({"tokens": -1}, "negative"), ({"tokens": float("nan")}, "finite"), ({"tokens": 1.5}, "whole"),
    ({"tokens": "many"}, "whole"), ({"batch": -2}, "negative"), ({"dtype": "fp6"}, "unknown dtype"),
    ({"tokens": True}, "whole"), ({"batch": float("inf")}, "finite"),
])
def test_bad_arguments(kwargs, msg):
    args = {"tokens": 4096, "batch": 1, "dtype": "bf16", **kwargs}
    with pytest.raises(ValueError, match=msg):
        m.kv_cache_bytes(L70, **args)


def test_bad_fit_arguments():
    with pytest.raises(ValueError, match="unknown GPU"):
        m.fit(L70, "H900")
    with pytest.raises(ValueError, match="at least 1"):
        m.fit(L70, "H100 SXM", n_gpus=0)
    with pytest.raises(ValueError, match="utilization"):
        m.fit(L70, "H100 SXM", utilization=1.5)
    assert m.kv_cache_bytes(L70, 0) == 0


def test_kv_calculator_shows_the_chapter_numbers():
    from fieldguide import demo as runner
    from fieldguide_site import demos
    mod = demos.load("kv_calculator")
    assert mod.URL_STATE is True
    out = runner.call(mod, {"model": "Llama-3.1-70B", "batch": 256, "units": "GiB"})
    values = {i["label"]: i["value"] for b in out if b["kind"] == "stats" for i in b["items"]}
    assert values["KV per token"] == "320 KiB" and values["KV for the batch"] == "320 GiB"
    assert values["KV per sequence"] == "1.25 GiB" and values["KV outweighs the weights from"] == "106 sequences"
    bad = runner.call(mod, {"config_json": '{"model_type": "llama", "hidden_size": 4096}'})
    assert bad[0]["level"] == "error" and "num_hidden_layers" in bad[0]["text"]
    assert any(b["kind"] == "stats" for b in bad)            # the rest still renders
