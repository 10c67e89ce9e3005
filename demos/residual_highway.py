"""A deep stack of random layers, run forward and backward for real: does the gradient reach the
first layer?

Try: with the defaults (residual on, no normalization, scale 0.5, 50 layers) the gradient
*grows* on its way down, close to the dashed (1 + s²)^((L−k)/2). Untick "residual" and it falls
like 0.5^(L−k), the vanishing product of Act I. Tick it again and pick RMSNorm, pre: both the
gradient and the activations now grow only like the square root of 1 + L·s². Switch to post and the activations
sit at exactly 1. Try BatchNorm without the residual to see a gradient that grows with depth.
"""

from fieldguide import residual as R

TITLE = "The residual highway: gradient and activation scale through depth"
BADGE = "TOY"
ASSETS = []
CONTROLS = [
    {"name": "depth", "kind": "range", "label": "Depth (layers)", "min": 1, "max": 200, "step": 1,
     "default": 50},
    {"name": "residual", "kind": "checkbox", "label": "Residual path (y = x + f(x))", "default": True},
    {"name": "norm", "kind": "select", "label": "Normalization",
     "options": [[k, v] for k, v in R.NORM_LABELS.items()], "default": "none"},
    {"name": "placement", "kind": "select", "label": "Norm placement",
     "options": [["pre", "pre-norm (inside the branch)"], ["post", "post-norm (after the add)"]],
     "default": "pre"},
    {"name": "jacobian_scale", "kind": "range", "label": "Jacobian scale s (gain of each branch)",
     "min": 0.1, "max": 1.5, "step": 0.01, "default": 0.5},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1,
     "default": 0},
]

FORMULAS = {  # (residual, placement) -> one layer, N = the normalization
    (True, "pre"): "y = x + N(x)·W", (True, "post"): "y = N(x + x·W)",
    (False, "pre"): "y = N(x)·W", (False, "post"): "y = N(x·W)"}


def _pos(values):
    return [float(v) if v > 0 else None for v in values]   # a log axis cannot show 0


def _line(x, y, name, color, dash="solid", width=3):
    return {"type": "scatter", "mode": "lines", "x": x, "y": y, "name": name,
            "line": {"color": color, "dash": dash, "width": width}}


def _axes_diagram(norm):
    groups = R.norm_groups(norm, batch=3, tokens=4, features=6)
    first = groups[0, 0, 0]
    rows = [f"seq {b}, t{t}" for b in range(3) for t in range(4)]
    z = (groups == first).astype(int).reshape(12, 6).tolist()
    size = int((groups == first).sum())
    what = {"layernorm": "the 6 features of one token: subtract their mean, divide by their std",
            "rmsnorm": "the 6 features of one token: divide by their root mean square (no mean)",
            "batchnorm": "one feature over every sequence and position in the batch",
            "none": "each number is left as it is"}[norm]
    title = ("No normalization: nothing is averaged" if norm == "none" else
             f"{R.NORM_LABELS[norm]}: one statistic covers the {size} highlighted cells")
    fig = {"data": [{"type": "heatmap", "z": z, "x": [f"f{f}" for f in range(6)], "y": rows,
                     "zmin": 0, "zmax": 1, "showscale": False, "xgap": 2, "ygap": 2,
                     "colorscale": [[0, "#e8e8e8"], [1, "#2a9d8f"]]}],
           "layout": {"height": 300, "margin": {"t": 30, "l": 80, "r": 10, "b": 50},
                      "xaxis": {"title": {"text": "feature"}},
                      "title": {"text": title},
                      "yaxis": {"autorange": "reversed"}}}
    alt = f"A batch of 3 sequences × 4 tokens × 6 features. {title}: {what}."
    return {"kind": "plotly", "figure": fig, "alt": alt}


