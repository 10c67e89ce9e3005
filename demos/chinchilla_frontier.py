"""How should a fixed compute budget be split between model size and training tokens — and
what changes once you count the tokens the model will serve?

Try: slide the budget up by a factor of 100 and watch the optimum move by a factor of 10 in both
N and D (√100 each), not 100 in one of them. Then raise the inference tokens: the best model
slides along the same-quality curve toward fewer parameters and many more training tokens, the
reason Llama 3 8B saw 1,875 tokens per parameter. Finally switch to the Hoffmann constants as
printed and see how far from Chinchilla's own 70B / 1.4T their optimum lands.
"""

import numpy as np

from fieldguide import scaling
from fieldguide.units import compact, sci

TITLE = "Chinchilla's frontier: splitting a compute budget"
BADGE = "TOY"      # the models are real; the loss curves are published fits used as a toy landscape
ASSETS = []
CONTROLS = [
    {"name": "compute", "kind": "range", "label": "Training budget C (FLOP)", "min": 1e18,
     "max": 1e26, "default": 5.76e23, "scale": "log"},
    {"name": "inference_tokens", "kind": "range",
     "label": "Tokens the model will process in service (1e9 ≈ none)", "min": 1e9, "max": 1e14,
     "default": 1e9, "scale": "log"},
    {"name": "rule", "kind": "select", "label": "How to find the optimum",
     "options": [[k, v] for k, v in scaling.RULES.items()], "default": "20-tokens"},
    {"name": "show_models", "kind": "checkbox", "label": "Show published models", "default": True},
]
def _tpp(n, d):
    r = d / n
    return f"{r:,.0f}" if r >= 100 else f"{r:.3g}"


# published models drawn on the N–D plane, with label positions that keep neighbours apart
MODELS = {"GPT-3 175B": "bottom left", "Gopher 280B": "bottom right", "Chinchilla 70B": "top left",
          "Llama 3 8B": "top center", "Llama 3 70B": "top center", "Llama 3 405B": "top center",
          "Qwen3-0.6B": "top center"}
X_RANGE, Y_RANGE = (6.5, 13), (8, 16)          # log10 axes of the N–D plane


def _fit_for(rule):
    """The loss landscape drawn for a rule: the 20-tokens rule is drawn on the Epoch refit."""
    return rule if rule in scaling.FITS else "epoch"


def _loss_figure(c, fit, n_opt, rule_point):
    n0, _ = scaling.fit_optimum(c, fit)
    traces = []
    for mult, width, name in ((0.1, 1, "C / 10"), (1.0, 3, "this budget C"), (10.0, 1, "10 × C")):
        n = n0 * np.sqrt(mult) * np.logspace(-1.5, 1.5, 61)
        loss = scaling.parametric_loss(n, c * mult / (6 * n), fit)
        traces.append({"type": "scatter", "mode": "lines", "name": name, "x": n, "y": loss,
                       "line": {"width": width, "color": "#264653" if mult == 1 else "#aaaaaa"}})
    traces.append({"type": "scatter", "mode": "markers", "name": "fit minimum",
                   "x": [n0], "y": [scaling.parametric_loss(n0, c / (6 * n0), fit)],
                   "marker": {"symbol": "circle-open", "size": 14, "color": "#264653"}})
    if rule_point:
        traces.append({"type": "scatter", "mode": "markers", "name": "20 tokens/param",
                       "x": [n_opt], "y": [scaling.parametric_loss(n_opt, c / (6 * n_opt), fit)],
                       "marker": {"symbol": "diamond", "size": 11, "color": "#2a9d8f"}})
    layout = {"xaxis": {"title": {"text": "parameters N (tokens D = C / 6N)"}, "type": "log"},
              "yaxis": {"title": {"text": "predicted loss (nats/token)"}},
              "legend": {"orientation": "h", "y": -0.25}, "margin": {"t": 20}}
    return {"data": traces, "layout": layout}


def _plane_figure(c, rule, fit, n_opt, d_opt, life, show_models):
    ns = 10.0 ** np.array(X_RANGE)       # straight lines on log-log axes: two points each
    if rule == "20-tokens":
        path = {"x": ns, "y": 20 * ns, "name": "optimum, D = 20·N"}
    else:                                # N and D are powers of C along the fit's optimum
        cs = np.array([1e14, 1e30])
        pts = np.array([scaling.fit_optimum(ci, fit) for ci in cs])
        path = {"x": pts[:, 0], "y": pts[:, 1], "name": "fit's optimum"}
    traces = [dict(path, type="scatter", mode="lines", line={"dash": "dash", "color": "#2a9d8f"}),
              {"type": "scatter", "mode": "lines", "name": "same compute",
               "x": ns, "y": c / (6 * ns), "line": {"color": "#aaaaaa", "width": 1}}]
    # the same-quality curve: every (N, D) the fit says reaches the lifetime target loss
    n_min = (scaling.FITS[fit]["A"] / (life["loss"] - scaling.FITS[fit]["E"])) ** (1 / scaling.FITS[fit]["alpha"])
    n_iso = n_min * np.logspace(0.002, 4, 80)
    d_iso = scaling.iso_loss_tokens(n_iso, life["loss"], fit)
    keep = d_iso < 10 ** (Y_RANGE[1] + 1)
    traces.append({"type": "scatter", "mode": "lines", "name": f"same loss ({life['loss']:.3f})",
                   "x": n_iso[keep], "y": d_iso[keep], "line": {"color": "#e9c46a"}})
    if show_models:
        runs = [r for r in scaling.training_runs() if r["name"] in MODELS]
        traces.append({"type": "scatter", "mode": "markers+text", "name": "published",
                       "x": [r["n_params"] for r in runs], "y": [r["n_tokens"] for r in runs],
                       "text": [r["name"] for r in runs], "textposition": [MODELS[r["name"]] for r in runs],
                       "marker": {"size": 7, "color": "#555555"}})
    traces.append({"type": "scatter", "mode": "markers", "name": "compute-optimal",
                   "x": [n_opt], "y": [d_opt], "marker": {"symbol": "diamond", "size": 13, "color": "#2a9d8f"}})
    traces.append({"type": "scatter", "mode": "markers", "name": "lifetime optimum",
                   "x": [life["n_params"]], "y": [life["n_tokens"]],
                   "marker": {"symbol": "star", "size": 16, "color": "#e76f51"}})
    layout = {"xaxis": {"title": {"text": "parameters N"}, "type": "log", "range": list(X_RANGE)},
              "yaxis": {"title": {"text": "training tokens D"}, "type": "log", "range": list(Y_RANGE)},
              "legend": {"orientation": "h", "y": -0.25}, "margin": {"t": 20}}
    return {"data": traces, "layout": layout}


