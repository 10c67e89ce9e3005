"""Model architectures read from real Hugging Face `config.json` files, and their parameter counts.

A decoder-only transformer is a short list of numbers: width, depth, heads, the MLP's width, the
vocabulary. Everything the serving chapters compute — weights in memory, the KV cache, the bytes a
GPU must read per generated token — follows from those numbers. The catch is that each model family
spells them differently and hides the interesting parts in optional fields:

* `head_dim` may be set apart from hidden_size / num_attention_heads (Gemma, Qwen3, Llama 3.2);
* `num_key_value_heads` below the query heads is grouped-query attention (GQA);
* `sliding_window` is honoured only where the family uses it (`use_sliding_window` for Qwen,
  alternating layers for Gemma 2 and gpt-oss, 5 local : 1 global for Gemma 3, or an explicit
  `layer_types` list);
* MoE models name their expert counts four different ways;
* DeepSeek's multi-head latent attention (MLA) caches a compressed latent of `kv_lora_rank`
  values plus one shared RoPE key of `qk_rope_head_dim` per token and layer, not per head.

`Architecture.from_hf_config(config)` reads all of these into one frozen record and refuses
anything missing or inconsistent with a `ValueError` that names the field.

Parameter counts come from the shapes, tensor by tensor, and reproduce the published totals
(Llama 3.1 8B: 8,030,261,248; GPT-2: 124,439,808; Gemma 2 9B non-embedding: 8,324,201,984).
"Active" parameters of a mixture-of-experts model are the ones one token touches: every shared
weight plus the routed experts it is sent to. Publishers disagree on one detail — whether the input
embedding table counts (a token reads only one row of it) — so both numbers are given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from . import data

FULL, SLIDING = "full_attention", "sliding_attention"


def _field(cfg: dict, *names, default=None, required=True):
    """The first of `names` present (and not None) in cfg, else default, else a ValueError."""
    for n in names:
        if cfg.get(n) is not None:
            return cfg[n]
    if default is not None or not required:
        return default
    raise ValueError(f"config is missing the field {names[0]!r}")


def _int(cfg: dict, *names, default=None, required=True, minimum=1):
    v = _field(cfg, *names, default=default, required=required)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not float(v).is_integer():
        raise ValueError(f"{names[0]} must be a whole number, got {v!r}")
    v = int(v)
    if v < minimum:
        raise ValueError(f"{names[0]} must be at least {minimum}, got {v}")
    return v


@dataclass(frozen=True)
class Architecture:
    """Everything about a decoder-only transformer that sets its memory and compute."""
    name: str
    family: str                      # the config's model_type
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int                    # per-head width of queries and keys
    v_head_dim: int                  # per-head width of values (differs only for MLA)
    intermediate_size: int           # dense MLP width
    layer_types: tuple               # FULL or SLIDING, one per layer
    sliding_window: int | None = None
    tie_word_embeddings: bool = False
    max_position_embeddings: int | None = None
    gated_mlp: bool = True           # SwiGLU/GeGLU (3 matrices) vs GPT-2's plain MLP (2)
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    qk_norm: bool = False            # Qwen3 / Gemma 3 normalise q and k per head
    norms_per_layer: int = 2         # Gemma 2/3 use 4 (pre and post, attention and MLP)
    norm_has_bias: bool = False      # LayerNorm (GPT-2) vs RMSNorm
    learned_positions: int = 0       # GPT-2's position table length; 0 for RoPE
    attention_sinks: bool = False    # gpt-oss: one learned logit per head
    # mixture of experts (num_experts == 0: dense)
    num_experts: int = 0
    experts_per_token: int = 0
    expert_intermediate_size: int = 0
    shared_expert_intermediate_size: int = 0   # total width of always-on shared experts
    moe_layers: tuple = ()           # True where layer i is an MoE layer
    expert_bias: bool = False
    router_bias: bool = False
    shared_expert_gate: bool = False
    # multi-head latent attention (DeepSeek-V2/V3)
    kv_lora_rank: int = 0
    q_lora_rank: int = 0
    qk_rope_head_dim: int = 0
    qk_nope_head_dim: int = 0
    hypothetical: bool = False

    # --- reading a config -------------------------------------------------------------------

    @classmethod
    def from_hf_config(cls, config: dict, name: str | None = None) -> "Architecture":
        """Read a Hugging Face config.json (as a dict). ValueError names any bad field."""
        if not isinstance(config, dict):
            raise ValueError("a config must be a JSON object (a dict of fields)")
        cfg = dict(config)
        if isinstance(cfg.get("text_config"), dict):        # vision-language wrappers (Gemma 3)
            outer = {k: v for k, v in cfg.items() if k not in ("text_config", "vision_config")}
            cfg = {**outer, **cfg["text_config"]}
        family = str(cfg.get("model_type") or "").removesuffix("_text")
        cfg = {**_FAMILY_DEFAULTS.get(family, {}), **{k: v for k, v in cfg.items() if v is not None}}

        hidden = _int(cfg, "hidden_size", "n_embd", "d_model")
        layers = _int(cfg, "num_hidden_layers", "n_layer", "num_layers")
        heads = _int(cfg, "num_attention_heads", "n_head")
        kv = _int(cfg, "num_key_value_heads", default=heads)
        vocab = _int(cfg, "vocab_size")
        if heads % kv:
            raise ValueError(f"num_key_value_heads ({kv}) must divide num_attention_heads ({heads})")
        if "head_dim" in cfg:
            head_dim = _int(cfg, "head_dim")
        elif hidden % heads:
            raise ValueError(f"head_dim is not given and hidden_size ({hidden}) is not a multiple "
                             f"of num_attention_heads ({heads}); add head_dim")
        else:
            head_dim = hidden // heads
        gpt2 = family == "gpt2"
        inter = _int(cfg, "intermediate_size", "n_inner", "ffn_dim",
                     default=4 * hidden if gpt2 else None)
        kw = dict(name=name or str(cfg.get("_name_or_path") or family or "custom"), family=family,
                  vocab_size=vocab, hidden_size=hidden, num_layers=layers, num_heads=heads,
                  num_kv_heads=kv, head_dim=head_dim, v_head_dim=head_dim, intermediate_size=inter,
                  max_position_embeddings=_int(cfg, "max_position_embeddings", "n_positions",
                                               required=False),
                  tie_word_embeddings=bool(cfg.get("tie_word_embeddings", gpt2)))
        kw.update(_family_shape(family, cfg))
        kw.update(_layer_types(family, cfg, layers))
        kw.update(_moe(family, cfg, layers))
        if family in ("deepseek_v2", "deepseek_v3") or cfg.get("kv_lora_rank"):
            kw.update(_mla(cfg, heads))
        if gpt2:
            kw["learned_positions"] = kw["max_position_embeddings"] or 1024
        return cls(**kw)

    @classmethod
    def preset(cls, name: str) -> "Architecture":
        """One of the real architectures in data/models.json, e.g. preset("Llama-3.1-70B")."""
        p = preset_record(name)
        return replace(cls.from_hf_config(p["config"], name=p["name"]),
                       hypothetical=bool(p.get("hypothetical")))

    # --- variants -----------------------------------------------------------------------------

    def with_kv_heads(self, n_kv: int) -> "Architecture":
        """The same model with n_kv K/V heads (MHA: n_kv = heads; MQA: 1). Hypothetical.

        On an MLA model this gives the uncompressed cache DeepSeek would need without the latent:
        per head a key of qk_nope + qk_rope values and a value of v_head_dim values.
        """
        n_kv = int(n_kv)
        if n_kv < 1 or self.num_heads % n_kv:
            raise ValueError(f"the number of K/V heads ({n_kv}) must divide the query heads "
                             f"({self.num_heads})")
        return replace(self, num_kv_heads=n_kv, kv_lora_rank=0, q_lora_rank=0,
                       hypothetical=self.hypothetical or n_kv != self.num_kv_heads or self.is_mla)

    # --- shape facts --------------------------------------------------------------------------

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    @property
    def attention_kind(self) -> str:
        if self.is_mla:
            return "MLA"
        if self.num_kv_heads == self.num_heads:
            return "MHA"
        if self.num_kv_heads == 1:
            return "MQA"
        return f"GQA-{self.num_kv_heads}"

    def kv_values_per_token(self, layer: int) -> int:
        """Numbers cached per token in one layer: K and V for every K/V head, or MLA's latent."""
        if self.is_mla:
            return self.kv_lora_rank + self.qk_rope_head_dim        # no factor 2: one latent
        return self.num_kv_heads * (self.head_dim + self.v_head_dim)

    def cached_tokens(self, layer: int, tokens: int) -> int:
        """How many of `tokens` positions layer `layer` keeps: all, or the window on sliding layers."""
        if self.layer_types[layer] == SLIDING and self.sliding_window:
            return min(tokens, self.sliding_window)
        return tokens

    # --- parameter counts ---------------------------------------------------------------------

    def _attention_params(self) -> int:
        h, nh, nkv, d, dv = self.hidden_size, self.num_heads, self.num_kv_heads, self.head_dim, self.v_head_dim
        if self.is_mla:
            dq = self.qk_nope_head_dim + self.qk_rope_head_dim
            q = (h * self.q_lora_rank + self.q_lora_rank + self.q_lora_rank * nh * dq
                 if self.q_lora_rank else h * nh * dq)
            kv_a = h * (self.kv_lora_rank + self.qk_rope_head_dim) + self.kv_lora_rank
            kv_b = self.kv_lora_rank * nh * (self.qk_nope_head_dim + dv)
            return q + kv_a + kv_b + nh * dv * h
        n = h * nh * d + 2 * h * nkv * d if d == dv else h * nh * d + h * nkv * (d + dv)
        n += nh * dv * h
        if self.qkv_bias:
            n += nh * d + nkv * (d + dv)
        if self.o_bias:
            n += h
        if self.qk_norm:
            n += 2 * d
        if self.attention_sinks:
            n += nh
        return n

    def _mlp_params(self, width: int, bias: bool) -> int:
        h = self.hidden_size
        if self.gated_mlp:
            return 3 * h * width + ((2 * width + h) if bias else 0)
        return 2 * h * width + ((width + h) if bias else 0)

    def _norm_params(self) -> int:
        return self.hidden_size * (2 if self.norm_has_bias else 1)

    def _router_params(self) -> int:
        n = self.hidden_size * self.num_experts + (self.num_experts if self.router_bias else 0)
        return n + (self.hidden_size if self.shared_expert_gate else 0)

    def param_counts(self) -> dict:
        """Parameters by kind: total, active per token, and the pieces they are made of."""
        h = self.hidden_size
        embed = self.vocab_size * h + self.learned_positions * h
        unembed = 0 if self.tie_word_embeddings else self.vocab_size * h
        attn = self._attention_params() * self.num_layers
        norms = self._norm_params() * (self.norms_per_layer * self.num_layers + 1)
        dense_layers = sum(1 for m in self._moe_flags() if not m)
        moe_layers = self.num_layers - dense_layers
        mlp_dense = self._mlp_params(self.intermediate_size, self.mlp_bias) * dense_layers
        expert = self._mlp_params(self.expert_intermediate_size, self.expert_bias) if self.is_moe else 0
        shared = (self._mlp_params(self.shared_expert_intermediate_size, False)
                  if self.shared_expert_intermediate_size else 0)
        experts_all = (self.num_experts * expert + shared + self._router_params()) * moe_layers
        experts_active = (self.experts_per_token * expert + shared + self._router_params()) * moe_layers
        body = attn + norms + mlp_dense
        total = embed + unembed + body + experts_all
        active = embed + unembed + body + experts_active
        return {"total": total, "active": active,
                "active_excluding_input_embedding": active - embed,
                "embedding": embed, "unembedding": unembed, "non_embedding": total - embed - unembed,
                "attention": attn, "mlp_dense": mlp_dense, "experts": experts_all,
                "norms": norms}

    def _moe_flags(self) -> tuple:
        return self.moe_layers or (False,) * self.num_layers

    @property
    def n_params(self) -> int:
        return self.param_counts()["total"]

    @property
    def n_active_params(self) -> int:
        return self.param_counts()["active"]

    def summary(self) -> str:
        s = (f"{self.name}: {self.num_layers} layers, d={self.hidden_size}, {self.num_heads} heads × "
             f"{self.head_dim}, {self.attention_kind}")
        n_slide = self.layer_types.count(SLIDING)
        if n_slide:
            s += f", {n_slide}/{self.num_layers} layers sliding (window {self.sliding_window:,})"
        if self.is_moe:
            s += f", {self.num_experts} experts (top-{self.experts_per_token})"
        return s


