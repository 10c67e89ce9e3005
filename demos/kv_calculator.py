"""How much memory does the KV cache take, and how many conversations fit beside the weights?

Pick a real model (or paste any Hugging Face config.json), a context length, a batch, the storage
formats and the GPUs. Every number is computed from the config's own fields.

Try: Llama-3.1-70B at 4,096 tokens — 320 KiB per token, 1.34 GB per sequence. Push the batch to
256 and switch the units to GiB: exactly 320 GiB of cache, more than the weights. Then set the
attention override to MHA to see what grouped-query attention saves (8×), and pick Gemma-3-27B or
gpt-oss-120b at 128K: the per-layer table shows sliding-window layers stop growing at their window.
DeepSeek-V3 caches a 576-value latent per layer instead of per-head keys and values.
"""

import json

from fieldguide import data, memory, models
from fieldguide.models import SLIDING, Architecture

TITLE = "KV cache and serving memory calculator"
BADGE = "REAL"
ASSETS = []
URL_STATE = True
MODELS = models.preset_names()
GPUS = list(data.gpus())
ATTENTION = [["as_configured", "As configured"], ["MHA", "MHA (one K/V head per query head)"],
             ["GQA-8", "GQA-8 (8 K/V heads)"], ["MQA", "MQA (one K/V head)"]]
CONTROLS = [
    {"name": "model", "kind": "select", "label": "Model", "options": MODELS, "default": "Llama-3.1-8B"},
    {"name": "config_json", "kind": "textarea", "label": "Or paste a config.json (leave empty to use the model above)",
     "default": "", "maxlength": 100000},
    {"name": "attention", "kind": "select", "label": "Attention (override changes only the cache)",
     "options": ATTENTION, "default": "as_configured"},
    {"name": "context", "kind": "range", "label": "Context length (tokens per sequence)", "min": 1,
     "max": 1048576, "default": 4096, "scale": "log", "unit": "tokens"},
    {"name": "batch", "kind": "range", "label": "Concurrent sequences (batch)", "min": 1, "max": 512,
     "default": 1, "scale": "log"},
    {"name": "kv_dtype", "kind": "select", "label": "KV cache format",
     "options": ["bf16", "fp16", "fp8", "int4"], "default": "bf16"},
    {"name": "weight_dtype", "kind": "select", "label": "Weight format",
     "options": [["bf16", "bf16 (2 bytes)"], ["fp8", "fp8 (1 byte)"], ["int4", "int4 + group-128 scales (4.125 bits)"]],
     "default": "bf16"},
    {"name": "gpu", "kind": "select", "label": "GPU", "options": GPUS, "default": "H100 SXM"},
    {"name": "gpus", "kind": "range", "label": "Number of GPUs", "min": 1, "max": 8, "step": 1, "default": 1},
    {"name": "units", "kind": "select", "label": "Units", "options": [["GB", "GB (10⁹ bytes)"], ["GiB", "GiB (2³⁰ bytes)"]],
     "default": "GB"},
]


def _architecture(model, config_json):
    """The chosen architecture, plus an error block if the pasted config could not be used."""
    preset = Architecture.preset(model)
    text = (config_json or "").strip()
    if not text:
        rec = models.preset_record(model)
        origin = f"{rec['repo']}/{rec['file']}, as of {rec['as_of']} ({rec['licence']})"
        if rec.get("note"):
            origin += ". " + rec["note"].rstrip(".")
        return preset, origin, None
    try:
        cfg = json.loads(text)
        arch = Architecture.from_hf_config(cfg, name="pasted config")
    except json.JSONDecodeError as e:
        problem = f"the pasted text is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})"
    except RecursionError:
        problem = "the pasted JSON is nested too deeply to be a config"
    except ValueError as e:
        problem = f"the pasted config cannot be used: {e}"
    else:
        return arch, "the pasted config.json", None
    err = {"kind": "text", "level": "error",
           "text": f"{problem}. Showing {model} instead; fix the field and the numbers update."}
    rec = models.preset_record(model)
    return preset, f"{rec['repo']}/{rec['file']}, as of {rec['as_of']}", err


