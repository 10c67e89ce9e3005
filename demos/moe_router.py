"""Route a batch of synthetic tokens through a toy router and watch the load.

Try: with balancing "none", drag the training steps up: the experts that start a little ahead win
more tokens, improve, and win more still until the load histogram shows k experts doing all the
work (the auxiliary loss reaches N/k). Switch balancing to "aux loss" or "bias update" and train
again. Then lower the capacity factor below 1 and count the dropped tokens.
"""

import numpy as np

from fieldguide import moe

TITLE = "A router, its load and the tokens it drops"
BADGE = "TOY"
ASSETS = []
CONTROLS = [
    {"name": "experts", "kind": "select", "label": "Routed experts N", "options": ["8", "16", "64", "256"],
     "default": "8"},
    {"name": "top_k", "kind": "range", "label": "Experts per token k", "min": 1, "max": 8, "step": 1, "default": 2},
    {"name": "shared", "kind": "range", "label": "Shared (always-on) experts", "min": 0, "max": 2, "step": 1,
     "default": 0},
    {"name": "router_temp", "kind": "range", "label": "Router temperature", "min": 0.1, "max": 5, "step": 0.1,
     "default": 1},
    {"name": "skew", "kind": "range", "label": "Initial skew of the router", "min": 0, "max": 3, "step": 0.1,
     "default": 1},
    {"name": "balancing", "kind": "select", "label": "Load balancing",
     "options": [["none", "none"], ["aux", "aux loss (Switch/GShard)"], ["bias", "bias update (DeepSeek-V3)"]],
     "default": "none"},
    {"name": "aux_coef", "kind": "range", "label": "Aux-loss coefficient α (aux loss only)", "min": 1e-4,
     "max": 1e-1, "scale": "log", "default": 1e-2},
    {"name": "gating", "kind": "select", "label": "Gate",
     "options": [["softmax-topk", "softmax → top-k"], ["topk-softmax", "top-k → softmax (Mixtral)"],
                 ["sigmoid", "sigmoid, normalised over the chosen (DeepSeek-V3)"]],
     "default": "softmax-topk"},
    {"name": "capacity_factor", "kind": "range", "label": "Capacity factor", "min": 0.5, "max": 2, "step": 0.05,
     "default": 1.25},
    {"name": "steps", "kind": "range", "label": "Training steps (64 tokens each)", "min": 0, "max": 500,
     "step": 10, "default": 0},
    {"name": "tokens", "kind": "range", "label": "Tokens in the routed batch", "min": 16, "max": 1024,
     "step": 16, "default": 256},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]
SHOWN_TOKENS = 32


def _next_step(balancing, counts):
    over = int((counts > counts.mean()).sum())
    under = int((counts < counts.mean()).sum())
    if balancing == "none":
        return "no push"
    if balancing == "bias":
        return f"{over} biases down, {under} up"
    return f"{over} experts pushed down"


