"""How much gradient reaches a word k steps back, and how far a trained RNN can carry a symbol.

Try: drag the distance from 6 to 60 with the vanilla cell at scale 0.95 and watch its gradient fall
by many orders of magnitude, while the gated cell's (a product of forget-gate values) falls slowly.
Push the scale to 1.5: the linear ceiling s^k explodes, but tanh saturates and pulls the real
product back down. The lower chart is not a toy: it is the held-out accuracy of a tiny vanilla RNN
and a tiny LSTM that the package trained on a copy task, one run per seed and delay.
"""

import math

from fieldguide import checks, rnn

TITLE = "Carrying a word through time: gradients and memory in a recurrent network"
BADGE = "TOY"
ASSETS = []
CONTROLS = [
    {"name": "distance", "kind": "range", "label": "Distance back to the subject (steps)",
     "min": 1, "max": 60, "step": 1, "default": 6},
    {"name": "cell", "kind": "select", "label": "Cell",
     "options": [["vanilla", "vanilla RNN (tanh)"], ["gated", "gated (LSTM cell path)"]],
     "default": "vanilla"},
    {"name": "recurrent_scale", "kind": "range", "label": "Recurrent scale s of the vanilla RNN",
     "min": 0.5, "max": 1.5, "step": 0.01, "default": 0.95},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1,
     "default": 0},
]

COLOURS = {"vanilla": "#e63946", "lstm": "#1d70b8"}


def _number(value, label, lo, hi):
    return checks.number(label, value, lo, hi)

