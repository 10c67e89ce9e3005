"""Build a decoder from a handful of numbers and see where its parameters go. The controls start at
Llama-3.1-8B's shape, so "your build" matches the real model exactly; pick another real config to
compare with. Try doubling the width and then the depth and compare the totals; switch SwiGLU to
GELU at the same multiplier; set K/V heads equal to the query heads and watch GQA's saving vanish.
"""

from fieldguide import block, memory
from fieldguide.units import compact

TITLE = "Block builder: where the parameters go"
BADGE = "REAL"
ASSETS = []

FFN_MULTS = {"8/3": 8 / 3, "3.5": 3.5, "4": 4.0}
HEADS = [8, 16, 32, 64, 128]
KV_HEADS = [1, 2, 4, 8, 16, 32, 64, 128]
COLOURS = {"embeddings": "#9467bd", "attention": "#1f77b4", "FFN": "#ff7f0e", "norms": "#2ca02c",
           "LM head": "#8c564b"}

CONTROLS = [
    {"name": "preset", "kind": "select", "label": "Compare with (a real config)",
     "options": list(block.REFERENCES), "default": "Llama-3.1-8B"},
    {"name": "d_model", "kind": "range", "label": "Width d_model", "min": 256, "max": 16384,
     "step": 256, "default": 4096},
    {"name": "layers", "kind": "range", "label": "Layers (blocks)", "min": 1, "max": 128, "step": 1,
     "default": 32},
    {"name": "heads", "kind": "select", "label": "Query heads", "options": HEADS, "default": 32},
    {"name": "kv_heads", "kind": "select", "label": "K/V heads (fewer = GQA)", "options": KV_HEADS,
     "default": 8},
    {"name": "ffn_mult", "kind": "select", "label": "FFN width (× d_model)",
     "options": list(FFN_MULTS), "default": "3.5"},
    {"name": "ffn_type", "kind": "select", "label": "FFN type",
     "options": [["SwiGLU", "SwiGLU (3 matrices)"], ["GELU", "GELU (2 matrices)"]],
     "default": "SwiGLU"},
    {"name": "vocab", "kind": "range", "label": "Vocabulary size", "min": 1000, "max": 262144,
     "step": 8, "default": 128256},
    {"name": "tied", "kind": "checkbox", "label": "Tie the LM head to the embedding", "default": False},
]


def _gb(nbytes: float) -> str:
    return f"{nbytes / 1e9:,.3g}" if nbytes < 1e12 else f"{nbytes / 1e9:,.0f}"


def _row(arch) -> dict:
    return {"total": arch.n_params, "quick": block.quick_rule_for(arch), "parts": block.breakdown(arch),
            "gap": dict(block.gap_to_exact(arch)), "mem": block.weight_memory(arch),
            "flops": block.flops_per_token(arch)}


