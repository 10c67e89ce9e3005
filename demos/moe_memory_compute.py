"""What a mixture of experts saves, and what it does not, computed from real configs.

Try: Mixtral-8x7B at batch 1 reads about its active weights per decode step; raise the batch to
16 and almost every expert is touched, so each step reads nearly all 46.7B parameters, while a
dense model of the same active size would still read only its own. Switch to DeepSeek-V3 to see
how many GPUs the total needs even though a token uses about 5.6% of it.
"""

from fieldguide import data, memory, moe

TITLE = "Total vs active: memory, FLOPs and bandwidth of an MoE"
BADGE = "REAL"
ASSETS = []
PRESETS = [["Mixtral-8x7B", "Mixtral-8x7B"], ["DeepSeek-V3", "DeepSeek-V3"],
           ["DeepSeekMoE-16B", "DeepSeekMoE-16B"], ["gpt-oss-120b", "gpt-oss-120b"],
           ["Llama-2-7B", "dense 7B (Llama-2-7B)"], ["Llama-3.1-70B", "dense 70B (Llama-3.1-70B)"]]
GPUS = [g for g in data.gpus() if not g.startswith("Apple")]
DTYPES = [["bf16", "bf16 (2 bytes)"], ["fp8", "fp8 (1 byte)"], ["int4", "int4 + group-128 scales (4.125 bits)"]]
CONTROLS = [
    {"name": "preset", "kind": "select", "label": "Model", "options": PRESETS, "default": "Mixtral-8x7B"},
    {"name": "dtype", "kind": "select", "label": "Weight format", "options": DTYPES, "default": "bf16"},
    {"name": "batch", "kind": "range", "label": "Sequences decoded together (batch)", "min": 1, "max": 512,
     "scale": "log", "default": 1},
    {"name": "gpu", "kind": "select", "label": "GPU", "options": GPUS, "default": "H100 SXM"},
]
CONTEXT = 2048
BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]


def render(preset="Mixtral-8x7B", dtype="bf16", batch=1, gpu="H100 SXM"):
    if preset not in [p[0] for p in PRESETS]:
        raise ValueError("Model must be one of " + ", ".join(p[0] for p in PRESETS))
    if dtype not in [d[0] for d in DTYPES]:
        raise ValueError("Weight format must be bf16, fp8 or int4")
    if gpu not in GPUS:
        raise ValueError("GPU must be one of " + ", ".join(GPUS))
    if not 1 <= float(batch) <= 512:
        raise ValueError(f"Sequences decoded together (batch) must be between 1 and 512, got {batch!r}")
    b = int(round(float(batch)))
    a = moe.architecture(preset)
    v = moe.serving_view(a, gpu, b, dtype, CONTEXT)
    st = v["step"]
    gb = lambda x: f"{x / 1e9:,.1f}"
    items = [
        {"label": "total parameters", "value": f"{v['total'] / 1e9:,.2f}", "unit": "B"},
        {"label": "active per token", "value": f"{v['active'] / 1e9:,.2f}", "unit": "B",
         "note": f"{v['active_share']:.1%} of total"},
        {"label": "weights stored", "value": gb(v["weights_bytes"]), "unit": "GB",
         "note": f"{v['n_gpus']} × {gpu} (90% of memory each)"},
        {"label": "FLOPs per token", "value": f"{v['flops_per_token'] / 1e9:,.1f}", "unit": "GFLOP",
         "note": "2 × active (without the input embedding)"},
    ]
    if a.is_moe:
        items.append({"label": "experts touched per MoE layer", "value": f"{v['experts_touched']:.1f}",
                      "unit": f"of {a.num_experts}", "note": f"N·(1 − (1 − k/N)^B), k = {a.experts_per_token}"})
    items += [
        {"label": "weights read per step", "value": gb(st["weight_bytes_read"]), "unit": "GB"},
        {"label": "decode step (this model)", "value": f"{st['step_s'] * 1e3:.2f}", "unit": "ms",
         "note": f"{st['bound']}-bound, {CONTEXT:,}-token contexts"},
        {"label": "dense model of equal active size", "value": f"{v['dense_equal_active_s'] * 1e3:.2f}", "unit": "ms",
         "note": f"reads {gb(v['dense_equal_active_read'])} GB of weights"},
    ]
    blocks = [{"kind": "stats", "items": items}]
    if not st["fits"]:
        blocks.append({"kind": "text", "level": "warn",
                       "text": f"The weights fit on {v['n_gpus']} GPUs, but a batch of {b} at {CONTEXT:,} tokens "
                               "leaves too little room for the KV cache."})
    reads = [moe.serving_view(a, gpu, x, dtype, CONTEXT)["step"]["weight_bytes_read"] / 1e9 for x in BATCHES]
    dense = v["dense_equal_active_read"] / 1e9
    blocks.append({"kind": "plotly", "figure": {
        "data": [{"type": "scatter", "mode": "lines+markers", "x": BATCHES, "y": reads, "name": preset},
                 {"type": "scatter", "mode": "lines", "x": BATCHES, "y": [dense] * len(BATCHES),
                  "name": "dense, same active size", "line": {"dash": "dot"}},
                 {"type": "scatter", "mode": "markers", "x": [b], "y": [st["weight_bytes_read"] / 1e9],
                  "name": f"batch {b}", "marker": {"size": 12, "color": "#c0392b"}}],
        "layout": {"title": {"text": "Weights read per decode step"}, "height": 320,
                   "xaxis": {"title": {"text": "batch"}, "type": "log"},
                   "yaxis": {"title": {"text": "GB"}}, "margin": {"t": 40}}},
        "alt": f"{preset} in {dtype}: weights read per decode step by batch: "
               + ", ".join(f"{x}: {r:,.1f} GB" for x, r in zip(BATCHES, reads))
               + f". A dense model of equal active size reads {dense:,.1f} GB at every batch."})
    blocks.append({"kind": "text", "text": "Uniform routing assumed for experts touched; step times are the "
                   "bandwidth/compute floor on the GPUs' data-sheet numbers, not measurements."})
    return blocks
