"""Architectures from real config.json files: parameter counts against the publishers' figures,
and a clear ValueError naming the field for anything missing or inconsistent."""

from __future__ import annotations

import copy

import pytest

from fieldguide import models
from fieldguide.models import FULL, SLIDING, Architecture

PRESETS = models.presets()


@pytest.mark.parametrize("name", [n for n, p in PRESETS.items() if p["published"].get("total_b")])
def test_total_params_match_published(name):
    p = PRESETS[name]
    counts = Architecture.preset(name).param_counts()
    total = counts["total"]
    if name == "Gemma-3-27B":                       # the published figure includes the vision tower
        total += p["published"]["vision_b"] * 1e9
    assert total / 1e9 == pytest.approx(p["published"]["total_b"], rel=0.01)


@pytest.mark.parametrize("name", [n for n, p in PRESETS.items() if p["published"].get("active_b")])
def test_active_params_match_published_convention(name):
    pub = PRESETS[name]["published"]
    c = Architecture.preset(name).param_counts()
    active = c["active"] if pub["active_counts_input_embedding"] else c["active_excluding_input_embedding"]
    assert active / 1e9 == pytest.approx(pub["active_b"], rel=0.02)


@pytest.mark.parametrize("name", [n for n, p in PRESETS.items() if p["published"].get("non_embedding_b")])
def test_non_embedding_params(name):
    pub = PRESETS[name]["published"]
    assert Architecture.preset(name).param_counts()["non_embedding"] / 1e9 == \
        pytest.approx(pub["non_embedding_b"], rel=0.002)


def test_exact_counts():
    assert Architecture.preset("Llama-3.1-8B").n_params == 8_030_261_248
    assert Architecture.preset("Llama-2-7B").n_params == 6_738_415_616
    assert Architecture.preset("GPT-2").n_params == 124_439_808
    g = Architecture.preset("Gemma-2-9B").param_counts()
    assert g["non_embedding"] == 8_324_201_984 and g["embedding"] == 917_504_000


def test_issue_figures():
    assert Architecture.preset("Llama-3.1-70B").n_params / 1e9 == pytest.approx(70.6, abs=0.05)
    mix = Architecture.preset("Mixtral-8x7B")
    assert mix.n_params / 1e9 == pytest.approx(46.7, abs=0.05)
    assert mix.n_active_params / 1e9 == pytest.approx(12.9, abs=0.05)
    ds = Architecture.preset("DeepSeek-V3").param_counts()
    assert ds["total"] / 1e9 == pytest.approx(671, abs=0.5)
    assert ds["active_excluding_input_embedding"] / 1e9 == pytest.approx(37, abs=0.5)


def test_every_preset_has_source_date_licence():
    for p in PRESETS.values():
        assert p["repo"] and p["file"] == "config.json" and p["as_of"] and p["licence"]
        assert p["published"]["source"]


def test_shapes_read_from_configs():
    a = Architecture.preset("Llama-3.2-1B")
    assert (a.head_dim, a.num_kv_heads, a.tie_word_embeddings) == (64, 8, True)
    q = Architecture.preset("Qwen3-32B")
    assert q.head_dim == 128 and q.hidden_size // q.num_heads == 80       # head_dim set apart
    assert Architecture.preset("Qwen2.5-7B").layer_types == (FULL,) * 28  # use_sliding_window false
    assert Architecture.preset("Mistral-7B-v0.1").layer_types == (SLIDING,) * 32
    g2 = Architecture.preset("Gemma-2-9B")
    assert g2.layer_types[:4] == (SLIDING, FULL, SLIDING, FULL) and g2.sliding_window == 4096
    g3 = Architecture.preset("Gemma-3-27B")
    assert g3.layer_types.count(FULL) == 10 and g3.layer_types[5] == FULL and g3.sliding_window == 1024
    assert Architecture.preset("gpt-oss-20b").layer_types.count(SLIDING) == 12
    ds = Architecture.preset("DeepSeek-V3")
    assert ds.is_mla and ds.kv_values_per_token(0) == 576
    assert ds.moe_layers[:4] == (False, False, False, True)
    assert Architecture.preset("Mixtral-8x7B").attention_kind == "GQA-8"
    assert Architecture.preset("Llama-2-7B").attention_kind == "MHA"


def test_qwen_sliding_when_enabled():
    cfg = copy.deepcopy(PRESETS["Qwen2.5-7B"]["config"])
    cfg.update(use_sliding_window=True, sliding_window=4096, max_window_layers=20)
    a = Architecture.from_hf_config(cfg)
    assert a.layer_types.count(SLIDING) == 8 and a.layer_types[20] == SLIDING


def test_kv_override():
    a = Architecture.preset("Llama-3.1-70B")
    assert a.with_kv_heads(64).attention_kind == "MHA"
    assert a.with_kv_heads(1).attention_kind == "MQA"
    mha = Architecture.preset("DeepSeek-V3").with_kv_heads(128)
    assert not mha.is_mla and mha.kv_values_per_token(0) == 128 * (192 + 128)
    with pytest.raises(ValueError, match="divide"):
        a.with_kv_heads(7)


def _cfg(**changes):
    cfg = copy.deepcopy(PRESETS["Llama-3.1-8B"]["config"])
    for k, v in changes.items():
        if v is ...:
            cfg.pop(k)
        else:
            cfg[k] = v
    return cfg


@pytest.mark.parametrize("changes, field", [
    ({"hidden_size": ...}, "hidden_size"),
    ({"num_hidden_layers": 0}, "num_hidden_layers"),
    ({"num_attention_heads": -4}, "num_attention_heads"),
    ({"num_key_value_heads": 7}, "num_key_value_heads"),
    ({"vocab_size": 3.5}, "vocab_size"),
    ({"hidden_size": "big"}, "hidden_size"),
    ({"hidden_size": 4000, "num_attention_heads": 48, "num_key_value_heads": 8}, "head_dim"),
    ({"layer_types": ["full_attention"] * 3}, "layer_types"),
    ({"layer_types": ["chunked"] * 32}, "layer_types"),
    ({"layer_types": ["sliding_attention"] * 32}, "sliding_window"),
    ({"num_local_experts": 4, "num_experts_per_tok": 8}, "num_experts_per_tok"),
    ({"intermediate_size": ...}, "intermediate_size"),
])
def test_bad_configs_name_the_field(changes, field):
    with pytest.raises(ValueError, match=field):
        Architecture.from_hf_config(_cfg(**changes))


def test_not_a_dict():
    with pytest.raises(ValueError):
        Architecture.from_hf_config([1, 2])
    with pytest.raises(ValueError, match="unknown model"):
        Architecture.preset("GPT-5")