def _override(arch, attention):
    if attention == "as_configured":
        return arch, f"attention as configured ({arch.attention_kind})"
    n = {"MHA": arch.num_heads, "GQA-8": 8, "MQA": 1}[attention]
    if arch.num_heads % n:
        return arch, (f"{attention} is impossible with {arch.num_heads} query heads; "
                      f"showing {arch.attention_kind} as configured")
    new = arch.with_kv_heads(n)
    same = " — the same as configured" if new.attention_kind == arch.attention_kind and not arch.is_mla else ""
    return new, f"hypothetical {attention} override: {n} K/V heads of {new.head_dim}{same}"


def _ranges(idx):
    """Layer numbers as short runs: [0,1,2,4,5] -> '0–2, 4–5'."""
    runs, start = [], idx[0]
    for a, b in zip(idx, idx[1:] + [None]):
        if b != a + 1:
            runs.append(f"{start}–{a}" if a > start else f"{a}")
            start = b
    return ", ".join(runs) if len(runs) <= 4 else ", ".join(runs[:3]) + f", … {runs[-1]}"


def _layer_table(arch, context, kv_dtype, units):
    per_layer = memory.kv_cache_bytes_by_layer(arch, context, kv_dtype)
    groups = {}
    for i, t in enumerate(arch.layer_types):
        key = (t, arch.cached_tokens(i, context), per_layer[i])
        groups.setdefault(key, []).append(i)
    rows = []
    for (t, kept, b), idx in groups.items():
        kind = f"sliding (window {arch.sliding_window:,})" if t == SLIDING else "full attention"
        rows.append([kind, _ranges(idx), len(idx), f"{kept:,}", memory.human_bytes(b, units),
                     memory.human_bytes(b * len(idx), units)])
    return {"kind": "table", "columns": ["Layer type", "Layers", "Count", "Tokens kept",
                                         "Per layer (one sequence)", "All such layers"],
            "rows": rows, "caption": "Per-layer cache for one sequence at this context length."}


def _bar(weights, kv, reserve, capacity, units):
    scale = memory.to_unit(1, units)
    parts = [("weights", weights, "#577590"), ("KV cache", kv, "#e76f51"),
             ("runtime reserve (10%)", reserve, "#bbbbbb")]
    data_ = [{"type": "bar", "orientation": "h", "name": n, "y": ["memory"], "x": [v * scale],
              "marker": {"color": c}, "hovertemplate": f"{n}: %{{x:.4g}} {units}<extra></extra>"}
             for n, v, c in parts]
    layout = {"barmode": "stack", "height": 200, "margin": {"t": 10, "b": 40, "l": 70},
              "xaxis": {"title": {"text": units}},
              "shapes": [{"type": "line", "x0": capacity * scale, "x1": capacity * scale, "y0": -0.5,
                          "y1": 0.5, "line": {"color": "#222222", "width": 3, "dash": "dot"}}],
              "annotations": [{"x": capacity * scale, "y": 0.55, "text": "GPU memory", "showarrow": False}],
              "legend": {"orientation": "h", "y": -0.45}}
    return {"data": data_, "layout": layout}


