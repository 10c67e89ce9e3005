"""How many query heads can share one key/value head, and what does sharing cost before retraining?

Pick the query and K/V head counts: each chip is one cached K/V head and the query heads that read
it. The cache shrinks by query heads ÷ K/V heads. Then the demo turns a multi-head layer into a
grouped one the way the GQA paper starts, by averaging each group's K and V heads, and measures how
far the attention output moves. Try random heads first (they share nothing, so pooling is a big
change), then switch to tinylm's real heads and read the layer-by-layer table: the error before any
uptraining is why the conversion needs a short round of further training.
"""

from fieldguide import kv_sharing, memory, tinylm

TITLE = "Grouped-query attention: who shares a K/V head, and what pooling costs"
BADGE = "TINY-REAL"          # tinylm by default; "random" is a labelled toy baseline
ASSETS = []
HEAD_DIM_RANDOM = 16
SHAPE_MODEL = "Llama-3.1-70B"         # layers and head width used for the bytes-per-token readout
CONTROLS = [
    {"name": "q_heads", "kind": "select", "label": "Query heads",
     "options": [8, 16, 32, 64, 128], "default": 64},
    {"name": "kv_heads", "kind": "select", "label": "K/V heads (must divide the query heads)",
     "options": [1, 2, 4, 8, 16, 32, 64, 128], "default": 8},
    {"name": "inputs", "kind": "select", "label": "Q/K/V from",
     "options": [["random", "random heads (independent, float64)"],
                 ["tinylm", "tinylm's real heads (4 per layer)"]], "default": "tinylm"},
    {"name": "seq_len", "kind": "range", "label": "Sequence length (tokens)", "min": 8, "max": 128,
     "step": 1, "default": 32},
    {"name": "seed", "kind": "number", "label": "Seed (random heads; tinylm: where the text window starts)",
     "min": 0, "max": 9999, "step": 1, "default": 0},
]


def _kind(h, g):
    return "MHA" if g == h else ("MQA" if g == 1 else f"GQA-{g}")


def _chips(h, g):
    size = h // g
    chips = []
    for j in range(g):
        lo, hi = j * size, (j + 1) * size - 1
        reads = f"Q{lo}" if lo == hi else f"Q{lo}–Q{hi}"
        chips.append({"text": f"KV{j}: {reads}", "group": j % 6,
                      "title": f"K/V head {j} is cached once and read by query heads {lo} to {hi}"})
    return chips


def _bar(x, y, colours, title, xtitle):
    return {"data": [{"type": "bar", "x": x, "y": y, "marker": {"color": colours},
                      "hovertemplate": "%{x}: %{y:.3f}<extra></extra>"}],
            "layout": {"title": {"text": title}, "xaxis": {"title": {"text": xtitle}},
                       "yaxis": {"title": {"text": "relative error of the output"}, "rangemode": "tozero"},
                       "margin": {"t": 50, "l": 60, "r": 20, "b": 60}, "height": 300}}


PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def render(q_heads=64, kv_heads=8, inputs="tinylm", seq_len=32, seed=0):
    h, g, T, seed = int(q_heads), int(kv_heads), int(round(seq_len)), int(seed)
    blocks = []
    if g > h:
        blocks.append({"kind": "text", "level": "warn",
                       "text": f"{g} K/V heads is more than {h} query heads; a query head cannot "
                               f"read more than one K/V head, so this shows MHA ({h} K/V heads)."})
        g = h
    reduction = kv_sharing.cache_reduction(h, g)
    arch = kv_sharing.gqa_architecture(h, g, SHAPE_MODEL)
    per_tok = memory.kv_cache_bytes(arch, 1)
    per_tok_mha = memory.kv_cache_bytes(kv_sharing.gqa_architecture(h, h, SHAPE_MODEL), 1)
    blocks.append({"kind": "stats", "items": [
        {"label": "Attention", "value": _kind(h, g), "note": f"{h} query heads, {g} K/V heads"},
        {"label": "Query heads per K/V head", "value": f"{h // g}"},
        {"label": "KV cache vs MHA", "value": f"{reduction}× smaller" if reduction > 1 else "the same (this is MHA)",
         "note": f"{g} of {h} K/V heads cached"},
        {"label": f"Cache per token ({SHAPE_MODEL}'s {arch.num_layers} layers of {arch.head_dim}-wide heads, BF16)",
         "value": f"{per_tok / 1024:,.0f} KiB", "note": f"MHA with {h} heads: {per_tok_mha / 1024:,.0f} KiB"},
    ]})
    blocks.append({"kind": "tokens", "tokens": _chips(h, g),
                   "caption": f"Each chip is one cached K/V head and the query heads that read it "
                              f"({g} chips for {h} query heads)."})

    if inputs == "random":
        q, k, v = kv_sharing.random_qkv(h, T, HEAD_DIM_RANDOM, seed)
        r = kv_sharing.gqa_from_mha(q, k, v, g)
        errs = r["per_head_error"]
        blocks.append({"kind": "stats", "items": [
            {"label": "Relative error of the attention output", "value": f"{r['rel_error']:.3f}",
             "note": f"mean-pooled {_kind(h, g)} vs the original MHA, {T} tokens, "
                     f"{HEAD_DIM_RANDOM}-wide random heads"}]})
        colours = [PALETTE[i % 6] for i in r["group"]]
        alt = (f"Relative error per query head after mean-pooling {h} random K/V heads into {g}: "
               f"mean {sum(errs) / h:.3f}, min {min(errs):.3f}, max {max(errs):.3f}; "
               f"overall {r['rel_error']:.3f}.")
        blocks.append({"kind": "plotly", "alt": alt, "figure": _bar(
            [f"Q{i}" for i in range(h)], errs, colours,
            f"Per query head, pooled to {g} K/V heads (colour = group)", "query head")})
        blocks.append({"kind": "text", "text":
                       "Random heads are independent, so averaging them keeps little of any one: "
                       "this is the worst case. Real heads are partly redundant, and the GQA paper "
                       "recovers most of the gap with a short uptraining run after pooling."})
        return blocks

    window, start = kv_sharing.sample_window(T, seed)
    layers = kv_sharing.tinylm_qkv(window)
    n = layers[0]["q"].shape[0]
    g_tiny = max(1, n // reduction)
    sweep = {gg: kv_sharing.tinylm_gqa_errors(layers, gg) for gg in (n, 2, 1) if n % gg == 0}
    chosen = sweep[g_tiny]
    mean = sum(r["rel_error"] for r in chosen) / len(chosen)
    blocks.append({"kind": "stats", "items": [
        {"label": "tinylm: K/V heads per layer after pooling", "value": f"{g_tiny} of {n}",
         "note": f"the same sharing ratio ({reduction}:1), at most {n}:1 (MQA)"},
        {"label": "Relative error of the attention output", "value": f"{mean:.3f}",
         "note": f"mean over {len(chosen)} layers, tokens {start}–{start + T - 1} of the text"}]})
    x = [f"L{r['layer']} H{j}" for r in chosen for j in range(n)]
    y = [e for r in chosen for e in r["per_head_error"]]
    group = kv_sharing.group_of(n, g_tiny)
    colours = [PALETTE[group[j] % 6] for _ in chosen for j in range(n)]
    alt = ("Relative error per tinylm head after mean-pooling to "
           f"{g_tiny} K/V heads per layer: " + ", ".join(f"{a} {b:.3f}" for a, b in zip(x, y)) + ".")
    blocks.append({"kind": "plotly", "alt": alt, "figure": _bar(
        x, y, colours, f"tinylm, each head's output pooled to {g_tiny} K/V heads (colour = group)",
        "layer and head")})
    rows = [[f"{gg} ({_kind(n, gg)})"] + [f"{r['rel_error']:.3f}" for r in rows_]
            for gg, rows_ in sweep.items()]
    blocks.append({"kind": "table", "columns": ["K/V heads per layer"] + [f"layer {i}" for i in range(len(layers))],
                   "rows": rows,
                   "caption": "Relative error of each layer's projected attention output when its "
                              f"{n} K/V heads are mean-pooled, before any uptraining ({T} tokens)."})
    blocks.append({"kind": "text", "text": tinylm.scale_note()})
    return blocks
