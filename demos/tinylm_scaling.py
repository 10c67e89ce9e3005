"""Final losses of the book's own size sweep: tiny tinylm-style models, six widths, three token budgets.

Try: on the parameters axis, switch between the token budgets: with the smallest budget the wider
models barely beat the narrow ones; with the largest, size helps the smallest models and then stops
helping — the fitted floor is what that many tokens allow, not the entropy of the text. On the
tokens axis every width improves steadily with more data. On the compute axis, the frontier (the
best loss any run reached for its compute) is the curve a scaling-law paper fits. Compare the
fitted exponents with Kaplan et al.'s: at this scale they are not the same numbers.
"""

import numpy as np

from fieldguide import scaling, tinylm
from fieldguide.units import compact, sci

TITLE = "A real (tiny) scaling sweep"
BADGE = "TINY-REAL"
ASSETS = []
_SWEEP = scaling.load_sweep("tinylm")
_BUDGETS = sorted({r["tokens"] for r in _SWEEP["runs"]})
_WIDTHS = sorted({r["d_model"] for r in _SWEEP["runs"]})
KAPLAN = {"params": ("α_N", scaling.KAPLAN_EXPONENTS["alpha_N"]),
          "tokens": ("α_D", scaling.KAPLAN_EXPONENTS["alpha_D"]),
          "compute": ("α_C", scaling.KAPLAN_EXPONENTS["alpha_C"])}
COLOURS = ["#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#6a4c93"]
CONTROLS = [
    {"name": "axis", "kind": "select", "label": "Scale along",
     "options": [["params", "parameters"], ["tokens", "tokens"], ["compute", "compute"]], "default": "params"},
    {"name": "fit", "kind": "checkbox", "label": "Fit a power law", "default": True},
    {"name": "budget", "kind": "select", "label": "Token budget",
     "options": [[str(b), f"{compact(b)} tokens"] for b in _BUDGETS], "default": str(_BUDGETS[-1])},
]


def _scale_note():
    n = max(r["n_params"] for r in _SWEEP["runs"])
    f = tinylm.FRONTIER_PARAMS
    return (f"The largest model in this sweep has {n:,} parameters: about {f['params'] / n:,.0f} times "
            f"fewer than {f['name']} ({f['source']}). {tinylm.scale_note()}")


def render(axis="params", fit=True, budget=str(_BUDGETS[-1])):
    if axis not in KAPLAN:
        raise ValueError(f"Scale along must be one of {', '.join(KAPLAN)}, got {axis!r}")
    try:
        budget = int(float(budget))
    except (TypeError, ValueError):
        raise ValueError(f"Token budget must be one of {', '.join(map(str, _BUDGETS))}, got {budget!r}") from None
    if budget not in _BUDGETS:
        raise ValueError(f"Token budget must be one of {', '.join(map(str, _BUDGETS))}, got {budget!r}")
    pts = scaling.sweep_runs(axis, _SWEEP)
    traces = []
    if axis == "tokens":                        # one line per width
        for w, col in zip(_WIDTHS, COLOURS):
            mine = [p for p in pts if p["d_model"] == w]
            traces.append({"type": "scatter", "mode": "lines+markers", "name": f"d = {w}",
                           "x": [p["x"] for p in mine], "y": [p["loss"] for p in mine],
                           "marker": {"size": [12 if p["tokens"] == budget else 6 for p in mine], "color": col},
                           "line": {"color": col, "width": 1}})
    else:                                       # one series per budget, the chosen one in bold
        for b, col in zip(_BUDGETS, ("#8ecae6", "#219ebc", "#023047")):
            mine = [p for p in pts if p["tokens"] == b]
            on = b == budget
            traces.append({"type": "scatter", "mode": "lines+markers" if axis == "params" else "markers",
                           "name": f"{compact(b)} tokens", "x": [p["x"] for p in mine],
                           "y": [p["loss"] for p in mine],
                           "marker": {"size": 11 if on else 6, "color": col},
                           "line": {"color": col, "width": 3 if on else 1}})

    name, k_exp = KAPLAN[axis]
    items = []
    if fit:
        f = scaling.sweep_fit(axis, budget, _SWEEP)
        used, what = f["used"], f["what"]
        xs = np.logspace(np.log10(min(p["x"] for p in pts)), np.log10(max(p["x"] for p in pts)), 60)
        traces.append({"type": "scatter", "mode": "lines", "name": f"fit: {f['a']:.3g}·x^−{f['b']:.3f} + {f['E']:.2f}",
                       "x": xs, "y": scaling.power_law(xs, f["a"], f["b"], f["E"]),
                       "line": {"color": "#e63946", "dash": "dot", "width": 2}})
        items += [{"label": "Fitted exponent", "value": f"{f['b']:.3f}", "note": f"Kaplan et al.'s {name} ≈ {k_exp}"},
                  {"label": "Fitted floor E", "value": f"{f['E']:.2f}", "unit": "nats/token",
                   "note": "fixed at 0" if f["floor_fixed"] else "grid search"},
                  {"label": "Fitted on", "value": str(len(used)), "unit": "runs", "note": what}]
        fit_alt = f" Fit on {what}: loss ≈ {f['a']:.3g}·x^−{f['b']:.3f} + {f['E']:.2f}."
    else:
        items.append({"label": "Fit", "value": "off", "note": "tick the box to fit a power law"})
        fit_alt = ""
    chosen = [p for p in pts if p["tokens"] == budget]
    best = min(chosen, key=lambda p: p["loss"])
    items.append({"label": f"Best at {compact(budget)} tokens", "value": f"{best['loss']:.3f}", "unit": "nats/token",
                  "note": f"width {best['d_model']}, {best['n_params']:,} parameters"})
    fig = {"data": traces, "layout": {
        "xaxis": {"title": {"text": scaling.SWEEP_AXES[axis]}, "type": "log"},
        "yaxis": {"title": {"text": "final validation loss (nats/token)"}},
        "legend": {"orientation": "h", "y": -0.3}, "margin": {"t": 20}}}
    alt = (f"Final validation loss against {scaling.SWEEP_AXES[axis]} (log x axis). Runs: "
           + "; ".join(f"d={p['d_model']}, {compact(p['tokens'])} tokens, x={sci(p['x'])}: {p['loss']:.3f}" for p in pts)
           + "." + fit_alt)
    blocks = [{"kind": "stats", "items": items}, {"kind": "plotly", "figure": fig, "alt": alt}]
    if fit and f["b"] <= 0:
        blocks.append({"kind": "text", "level": "warn", "text": (
            "The fitted exponent is not positive: along this axis, at this budget, these runs do not "
            "fall as a power law.")})
    blocks.append({"kind": "text", "text": (
        f"Trained by {_SWEEP['script']} (seed {_SWEEP['seed']}) in {_SWEEP['wall_seconds_total'] / 60:.1f} minutes "
        f"on one CPU core. Tiny-scale exponents differ from frontier ones: most of these models' parameters "
        f"are the embedding table, and the longest run reads {compact(_BUDGETS[-1])} tokens, about "
        f"{_BUDGETS[-1] / _SWEEP['corpus_tokens']:.1f} passes over a {_SWEEP['corpus_tokens']:,}-token corpus. "
        f"{_scale_note()}")})
    return blocks