def _models_table():
    rows = []
    for r in scaling.training_runs():
        if r["name"] in MODELS:
            n, d = r["n_params"], r["n_tokens"]
            rows.append([r["name"], compact(n), compact(d), _tpp(n, d),
                         sci(scaling.train_flops(n, d)), r["source"]])
    return {"kind": "table", "columns": ["model", "N", "D (tokens)", "tokens / param",
                                         "6·N·D (FLOP)", "source"],
            "rows": rows, "caption": "Published sizes and token counts; compute recomputed as 6·N·D."}


def render(compute=5.76e23, inference_tokens=1e9, rule="20-tokens", show_models=True):
    c = float(compute)
    fit = _fit_for(rule)
    n_opt, d_opt = scaling.chinchilla_opt(c, rule)
    life = scaling.lifetime_optimum(c, inference_tokens, fit)
    ch = life["chinchilla"]
    saving = 1 - life["lifetime_flops"] / ch["lifetime_flops"]
    loss_opt = scaling.parametric_loss(n_opt, d_opt, fit)

    stats = {"kind": "stats", "items": [
        {"label": "Compute-optimal N", "value": compact(n_opt), "unit": "parameters",
         "note": scaling.RULES[rule]},
        {"label": "Compute-optimal D", "value": compact(d_opt), "unit": "tokens",
         "note": f"{_tpp(n_opt, d_opt)} tokens per parameter"},
        {"label": "Predicted loss", "value": f"{loss_opt:.3f}", "unit": "nats/token",
         "note": scaling.FITS[fit]["label"]},
        {"label": "Cheapest over its lifetime", "value": compact(life["n_params"]),
         "unit": "parameters",
         "note": f"on {compact(life['n_tokens'])} tokens "
                 f"({_tpp(life['n_params'], life['n_tokens'])} per parameter), same loss"},
        {"label": "Lifetime compute saved", "value": f"{saving:.1%}",
         "note": f"{sci(life['lifetime_flops'])} vs {sci(ch['lifetime_flops'])} FLOP "
                 f"with {compact(inference_tokens)} tokens served"},
    ]}
    blocks = [stats]

    loss_fig = _loss_figure(c, fit, n_opt, rule == "20-tokens")
    blocks.append({"kind": "plotly", "figure": loss_fig, "alt": (
        f"Loss against model size at a fixed budget of {sci(c)} FLOP ({scaling.FITS[fit]['label']}). "
        f"Too small a model is limited by its size, too large a one by its data; the fit's minimum is "
        f"N = {compact(ch['n_params'])}, D = {compact(ch['n_tokens'])}, loss {life['loss']:.3f}. "
        f"Faint curves: budgets ten times smaller and larger.")})

    plane = _plane_figure(c, rule, fit, n_opt, d_opt, life, show_models)
    blocks.append({"kind": "plotly", "figure": plane, "alt": (
        f"Model size against training tokens, log axes. Compute-optimal point N = {compact(n_opt)}, "
        f"D = {compact(d_opt)}. Counting {compact(inference_tokens)} inference tokens, the cheapest "
        f"model with the same loss is N = {compact(life['n_params'])}, D = {compact(life['n_tokens'])}"
        + (". Published models: " + "; ".join(
            f"{r['name']} ({compact(r['n_params'])}, {compact(r['n_tokens'])})"
            for r in scaling.training_runs() if r["name"] in MODELS) if show_models else "") + ".")})

    if rule == "hoffmann":
        blocks.append({"kind": "text", "level": "warn", "text": (
            f"Caveat: with the constants as printed, the optimum at this budget is "
            f"{compact(n_opt)} parameters on {d_opt / n_opt:.0f} tokens per parameter. The paper's "
            f"other two methods, and Chinchilla itself, say about 20. A 2024 refit (Besiroglu et al.) "
            f"traced the gap to rounding and an optimiser stopped too early; prefer the rule or the refit.")})
    elif rule == "20-tokens":
        blocks.append({"kind": "text", "text": (
            f"The rule sets N = √(C/120). The curves and the lifetime optimum use the Epoch AI "
            f"refit, whose own minimum here is {compact(ch['n_params'])} "
            f"({_tpp(ch['n_params'], ch['n_tokens'])} tokens per parameter). The rule fixes the "
            f"ratio at 20; the fit lets it drift slowly with the budget.")})
    if show_models:
        blocks.append(_models_table())
    return blocks
