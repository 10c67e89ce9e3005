"""The transformer block: where its parameters go, and what one forward pass looks like inside.

A decoder block is two residual updates, x ← x + Attn(Norm(x)) and then x ← x + FFN(Norm(x)).
Counting its matrices gives the quick rule most people carry in their heads:

    attention  Q, K, V, O: four d×d matrices                      4·d²
    FFN        up to 4d and back down (two matrices)              8·d²
    per block                                                     12·d²
    model      12·d²·L  +  V·d for the embedding table (×2 if the output head is untied)

Real models bend each term: SwiGLU FFNs have three matrices at some other width, grouped-query
attention shrinks K and V, the output head may or may not share the embedding. `gap_to_exact`
walks from the quick rule to the exact count of `fieldguide.models`, one correction at a time.

The exact counts come from `fieldguide.models.Architecture` (real config.json files). This module
adds the quick rule, a builder for made-up architectures, the one reference model the package's
table lacks (GPT-3, from its paper), memory at a few precisions, FLOPs per token, and `trace`: the
tensors of one real forward pass of tinylm, stage by stage.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from . import checks, memory, models

# --- reference architectures ----------------------------------------------------------------------

# GPT-3 175B: Brown et al., "Language Models are Few-Shot Learners" (2020), Table 2.1 — 96 layers,
# d_model 12,288, 96 heads of 128, context 2,048 — and §2.1: the GPT-2 architecture (learned
# positions, LayerNorm with biases, a 4·d_model GELU FFN, GPT-2's 50,257-token BPE). The paper does
# not say whether the output head is tied; GPT-2's is, and this config assumes the same.
GPT3_CONFIG = {"model_type": "gpt2", "n_embd": 12288, "n_layer": 96, "n_head": 96,
               "n_positions": 2048, "vocab_size": 50257, "tie_word_embeddings": True}
GPT3_SOURCE = ("Brown et al., \"Language Models are Few-Shot Learners\" (2020), Table 2.1 and §2.1; "
               "tied output head assumed as in GPT-2")
GPT3_PUBLISHED_B = 175.0

# the demo's labels -> the package's preset names (data/models.json), or GPT-3 built here
REFERENCES = {"GPT-2 small": "GPT-2", "GPT-3 175B": None, "Llama-3.1-8B": "Llama-3.1-8B",
              "Llama-3.1-70B": "Llama-3.1-70B", "Mixtral-8x7B": "Mixtral-8x7B"}

_REF_CACHE: dict = {}


def reference(label: str) -> models.Architecture:
    """A real architecture by its label in REFERENCES (GPT-3 from the paper, the rest from configs)."""
    if label not in REFERENCES:
        raise ValueError(f"unknown reference model {label!r}; choose one of {', '.join(REFERENCES)}")
    if label not in _REF_CACHE:
        name = REFERENCES[label]
        _REF_CACHE[label] = (models.Architecture.from_hf_config(GPT3_CONFIG, name="GPT-3 175B")
                             if name is None else models.Architecture.preset(name))
    return _REF_CACHE[label]


def published_params(label: str) -> tuple[float, str]:
    """(published total parameters, its source) for a reference model."""
    name = REFERENCES.get(label, label)
    if label == "GPT-3 175B":
        return GPT3_PUBLISHED_B * 1e9, GPT3_SOURCE
    p = models.preset_record(name)["published"]
    return p["total_b"] * 1e9, p["source"]


# --- the quick rule ----------------------------------------------------------------------------------

def quick_rule(d_model, n_layers, vocab=0, untied=False) -> float:
    """12·d²·L for the blocks plus V·d for the embedding table (twice if the output head is untied).

    The book's convention counts V·d once unless `untied` is asked for explicitly."""
    d, L, V = (_positive("d_model", d_model), _positive("n_layers", n_layers),
               _nonneg("vocab", vocab))
    return 12 * d * d * L + V * d * (2 if untied else 1)


def quick_rule_for(arch: models.Architecture, untied=False) -> float:
    return quick_rule(arch.hidden_size, arch.num_layers, arch.vocab_size, untied)


def ffn_params(d_model, width, gated: bool) -> int:
    """One FFN's weights: SwiGLU has three d×width matrices (gate, up, down), GELU two."""
    d, w = int(_positive("d_model", d_model)), int(_positive("width", width))
    return (3 if gated else 2) * d * w