# --- family rules ------------------------------------------------------------------------------

_FAMILY_DEFAULTS = {
    # fields a family's config may leave to the library's defaults
    "gemma2": {"tie_word_embeddings": True, "head_dim": 256},
    "gemma3": {"tie_word_embeddings": True, "vocab_size": 262208, "sliding_window_pattern": 6,
               "max_position_embeddings": 131072, "num_key_value_heads": 4, "head_dim": 256},
    "gemma": {"tie_word_embeddings": True, "head_dim": 256},
    "gpt2": {"n_positions": 1024, "vocab_size": 50257},
}


def _family_shape(family: str, cfg: dict) -> dict:
    if family == "gpt2":
        return dict(gated_mlp=False, qkv_bias=True, o_bias=True, mlp_bias=True, norm_has_bias=True)
    out = {}
    bias = bool(cfg.get("attention_bias", False))
    if family in ("qwen2", "qwen2_moe"):
        out.update(qkv_bias=True)                           # Qwen2 hard-codes q/k/v biases
    elif bias:
        out.update(qkv_bias=True, o_bias=True)
    out["mlp_bias"] = bool(cfg.get("mlp_bias", False))
    if family in ("qwen3", "qwen3_moe", "gemma3"):
        out["qk_norm"] = True
    if family in ("gemma2", "gemma3"):
        out["norms_per_layer"] = 4
    if family == "gpt_oss":
        out.update(attention_sinks=True)
    return out


