"""Does the model fit? Pick a model, a precision and a GPU. The bar compares the weights with the
memory left after the share you keep for the KV cache and activations. Try Llama 3.1 70B at INT4 on
one A100 40GB: the weights alone squeeze in only once you cut the headroom below about 15%. The
quality panel quantizes the book's tiny model the same way and measures it.
"""

import math

from fieldguide import checks, data, memory, models, quant, tinylm

TITLE = "Does it fit on the GPU?"
BADGE = "REAL"
ASSETS = []
MODELS = {"8B": "Llama-3.1-8B", "70B": "Llama-3.1-70B", "405B": "Llama-3.1-405B", "Mixtral": "Mixtral-8x7B"}
GPUS = ["RTX 4090", "A100 40GB", "A100 80GB", "H100 SXM", "H200", "B200"]
CONTROLS = [
    {"name": "model", "kind": "select", "label": "Model",
     "options": [["8B", "Llama 3.1 8B"], ["70B", "Llama 3.1 70B"], ["405B", "Llama 3.1 405B"],
                 ["Mixtral", "Mixtral 8x7B"], ["custom", "custom size"]], "default": "70B"},
    {"name": "custom_b", "kind": "range", "label": "Custom model size (billion parameters)", "min": 0.5,
     "max": 1000.0, "default": 30.0, "scale": "log"},
    {"name": "precision", "kind": "select", "label": "Weight precision",
     "options": [[k, v[0]] for k, v in quant.PRECISIONS.items()], "default": "int4"},
    {"name": "kv_headroom", "kind": "range", "label": "Memory kept for KV cache and activations",
     "min": 0.0, "max": 0.4, "step": 0.01, "default": 0.2, "unit": "share"},
    {"name": "gpu", "kind": "select", "label": "GPU", "options": GPUS, "default": "A100 80GB"},
    {"name": "gpus", "kind": "range", "label": "Number of GPUs", "min": 1, "max": 8, "step": 1, "default": 1},
]


def _line(text):
    """A continuation on one line: newlines shown as ↵."""
    return text.replace("\n", " ↵ ")


def render(model="70B", custom_b=30.0, precision="int4", kv_headroom=0.2, gpu="A100 80GB", gpus=1):
    if model not in MODELS and model != "custom":
        raise ValueError(f"Model: unknown choice {model!r}")
    cb = checks.number("Custom model size", custom_b, 0.5, 1000.0)
    label, bpw, setting = quant.precision(precision)
    h = checks.number("Memory kept for KV cache and activations", kv_headroom, 0.0, 0.4)
    if gpu not in GPUS:
        raise ValueError(f"GPU: unknown choice {gpu!r}")
    n = checks.whole("Number of GPUs", gpus, 1, 8)
    spec = data.gpu(gpu)
    cap_gb = memory.gpu_capacity_bytes(gpu) / 1e9
    usable = cap_gb * (1 - h)

    sizes = {k: models.Architecture.preset(v).n_params for k, v in MODELS.items()}
    sizes["custom"] = cb * 1e9
    names = {**{k: MODELS[k] for k in MODELS}, "custom": f"custom {cb:.3g}B"}
    gb = {k: quant.weights_gb(p, bpw) for k, p in sizes.items()}
    need = gb[model]
    fits = need <= usable * n
    min_gpus = math.ceil(need / usable) if usable > 0 else None

    fig = {"data": [
        {"type": "bar", "orientation": "h", "name": f"weights at {label}", "y": [names[k] for k in gb],
         "x": [round(v, 2) for v in gb.values()],
         "marker": {"color": ["#e76f51" if k == model else "#2a9d8f" for k in gb]}},
        {"type": "scatter", "mode": "lines", "name": f"room for weights on {n} × {gpu}",
         "x": [usable * n, usable * n], "y": [names["8B"], names["custom"]], "line": {"color": "#264653", "width": 3}}],
        "layout": {"height": 300, "margin": {"t": 20, "l": 130}, "xaxis": {"title": {"text": "GB (10⁹ bytes)"}, "type": "log"},
                   "legend": {"orientation": "h", "y": -0.3}}}
    alt = (f"Weights at {label} ({bpw:g} bits per weight): "
           + "; ".join(f"{names[k]} {v:.1f} GB" for k, v in gb.items())
           + f". Room for weights on {n} × {gpu} with {h:.0%} kept back: {usable * n:.1f} GB.")
    verdict = (f"{names[model]} at {label} needs {need:.1f} GB of weights; {n} × {gpu} leaves "
               f"{usable * n:.1f} GB after keeping {h:.0%} for the KV cache and activations: "
               + ("it fits." if fits else "it does NOT fit."))
    setting_ppl = quant.perplexity(setting)
    return [
        {"kind": "stats", "items": [
            {"label": "weights", "value": f"{need:.1f}", "unit": "GB", "note": f"{bpw:g} bits/weight incl. scales"},
            {"label": "per GPU", "value": f"{cap_gb:.1f}", "unit": "GB", "note": f"as the driver reports it; labelled {spec['memory_gb']} GB"},
            {"label": "verdict", "value": "fits" if fits else "does not fit"},
            {"label": "minimum GPUs", "value": str(min_gpus) if min_gpus is not None else "—"}]},
        {"kind": "plotly", "figure": fig, "alt": alt},
        {"kind": "text", "text": verdict, "level": "info" if fits else "warn"},
        {"kind": "stats", "items": [
            {"label": "tinylm perplexity, shipped", "value": f"{quant.perplexity():.3f}"},
            {"label": f"tinylm at {label}", "value": f"{setting_ppl:.3f}"}]},
        {"kind": "code", "text": (f"as shipped:  {_line(quant.COMPLETION_PROMPT + quant.completion())}\n"
                                  f"at {label}:  {_line(quant.COMPLETION_PROMPT + quant.completion(setting))}"),
         "caption": f"tinylm's greedy continuation of a fixed prompt, as shipped and with its linear layers at {label}"},
        {"kind": "text", "text": tinylm.scale_note() + f" GPU memory as of {spec['as_of']}; source: {spec['source']}."},
    ]
