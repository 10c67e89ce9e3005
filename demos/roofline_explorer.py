"""Why does a GPU that does a petaFLOP per second write only tens of tokens per second?

The roofline: a kernel that does I FLOPs per byte it reads can go no faster than I × bandwidth,
nor faster than the chip's peak. Both the prefill of your prompt and one decode step are marked.

Try: decode at batch 1 sits at 1 FLOP/byte, far left of the ridge — the tensor cores idle more than
99% of the time. Drag the batch up: the point climbs the slope until it meets the ridge near 295 on
an H100. Switch the weights to 1 byte or 0.5: the decode point moves right. A 2,048-token prefill
is already past the ridge; that is why prompts are fast and answers slow.
"""

import math

from fieldguide import data, serving
from fieldguide.units import compact

TITLE = "The roofline: prefill vs decode"
BADGE = "REAL"
ASSETS = []
GPUS = [n for n, g in data.gpus().items() if g.get("bf16_tflops")]
CONTROLS = [
    {"name": "gpu", "kind": "select", "label": "GPU (dense peaks)", "options": GPUS, "default": "H100 SXM"},
    {"name": "phase", "kind": "select", "label": "Phase described below",
     "options": [["decode", "Decode (one token per sequence)"], ["prefill", "Prefill (the whole prompt)"]],
     "default": "decode"},
    {"name": "batch", "kind": "range", "label": "Decode batch (sequences)", "min": 1, "max": 1024,
     "default": 1, "scale": "log"},
    {"name": "prompt_tokens", "kind": "range", "label": "Prompt length (prefill tokens)", "min": 1,
     "max": 32768, "default": 2048, "scale": "log"},
    {"name": "weight_bytes", "kind": "select", "label": "Bytes per weight",
     "options": [[2, "2 (BF16)"], [1, "1 (FP8, FP8 maths)"], [0.5, "0.5 (INT4 weight-only, BF16 maths)"]],
     "default": 2},
    {"name": "params", "kind": "range", "label": "Parameters N", "min": 1e9, "max": 7e11,
     "default": 70e9, "scale": "log", "unit": "parameters"},
]


def _figure(gpu, dec, pre):
    bw = serving.bandwidth(gpu)
    peak = dec["peak"]
    xs = [0.1, dec["ridge"], 1e5]
    roof = {"type": "scatter", "mode": "lines", "name": f"{gpu} roofline ({dec['compute_dtype']})",
            "x": xs, "y": [min(peak, x * bw) / 1e12 for x in xs], "line": {"color": "#264653", "width": 3}}
    pts = {"type": "scatter", "mode": "markers+text", "name": "this workload",
           "x": [dec["intensity"], pre["intensity"]], "y": [dec["attainable"] / 1e12, pre["attainable"] / 1e12],
           "text": ["decode", "prefill"], "textposition": ["top right", "bottom right"],
           "marker": {"size": 13, "color": ["#e76f51", "#2a9d8f"]}}
    layout = {"xaxis": {"title": {"text": "arithmetic intensity (FLOP per byte)"}, "type": "log", "range": [-1, 5]},
              "yaxis": {"title": {"text": "attainable TFLOP/s"}, "type": "log"},
              "shapes": [{"type": "line", "x0": dec["ridge"], "x1": dec["ridge"], "yref": "paper", "y0": 0, "y1": 1,
                          "line": {"dash": "dot", "color": "#999999"}}],
              "annotations": [{"x": math.log10(dec["ridge"]), "y": 1.02,
                               "yref": "paper", "text": f"ridge {dec['ridge']:.0f} FLOP/B", "showarrow": False}],
              "legend": {"orientation": "h", "y": -0.25}, "margin": {"t": 30}}
    return {"data": [roof, pts], "layout": layout}


def render(gpu="H100 SXM", phase="decode", batch=1, prompt_tokens=2048, weight_bytes=2, params=70e9):
    batch, prompt_tokens = int(round(batch)), int(round(prompt_tokens))
    wb = float(weight_bytes)
    try:
        dec = serving.weights_pass(gpu, params, batch, wb)
        pre = serving.weights_pass(gpu, params, prompt_tokens, wb)
    except ValueError as e:                      # e.g. FP8 on a GPU without FP8 tensor cores
        return [{"kind": "text", "level": "error", "text": str(e)}]
    cur = dec if phase == "decode" else pre
    time_ms = cur["time_s"] * 1e3
    items = [
        {"label": "Arithmetic intensity", "value": f"{cur['intensity']:.3g}", "unit": "FLOP/byte",
         "note": (f"2 × {batch:,} / {wb:g}" if phase == "decode" else f"2 × {prompt_tokens:,} / {wb:g}")},
        {"label": "Attainable", "value": f"{cur['attainable'] / 1e12:.4g}", "unit": "TFLOP/s",
         "note": f"{cur['pct_peak']:.1%} of the {cur['peak'] / 1e12:.4g} TFLOP/s dense {cur['compute_dtype']} peak"},
        {"label": "Bound", "value": cur["bound"] + "-bound",
         "note": f"ridge at {cur['ridge']:.0f} FLOP/byte = peak ÷ {serving.bandwidth(gpu) / 1e12:g} TB/s"},
        {"label": "Ridge batch", "value": f"{cur['ridge_batch']:.0f}", "unit": "sequences",
         "note": "decode batch where weight reads stop binding"},
    ]
    if phase == "decode":
        items.append({"label": "Step time (weights only)", "value": f"{time_ms:.3g} ms",
                      "note": f"{batch / cur['time_s']:,.0f} tokens/s in all, {1 / cur['time_s']:,.1f} per sequence"})
    else:
        items.append({"label": "Prefill time (weights only)", "value": f"{time_ms:.3g} ms",
                      "note": f"{prompt_tokens / cur['time_s']:,.0f} prompt tokens/s; sets time to first token"})
    alt = (f"Log-log roofline for {gpu}: bandwidth slope {serving.bandwidth(gpu) / 1e12:g} TB/s up to a flat "
           f"peak of {dec['peak'] / 1e12:.4g} TFLOP/s, ridge at {dec['ridge']:.0f} FLOP/byte. Decode at batch "
           f"{batch}: {dec['intensity']:.3g} FLOP/byte, {dec['attainable'] / 1e12:.4g} TFLOP/s. Prefill of "
           f"{prompt_tokens:,} tokens: {pre['intensity']:.3g} FLOP/byte, {pre['attainable'] / 1e12:.4g} TFLOP/s. "
           f"Model {compact(params)} parameters at {wb:g} bytes each.")
    return [{"kind": "stats", "items": items},
            {"kind": "plotly", "figure": _figure(gpu, dec, pre), "alt": alt},
            {"kind": "text", "text": "Counts weight traffic only: the KV cache and activations add bytes and "
                                     "pull both points left; see the decode floor calculator for the full step."}]