def render(model="Llama-3.1-8B", config_json="", attention="as_configured", context=4096, batch=1,
           kv_dtype="bf16", weight_dtype="bf16", gpu="H100 SXM", gpus=1, units="GB"):
    context, batch, gpus = int(round(context)), int(round(batch)), int(round(gpus))
    base, origin, err = _architecture(model, config_json)
    arch, attn_note = _override(base, attention)
    hb = lambda b: memory.human_bytes(b, units)                       # noqa: E731

    per_token = memory.kv_bytes_per_token(arch, kv_dtype)
    per_seq = memory.kv_cache_bytes(arch, context, 1, kv_dtype)
    total_kv = per_seq * batch
    weights = memory.weights_bytes(base, weight_dtype)
    fit = memory.fit(arch, gpu, gpus, context, kv_dtype, weight_dtype)
    fit["weights"] = weights
    need = weights + total_kv * fit["replication"]
    crossover = memory.kv_exceeds_weights_batch(arch, context, kv_dtype, weight_dtype)
    counts = base.param_counts()

    blocks = [err] if err else []
    blocks.append({"kind": "text", "text": f"{base.summary()}. Source: {origin}. "
                   f"{counts['total'] / 1e9:.2f}B parameters"
                   + (f" ({counts['active'] / 1e9:.2f}B active per token)" if base.is_moe else "")
                   + f". Cache: {attn_note}; {kv_dtype} values ({memory.dtype_bits(kv_dtype)} bits)."})
    max_note = (f"of {hb(fit['kv_per_seq'])} each, in a {hb(max(fit['kv_pool'], 0))} pool"
                + (f"; each GPU keeps a copy of the cache (×{fit['replication']})" if fit["replication"] > 1 else ""))
    blocks.append({"kind": "stats", "items": [
        {"label": "KV per token", "value": hb(per_token),
         "note": "while the context is shorter than every window" if SLIDING in arch.layer_types else
         ("one latent per layer (MLA)" if arch.is_mla else f"2 × {arch.num_layers} layers × "
          f"{arch.num_kv_heads} heads × {arch.head_dim}")},
        {"label": "KV per sequence", "value": hb(per_seq), "note": f"{context:,} tokens"},
        {"label": "KV for the batch", "value": hb(total_kv), "note": f"{batch:,} sequence" + ("s" if batch > 1 else "")},
        {"label": "Weights", "value": hb(weights), "note": f"{weight_dtype}, {counts['total'] / 1e9:.2f}B parameters"},
        {"label": "Weights + KV", "value": hb(need),
         "note": f"vs {hb(fit['capacity'])} on {gpus}× {gpu}" + (" — does not fit" if need > fit["budget"] else "")},
        {"label": "Max concurrent sequences", "value": f"{fit['max_seqs']:,}",
         "note": max_note if fit["weights_fit"] else "the weights alone exceed the memory budget"},
        {"label": "KV outweighs the weights from", "value": f"{crossover:,} sequences" if crossover else "never",
         "note": f"at {context:,} tokens each"},
    ]})
    blocks.append({"kind": "plotly", "figure": _bar(weights, total_kv * fit["replication"], fit["reserve"],
                                                    fit["capacity"], units),
                   "alt": (f"Stacked bar: weights {hb(weights)}, KV cache {hb(total_kv * fit['replication'])} "
                           f"for {batch} sequence(s) of {context:,} tokens, runtime reserve {hb(fit['reserve'])}; "
                           f"GPU memory {hb(fit['capacity'])} ({gpus}× {gpu}).")})
    blocks.append(_layer_table(arch, context, kv_dtype, units))
    if arch.is_mla:
        blocks.append({"kind": "text", "text": (
            f"MLA: each layer caches {arch.kv_lora_rank} latent values plus a {arch.qk_rope_head_dim}-value "
            f"RoPE key per token, {arch.kv_values_per_token(0)} in all, shared by the {arch.num_heads} heads. "
            f"Plain multi-head attention with these heads would cache "
            f"{arch.num_heads * (arch.head_dim + arch.v_head_dim):,} values per layer per token.")})
    if base.max_position_embeddings and context > base.max_position_embeddings:
        blocks.append({"kind": "text", "level": "warn", "text": (
            f"{context:,} tokens is beyond this model's configured context of "
            f"{base.max_position_embeddings:,}; the memory is real, the model's answers there are not.")})
    return blocks
