"""Pick a real model and a GPU and read off the smallest split that holds its weights. The default,
Llama 3.1 405B in BF16 on 8-GPU H100 servers, does not fit one server: tensor parallel 8 inside
each and two pipeline stages across two. Switch to FP8 and it fits one server; pick DeepSeek-V3 and
expert parallelism appears. The free memory left per GPU is what gradients, optimizer state and
activations have to share — which is why real training runs use far more GPUs than this minimum.
"""

from fieldguide import data, models, parallel

TITLE = "Parallelism planner: the smallest layout that holds the weights"
BADGE = "REAL"
ASSETS = []
MODELS = [n for n, p in models.presets().items() if not p.get("hypothetical")]
GPUS = [n for n, g in data.gpus().items() if (g.get("nvlink") or "")[7:8].isdigit()]
CONTROLS = [
    {"name": "model", "kind": "select", "label": "Model", "options": MODELS, "default": "Llama-3.1-405B"},
    {"name": "precision", "kind": "select", "label": "Weight precision",
     "options": [["bf16", "BF16 (2 bytes)"], ["fp8", "FP8 (1 byte)"]], "default": "bf16"},
    {"name": "gpu", "kind": "select", "label": "GPU", "options": GPUS, "default": "H100 SXM"},
    {"name": "gpus_per_node", "kind": "select", "label": "GPUs per server (NVLink domain)", "options": [4, 8],
     "default": 8},
    {"name": "moe", "kind": "checkbox", "label": "Use expert parallelism (MoE models)", "default": False},
]


def _gb(x):
    return f"{x / 1e9:,.1f} GB"


def render(model="Llama-3.1-405B", precision="bf16", gpu="H100 SXM", gpus_per_node=8, moe=False):
    if model not in MODELS:
        raise ValueError(f"Model: unknown {str(model)[:40]!r}.")
    if precision not in ("bf16", "fp8"):
        raise ValueError("Weight precision: choose bf16 or fp8.")
    if gpu not in GPUS:
        raise ValueError(f"GPU: choose one of {', '.join(GPUS)}.")
    try:
        g = int(gpus_per_node)
    except (TypeError, ValueError):
        raise ValueError("GPUs per server (NVLink domain): choose 4 or 8.") from None
    if g not in (4, 8):
        raise ValueError("GPUs per server (NVLink domain): choose 4 or 8.")
    arch = models.Architecture.preset(model)
    r = parallel.plan(arch, gpu, g, precision, moe=bool(moe))
    layout = f"TP {r['tp']} × PP {r['pp']}" + (f" (EP {r['ep']})" if r["ep"] > 1 else "")
    if not arch.is_moe:
        ep_note = "dense model: no experts"
    elif not moe:
        ep_note = "off: experts are cut by TP like any matrix"
    else:
        ep_note = f"EP {r['ep']}" if r["ep"] > 1 else "not needed: fits on one GPU"
    stats = {"kind": "stats", "items": [
        {"label": "Minimum layout", "value": layout,
         "note": f"{r['gpus']} GPU{'s' if r['gpus'] > 1 else ''} on {r['nodes']} server{'s' if r['nodes'] > 1 else ''}"},
        {"label": "Weights", "value": _gb(r["weights_total"]),
         "note": f"one server holds {_gb(r['node_capacity'])}"},
        {"label": "Weights per GPU", "value": _gb(r["weights_per_gpu"]),
         "note": f"of {_gb(r['capacity'])}; {_gb(r['free_per_gpu'])} left"},
        {"label": "Expert parallel", "value": ep_note},
    ]}
    labels = [f"TP{t['tp']}" + (f"×PP{t['pp']}" if t["pp"] > 1 else "") + (f" EP{t['ep']}" if t["ep"] > 1 else "")
              for t in r["tried"]]
    vals = [t["per_gpu"] / 1e9 for t in r["tried"]]
    fig = {"data": [{"type": "bar", "x": labels, "y": vals,
                     "marker": {"color": ["#2a9d8f" if v * 1e9 <= r["capacity"] else "#e76f51" for v in vals]}}],
           "layout": {"height": 300, "margin": {"t": 30, "l": 60},
                      "title": {"text": f"Weights per GPU for each layout tried ({gpu}, {precision.upper()})"},
                      "yaxis": {"title": {"text": "GB per GPU"}, "rangemode": "tozero"},
                      "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": r["capacity"] / 1e9,
                                  "y1": r["capacity"] / 1e9, "line": {"color": "#264653", "dash": "dash"}}]}}
    alt = (f"{model} in {precision.upper()} on {gpu}, {g} per server: " +
           "; ".join(f"{lab} needs {v:,.1f} GB per GPU" for lab, v in zip(labels, vals)) +
           f". Capacity {r['capacity'] / 1e9:,.1f} GB per GPU. Answer: {layout}.")
    out = [stats, {"kind": "plotly", "figure": fig, "alt": alt},
           {"kind": "text", "text": f"Rule applied: {r['rule']}."},
           {"kind": "text", "level": "info",
            "text": f"Training needs more than weights: with mixed-precision Adam (16 bytes per parameter) "
                    f"the state alone is {r['train_state_total'] / 1e12:,.2f} TB, at least "
                    f"{r['min_gpus_full_shard']:,} of these GPUs even fully sharded — before activations."}]
    if moe and not arch.is_moe:
        out.append({"kind": "text", "level": "warn",
                    "text": f"{model} is dense: there are no experts to spread, so expert parallelism changes nothing."})
    return out
