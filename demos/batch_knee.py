"""Step time and throughput against batch size, on the roofline, for a real model on a real GPU.

Try: Llama-3.1-8B on an H100 at 2K context. Up to a few dozen sequences the step time barely moves —
every sequence shares one read of the weights — so throughput grows almost in proportion to the batch.
Past the knee the KV-cache reads and the arithmetic grow with B and throughput flattens. Tighten the
time-per-token SLO, or lengthen the context, and watch which limit bites first: latency or memory.
Tick the box to overlay the table a source prints (a 70B-class model on H100s, as the source states it).
"""

from fieldguide import batching, checks, data, memory, models

TITLE = "The batch knee: step time, throughput and the SLO"
BADGE = "REAL"
ASSETS = []


def _usable(name):
    try:
        batching.StepModel.from_preset(name, "H100 SXM")
        return True
    except ValueError:
        return False


MODELS = [n for n in models.preset_names() if not models.preset_record(n).get("hypothetical") and _usable(n)]
GPUS = [g for g, r in data.gpus().items() if r.get("bf16_tflops")]
CONTROLS = [
    {"name": "model", "kind": "select", "label": "Model (BF16 weights and cache)", "options": MODELS,
     "default": "Llama-3.1-8B"},
    {"name": "gpu", "kind": "select", "label": "GPU (one)", "options": GPUS, "default": "H100 SXM"},
    {"name": "context", "kind": "range", "label": "Context per sequence (tokens)", "min": 512, "max": 32768,
     "default": 2048, "scale": "log"},
    {"name": "tpot_slo", "kind": "range", "label": "Time-per-output-token SLO (ms)", "min": 10, "max": 200,
     "step": 1, "default": 40},
    {"name": "table", "kind": "checkbox", "label": "Overlay the source's table", "default": False},
]


def render(model="Llama-3.1-8B", gpu="H100 SXM", context=2048, tpot_slo=40, table=False):
    ctx = int(round(checks.number("context", context, 512, 32768)))
    slo = checks.number("time-per-token SLO", tpot_slo, 10, 200)
    c = batching.throughput_curve(model, gpu, ctx, slo)
    fits = c["kv_fit_batch"]
    blocks = []
    if fits < 1:
        blocks.append({"kind": "text", "level": "warn",
                       "text": f"{model} in BF16 does not fit one {gpu} with a {ctx:,}-token cache; the "
                               f"times below assume it did (split it over GPUs in the parallelism chapter)."})
    limit = "memory (the KV cache)" if fits < c["slo_batch"] else "latency (the SLO)"
    items = [
        {"label": "Step time at batch 1", "value": f"{c['step_s'][0] * 1e3:.2f} ms",
         "note": f"{c['tokens_per_s'][0]:,.0f} tok/s for one user"},
        {"label": "Knee (step time ≤ 2× batch 1)", "value": f"B = {c['knee']}",
         "note": f"{c['tokens_per_s'][c['batches'].index(c['knee'])]:,.0f} tok/s"},
        {"label": f"Largest batch within {slo:.0f} ms/token", "value": f"{c['slo_batch']:,}"},
        {"label": f"Sequences of {ctx:,} tokens whose cache fits", "value": f"{max(fits, 0):,}",
         "note": f"binding limit: {limit}"},
    ]
    traces = [{"type": "scatter", "mode": "lines+markers", "name": "throughput, roofline model (tok/s)",
               "x": c["batches"], "y": c["tokens_per_s"], "line": {"color": "#264653"}}]
    alt = (f"Throughput against batch for {model} on one {gpu} at {ctx:,} tokens of context (roofline model): "
           + "; ".join(f"B {b}: step {s * 1e3:.2f} ms, {t:,.0f} tok/s"
                       for b, s, t in zip(c["batches"], c["step_s"], c["tokens_per_s"])))
    if table:
        t = batching.throughput_curve(model, gpu, ctx, slo, table=True)
        traces.append({"type": "scatter", "mode": "markers", "name": "source table (tok/s)", "x": t["batches"],
                       "y": t["tokens_per_s"], "marker": {"color": "#e76f51", "size": 10}})
        items.append({"label": "Source table: knee, SLO batch", "value": f"B = {t['knee']}, {t['slo_batch']}",
                      "note": "T_B = " + " / ".join(f"{s * 1e3:.0f}" for s in t["step_s"]) + " ms"})
        alt += ". Source table: " + "; ".join(f"B {b}: {s * 1e3:.0f} ms, {v:,.1f} tok/s"
                                              for b, s, v in zip(t["batches"], t["step_s"], t["tokens_per_s"]))
    shapes = [{"type": "line", "x0": x, "x1": x, "xref": "x", "yref": "paper", "y0": 0, "y1": 1,
               "line": {"dash": dash, "color": col}}
              for x, dash, col in ((c["slo_batch"], "dash", "#2a9d8f"), (max(fits, 1), "dot", "#e76f51"))
              if 1 <= x <= 1024]
    layout = {"xaxis": {"title": {"text": "batch B (sequences per step)"}, "type": "log"},
              "yaxis": {"title": {"text": "output tokens per second"}},
              "shapes": shapes, "legend": {"orientation": "h", "y": -0.25}, "margin": {"t": 20}}
    alt += (f". Dashed line: largest batch within the SLO ({c['slo_batch']:,}); dotted: KV-cache limit "
            f"({max(fits, 0):,}).")
    blocks += [{"kind": "stats", "items": items},
               {"kind": "plotly", "figure": {"data": traces, "layout": layout}, "alt": alt},
               {"kind": "text", "text": f"Weights and KV cache: {memory.human_bytes(memory.weights_bytes(model))} "
                                        f"of weights; {memory.human_bytes(memory.kv_cache_bytes(model, ctx))} of "
                                        f"cache per {ctx:,}-token sequence. Times are a roofline model at full "
                                        f"bandwidth and peak, not a benchmark."}]
    return blocks
