"""Backpropagation against brute force: every gradient of a 2-layer MLP, computed both ways.

Try: at the default ε = 1e-5 the two agree to about ten significant digits. Slide ε up to 1e-2
and the finite differences drift (truncation error, shrinking like ε²); slide it down to 1e-8 and
they get noisy (round-off, growing like 1/ε). The lower chart shows the whole U. Raise the hidden
width and count the forward passes brute force needs: two per parameter, against one forward and
one backward pass for backprop. (Above 200 parameters the demo checks a random 200 of them, so
it stays quick in a browser; the pass count is still for all.)
"""

from fieldguide import autodiff

TITLE = "Backprop check: analytic gradients vs finite differences"
BADGE = "TOY"
ASSETS = []
MAX_CHECKED = 200     # above this many parameters, check a random 200 (fast enough in a browser)
CONTROLS = [
    {"name": "hidden", "kind": "range", "label": "Hidden units", "min": 2, "max": 64, "step": 1,
     "default": 8},
    {"name": "eps", "kind": "range", "label": "Finite-difference step ε", "min": 1e-8,
     "max": 1e-2, "scale": "log", "default": 1e-5},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1,
     "default": 0},
]


def render(hidden=8, eps=1e-5, seed=0):
    r = autodiff.check(hidden=hidden, eps=eps, seed=seed, max_checked=MAX_CHECKED)
    e_vals, errs = autodiff.eps_sweep(hidden=hidden, seed=seed)
    a, b = r["analytic"], r["numeric"]
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    scatter = {"data": [
        {"type": "scatter", "mode": "lines", "x": [lo, hi], "y": [lo, hi], "name": "agreement",
         "line": {"color": "#999", "dash": "dash"}},
        {"type": "scatter", "mode": "markers", "x": a, "y": b, "name": "one parameter each",
         "marker": {"size": 5, "color": "#457b9d"}}],
        "layout": {"margin": {"t": 20, "r": 10}, "height": 300, "showlegend": False,
                   "xaxis": {"title": {"text": "backprop ∂L/∂θ"}},
                   "yaxis": {"title": {"text": "finite difference ∂L/∂θ"}}}}
    sweep = {"data": [
        {"type": "scatter", "mode": "lines+markers", "x": e_vals, "y": errs,
         "name": "sampled parameters", "line": {"color": "#2a9d8f"}},
        {"type": "scatter", "mode": "markers", "x": [eps], "y": [r["relative_error"]],
         "name": "your ε (all parameters)",
         "marker": {"size": 12, "color": "#e63946", "symbol": "diamond"}}],
        "layout": {"margin": {"t": 20, "r": 10}, "height": 280,
                   "xaxis": {"title": {"text": "ε"}, "type": "log", "exponentformat": "e"},
                   "yaxis": {"title": {"text": "relative error"}, "type": "log",
                             "exponentformat": "e"},
                   "legend": {"orientation": "h", "y": -0.3}}}
    stats = {"kind": "stats", "items": [
        {"label": "Relative error", "value": f"{r['relative_error']:.2e}",
         "note": "‖a − n‖ / (‖a‖ + ‖n‖)"},
        {"label": "Largest difference", "value": f"{r['max_abs_error']:.2e}"},
        {"label": "Parameters checked", "value": f"{r['n_checked']:,} of {r['n_params']:,}",
         "note": f"network 4 → {hidden} → 3"},
        {"label": "Forward passes", "value": f"1 vs {r['forward_passes_numeric']:,}",
         "note": "backprop (plus one backward) vs finite differences for all parameters"},
    ]}
    table = {"kind": "table",
             "columns": ["parameter", "shape", "entries checked", "relative error"],
             "rows": [[k, shape, r["checked_per_param"][k],
                       f"{r['per_param'][k]:.2e}" if r["checked_per_param"][k] else "—"]
                      for k, shape in (("W1", f"4 × {hidden}"), ("b1", f"{hidden}"),
                                       ("W2", f"{hidden} × 3"), ("b2", "3"))],
             "caption": f"Batch of 16 inputs, cross-entropy loss {r['loss']:.4f}, float64."}
    best = e_vals[int(errs.argmin())]
    alt_s = (f"Scatter of {r['n_checked']} gradients, backprop against finite differences with "
             f"ε = {eps:.1e}; relative error {r['relative_error']:.2e}.")
    alt_w = ("Relative error against ε on log axes: " +
             ", ".join(f"{e:.0e}: {x:.1e}" for e, x in zip(e_vals, errs)) +
             f". Smallest near ε = {best:.0e}.")
    return [stats, {"kind": "plotly", "figure": scatter, "alt": alt_s}, table,
            {"kind": "plotly", "figure": sweep, "alt": alt_w}]
