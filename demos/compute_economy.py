"""What does a training run cost? Pick a model size and a tokens-per-parameter ratio, then the
hardware: the stats turn 6·N·D FLOPs into GPU-hours, GPU-years, days on your cluster and dollars.

Try: leave N at 70B and drag tokens per parameter from 20 to 214 (Llama 3 70B) — the bill grows
about elevenfold. Then halve the MFU, or swap H100s for A100s. Notice on the chart that every run
on the grey iso-compute line costs the same; the diamond is where the 20-tokens-per-parameter rule
would spend that same budget.
"""

from fieldguide import scaling
from fieldguide.units import compact, sci

TITLE = "The compute economy of a training run"
BADGE = "REAL"
ASSETS = []
GPUS = ["H100 SXM", "H200", "B200", "A100 80GB"]
# published runs drawn on the chart, with label positions that keep neighbours apart
RUNS = {"GPT-3 175B": "bottom left", "Gopher 280B": "bottom right", "Chinchilla 70B": "top left",
        "Llama 3 8B": "top center", "Llama 3 70B": "top center", "Llama 3 405B": "top center",
        "Qwen3-0.6B": "top center"}
CONTROLS = [
    {"name": "params", "kind": "range", "label": "Parameters N", "min": 1e8, "max": 2e12,
     "default": 70e9, "scale": "log", "unit": "parameters"},
    {"name": "tokens_per_param", "kind": "range", "label": "Training tokens per parameter (D / N)",
     "min": 1, "max": 2000, "default": 20, "scale": "log"},
    {"name": "gpu", "kind": "select", "label": "GPU (dense BF16 peak)", "options": GPUS,
     "default": "H100 SXM"},
    {"name": "mfu", "kind": "range", "label": "Model FLOPs utilisation (MFU)", "min": 0.1,
     "max": 0.7, "step": 0.01, "default": 0.4},
    {"name": "n_gpus", "kind": "range", "label": "GPUs in the cluster", "min": 8, "max": 100000,
     "default": 16384, "scale": "log"},
    {"name": "usd_per_gpu_hour", "kind": "range", "label": "Price per GPU-hour (US$)", "min": 0.5,
     "max": 10, "step": 0.05, "default": 2.0},
]


def _duration(days: float) -> str:
    hours = days * 24
    if hours < 1 / 60:
        return f"{hours * 3600:.3g} seconds"
    if hours < 1:
        return f"{hours * 60:.3g} minutes"
    if days < 1:
        return f"{hours:.3g} hours"
    if days > 730:
        return f"{compact(days / 365.25)} years"
    return f"{days:.3g} days"


def _money(usd: float) -> str:
    return "$" + compact(usd)


def _figure(n, d, c, n_opt, d_opt, runs):
    lo, hi = 1e8, 2e12
    chin = {"type": "scatter", "mode": "lines", "name": "Chinchilla, D = 20·N",
            "x": [lo, hi], "y": [20 * lo, 20 * hi], "line": {"dash": "dash", "color": "#2a9d8f"}}
    # every (N, D) with 6·N·D = C: a straight line of slope -1 on log axes
    iso_x = [x for x in (lo, hi) ]
    iso = {"type": "scatter", "mode": "lines", "name": "same compute",
           "x": iso_x, "y": [c / (6 * x) for x in iso_x], "line": {"color": "#999999", "width": 1}}
    real = {"type": "scatter", "mode": "markers+text", "name": "published",
            "x": [r["n_params"] for r in runs], "y": [r["n_tokens"] for r in runs],
            "text": [r["name"] for r in runs], "textposition": [RUNS[r["name"]] for r in runs],
            "marker": {"size": 8, "color": "#555555"},
            "hovertext": [f"{r['name']}: {compact(r['n_tokens'] / r['n_params'])} tokens/param"
                          for r in runs]}
    opt = {"type": "scatter", "mode": "markers", "name": "optimum at this compute",
           "x": [n_opt], "y": [d_opt], "marker": {"symbol": "diamond", "size": 13, "color": "#2a9d8f"}}
    you = {"type": "scatter", "mode": "markers", "name": "this run", "x": [n], "y": [d],
           "marker": {"symbol": "star", "size": 18, "color": "#e76f51"}}
    layout = {"xaxis": {"title": {"text": "parameters N"}, "type": "log", "range": [8, 12.5]},
              "yaxis": {"title": {"text": "training tokens D"}, "type": "log", "range": [8, 16]},
              "legend": {"orientation": "h", "y": -0.2}, "margin": {"t": 20}}
    return {"data": [chin, iso, real, opt, you], "layout": layout}


