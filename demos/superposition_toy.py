"""Squeeze n features through fewer dimensions and let gradient descent decide what to keep. With
sparse features (sparsity 0.9) five features fit in two dimensions as a pentagon; slide sparsity
towards 0 and the model falls back to keeping only the two most important ones and dropping the
rest. The interference matrix W^T W shows the price: off-diagonal cells are features that leak
into each other, and the bias has to cancel that leak.
"""

import numpy as np

from fieldguide import interp

TITLE = "Superposition in a toy model: more features than dimensions"
BADGE = "TOY"
ASSETS = []

CONTROLS = [
    {"name": "n_features", "kind": "range", "label": "Features n", "min": 2, "max": 20, "step": 1, "default": 5},
    {"name": "hidden", "kind": "range", "label": "Hidden dimensions m", "min": 1, "max": 10, "step": 1, "default": 2},
    {"name": "sparsity", "kind": "range", "label": "Sparsity S (chance a feature is 0)", "min": 0, "max": 0.99,
     "step": 0.01, "default": 0.9},
    {"name": "importance_decay", "kind": "range", "label": "Importance decay (feature i weighs decay^i)",
     "min": 0.5, "max": 1, "step": 0.01, "default": 0.9},
    {"name": "train_steps", "kind": "range", "label": f"Training steps (Adam, batch {interp.TOY_BATCH})", "min": 0, "max": 1000,
     "step": 50, "default": 500},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]