def render(depth=50, residual=True, norm="none", placement="pre", jacobian_scale=0.5, seed=0):
    s, L = float(jacobian_scale), int(depth)
    h = R.highway(L, s, residual, norm, placement, seed=seed)
    layers = list(range(L + 1))
    g, a, exp = h["grad"], h["activation"], h["expected"]
    pred = R.expected_profile(L, s, residual, norm, placement)
    formula = {"none": ("(1 + s²)^(k/2)" if residual else "s^k")}.get(norm, "√(1 + k·s²)")
    g_formula = {"none": ("(1 + s²)^((L−k)/2)" if residual else "s^(L−k)")}.get(
        norm, "√((1 + L·s²)/(1 + k·s²))")
    label = ("residual" if residual else "plain") + f", {R.NORM_LABELS[norm]}" + \
        ("" if norm == "none" else f", {placement}")

    traces = [_line(layers, _pos(g), f"measured ‖g‖ ({label})", "#e63946")]
    if pred is not None:
        traces.append(_line(layers, _pos(pred["grad"]), f"prediction {g_formula}", "#111", "dash", 2))
    if residual or norm != "none":
        traces.append(_line(layers, _pos([s ** (L - k) for k in layers]),
                            "plain chain s^(L−k), for comparison", "#999", "dot", 2))
    grad_fig = {"data": traces, "layout": {
        "height": 340, "margin": {"t": 20, "r": 10},
        "xaxis": {"title": {"text": "layer (0 = first layer, right = output)"}},
        "yaxis": {"title": {"text": "gradient RMS ‖∂L/∂x‖"}, "type": "log", "exponentformat": "e"},
        "legend": {"orientation": "h", "y": -0.3}}}
    act_traces = [_line(layers, _pos(a), "measured activation RMS", "#457b9d")]
    if pred is not None:
        act_traces.append(_line(layers, _pos(pred["activation"]), f"prediction {formula}",
                                "#111", "dash", 2))
    act_fig = {"data": act_traces, "layout": {
        "legend": {"orientation": "h", "y": -0.35},
        "height": 260, "margin": {"t": 20, "r": 10},
        "xaxis": {"title": {"text": "layer input (0 = the data, right = output)"}},
        "yaxis": {"title": {"text": "activation RMS"}, "type": "log", "exponentformat": "e"}}}

    g0, out = h["first"], float(a[-1])
    stats = {"kind": "stats", "items": [
        {"label": "One layer", "value": FORMULAS[(bool(residual), placement)],
         "note": f"N = {R.NORM_LABELS[norm]}" + (": pre and post are the same network"
                                                 if norm == "none" else "")},
        {"label": "‖g‖ at the first layer", "value": f"{g0:.2e}", "note": "output gradient = 1"},
        {"label": "Prediction", "value": "—" if exp is None else f"{exp:.2e}",
         "note": "no simple formula for this layout" if exp is None else "typical value"},
        {"label": "Change per layer", "value": f"{h['per_layer']:.4f}", "note": f"s = {s:g}"},
        {"label": "Activation RMS at the output", "value": f"{out:.2e}", "note": "input RMS ≈ 1"},
    ]}
    if not g0 > 1e-3:
        verdict = (f"Vanishing: the first layer gets {g0:.1e} of the output's gradient. Its "
                   "weights would barely move.")
    elif g0 > 1e3 or out > 1e3:
        verdict = (f"Alive but unruly: gradient {g0:.1e}, activations {out:.1e} at the output. "
                   "Nothing vanishes, but the scale runs away with depth, and one learning rate "
                   "cannot suit every layer.")
    else:
        verdict = (f"Healthy: the gradient reaching the first layer is {g0:.2g} and the output "
                   f"activations are {out:.2g}. Both stay within three orders of magnitude of 1.")
    alt_g = (f"Log-scale gradient RMS per layer, {L} layers, {label}, s = {s:g}, seed {seed}: "
             f"{g0:.2e} at layer 0" + ("" if exp is None else f" (prediction {exp:.2e})") +
             f", {h['per_layer']:.4f} per layer.")
    alt_a = (f"Activation RMS per layer for the same stack: from {float(a[0]):.2f} at the input "
             f"to {out:.2e} at the output.")
    return [stats,
            {"kind": "plotly", "figure": grad_fig, "alt": alt_g},
            {"kind": "text", "text": verdict},
            {"kind": "plotly", "figure": act_fig, "alt": alt_a},
            _axes_diagram(norm)]
