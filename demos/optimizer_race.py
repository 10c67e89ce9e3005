"""Four optimizers race down the same surface from the same start, with the same noise.

Try: on the bowl, raise the learning rate past about 0.067 (= 2 / the steep curvature 30) and
watch SGD zig-zag, then blow up; momentum and Adam survive longer. Switch off bias correction and
read Adam's first step: three times too long. On "narrow + wide basins", set noise 2, learning
rate 0.07 and 300 steps, and change the seed: SGD keeps getting kicked out of the sharp basin into
the wide one, while Adam, whose steps noise cannot lengthen, mostly stays put.
On Rosenbrock, SGD diverges at any rate above a few thousandths while Adam follows the curved valley.
"""

from fieldguide import optim

TITLE = "Optimizer race: SGD, momentum, Adam and AdamW on one surface"
BADGE = "TOY"
ASSETS = []
NAMES = {"sgd": "SGD", "momentum": "Momentum", "adam": "Adam", "adamw": "AdamW (λ = 0.1)"}
COLOURS = {"sgd": "#e63946", "momentum": "#f4a261", "adam": "#2a9d8f", "adamw": "#6a4c93"}
CONTROLS = [
    {"name": "surface", "kind": "select", "label": "Loss surface",
     "options": [[k, s.label] for k, s in optim.SURFACES.items()], "default": "bowl"},
    {"name": "optimizer", "kind": "select", "label": "Highlighted optimizer",
     "options": [[k, v] for k, v in NAMES.items()], "default": "sgd"},
    {"name": "lr", "kind": "range", "label": "Learning rate", "min": 0.001, "max": 1.0,
     "scale": "log", "default": 0.05},
    {"name": "noise", "kind": "range", "label": "Gradient noise σ (minibatch stand-in)",
     "min": 0, "max": 2, "step": 0.05, "default": 0},
    {"name": "beta1", "kind": "range", "label": "β₁ (momentum and Adam's first EMA)",
     "min": 0, "max": 0.99, "step": 0.01, "default": 0.9},
    {"name": "bias_correction", "kind": "checkbox", "label": "Bias correction (momentum, Adam)",
     "default": True},
    {"name": "steps", "kind": "range", "label": "Steps", "min": 10, "max": 500, "step": 10,
     "default": 100},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1,
     "default": 0},
]


def _outcome(r):
    if r["diverged_at"] is not None:
        return f"diverged at step {r['diverged_at']}"
    if r["grew"]:
        return "loss rising: diverging"
    return r["basin"]


def render(surface="bowl", optimizer="sgd", lr=0.05, noise=0.0, beta1=0.9,
           bias_correction=True, steps=100, seed=0):
    s = optim.surface(surface)
    runs = optim.race(surface, lr=lr, steps=steps, noise=noise, beta1=beta1,
                      bias_correction=bias_correction, seed=seed)
    me = runs[optimizer]
    xs, ys, Z = s.grid(40)
    shade = "log10(1 + loss)" if s.log_contours else "loss"
    path = [{"type": "heatmap", "x": xs, "y": ys, "z": Z, "showscale": False, "zsmooth": "best",
             "colorscale": [[0, "#ffffff"], [1, "#5b7fb5"]], "name": shade,
             "hovertemplate": f"x %{{x:.2f}}, y %{{y:.2f}}<br>{shade} %{{z:.3g}}<extra></extra>"}]
    curves = []
    order = [o for o in runs if o != optimizer] + [optimizer]      # highlighted one on top
    for o in order:
        r, mine = runs[o], o == optimizer
        line = {"color": COLOURS[o], "width": 3 if mine else 1.5}
        path.append({"type": "scatter", "mode": "lines+markers" if mine else "lines",
                     "x": r["x"], "y": r["y"], "name": NAMES[o], "line": line,
                     "marker": {"size": 4}, "opacity": 1 if mine else 0.55})
        curves.append({"type": "scatter", "mode": "lines", "x": list(range(len(r["loss"]))),
                       "y": r["loss"], "name": NAMES[o], "line": line,
                       "opacity": 1 if mine else 0.55, "showlegend": False})
    path.append({"type": "scatter", "mode": "markers+text", "x": [m[1] for m in s.minima],
                 "y": [m[2] for m in s.minima], "text": [m[0] for m in s.minima],
                 "textposition": "bottom center", "name": "minima",
                 "marker": {"symbol": "x", "size": 10, "color": "#111"}})
    path.append({"type": "scatter", "mode": "markers", "x": [s.start[0]], "y": [s.start[1]],
                 "name": "start", "marker": {"symbol": "circle-open", "size": 12, "color": "#111"}})
    fig_path = {"data": path, "layout": {
        "margin": {"t": 20, "r": 10}, "height": 380,
        "xaxis": {"title": {"text": "knob x"}, "range": list(s.xrange)},
        "yaxis": {"title": {"text": "knob y"}, "range": list(s.yrange)},
        "legend": {"orientation": "h", "y": -0.2}}}
    log_loss = surface != "basins"            # the basins surface dips below zero
    fig_loss = {"data": curves, "layout": {
        "margin": {"t": 20, "r": 10}, "height": 260,
        "xaxis": {"title": {"text": "step"}},
        "yaxis": {"title": {"text": "loss"}, "type": "log" if log_loss else "linear",
                  "exponentformat": "e"}}}

    stats = {"kind": "stats", "items": [
        {"label": f"{NAMES[optimizer]} ends", "value": _outcome(me)},
        {"label": "Final loss", "value": f"{me['loss'][-1]:.4g}",
         "note": f"after {len(me['loss']) - 1} steps"},
        {"label": "First step length", "value": f"{me['first_step']:.3g}",
         "note": "bias correction " + ("on" if bias_correction else "off")},
        {"label": "Noise per step", "value": f"{lr * noise:.3g}", "note": "lr × σ, in knob units"},
    ]}
    rows = [[NAMES[o], f"{r['loss'][-1]:.4g}", _outcome(r), f"{r['first_step']:.3g}"]
            for o, r in runs.items()]
    table = {"kind": "table", "columns": ["optimizer", "final loss", "ends", "first step"],
             "rows": rows, "caption": f"Same start, same {steps} noise draws (seed {seed}) for all four."}
    alt = (f"Contour plot of the {s.label} with four optimizer paths from ({s.start[0]}, {s.start[1]}); "
           + "; ".join(f"{NAMES[o]}: final loss {r['loss'][-1]:.3g}, {_outcome(r)}"
                       for o, r in runs.items()) + ".")
    return [stats,
            {"kind": "plotly", "figure": fig_path, "alt": alt},
            {"kind": "plotly", "figure": fig_loss,
             "alt": f"Loss against step for the four optimizers ({'log' if log_loss else 'linear'} scale). " + alt},
            table]