def ffn_width(d_model, mult, multiple_of=256) -> int:
    """mult·d rounded up to a multiple of `multiple_of`, as Llama's reference code sizes its FFN."""
    d, m, k = _positive("d_model", d_model), _positive("mult", mult), int(_positive("multiple_of", multiple_of))
    return int(math.ceil(m * d / k - 1e-9) * k)


# --- where the parameters go ----------------------------------------------------------------------

PARTS = ("embeddings", "attention", "FFN", "norms", "LM head")


def breakdown(arch: models.Architecture) -> dict:
    """Total parameters split into PARTS (positions count as embeddings; routers as FFN)."""
    c = arch.param_counts()
    return {"embeddings": c["embedding"], "attention": c["attention"],
            "FFN": c["mlp_dense"] + c["experts"], "norms": c["norms"], "LM head": c["unembedding"]}


def gap_to_exact(arch: models.Architecture) -> list[tuple[str, int]]:
    """From the quick rule (12·d²·L + V·d) to the exact count, one term at a time; sums to total."""
    d, L, V = arch.hidden_size, arch.num_layers, arch.vocab_size
    c = arch.param_counts()
    pos = arch.learned_positions * d
    steps = [("blocks, 12·d²·L", 12 * d * d * L),
             ("embedding table, V·d", V * d),
             ("untied LM head, V·d", c["unembedding"]),
             ("FFN as built, minus 8·d² per block", c["mlp_dense"] + c["experts"] - 8 * d * d * L),
             ("attention as built, minus 4·d² per block", c["attention"] - 4 * d * d * L),
             ("norms", c["norms"])]
    if pos:
        steps.append(("learned positions", pos))
    assert sum(v for _, v in steps) == c["total"]
    return steps


GAP_KEYS = {"blocks": "blocks, 12·d²·L", "embedding": "embedding table, V·d",
            "head": "untied LM head, V·d", "ffn": "FFN as built, minus 8·d² per block",
            "attention": "attention as built, minus 4·d² per block", "norms": "norms",
            "positions": "learned positions"}


def gap(label: str, key: str) -> int:
    """One line of `gap_to_exact` for a reference model, by short key (see GAP_KEYS); 0 if absent."""
    if key not in GAP_KEYS:
        raise ValueError(f"unknown term {key!r}; choose one of {', '.join(GAP_KEYS)}")
    return dict(gap_to_exact(reference(label))).get(GAP_KEYS[key], 0)


def total(label: str) -> int:
    """Exact parameter count of a reference model."""
    return reference(label).n_params


def quick(label: str) -> float:
    """The quick rule 12·d²·L + V·d for a reference model."""
    return quick_rule_for(reference(label))


# --- a made-up architecture -----------------------------------------------------------------------

def build(d_model=4096, layers=32, heads=32, kv_heads=8, ffn_mult=3.5, ffn_type="SwiGLU",
          vocab=128256, tied=False) -> models.Architecture:
    """A Llama-style decoder (RMSNorm, no biases, rotary positions) from a handful of numbers.

    ffn_type "SwiGLU" (three matrices) or "GELU" (two); the FFN width is ffn_mult·d_model rounded up
    to a multiple of 256. Built through `Architecture.from_hf_config`, so it is counted exactly like
    the real configs."""
    if ffn_type not in ("SwiGLU", "GELU"):
        raise ValueError(f"ffn_type must be 'SwiGLU' or 'GELU', got {ffn_type!r}")
    d, h = int(_positive("d_model", d_model)), int(_positive("heads", heads))
    if d % h:
        raise ValueError(f"d_model ({d}) must be a multiple of the number of heads ({h})")
    cfg = {"model_type": "llama", "hidden_size": d, "num_hidden_layers": int(_positive("layers", layers)),
           "num_attention_heads": h, "num_key_value_heads": int(_positive("kv_heads", kv_heads)),
           "head_dim": d // h, "intermediate_size": ffn_width(d, ffn_mult),
           "vocab_size": int(_positive("vocab", vocab)), "tie_word_embeddings": bool(tied)}
    arch = models.Architecture.from_hf_config(cfg, name="your build")
    return replace(arch, gated_mlp=ffn_type == "SwiGLU", hypothetical=True)


# --- memory and compute ---------------------------------------------------------------------------

PRECISIONS = ("fp16", "fp8", "int4")


def weight_memory(arch: models.Architecture) -> dict:
    """Bytes to hold every parameter at fp16, fp8 and int4 (int4 with its 16-bit group scales)."""
    return {p: memory.weights_bytes(arch, p) for p in PRECISIONS}


