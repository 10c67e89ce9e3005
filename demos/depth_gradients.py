"""Backpropagation multiplies the gradient by one random Jacobian per layer; watch the product.

Try: keep the scale at 0.9 and drag depth from 1 to 200 — the gradient reaching the first layer
falls like 0.9^depth, about nine orders of magnitude by depth 200. Set the scale to 1.1 and it
explodes instead. Only 1.0 keeps it near 1, and even then narrow layers (width 16) wander by
orders of magnitude. The faint line is the same chain with a residual path y = x + f(x): it
never vanishes. That is the fix Act II is built on.
"""

import math

from fieldguide import optim

TITLE = "Gradients through depth: a product of Jacobians"
BADGE = "TOY"
ASSETS = []
CONTROLS = [
    {"name": "depth", "kind": "range", "label": "Depth (layers)", "min": 1, "max": 200, "step": 1,
     "default": 50},
    {"name": "jacobian_scale", "kind": "range", "label": "Jacobian scale s (gain per layer)",
     "min": 0.5, "max": 1.5, "step": 0.01, "default": 0.9},
    {"name": "width", "kind": "select", "label": "Layer width d", "options": [16, 64, 256],
     "default": 64},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1,
     "default": 0},
]


def render(depth=50, jacobian_scale=0.9, width=64, seed=0):
    s = jacobian_scale
    plain = optim.jacobian_chain(depth, s, width, residual=False, seed=seed)
    resid = optim.jacobian_chain(depth, s, width, residual=True, seed=seed)
    layers = list(range(depth + 1))
    expect = [optim.expected_chain_norm(depth - l, s) for l in layers]
    fig = {"data": [
        {"type": "scatter", "mode": "lines+markers", "x": layers, "y": plain,
         "name": "plain chain g ← Jᵀg", "line": {"color": "#e63946", "width": 3},
         "marker": {"size": 4}},
        {"type": "scatter", "mode": "lines", "x": layers, "y": expect,
         "name": f"s^(layers below output) = {s:g}^k", "line": {"color": "#111", "dash": "dash"}},
        {"type": "scatter", "mode": "lines", "x": layers, "y": resid,
         "name": "with a residual path g ← (I + J)ᵀg", "line": {"color": "#2a9d8f", "width": 1.5},
         "opacity": 0.6}],
        "layout": {"margin": {"t": 20, "r": 10}, "height": 360,
                   "xaxis": {"title": {"text": "layer (0 = first layer, right = output)"}},
                   "yaxis": {"title": {"text": "gradient norm ‖∂L/∂x‖"}, "type": "log",
                             "exponentformat": "e"},
                   "legend": {"orientation": "h", "y": -0.25}}}
    g0, r0 = plain[0], resid[0]
    orders = abs(math.log10(g0)) if g0 > 0 else float("inf")
    stats = {"kind": "stats", "items": [
        {"label": "‖g‖ at the first layer", "value": f"{g0:.2e}", "note": "plain chain"},
        {"label": "Expected s^depth", "value": f"{optim.expected_chain_norm(depth, s):.2e}",
         "note": f"{s:g}^{depth}"},
        {"label": "Orders of magnitude", "value": f"{orders:.1f}",
         "note": "lost" if g0 < 1 else "gained"},
        {"label": "With residuals", "value": f"{r0:.2e}",
         "note": f"expected (1 + s²)^(depth/2) = {optim.expected_chain_norm(depth, s, True):.2e}"},
    ]}
    if g0 < 1e-3:
        note = (f"Vanishing: the first layer receives {g0:.1e} of the output's gradient, so its "
                "weights barely move however long you train.")
    elif g0 > 1e3:
        note = (f"Exploding: the first layer's gradient is {g0:.1e} times the output's; one step "
                "at a normal learning rate throws its weights far away.")
    else:
        note = ("Balanced, for now: the product stays within three orders of magnitude. Add "
                "layers or move the scale a little and it will not.")
    alt = (f"Log-scale gradient norm per layer for depth {depth}, scale {s:g}, width {width}: "
           f"plain chain reaches {g0:.2e} at layer 0 (expected {optim.expected_chain_norm(depth, s):.2e}); "
           f"with residuals {r0:.2e}.")
    return [stats, {"kind": "plotly", "figure": fig, "alt": alt}, {"kind": "text", "text": note}]