def _layer_types(family: str, cfg: dict, layers: int) -> dict:
    """Which layers attend through a sliding window, and how wide it is."""
    window = _int(cfg, "sliding_window", required=False)
    given = cfg.get("layer_types")
    if given is not None:
        if not isinstance(given, list) or len(given) != layers:
            raise ValueError(f"layer_types must list one entry per layer ({layers}), "
                             f"got {len(given) if isinstance(given, list) else type(given).__name__}")
        bad = [t for t in given if t not in (FULL, SLIDING)]
        if bad:
            raise ValueError(f"layer_types has an unknown entry {bad[0]!r} "
                             f"(expected {FULL!r} or {SLIDING!r})")
        types = tuple(given)
    elif window is None or cfg.get("use_sliding_window") is False:
        types = (FULL,) * layers
    elif family in ("qwen2", "qwen2_moe", "qwen3", "qwen3_moe"):
        first = _int(cfg, "max_window_layers", default=layers, minimum=0)
        types = tuple(SLIDING if i >= first else FULL for i in range(layers))
    elif family in ("gemma2", "gpt_oss", "cohere2"):
        types = tuple(SLIDING if i % 2 == 0 else FULL for i in range(layers))
    elif family == "gemma3":
        k = _int(cfg, "sliding_window_pattern", default=6)
        types = tuple(FULL if (i + 1) % k == 0 else SLIDING for i in range(layers))
    else:                                                   # Mistral: every layer
        types = (SLIDING,) * layers
    if SLIDING in types and window is None:
        raise ValueError("layer_types has sliding layers but sliding_window is not set")
    return {"layer_types": types, "sliding_window": window if SLIDING in types else None}


