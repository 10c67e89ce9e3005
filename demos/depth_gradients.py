"""Backpropagation multiplies the gradient by one random Jacobian per layer; watch the product.

Try: keep the scale at 0.9 and drag depth from 1 to 200 — the gradient reaching the first layer
falls like 0.9^depth, about nine orders of magnitude by depth 200. Set the scale to 1.1 and it
explodes instead. Only 1.0 keeps it near 1, and even then narrow layers (width 16) wander by
orders of magnitude from seed to seed. The dashed line is the prediction s^k; the measured
per-layer factor sits slightly below s, more so for narrow layers.
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
    layers = list(range(depth + 1))
    expect = [optim.expected_chain_norm(depth - l, s) for l in layers]
    fig = {"data": [
        {"type": "scatter", "mode": "lines+markers", "x": layers, "y": plain,
         "name": "measured ‖g‖, g ← Jᵀg", "line": {"color": "#e63946", "width": 3},
         "marker": {"size": 4}},
        {"type": "scatter", "mode": "lines", "x": layers, "y": expect,
         "name": f"s^(layers below output) = {s:g}^k", "line": {"color": "#111", "dash": "dash"}}],
        "layout": {"margin": {"t": 20, "r": 10}, "height": 360,
                   "xaxis": {"title": {"text": "layer (0 = first layer, right = output)"}},
                   "yaxis": {"title": {"text": "gradient norm ‖∂L/∂x‖"}, "type": "log",
                             "exponentformat": "e"},
                   "legend": {"orientation": "h", "y": -0.25}}}
    g0 = plain[0]
    orders = abs(math.log10(g0)) if g0 > 0 else float("inf")
    stats = {"kind": "stats", "items": [
        {"label": "‖g‖ at the first layer", "value": f"{g0:.2e}", "note": "plain chain"},
        {"label": "Expected s^depth", "value": f"{optim.expected_chain_norm(depth, s):.2e}",
         "note": f"{s:g}^{depth}"},
        {"label": "Orders of magnitude", "value": f"{orders:.1f}",
         "note": "lost" if g0 < 1 else "gained"},
        {"label": "Measured factor per layer", "value": f"{g0 ** (1 / depth):.4f}",
         "note": f"s = {s:g}; width {width}"},
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
           f"the gradient reaches {g0:.2e} at layer 0 (expected {optim.expected_chain_norm(depth, s):.2e}), "
           f"a factor of {g0 ** (1 / depth):.4f} per layer.")
    return [stats, {"kind": "plotly", "figure": fig, "alt": alt}, {"kind": "text", "text": note}]