def render(params=70e9, tokens_per_param=20, gpu="H100 SXM", mfu=0.4, n_gpus=16384,
           usd_per_gpu_hour=2.0):
    n = float(params)
    d = n * float(tokens_per_param)
    n_gpus = round(n_gpus)
    c = scaling.train_flops(n, d)
    hours = scaling.gpu_hours(c, gpu, mfu)
    years = scaling.gpu_years(c, gpu, mfu)
    days = scaling.wall_clock_days(c, gpu, mfu, n_gpus)
    usd = scaling.training_cost_usd(c, gpu, mfu, usd_per_gpu_hour)
    n_opt, d_opt = scaling.chinchilla_rule(c)
    ratio = tokens_per_param / scaling.CHINCHILLA_TOKENS_PER_PARAM
    peak = scaling.peak_flops(gpu) / 1e12

    stats = {"kind": "stats", "items": [
        {"label": "Training tokens D", "value": compact(d), "unit": "tokens",
         "note": f"{tokens_per_param:.3g} per parameter, {ratio:.3g}× Chinchilla's 20"},
        {"label": "Training compute 6·N·D", "value": sci(c), "unit": "FLOP"},
        {"label": "GPU-hours", "value": compact(hours), "unit": f"{gpu}-hours",
         "note": f"at {peak:g} TFLOP/s peak × {mfu:.0%} MFU"},
        {"label": "GPU-years", "value": compact(years), "unit": "GPU-years (365.25 days)"},
        {"label": "Wall clock", "value": _duration(days), "note": f"on {n_gpus:,} GPUs"},
        {"label": "Compute bill", "value": _money(usd),
         "note": f"at ${usd_per_gpu_hour:.2f} per GPU-hour, rental only"},
    ]}
    runs = [r for r in scaling.training_runs() if r["name"] in RUNS]
    fig = _figure(n, d, c, n_opt, d_opt, runs)
    alt = (f"Log-log plot of training tokens against parameters. This run: N = {compact(n)}, "
           f"D = {compact(d)}, C = {sci(c)} FLOP. The Chinchilla line D = 20N passes through "
           f"the compute-optimal point for the same budget at N = {compact(n_opt)}, "
           f"D = {compact(d_opt)}. Published runs: "
           + "; ".join(f"{r['name']} ({compact(r['n_params'])}, {compact(r['n_tokens'])} tokens)"
                       for r in runs) + ".")
    if tokens_per_param > 25:
        verdict = (f"Over-trained: the same {sci(c)} FLOP could train a {compact(n_opt)} model "
                   f"on {compact(d_opt)} tokens, which by Chinchilla's result would reach a lower "
                   f"loss. A smaller model is cheaper to serve, which is why labs do this on purpose.")
    elif tokens_per_param < 15:
        verdict = (f"Under-trained by the Chinchilla rule: for {sci(c)} FLOP it would pick a "
                   f"{compact(n_opt)} model on {compact(d_opt)} tokens instead.")
    else:
        verdict = "Close to compute-optimal by the 20-tokens-per-parameter rule."
    return [stats, {"kind": "plotly", "figure": fig, "alt": alt}, {"kind": "text", "text": verdict}]