def _moe(family: str, cfg: dict, layers: int) -> dict:
    n = _int(cfg, "num_local_experts", "n_routed_experts", "num_experts", required=False, minimum=0)
    if not n:
        return {}
    k = _int(cfg, "num_experts_per_tok", "experts_per_token", "moe_topk")
    if k > n:
        raise ValueError(f"num_experts_per_tok ({k}) exceeds the number of experts ({n})")
    out = dict(num_experts=n, experts_per_token=k)
    if family in ("mixtral", "gpt_oss"):
        out["expert_intermediate_size"] = _int(cfg, "intermediate_size")
        flags = (True,) * layers
        if family == "gpt_oss":
            out.update(expert_bias=True, router_bias=True)
    elif family in ("deepseek_v2", "deepseek_v3"):
        out["expert_intermediate_size"] = _int(cfg, "moe_intermediate_size")
        n_shared = _int(cfg, "n_shared_experts", default=0, minimum=0) or 0
        out["shared_expert_intermediate_size"] = n_shared * out["expert_intermediate_size"]
        first = _int(cfg, "first_k_dense_replace", default=0, minimum=0) or 0
        freq = _int(cfg, "moe_layer_freq", default=1)
        flags = tuple(i >= first and i % freq == 0 for i in range(layers))
        out["router_bias"] = family == "deepseek_v3"        # e_score_correction_bias
    else:                                                   # qwen2_moe / qwen3_moe and alike
        out["expert_intermediate_size"] = _int(cfg, "moe_intermediate_size")
        shared = _int(cfg, "shared_expert_intermediate_size", required=False, minimum=0) or 0
        out["shared_expert_intermediate_size"] = shared
        out["shared_expert_gate"] = shared > 0
        step = _int(cfg, "decoder_sparse_step", default=1)
        dense_only = set(cfg.get("mlp_only_layers") or [])
        flags = tuple(i not in dense_only and (i + 1) % step == 0 for i in range(layers))
    out["moe_layers"] = flags
    return out