def render(experts="8", top_k=2, shared=0, router_temp=1.0, skew=1.0, balancing="none", aux_coef=1e-2,
           gating="softmax-topk", capacity_factor=1.25, steps=0, tokens=256, seed=0):
    if str(experts) not in ("8", "16", "64", "256"):
        raise ValueError("Routed experts N must be 8, 16, 64 or 256")
    n = int(experts)
    k = int(top_k)
    if not 1 <= k <= 8:
        raise ValueError("Experts per token k must be between 1 and 8")
    if not 0 <= int(shared) <= 2:
        raise ValueError("Shared (always-on) experts must be 0, 1 or 2")
    for label, v, lo, hi in [("Router temperature", router_temp, 0.1, 5), ("Initial skew of the router", skew, 0, 3),
                             ("Aux-loss coefficient α", aux_coef, 1e-4, 1e-1),
                             ("Capacity factor", capacity_factor, 0.5, 2),
                             ("Training steps", steps, 0, 500), ("Tokens in the routed batch", tokens, 16, 1024),
                             ("Seed", seed, 0, 9999)]:
        if not (lo <= float(v) <= hi):
            raise ValueError(f"{label} must be between {lo:g} and {hi:g}, got {v!r}")
    if balancing not in ("none", "aux", "bias"):
        raise ValueError("Load balancing must be none, aux or bias")
    if gating not in moe.GATINGS:
        raise ValueError("Gate must be one of " + ", ".join(moe.GATINGS))
    s = moe.simulate(n, k, int(tokens), gating=gating, temperature=float(router_temp), skew=float(skew),
                     balancing=balancing, aux_coef=float(aux_coef), capacity_factor=float(capacity_factor),
                     steps=int(steps), seed=int(seed))
    sh = int(shared)
    counts = s["counts"]
    cap = s["capacity"]
    over = int((counts > cap).sum())
    ideal = int(tokens) * k / n
    blocks = [{"kind": "stats", "items": [
        {"label": "aux loss N·Σf·P", "value": f"{s['aux']:.3f}", "note": f"1 = uniform, {n / k:g} = collapsed"},
        {"label": "α × aux loss", "value": f"{float(aux_coef) * s['aux']:.2e}",
         "note": "added to the training loss" if balancing == "aux" else "what the loss term would add"},
        {"label": "busiest / mean load", "value": f"{s['imbalance']:.2f}×"},
        {"label": "capacity per expert", "value": str(cap), "unit": "slots",
         "note": f"⌈{float(capacity_factor):g} × {int(tokens)}·{k}/{n}⌉"},
        {"label": "dropped assignments", "value": f"{s['dropped']:,}",
         "note": f"{s['tokens_unserved']:,} tokens got no expert"},
        {"label": "next balancing step", "value": _next_step(balancing, counts),
         "note": {"none": "nothing resists the pull", "aux": "gradient of α·aux on the router",
                  "bias": "selection bias ±0.03, no loss term"}[balancing]},
        {"label": "experts used per token", "value": f"{k} routed + {sh} shared",
         "note": f"{(k + sh) / (n + sh):.1%} of the expert weights"},
    ]}]
    if over:
        blocks.append({"kind": "text", "level": "warn",
                       "text": f"{over} of {n} experts were sent more tokens than their capacity of {cap}."})
    if s["imbalance"] >= 2:
        blocks.append({"kind": "text", "level": "warn",
                       "text": f"Imbalance: the busiest expert gets {s['imbalance']:.1f}× the mean load."})
    names = [f"E{i}" for i in range(n)]
    colors = ["#c0392b" if c > cap else "#2c7fb8" for c in counts]
    blocks.append({"kind": "plotly", "figure": {
        "data": [{"type": "bar", "x": names, "y": counts.tolist(), "marker": {"color": colors}, "name": "load"},
                 {"type": "scatter", "mode": "lines", "x": [names[0], names[-1]], "y": [cap, cap],
                  "name": "capacity", "line": {"dash": "dash", "color": "#444"}},
                 {"type": "scatter", "mode": "lines", "x": [names[0], names[-1]], "y": [ideal, ideal],
                  "name": "even share", "line": {"dash": "dot", "color": "#999"}}],
        "layout": {"title": {"text": "Tokens sent to each routed expert"}, "height": 300,
                   "yaxis": {"title": {"text": "tokens"}}, "margin": {"t": 40, "b": 40}}},
        "alt": f"Load per expert for {int(tokens)} tokens, top-{k} of {n}: "
               + ", ".join(f"E{i} {int(c)}" for i, c in enumerate(counts))
               + f". Capacity {cap}; even share {ideal:g}."})
    t_show = min(SHOWN_TOKENS, int(tokens))
    grid = np.zeros((t_show, n))
    for t in range(t_show):
        for j in range(k):
            grid[t, s["experts"][t, j]] = s["weights"][t, j] if s["kept"][t, j] else -s["weights"][t, j]
    blocks.append({"kind": "plotly", "figure": {
        "data": [{"type": "heatmap", "z": grid.tolist(), "x": names, "y": [f"t{t}" for t in range(t_show)],
                  "zmin": -1, "zmax": 1, "colorscale": [[0, "#c0392b"], [0.5, "#ffffff"], [1, "#08306b"]],
                  "colorbar": {"title": {"text": "gate weight"}}}],
        "layout": {"title": {"text": f"Token → expert gate weights (first {t_show} tokens; red = dropped)"},
                   "height": 360, "yaxis": {"autorange": "reversed"}, "margin": {"t": 40}}},
        "alt": f"First {t_show} tokens and their experts: "
               + "; ".join(f"t{t}: " + ", ".join(f"E{s['experts'][t, j]} {s['weights'][t, j]:.2f}"
                                                 + ("" if s["kept"][t, j] else " dropped") for j in range(k))
                           for t in range(min(t_show, 8))) + "."})
    if s["history_aux"]:
        xs = list(range(1, len(s["history_aux"]) + 1))
        blocks.append({"kind": "plotly", "figure": {
            "data": [{"type": "scatter", "mode": "lines", "x": xs, "y": s["history_aux"], "name": "aux loss"},
                     {"type": "scatter", "mode": "lines", "x": xs, "y": s["history_imbalance"],
                      "name": "busiest / mean"}],
            "layout": {"title": {"text": "During training"}, "height": 260,
                       "xaxis": {"title": {"text": "step"}}, "margin": {"t": 40}}},
            "alt": f"Aux loss from {s['history_aux'][0]:.2f} to {s['history_aux'][-1]:.2f} and busiest/mean "
                   f"load from {s['history_imbalance'][0]:.2f} to {s['history_imbalance'][-1]:.2f} over "
                   f"{len(xs)} steps."})
    blocks.append({"kind": "text", "text": "Synthetic tokens and a simulated training signal: experts that win "
                   "tokens are made to score higher next step (the feedback that collapses real MoEs); "
                   "nothing here is a trained language model."})
    return blocks