def render(n_features=5, hidden=2, sparsity=0.9, importance_decay=0.9, train_steps=500, seed=0):
    n, m = int(n_features), int(hidden)
    r = interp.toy_superposition(n, m, float(sparsity), float(importance_decay), int(train_steps), int(seed))
    W, b = r["W"], r["b"]
    geo = interp.toy_geometry(W)
    norms, sup = geo["norms"], geo["superposition"]
    names = [f"f{i}" for i in range(n)]

    stats = {"kind": "stats", "items": [
        {"label": "Reconstruction loss", "value": f"{r['loss']:.4f}",
         "note": f"importance-weighted squared error, {r['steps']} steps"},
        {"label": "Without superposition", "value": f"{r['baseline_loss']:.4f}",
         "note": f"best {min(m, n)} features in their own dimensions, the rest replaced by their mean"},
        {"label": "Features represented", "value": f"{geo['represented']} of {n}",
         "note": f"‖W_i‖ > 0.5, in {m} dimension{'s' if m > 1 else ''}: "
                 f"{geo['features_per_dim']:.2f} per dimension"},
        {"label": "Most superposed feature", "value": f"{names[int(np.argmax(sup))]} ({sup.max():.2f})",
         "note": "Σ over other features of (unit W_i · W_j)²; 0 = a dimension of its own"},
    ]}

    traces = []
    for i in range(n):
        c = PALETTE[i % len(PALETTE)]
        if m >= 2:
            traces.append({"type": "scatter", "mode": "lines+markers", "name": names[i],
                           "x": [0, round(float(W[0, i]), 4)], "y": [0, round(float(W[1, i]), 4)],
                           "line": {"color": c, "width": 1 + 3 * float(r["importance"][i])},
                           "marker": {"size": [0, 8]}})
        else:
            traces.append({"type": "scatter", "mode": "markers", "name": names[i],
                           "x": [round(float(W[0, i]), 4)], "y": [i], "marker": {"color": c, "size": 9}})
    lim = max(1.2, float(np.abs(W[:2]).max()) * 1.1) if W.size else 1.2
    where = ("W's columns in the 2 hidden dimensions" if m == 2 else
             "W's columns projected on hidden dimensions 1 and 2 (of " + str(m) + ")" if m > 2 else
             "W's columns on the single hidden dimension (y: feature index)")
    directions = {"kind": "plotly", "figure": {"data": traces, "layout": {
        "title": {"text": f"Feature directions: {where}"}, "height": 380, "showlegend": n <= 10,
        "xaxis": {"range": [-lim, lim], "zeroline": True, "title": {"text": "hidden 1"}},
        "yaxis": ({"range": [-lim, lim], "scaleanchor": "x", "title": {"text": "hidden 2"}} if m >= 2
                  else {"title": {"text": "feature"}})}},
        "alt": "Feature directions (column of W per feature, first two hidden dims): " + "; ".join(
            f"{names[i]} ({W[0, i]:.2f}" + (f", {W[1, i]:.2f}" if m >= 2 else "") + ")" for i in range(n))}

    gram = geo["gram"]
    zmax = round(max(float(np.abs(gram).max()), 1e-6), 3)       # symmetric: 0 is white
    heat = {"kind": "plotly", "figure": {"data": [{
        "type": "heatmap", "z": [[round(float(v), 3) for v in row] for row in gram], "x": names, "y": names,
        "colorscale": [[0, "#2166ac"], [0.5, "#f7f7f7"], [1, "#b2182b"]], "zmin": -zmax, "zmax": zmax,
        "colorbar": {"title": {"text": "WᵀW"}}}],
        "layout": {"title": {"text": "Interference WᵀW (diagonal: ‖W_i‖²; off-diagonal: leakage)"},
                   "height": 360, "yaxis": {"autorange": "reversed"}}},
        "alt": f"{n}x{n} matrix W^T W. Diagonal: " + ", ".join(f"{gram[i, i]:.2f}" for i in range(n))
               + ". Largest off-diagonal magnitude: "
               + f"{np.abs(gram - np.diag(np.diag(gram))).max():.2f}. Bias: "
               + ", ".join(f"{v:.2f}" for v in b) + "."}

    bars = {"kind": "plotly", "figure": {"data": [{
        "type": "bar", "x": names, "y": [round(float(v), 3) for v in norms],
        "marker": {"color": [round(float(min(s, 1.0)), 3) for s in sup], "colorscale": "Viridis",
                   "cmin": 0, "cmax": 1, "colorbar": {"title": {"text": "superposition"}}},
        "customdata": [round(float(s), 3) for s in sup],
        "hovertemplate": "%{x}: ‖W_i‖ = %{y}, superposition %{customdata}<extra></extra>"}],
        "layout": {"title": {"text": "Each feature's norm ‖W_i‖ (colour: how much it shares its direction)"},
                   "height": 300, "yaxis": {"title": {"text": "‖W_i‖"}, "rangemode": "tozero"}}},
        "alt": "Feature norms: " + ", ".join(f"{names[i]} {norms[i]:.2f} (superposition {sup[i]:.2f})"
                                             for i in range(n))}

    blocks = [stats, directions, heat, bars]
    if r["curve_steps"]:
        blocks.append({"kind": "plotly", "figure": {"data": [
            {"type": "scatter", "mode": "lines", "name": "training batch loss", "x": r["curve_steps"],
             "y": [round(v, 5) for v in r["curve_loss"]]},
            {"type": "scatter", "mode": "lines", "name": "no superposition (eval)", "x": [0, r["steps"]],
             "y": [round(r["baseline_loss"], 5)] * 2, "line": {"dash": "dot"}}],
            "layout": {"title": {"text": "Loss while training"}, "height": 260,
                       "xaxis": {"title": {"text": "step"}}, "yaxis": {"title": {"text": "loss"}, "rangemode": "tozero"},
                       "legend": {"orientation": "h", "y": -0.35}}},
            "alt": f"Training loss from {r['curve_loss'][0]:.4f} at step 0 to {r['curve_loss'][-1]:.4f} at step "
                   f"{r['curve_steps'][-1]}; evaluation loss {r['loss']:.4f}; without superposition "
                   f"{r['baseline_loss']:.4f}."})
    else:
        blocks.append({"kind": "text", "text": "0 steps: this is the random initial W, before any training."})
    return blocks