def _mla(cfg: dict, heads: int) -> dict:
    rank = _int(cfg, "kv_lora_rank")
    rope = _int(cfg, "qk_rope_head_dim", minimum=0)
    nope = _int(cfg, "qk_nope_head_dim")
    v = _int(cfg, "v_head_dim")
    q_rank = _int(cfg, "q_lora_rank", required=False, minimum=0) or 0
    return dict(kv_lora_rank=rank, qk_rope_head_dim=rope, qk_nope_head_dim=nope, q_lora_rank=q_rank,
                head_dim=nope + rope, v_head_dim=v, num_kv_heads=heads)


# --- presets -----------------------------------------------------------------------------------

def presets() -> dict[str, dict]:
    """The real architectures shipped in data/models.json, keyed by name (with source and date)."""
    return {p["name"]: p for p in data.load("models")["models"]}


def preset_record(name: str) -> dict:
    return data.pick(presets(), name, "model")


def preset_names() -> list[str]:
    return list(presets())



# --- one attention layer, by hand (the heads chapter) ------------------------------------------

def attn_params(d_model: int, heads: int, kv_heads: int) -> dict:
    """Weights of one attention layer (no biases) with `heads` query heads of width d_model / heads
    and `kv_heads` key/value heads of the same width: kv_heads == heads is multi-head attention,
    1 < kv_heads < heads grouped-query (GQA), 1 multi-query (MQA).

    W_Q and W_O are d_model × d_model whatever the head count; W_K and W_V shrink to
    d_model × kv_heads·head_dim when query heads share keys and values. With kv_heads == heads the
    total is 4·d_model², independent of how many heads it is split into."""
    d, h, g = (_int({"d_model": d_model, "heads": heads, "kv_heads": kv_heads}, k)
               for k in ("d_model", "heads", "kv_heads"))
    if d % h:
        raise ValueError(f"heads ({h}) must divide d_model ({d}) for a head width of d_model / heads")
    if g > h or h % g:
        raise ValueError(f"kv_heads ({g}) must divide heads ({h}): each K/V head serves a whole "
                         "group of query heads")
    hd = d // h
    q, k, v, o = d * h * hd, d * g * hd, d * g * hd, h * hd * d
    return {"head_dim": hd, "group_size": h // g, "q": q, "k": k, "v": v, "o": o,
            "total": q + k + v + o, "mha_total": 4 * d * d, "kv_per_token": 2 * g * hd}


def attn_flops_per_token(d_model: int, heads: int, kv_heads: int, context: int) -> dict:
    """Forward FLOPs one new token spends in one attention layer when it attends over `context`
    positions (itself included), counting a multiply-add as 2: the four projections (2 per weight)
    and, per query head, the dot products with every key and the weighted sum of every value
    (2·head_dim each per position). Sharing K/V (GQA/MQA) cuts the K and V projections only: every
    query head still scores every position."""
    p = attn_params(d_model, heads, kv_heads)
    if isinstance(context, bool) or not float(context).is_integer() or context < 1:
        raise ValueError(f"context must be a whole number of positions ≥ 1, got {context!r}")
    proj = 2 * p["total"]
    scores = 2 * heads * p["head_dim"] * int(context)
    mix = 2 * heads * p["head_dim"] * int(context)
    return {"projections": proj, "scores": scores, "mix": mix, "total": proj + scores + mix}
