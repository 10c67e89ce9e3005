"""Fit a power law with a floor to a handful of small runs, then extrapolate far beyond them.

Try: switch the axes to log-log and notice the true curve bends towards the floor E; switch to
"log-log of L − E" and it becomes a straight line of slope −b. Raise the noise to 0.05 and change
the seed: the fitted floor E wanders, and the extrapolated loss wanders with it, even though every
fit passes close to the runs. More runs over the same range help less than you might hope.
The dashed exponential starts at the same loss and meets the power law at the largest run; past
that it collapses onto the floor, which no real loss curve does.
"""

import numpy as np

from fieldguide import scaling
from fieldguide.units import compact

TITLE = "Fit small runs, predict a big one"
BADGE = "TOY"
ASSETS = []
X_MIN, X_MAX = 1e6, 1e8                      # the "small runs" span two decades of model size
AXES = {"linear": "linear", "loglog": "log-log", "gap": "log-log of L − E"}
CONTROLS = [
    {"name": "a", "kind": "range", "label": "True scale a", "min": 1, "max": 1000, "scale": "log",
     "default": 10},
    {"name": "b", "kind": "range", "label": "True exponent b", "min": 0.02, "max": 0.5, "step": 0.001,
     "default": 0.076},
    {"name": "E", "kind": "range", "label": "True floor E (nats/token)", "min": 0, "max": 3, "step": 0.01,
     "default": 1.7},
    {"name": "noise", "kind": "range", "label": "Noise on each run (relative)", "min": 0, "max": 0.1,
     "step": 0.001, "default": 0.02},
    {"name": "runs", "kind": "range", "label": "Small runs (10⁶ to 10⁸ parameters)", "min": 3, "max": 10,
     "step": 1, "default": 5},
    {"name": "axes", "kind": "select", "label": "Axes", "options": [[k, v] for k, v in AXES.items()],
     "default": "loglog"},
    {"name": "extrapolate_to", "kind": "range", "label": "Extrapolate to N (parameters)", "min": 1e9,
     "max": 1e13, "scale": "log", "default": 1e11},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]


def render(a=10, b=0.076, E=1.7, noise=0.02, runs=5, axes="loglog", extrapolate_to=1e11, seed=0):
    a, b, E, target = float(a), float(b), float(E), float(extrapolate_to)
    if axes not in AXES:
        raise ValueError(f"Axes must be one of {', '.join(AXES)}, got {axes!r}")
    f = scaling.forecast(a, b, E, runs=int(runs), noise=float(noise), target=target, x_min=X_MIN,
                         x_max=X_MAX, seed=int(seed))
    data, fit, true_t, pred_t, exp_t, rate = (f["runs"], f["fit"], f["true"], f["predicted"],
                                              f["exponential"], f["exp_rate"])
    l0 = scaling.power_law(X_MIN, a, b, E)

    xs = np.logspace(np.log10(X_MIN), np.log10(target), 160)
    true_c = scaling.power_law(xs, a, b, E)
    fit_c = scaling.power_law(xs, fit["a"], fit["b"], fit["E"])
    exp_c = scaling.exponential_decay(xs, X_MIN, l0, rate, E)
    keep = xs <= X_MAX * 3                     # beyond that the exponential sits on E
    if axes == "gap":                          # each curve minus its own floor: straight lines
        ys = {"runs": data["loss"] - fit["E"], "true": true_c - E, "fit": fit_c - fit["E"],
              "exp": np.maximum(exp_c - E, 1e-12)}
        y_title, y_type = "L − E (nats/token; fit: minus its fitted E)", "log"
    else:
        ys = {"runs": data["loss"], "true": true_c, "fit": fit_c, "exp": exp_c}
        y_title, y_type = "loss L (nats/token)", "log" if axes == "loglog" else "linear"
    x_type = "linear" if axes == "linear" else "log"
    traces = [
        {"type": "scatter", "mode": "lines", "name": f"truth: {a:.3g}·N^−{b:.3g} + {E:.3g}",
         "x": xs, "y": ys["true"], "line": {"color": "#264653", "width": 2}},
        {"type": "scatter", "mode": "lines", "name": f"fit: {fit['a']:.3g}·N^−{fit['b']:.3g} + {fit['E']:.3g}",
         "x": xs, "y": ys["fit"], "line": {"color": "#e76f51", "width": 2, "dash": "dot"}},
        {"type": "scatter", "mode": "lines", "name": "exponential, same start",
         "x": xs[keep], "y": ys["exp"][keep], "line": {"color": "#8d99ae", "dash": "dash"}},
        {"type": "scatter", "mode": "markers", "name": "small runs", "x": data["x"], "y": ys["runs"],
         "marker": {"size": 9, "color": "#2a9d8f"}},
    ]
    if axes != "gap":
        traces.append({"type": "scatter", "mode": "lines", "name": f"floor E = {E:.3g}",
                       "x": [X_MIN, target], "y": [E, E] if E > 0 else [1e-3, 1e-3],
                       "line": {"color": "#aaaaaa", "width": 1}})
    fig = {"data": traces, "layout": {
        "xaxis": {"title": {"text": "model size N (parameters)"}, "type": x_type},
        "yaxis": {"title": {"text": y_title}, "type": y_type},
        "legend": {"orientation": "h", "y": -0.3}, "margin": {"t": 20}}}

    err = f["error"]
    stats = {"kind": "stats", "items": [
        {"label": "Fitted exponent b", "value": f"{fit['b']:.4f}", "note": f"true {b:.4f}"},
        {"label": "Fitted floor E", "value": f"{fit['E']:.3f}", "unit": "nats/token", "note": f"true {E:.3f}"},
        {"label": f"Predicted loss at {compact(target)}", "value": f"{pred_t:.3f}", "unit": "nats/token",
         "note": f"truth {true_t:.3f}; error {err:+.1%}"},
        {"label": "Exponential's guess there", "value": f"{exp_t:.3f}", "unit": "nats/token",
         "note": "same start, same value at the largest run"},
        {"label": "Fit's RMS error on the runs", "value": f"{fit['rms']:.4f}", "unit": "nats/token"},
    ]}
    alt = (f"{int(runs)} synthetic runs between {compact(X_MIN)} and {compact(X_MAX)} parameters, losses "
           + ", ".join(f"{v:.3f}" for v in data["loss"])
           + f". True law {a:.3g}·N^−{b:.3g} + {E:.3g}; fitted {fit['a']:.3g}·N^−{fit['b']:.3g} + "
           f"{fit['E']:.3g}. At {compact(target)} parameters the fit predicts {pred_t:.3f}, the truth is "
           f"{true_t:.3f}, and an exponential with the same start gives {exp_t:.3f}. Axes: {AXES[axes]}.")
    blocks = [stats, {"kind": "plotly", "figure": fig, "alt": alt}]
    if abs(err) > 0.05:
        blocks.append({"kind": "text", "level": "warn", "text": (
            f"The forecast is off by {err:+.1%}: {int(runs)} noisy runs over two decades cannot pin "
            f"down the floor (fitted {fit['E']:.2f}, true {E:.2f}), and the floor decides where the "
            f"curve goes far away.")})
    return blocks
