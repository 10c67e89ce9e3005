"""How fast can a model talk? One decode step reads every weight it uses and the whole KV cache.

Pick a real model, formats, a GPU and a batch. The step time is the larger of the memory term
(bytes ÷ bandwidth) and the compute term (FLOPs ÷ peak), each scaled by the efficiency you expect.

Try: Llama-3.1-8B on one H100 at batch 1 — a few milliseconds per token, memory-bound. Raise the
batch: per-sequence speed barely moves while the total multiplies, until the compute term takes
over. Pick Llama-3.1-70B: in BF16 it does not fit one GPU; set 4-bit weights or two GPUs. Long
contexts at large batches make the KV cache, not the weights, the bytes that dominate.
"""

from fieldguide import data, memory, models, serving

TITLE = "The decode floor: time per token from bytes and bandwidth"
BADGE = "REAL"
ASSETS = []
MODELS = [n for n in models.preset_names() if not models.preset_record(n).get("hypothetical")]
GPUS = list(data.gpus())
BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
CONTROLS = [
    {"name": "model", "kind": "select", "label": "Model", "options": MODELS, "default": "Llama-3.1-8B"},
    {"name": "weight_bits", "kind": "select", "label": "Weight bits",
     "options": [[16, "16 (BF16)"], [8, "8 (FP8)"], [4, "4 (INT4, group-128 scales)"]], "default": 16},
    {"name": "kv_dtype", "kind": "select", "label": "KV cache format", "options": ["bf16", "fp8", "int4"],
     "default": "bf16"},
    {"name": "gpu", "kind": "select", "label": "GPU", "options": GPUS, "default": "H100 SXM"},
    {"name": "tp", "kind": "range", "label": "GPUs (tensor parallel)", "min": 1, "max": 8, "step": 1, "default": 1},
    {"name": "batch", "kind": "range", "label": "Batch (sequences decoding together)", "min": 1, "max": 512,
     "default": 1, "scale": "log"},
    {"name": "context", "kind": "range", "label": "Context per sequence (tokens)", "min": 128, "max": 131072,
     "default": 4096, "scale": "log"},
    {"name": "efficiency", "kind": "range", "label": "Share of peak bandwidth and FLOP/s achieved",
     "min": 0.3, "max": 1, "step": 0.01, "default": 0.7},
    {"name": "usd_per_hour", "kind": "range", "label": "Price per GPU-hour (US$, your figure)", "min": 0.5,
     "max": 10, "step": 0.05, "default": 3.0},
]


def _figure(rows, batch, stream):
    b = [r[0] for r in rows]
    per = {"type": "scatter", "mode": "lines+markers", "name": "tokens/s per sequence", "x": b,
           "y": [r[1] for r in rows], "line": {"color": "#e76f51"}}
    tot = {"type": "scatter", "mode": "lines+markers", "name": "tokens/s in all", "x": b,
           "y": [r[2] for r in rows], "line": {"color": "#264653"}}
    you = {"type": "scatter", "mode": "markers", "name": "this batch", "x": [batch], "y": [stream],
           "marker": {"symbol": "star", "size": 16, "color": "#e76f51"}}
    lines = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": v, "y1": v,
              "line": {"dash": "dot", "color": "#999999"}} for v in (5, 40)]
    # annotations on a log axis take log10 positions: log10(5) ≈ 0.70, log10(40) ≈ 1.60
    notes = [{"xref": "paper", "x": 0.01, "yref": "y", "y": y, "text": t, "showarrow": False,
              "xanchor": "left", "yanchor": "bottom"}
             for y, t in ((0.699, "5 tok/s: reading speed"), (1.602, "40 tok/s: smooth streaming"))]
    layout = {"xaxis": {"title": {"text": "batch (sequences)"}, "type": "log"},
              "yaxis": {"title": {"text": "tokens per second"}, "type": "log"},
              "shapes": lines, "annotations": notes, "legend": {"orientation": "h", "y": -0.25},
              "margin": {"t": 20}}
    return {"data": [per, tot, you], "layout": layout}


def render(model="Llama-3.1-8B", weight_bits=16, kv_dtype="bf16", gpu="H100 SXM", tp=1, batch=1,
           context=4096, efficiency=0.7, usd_per_hour=3.0):
    batch, context, tp = int(round(batch)), int(round(context)), int(round(tp))
    arch = models.Architecture.preset(model)
    wd = serving.WEIGHT_DTYPE_FOR_BITS[int(weight_bits)]
    step = lambda b: serving.decode_step(arch, gpu, b, context, wd, kv_dtype, tp, efficiency)  # noqa: E731
    d = step(batch)
    price = usd_per_hour * tp
    cost = serving.usd_per_mtok(price, d["tokens_per_s_total"])
    hb = memory.human_bytes
    items = [
        {"label": "Time per output token", "value": f"{d['step_s'] * 1e3:.3g} ms",
         "note": f"{d['bound']}-bound: memory {d['memory_s'] * 1e3:.3g} ms, compute "
                 + (f"{d['compute_s'] * 1e3:.3g} ms" if d["has_peak"] else "n/a (no published peak)")},
        {"label": "Bytes read per step", "value": hb(d["weight_bytes_read"] + d["kv_bytes_read"]),
         "note": f"weights {hb(d['weight_bytes_read'])} + KV {hb(d['kv_bytes_read'])}"
                 + (f"; {d['experts_touched']:.1f} of {arch.num_experts} experts per MoE layer"
                    if arch.is_moe else "")},
        {"label": "Per sequence", "value": f"{d['tokens_per_s_stream']:,.1f}", "unit": "tokens/s"},
        {"label": "In all", "value": f"{d['tokens_per_s_total']:,.0f}", "unit": "tokens/s",
         "note": f"{batch:,} sequence{'s' if batch > 1 else ''} on {tp}× {gpu}"},
        {"label": "Cost per million output tokens", "value": f"${cost:,.2f}",
         "note": f"at ${usd_per_hour:.2f} per GPU-hour × {tp}, fully busy"},
    ]
    blocks = [{"kind": "stats", "items": items}]
    if not d["fits"]:
        f = d["fit"]
        why = ("the weights alone exceed 90% of the memory" if not f["weights_fit"] else
               f"only {f['max_seqs']:,} sequences of {context:,} tokens fit beside the weights")
        blocks.insert(0, {"kind": "text", "level": "warn",
                          "text": f"Does not fit on {tp}× {gpu}: {why}. The times below assume it did."})
    rows = [(b, 1 / s["step_s"], b / s["step_s"]) for b in BATCHES for s in [step(b)]]
    alt = (f"Tokens per second against batch for {model} ({wd} weights, {kv_dtype} cache, {context:,}-token "
           f"contexts) on {tp}× {gpu}: " + "; ".join(f"batch {b}: {p:,.1f} per sequence, {t:,.0f} in all"
                                                      for b, p, t in rows)
           + ". Reference lines at 5 and 40 tokens/s.")
    blocks.append({"kind": "plotly", "figure": _figure(rows, batch, d["tokens_per_s_stream"]), "alt": alt})
    return blocks