def render(preset="Llama-3.1-8B", d_model=4096, layers=32, heads=32, kv_heads=8, ffn_mult="3.5",
           ffn_type="SwiGLU", vocab=128256, tied=False):
    notes = []
    heads, kv_heads = int(heads), int(kv_heads)
    if kv_heads > heads:
        notes.append(f"A model cannot have more K/V heads ({kv_heads}) than query heads ({heads}); "
                     f"using {heads} (plain multi-head attention).")
        kv_heads = heads
    if ffn_mult not in FFN_MULTS:
        raise ValueError(f"FFN width (× d_model): choose one of {', '.join(FFN_MULTS)}")
    mine = block.build(d_model, layers, heads, kv_heads, FFN_MULTS[ffn_mult], ffn_type, vocab, tied)
    ref = block.reference(preset)
    a, b = _row(ref), _row(mine)
    published, source = block.published_params(preset)

    stats = {"kind": "stats", "items": [
        {"label": "Your build, exact", "value": compact(b["total"]), "unit": "parameters"},
        {"label": "Quick rule 12·d²·L + V·d", "value": compact(b["quick"]),
         "note": f"{b['quick'] / b['total']:.0%} of the exact count"},
        {"label": "Weights at fp16 / fp8 / int4",
         "value": " / ".join(_gb(b["mem"][p]) for p in block.PRECISIONS), "unit": "GB",
         "note": "int4 with one 16-bit scale per 128 weights"},
        {"label": "Forward FLOPs per token", "value": f"{b['flops'] / 1e9:,.4g}", "unit": "GFLOP",
         "note": "≈ 2 × the weights a token multiplies through"},
        {"label": "Attention", "value": f"{mine.attention_kind}, head_dim {mine.head_dim}",
         "note": f"KV cache {memory.kv_bytes_per_token(mine, 'bf16') / 1024:,.0f} KiB per token at bf16"},
        {"label": "FFN width", "value": f"{mine.intermediate_size:,}",
         "note": f"{ffn_mult} × d rounded up to a multiple of 256"},
    ]}

    names = [preset, "your build"]
    traces = []
    for part in block.PARTS:
        vals = [r["parts"][part] for r in (a, b)]
        shares = [round(100 * v / r["total"], 2) for v, r in zip(vals, (a, b))]
        traces.append({"type": "bar", "orientation": "h", "name": part, "y": names, "x": shares,
                       "marker": {"color": COLOURS[part]},
                       "text": [compact(v) if s >= 4 else "" for v, s in zip(vals, shares)],
                       "textposition": "inside",
                       "hovertext": [f"{part}: {v:,} parameters ({s:.1f}%)" for v, s in zip(vals, shares)],
                       "hoverinfo": "text"})
    chart = {"kind": "plotly", "figure": {"data": traces, "layout": {
        "barmode": "stack", "height": 240, "title": {"text": (
            f"Share of the parameters: {preset} {compact(a['total'])}, your build {compact(b['total'])}")},
        "xaxis": {"title": {"text": "% of all parameters"}, "range": [0, 100]},
        "yaxis": {"autorange": "reversed"}, "margin": {"l": 190},
        "legend": {"orientation": "h", "y": -0.35}}},
        "alt": "Parameter shares. " + " ".join(
            f"{n} ({r['total']:,} in all): " + ", ".join(f"{p} {r['parts'][p]:,} ({100 * r['parts'][p] / r['total']:.1f}%)"
                                 for p in block.PARTS) + "."
            for n, r in zip(names, (a, b)))}

    def shape(arch):
        ffn = "SwiGLU" if arch.gated_mlp else "GELU"
        if arch.is_moe:
            ffn += f", {arch.num_experts} experts (top-{arch.experts_per_token})"
        return [f"{arch.num_layers}", f"{arch.hidden_size:,}",
                f"{arch.num_heads} / {arch.num_kv_heads}", f"{arch.intermediate_size:,} {ffn}",
                f"{arch.vocab_size:,}{' tied' if arch.tie_word_embeddings else ''}"]

    labels = ["layers", "d_model", "query / K/V heads", "FFN width and type", "vocabulary"]
    rows = [[lab, x, y] for lab, x, y in zip(labels, shape(ref), shape(mine))]
    gap_labels = list(dict.fromkeys(list(a["gap"]) + list(b["gap"])))
    rows.append(["— quick rule to exact count —", "", ""])
    for j, lab in enumerate(gap_labels):
        fmt = "{:,}" if j == 0 else "{:+,}"          # the first line is the start, the rest add
        rows.append([lab] + [fmt.format(r["gap"].get(lab, 0)) for r in (a, b)])
    rows += [["exact total", f"{a['total']:,}", f"{b['total']:,}"],
             ["quick rule 12·d²·L + V·d", compact(a["quick"]), compact(b["quick"])],
             ["published total", compact(published), "—"]]
    if ref.is_moe:
        rows.append(["active per token", compact(ref.n_active_params), "—"])
    rows += [[f"weights at {p} (GB)", _gb(a["mem"][p]), _gb(b["mem"][p])] for p in block.PRECISIONS]
    rows.append(["forward GFLOP per token", *(f"{r['flops'] / 1e9:,.4g}" for r in (a, b))])
    table = {"kind": "table", "columns": ["", preset, "your build"], "rows": rows,
             "caption": f"{preset}: {source}. Counts are exact, tensor by tensor; each line of the middle "
                        "section corrects the quick rule, and together they add up to the exact total."}

    blocks = [stats, chart, table]
    if ref.is_moe:
        blocks.append({"kind": "text", "text": (
            f"{preset} replaces each FFN with {ref.num_experts} expert FFNs and sends every token to "
            f"{ref.experts_per_token}: the quick rule, which assumes one FFN per block, misses most of "
            f"its parameters, while a token only touches {compact(ref.n_active_params)} of them.")})
    for n in notes:
        blocks.append({"kind": "text", "level": "warn", "text": n})
    return blocks