def matmul_params(arch: models.Architecture) -> int:
    """Weights one token multiplies through: the active block weights plus the output head.

    The input embedding is a table lookup (no multiplications); a tied head still costs V·d."""
    c = arch.param_counts()
    return c["active"] - c["embedding"] - c["unembedding"] + arch.vocab_size * arch.hidden_size


def flops_per_token(arch: models.Architecture) -> float:
    """Forward FLOPs per token ≈ 2 × the weights it multiplies through (one multiply, one add each).

    Leaves out the attention scores themselves (≈ 4·context·d per layer), small at short contexts."""
    return 2.0 * matmul_params(arch)


# --- one real forward pass, stage by stage --------------------------------------------------------

STAGES = ("tokens", "embed", "attention", "FFN", "residual", "unembed")


def trace(ids, model: str = "tinylm") -> dict:
    """Every tensor of one tinylm forward pass: `tinylm.run` plus each FFN's hidden layer.

    Keys: ids, tokens (strings), resid (n_layer+1 × (T, d)), attn (per layer (H, T, T)), attn_out,
    resid_mid, ffn_hidden (per layer (T, d_ff) after GELU), mlp_out, final (T, d), logits (T, V)."""
    from .tinylm import layers as Lyr
    from . import tinylm
    ids = [int(i) for i in ids]
    if not ids:
        raise ValueError("need at least one token")
    m = tinylm.load(model)
    r = tinylm.run(ids, model=model)
    hidden = []
    for i, mid in enumerate(r["resid_mid"]):
        if mid is None or not m.cfg.mlp:
            hidden.append(None)
            continue
        p = m.params
        h, _ = Lyr.layernorm_forward(mid[None], p[f"h{i}.ln2.g"], p[f"h{i}.ln2.b"])
        u, _ = Lyr.linear_forward(h, p[f"h{i}.mlp.w_in"], p[f"h{i}.mlp.b_in"])
        u, _ = Lyr.gelu_forward(u)
        hidden.append(u[0])
    return {**r, "ids": ids, "tokens": tinylm.token_strings(ids), "ffn_hidden": hidden}


def stage(tr: dict, name: str, layer: int = 0) -> dict:
    """One stage of a trace: {"name", "tensor" (a description), "array" (2-D float), "shape"}.

    tokens: the ids as a (1, T) row; embed: token + position vectors (T, d); attention: what layer
    `layer`'s attention adds (T, d); FFN: its hidden layer after GELU (T, d_ff); residual: the
    stream after the block (T, d); unembed: the logits (T, V)."""
    if name not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}, got {name!r}")
    n_layer = len(tr["attn"])
    if not 0 <= int(layer) < n_layer:
        raise ValueError(f"layer must lie in 0..{n_layer - 1}")
    layer = int(layer)
    if name == "tokens":
        arr, what = np.asarray(tr["ids"], dtype=np.float64)[None], "token ids"
    elif name == "embed":
        arr, what = tr["resid"][0], "token embedding + position embedding"
    elif name == "attention":
        arr, what = tr["attn_out"][layer], f"what block {layer}'s attention adds to the stream"
    elif name == "FFN":
        arr, what = tr["ffn_hidden"][layer], f"block {layer}'s FFN hidden layer, after GELU"
    elif name == "residual":
        arr, what = tr["resid"][layer + 1], f"the residual stream after block {layer}"
    else:
        arr, what = tr["logits"], "logits: one score per vocabulary entry"
    arr = np.asarray(arr, dtype=np.float64)
    shape = (len(tr["ids"]),) if name == "tokens" else arr.shape
    return {"name": name, "tensor": what, "array": arr, "shape": tuple(int(s) for s in shape)}


def top_next(tr: dict, k: int = 5) -> list[tuple[str, float]]:
    """The k likeliest next tokens after the last position, with their probabilities."""
    from .sampling import softmax
    from . import tinylm
    p = softmax(np.asarray(tr["logits"][-1], dtype=np.float64))
    top = np.argsort(-p)[:k]
    return [(tinylm.token_strings([int(i)])[0], float(p[i])) for i in top]


# --- argument checks ------------------------------------------------------------------------------

def _positive(name, x) -> float:
    return checks.number(name, x, positive=True)

def _nonneg(name, x) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {x!r}") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} cannot be negative, got {x!r}")
    return v
