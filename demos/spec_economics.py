"""Set the draft's acceptance rate and length and read off tokens per target pass and the speedup.
Notice that tokens per pass keeps climbing with gamma while the speedup peaks and falls (every
drafted token costs draft time, and late ones are rarely accepted), that switching off the bonus
token costs exactly one token per pass, and that raising the concurrency far enough turns the
speedup into a slowdown in this model.
"""

from fieldguide import serving, speculative as sp

TITLE = "What speculation buys: tokens per pass, speedup, best draft length"
BADGE = "TOY"
ASSETS = []
CONTROLS = [
    {"name": "alpha", "kind": "range", "label": "Acceptance per token α", "min": 0, "max": 0.99,
     "step": 0.01, "default": 0.7},
    {"name": "gamma", "kind": "range", "label": "Draft length γ", "min": 1, "max": 10, "step": 1,
     "default": 4},
    {"name": "cost_ratio", "kind": "range", "label": "Draft cost per token c (target passes)",
     "min": 0, "max": 0.5, "step": 0.01, "default": 0.05},
    {"name": "concurrency", "kind": "range", "label": "Concurrent streams B", "min": 1, "max": 256,
     "scale": "log", "default": 1, "unit": "streams"},
    {"name": "count_bonus", "kind": "checkbox", "label": "Count the target's own token (correction or bonus)",
     "default": True},
]


def render(alpha=0.7, gamma=4, cost_ratio=0.05, concurrency=1, count_bonus=True):
    g = int(round(gamma))
    b = max(1, int(round(concurrency)))
    ridge = serving.ridge_batch("H100 SXM", 2)
    tok = sp.expected_tokens(alpha, g, count_bonus)
    s1 = sp.speedup(alpha, g, cost_ratio, count_bonus)
    best = sp.optimal_gamma(alpha, cost_ratio, 10, count_bonus)
    sb = sp.speedup_at_concurrency(alpha, g, cost_ratio, b, ridge, count_bonus)
    gs = list(range(1, 11))
    tokens = [round(sp.expected_tokens(alpha, k, count_bonus), 3) for k in gs]
    speeds = [round(sp.speedup(alpha, k, cost_ratio, count_bonus), 3) for k in gs]
    bs = [1, 2, 4, 8, 16, 32, 64, 96, 128, 192, 256]
    loads = [round(sp.speedup_at_concurrency(alpha, g, cost_ratio, x, ridge, count_bonus), 3) for x in bs]
    fig1 = {"data": [
        {"type": "bar", "x": gs, "y": tokens, "name": "tokens per target pass",
         "marker": {"color": ["#e4572e" if k == g else "#9db4c0" for k in gs]}},
        {"type": "scatter", "mode": "lines+markers", "x": gs, "y": speeds, "name": "speedup (batch 1)"}],
        "layout": {"xaxis": {"title": {"text": "draft length γ"}, "dtick": 1},
                   "yaxis": {"title": {"text": "tokens per pass / speedup ×"}, "rangemode": "tozero"},
                   "height": 300, "margin": {"t": 20, "b": 45, "l": 55, "r": 10},
                   "legend": {"orientation": "h", "y": 1.12}}}
    fig2 = {"data": [{"type": "scatter", "mode": "lines+markers", "x": bs, "y": loads,
                      "name": "speedup under load (model)"},
                     {"type": "scatter", "mode": "lines", "x": [1, 256], "y": [1, 1], "name": "break-even",
                      "line": {"dash": "dot", "color": "#888"}}],
            "layout": {"xaxis": {"title": {"text": "concurrent streams B"}, "type": "log"},
                       "yaxis": {"title": {"text": "speedup × (model)"}, "rangemode": "tozero"},
                       "height": 260, "margin": {"t": 20, "b": 45, "l": 55, "r": 10},
                       "legend": {"orientation": "h", "y": 1.15}}}
    verdict = (f"{sb:.2f}× faster" if sb >= 1 else f"{1 / sb:.2f}× slower") + f" at B = {b}"
    return [
        {"kind": "stats", "items": [
            {"label": "Tokens per target pass", "value": f"{tok:.2f}",
             "note": "accepted + 1" if count_bonus else "accepted drafts only"},
            {"label": "Speedup at B = 1", "value": f"{s1:.2f}×", "note": f"tokens ÷ (γ·c + 1) = {tok:.2f} ÷ {g * cost_ratio + 1:.2f}"},
            {"label": "Best γ (1–10)", "value": str(best),
             "note": f"{sp.speedup(alpha, best, cost_ratio, count_bonus):.2f}×"},
            {"label": "Under load (a model)", "value": verdict,
             "note": f"verify pass priced by the H100 BF16 ridge, B* ≈ {ridge:.0f}"},
        ]},
        {"kind": "plotly", "figure": fig1,
         "alt": f"Tokens per pass and speedup against draft length at α = {alpha:g}, c = {cost_ratio:g}: "
                + "; ".join(f"γ {k}: {t} tokens, {s}×" for k, t, s in zip(gs, tokens, speeds))},
        {"kind": "plotly", "figure": fig2,
         "alt": f"Modelled speedup against concurrency at γ = {g}: "
                + "; ".join(f"B {x}: {y}×" for x, y in zip(bs, loads))},
        {"kind": "text", "text": "The load curve is a model, not a measurement: a target pass over n token positions "
                                 "costs max(1, n / B*) of a batch-1 pass, so verifying γ + 1 positions per stream is "
                                 "free while decoding is memory-bound and paid in full once the batch passes the ridge. "
                                 "It ignores attention, the draft's own ridge and the scheduler."},
    ]