def render(distance=6, cell="vanilla", recurrent_scale=0.95, seed=0):
    if cell not in ("vanilla", "gated"):
        raise ValueError("Cell must be 'vanilla' or 'gated'")
    seed = _number(seed, "Seed", 0, 9999)
    if seed != int(seed):
        raise ValueError("Seed must be a whole number from 0 to 9999")
    seed = int(seed)
    distance = _number(distance, "Distance back to the subject", 1, 60)
    if distance != int(distance):
        raise ValueError("Distance back to the subject must be a whole number of steps")
    distance = int(distance)
    s = _number(recurrent_scale, "Recurrent scale s", 0.5, 1.5)
    van = rnn.bptt_norms(distance, s, seed=seed)
    gat = rnn.gated_norms(distance, seed=seed)
    ks = list(range(len(van)))
    ceiling = [s ** k for k in ks]
    pick = van if cell == "vanilla" else gat
    wide = {"vanilla": 3 if cell == "vanilla" else 1.5, "gated": 3 if cell == "gated" else 1.5}
    grad_fig = {"data": [
        {"type": "scatter", "mode": "lines+markers", "x": ks, "y": van, "name": f"vanilla, s = {s:g}",
         "line": {"color": COLOURS["vanilla"], "width": wide["vanilla"]}, "marker": {"size": 4}},
        {"type": "scatter", "mode": "lines", "x": ks, "y": ceiling, "name": "ceiling s^k",
         "line": {"color": COLOURS["vanilla"], "dash": "dot", "width": 1}},
        {"type": "scatter", "mode": "lines+markers", "x": ks, "y": gat,
         "name": "gated cell path", "line": {"color": COLOURS["lstm"],
                                                           "width": wide["gated"]},
         "marker": {"size": 4}}],
        "layout": {"margin": {"t": 20, "r": 10}, "height": 320,
                   "xaxis": {"title": {"text": "steps back from the word that needs the subject"}},
                   "yaxis": {"title": {"text": "gradient norm (start = 1)"}, "type": "log",
                             "exponentformat": "e"},
                   "legend": {"orientation": "h", "y": -0.38}}}
    grad_alt = (f"Log-scale gradient norm against steps back, 0 to {distance}. Vanilla RNN with "
                f"s = {s:g}: {van[-1]:.2e} at {distance} steps (linear ceiling {ceiling[-1]:.2e}). "
                f"Gated cell path: {gat[-1]:.2e} at {distance} steps.")

    curves = rnn.load_copy_curves()
    acc_data = []
    for name, label in (("vanilla", "vanilla RNN"), ("lstm", "LSTM")):
        c = curves["cells"][name]
        acc_data.append({"type": "scatter", "mode": "lines+markers", "x": c["delays"],
                         "y": c["mean"], "name": f"{label} (dots: seeds)",
                         "line": {"color": COLOURS[name], "width": 2.5}, "marker": {"size": 6}})
        xs = [d for d, accs in zip(c["delays"], c["per_seed"]) for _ in accs]
        ys = [a for accs in c["per_seed"] for a in accs]
        acc_data.append({"type": "scatter", "mode": "markers", "x": xs, "y": ys,
                         "name": f"{label}, each seed", "showlegend": False,
                         "marker": {"color": COLOURS[name], "size": 5, "opacity": 0.45}})
    delays = curves["cells"]["vanilla"]["delays"]
    acc_data.append({"type": "scatter", "mode": "lines", "x": [delays[0], delays[-1]],
                     "y": [curves["chance"]] * 2, "name": "chance",
                     "line": {"color": "#777", "dash": "dash", "width": 1}})
    acc_data.append({"type": "scatter", "mode": "lines", "x": [distance, distance], "y": [0, 1.05],
                     "name": f"distance {distance}",
                     "line": {"color": "#111", "dash": "dot", "width": 1}})
    acc_fig = {"data": acc_data, "layout": {
        "margin": {"t": 20, "r": 10}, "height": 320,
        "xaxis": {"title": {"text": "delay: steps between the symbol and the recall marker"}},
        "yaxis": {"title": {"text": "held-out accuracy"}, "range": [0, 1.05]},
        "legend": {"orientation": "h", "y": -0.38}}}
    parts = []
    for name, label in (("vanilla", "vanilla RNN"), ("lstm", "LSTM")):
        c = curves["cells"][name]
        parts.append(f"{label}: " + ", ".join(f"delay {d} {a:.0%}"
                                              for d, a in zip(c["delays"], c["mean"])))
    acc_alt = ("Copy-task accuracy against delay, mean over seeds " + str(curves["seeds"]) + ". "
               + "; ".join(parts) + f". Chance is {curves['chance']:.1%}.")

    orders = -math.log10(pick[-1]) if pick[-1] > 0 else float("inf")
    stats = {"kind": "stats", "items": [
        {"label": f"Gradient left after {distance} steps",
         "value": f"{pick[-1]:.2e}", "note": "vanilla RNN" if cell == "vanilla" else "gated cell path"},
        {"label": "Orders of magnitude", "value": f"{abs(orders):.1f}",
         "note": "lost" if pick[-1] < 1 else "gained"},
        {"label": "Per-step factor", "value": f"{pick[-1] ** (1 / distance):.3f}",
         "note": f"vanilla ceiling s = {s:g}" if cell == "vanilla" else "forget gates near 0.95"},
        {"label": "Other cell at the same distance",
         "value": f"{(gat if cell == 'vanilla' else van)[-1]:.2e}",
         "note": "gated" if cell == "vanilla" else f"vanilla, s = {s:g}"},
    ]}
    cfg = curves["config"]
    sizes = "; ".join(f"{label} {curves['cells'][k]['hidden']} units, {curves['cells'][k]['params']:,} "
                      "weights" for k, label in (("vanilla", "vanilla RNN"), ("lstm", "LSTM")))
    note = (f"Toy gradients: 32 hidden units, random orthogonal recurrent matrix times s, small random "
            f"inputs (seed {seed}); gated gates are σ(b + noise) with biases around 3. Trained curves: "
            f"{cfg['steps']} Adam steps of {cfg['batch']} sequences per run, {cfg['n_symbols']} "
            f"symbols ({sizes}), made by {curves['script']} in {curves['cpu_time_s']:.0f} s of CPU on one core.")
    return [stats,
            {"kind": "plotly", "figure": grad_fig, "alt": grad_alt},
            {"kind": "plotly", "figure": acc_fig, "alt": acc_alt},
            {"kind": "text", "text": note}]
