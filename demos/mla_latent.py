"""How small is DeepSeek's latent KV cache, and against what?

The sliders start at DeepSeek-V3's real config: a 512-number latent plus a 64-number RoPE key per
token and layer, 61 layers, 128K tokens. Read the bytes per sequence and the ratio, and switch the
comparison: about 3.6× smaller than a GQA-8 cache of 128-wide heads, about 57× smaller than a
128-head MHA cache. A ratio for MLA means nothing until its baseline is named. The last panel
computes one MLA layer's attention scores twice — rebuilding every head's keys, and with the key
projection folded into the query — and shows they agree to rounding; it also shows that rotating
the latent keys by position would break that folding, which is why the RoPE key is kept apart.
"""

from fieldguide import kv_sharing, memory

TITLE = "MLA: the latent KV cache, against a named baseline"
BADGE = "REAL"
ASSETS = []
CHECK = {"n_heads": 4, "nope_dim": 32, "d_model": 64, "seq_len": 12, "seed": 0}

CONTROLS = [
    {"name": "kv_lora_rank", "kind": "range", "label": "Latent width (kv_lora_rank)", "min": 64,
     "max": 1024, "step": 32, "default": 512},
    {"name": "rope_dim", "kind": "range", "label": "Decoupled RoPE key width (qk_rope_head_dim)",
     "min": 0, "max": 128, "step": 2, "default": 64},
    {"name": "layers", "kind": "range", "label": "Layers", "min": 1, "max": 128, "step": 1, "default": 61},
    {"name": "context", "kind": "range", "label": "Context", "min": 1024, "max": 131072,
     "default": 131072, "scale": "log", "unit": "tokens"},
    {"name": "dtype", "kind": "select", "label": "Cache format",
     "options": [["bf16", "BF16 (2 bytes)"], ["fp8", "FP8 (1 byte)"]], "default": "bf16"},
    {"name": "compare", "kind": "select", "label": "Compare with",
     "options": [["GQA-8", "GQA-8 × 128-wide heads"], ["MHA-128", "MHA, 128 heads × 128"]],
     "default": "GQA-8"},
]

LABELS = {"MLA": "MLA (latent + RoPE key)", "GQA-8": "GQA-8 × 128", "MHA-128": "MHA-128 × 128"}


def render(kv_lora_rank=512, rope_dim=64, layers=61, context=131072, dtype="bf16", compare="GQA-8"):
    r, dr, n, t = int(kv_lora_rank), int(rope_dim), int(layers), int(round(context))
    dr -= dr % 2
    c = kv_sharing.mla_cache_comparison(r, dr, n, t, dtype)
    mla, base = c["MLA"], c[compare]
    real = (r, dr, n) == (512, 64, 61)
    blocks = [{"kind": "stats", "items": [
        {"label": "MLA values per token and layer", "value": f"{mla['values_per_layer']:,}",
         "note": f"{r} latent + {dr} RoPE key, shared by all heads"},
        {"label": "MLA bytes per token", "value": f"{mla['bytes_per_token'] / 1024:,.1f} KiB",
         "note": f"{n} layers, {dtype.upper()}"},
        {"label": f"MLA cache for {t:,} tokens", "value": memory.human_bytes(mla["bytes"], "GB"),
         "note": memory.human_bytes(mla["bytes"], "GiB")},
        {"label": f"{LABELS[compare]} for {t:,} tokens", "value": memory.human_bytes(base["bytes"], "GB"),
         "note": f"{base['values_per_layer']:,} values per token and layer"},
        {"label": f"MLA vs {compare}", "value": f"{base['ratio']:.1f}× smaller",
         "note": f"{base['values_per_layer']:,} ÷ {mla['values_per_layer']:,} values per layer"},
    ]}]
    if real:
        blocks.append({"kind": "text", "text": "These are DeepSeek-V3's shipped values "
                       "(kv_lora_rank 512, qk_rope_head_dim 64, 61 layers, from its config.json)."})
    else:
        blocks.append({"kind": "text", "text": "Hypothetical: DeepSeek-V3's config with the latent "
                       f"width, RoPE key or layer count changed (real: 512, 64, 61)."})
    names = ["MLA", "GQA-8", "MHA-128"]
    gb = [c[k]["bytes"] / 1e9 for k in names]
    colours = ["#2ca02c", "#1f77b4" if compare == "GQA-8" else "#c7c7c7",
               "#1f77b4" if compare == "MHA-128" else "#c7c7c7"]
    alt = (f"KV cache for one sequence of {t:,} tokens, {n} layers, {dtype}: "
           + "; ".join(f"{LABELS[k]} {v:,.3g} GB" for k, v in zip(names, gb))
           + f". The chosen baseline is {compare}: {base['ratio']:.1f} times the MLA cache.")
    blocks.append({"kind": "plotly", "alt": alt, "figure": {
        "data": [{"type": "bar", "x": [LABELS[k] for k in names], "y": gb, "marker": {"color": colours},
                  "text": [f"{v:,.3g} GB" for v in gb], "textposition": "outside",
                  "hovertemplate": "%{x}: %{y:.3g} GB<extra></extra>"}],
        "layout": {"title": {"text": f"One sequence's cache, {t:,} tokens (log scale)"},
                   "yaxis": {"title": {"text": "GB (10⁹ bytes)"}, "type": "log"},
                   "margin": {"t": 50, "l": 60, "r": 20, "b": 50}, "height": 300}}})

    chk = kv_sharing.mla_scores(r, dr, **CHECK)
    blocks.append({"kind": "table", "columns": ["Score check (one layer, random weights, float64)", "Value"],
                   "rows": [
                       ["largest |score|", f"{chk['score_scale']:.3f}"],
                       ["max |explicit − absorbed|", f"{chk['max_abs_diff']:.1e}"],
                       ["max |explicit − absorbed| if the keys rebuilt from the latent were "
                        "rotated by position (no decoupled RoPE key)", f"{chk['naive_rope_diff']:.3f}"],
                   ],
                   "caption": f"{CHECK['n_heads']} heads, {CHECK['seq_len']} tokens, latent {r}, "
                              f"RoPE key {dr}: folding the key up-projection into the query gives "
                              "the same scores; a position rotation on the latent part does not fold."})
    return blocks
