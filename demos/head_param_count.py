"""How much does one attention layer weigh, and how much does it cost per token? Change the head
count at a fixed width: the per-head width shrinks and the parameter total does not move. Then lower
the K/V heads: only W_K and W_V shrink (grouped-query attention; 1 K/V head is multi-query), and
with them the keys and values every token must keep in the cache.
"""

from fieldguide import models

TITLE = "Attention parameters and FLOPs: heads are free, K/V heads are not"
BADGE = "REAL"
ASSETS = []

HEADS = [1, 2, 4, 8, 16, 32, 64, 96, 128]
CONTEXT = 8192                                  # positions a new token attends over (FLOPs)

CONTROLS = [
    {"name": "d_model", "kind": "range", "label": "Model width d_model", "min": 256, "max": 16384,
     "step": 256, "default": 4096},
    {"name": "heads", "kind": "select", "label": "Query heads", "options": HEADS, "default": 32},
    {"name": "kv_heads", "kind": "select", "label": "Key/value heads", "options": HEADS, "default": 8},
]

# Published configurations: (name, d_model, query heads, K/V heads, where the numbers come from)
REFERENCE = [
    ("Transformer base (2017)", 512, 8, 8, "Vaswani et al., Attention Is All You Need, 2017, Table 3"),
    ("GPT-3 175B (2020)", 12288, 96, 96, "Brown et al., Language Models are Few-Shot Learners, 2020, Table 2.1"),
]
PRESETS = ["Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B"]     # config.json in fieldguide.models


def reference_rows():
    """[name, d_model, heads, kv_heads, head_dim, params per layer, source] for the table."""
    rows = [list(r[:4]) + [r[4]] for r in REFERENCE]
    for name in PRESETS:
        a = models.Architecture.preset(name)
        rows.append([name, a.hidden_size, a.num_heads, a.num_kv_heads, "config.json (fieldguide.models preset)"])
    out = []
    for name, d, h, g, src in rows:
        p = models.attn_params(d, h, g)
        out.append([name, d, h, g, p["head_dim"], f"{p['total']:,}", src])
    return out


def _kind(h, g):
    return "multi-head (MHA)" if g == h else "multi-query (MQA)" if g == 1 else f"grouped-query (GQA), groups of {h // g}"


def render(d_model=4096, heads=32, kv_heads=8):
    d, h, g = int(d_model), int(heads), int(kv_heads)
    if not 256 <= d <= 16384:
        raise ValueError(f"Model width d_model must be between 256 and 16,384, got {d}.")
    if h not in HEADS or g not in HEADS:
        raise ValueError(f"Query heads and Key/value heads must be one of {HEADS}.")
    table = {"kind": "table", "columns": ["model", "d_model", "query heads", "K/V heads", "head_dim",
                                          "attention parameters per layer", "source"],
             "rows": reference_rows(),
             "caption": "Published configurations, counted with the same formula (no biases)."}
    try:
        p = models.attn_params(d, h, g)
        f = models.attn_flops_per_token(d, h, g, CONTEXT)
    except ValueError as e:
        hint = (f"{h} query heads do not split d_model = {d:,} evenly: pick a width that is a "
                f"multiple of {h} (GPT-3 uses 96 heads at 12,288)." if d % h else
                f"{g} K/V heads cannot be shared evenly by {h} query heads: each K/V head serves a "
                "whole group, so the K/V count must divide the query-head count.")
        return [{"kind": "text", "level": "warn", "text": f"{hint} ({e})"}, table]

    stats = {"kind": "stats", "items": [
        {"label": "head_dim", "value": str(p["head_dim"]), "note": f"{d:,} / {h}"},
        {"label": "Attention kind", "value": _kind(h, g)},
        {"label": "Parameters per layer", "value": f"{p['total']:,}",
         "note": f"{p['total'] / p['mha_total']:.1%} of 4·d² = {p['mha_total']:,}"},
        {"label": "K+V cached per token per layer", "value": f"{p['kv_per_token']:,}", "unit": "values",
         "note": f"{2 * d:,} with one K/V head per query head"},
        {"label": f"FLOPs per token at {CONTEXT:,} context", "value": f"{f['total']:.3g}",
         "note": f"projections {f['projections']:.3g} + scores {f['scores']:.3g} + mixing {f['mix']:.3g}"},
    ]}
    parts = ["W_Q", "W_K", "W_V", "W_O"]
    vals = [p["q"], p["k"], p["v"], p["o"]]
    mha = [d * d] * 4
    fig = {"data": [
        {"type": "bar", "name": f"these {g} K/V heads", "x": parts, "y": vals},
        {"type": "bar", "name": "multi-head (one K/V head per query head)", "x": parts, "y": mha}],
        "layout": {"title": {"text": f"Weights per projection: d_model {d:,}, {h} heads, {g} K/V heads"},
                   "barmode": "group", "height": 300, "yaxis": {"title": {"text": "parameters"}}}}
    alt = ("Parameters per projection, these settings vs multi-head: " +
           ", ".join(f"{n} {v:,} vs {m:,}" for n, v, m in zip(parts, vals, mha)))
    return [stats, {"kind": "plotly", "figure": fig, "alt": alt}, table]
