"""Every head of a real model on one text, side by side. Read the scores: does any head look at
the previous token, park on the first token, or (on a repeated phrase) jump to the token after the
earlier copy? Then switch a head off with "Ablate" and see what the next-token loss pays for it.
tinylm, trained on docstrings, has no strong induction head; switch the model to the 2-layer
induction model to see one, and ablate its layer-0 previous-token head to break the circuit.
"""

import numpy as np

from fieldguide import heads as H
from fieldguide import tinylm
from fieldguide.demo import WEIGHTS

TITLE = "Head gallery: what each head looks at, and what it is worth"
BADGE = "TINY-REAL"
ASSETS = []

MODELS = [["tinylm", "tinylm (4 × 4 heads, trained on docstrings)"],
          ["induction", "2-layer induction model (trained on repeats)"]]
ABLATE = [["none", "none"]] + [[f"L{l}H{h}", f"layer {l}, head {h}"] for l in range(4) for h in range(4)]
NAMES = {"previous_token": "previous-token", "first_token": "first-token", "induction": "induction"}

CONTROLS = [
    {"name": "sentence", "kind": "text", "label": "Text (repeat a phrase to test induction)",
     "default": H.DEFAULT_TEXT, "maxlength": 400},
    {"name": "model", "kind": "select", "label": "Model", "options": MODELS, "default": "tinylm"},
    {"name": "layer", "kind": "range", "label": "Layer", "min": 0, "max": 3, "step": 1, "default": 1},
    {"name": "all_heads", "kind": "checkbox", "label": "Show every layer's heads", "default": True},
    {"name": "ablate", "kind": "select", "label": "Ablate (zero) one head", "options": ABLATE,
     "default": "none"},
]


def _gallery(g, labels, layers, n_head, selected):
    """Small multiples: one heatmap per head, rows = layers shown, columns = heads."""
    rows, T = len(layers), len(labels)
    gap = 0.04
    data, layout = [], {"height": 170 * rows + 90, "margin": {"l": 40, "r": 10, "t": 40, "b": 40},
                        "plot_bgcolor": "#e0e0e0",
                        "title": {"text": f"Attention of {rows * n_head} heads (rows: query, "
                                          "columns: key; grey = masked future)"}}
    for r, l in enumerate(layers):
        for h in range(n_head):
            k = r * n_head + h + 1
            xa, ya = ("x", "y") if k == 1 else (f"x{k}", f"y{k}")
            a = g["attn"][l, h]
            z = [[round(float(a[i, j]), 2) if j <= i else None for j in range(T)] for i in range(T)]
            data.append({"type": "heatmap", "z": z, "xaxis": xa, "yaxis": ya, "zmin": 0, "zmax": 1,
                         "colorscale": WEIGHTS, "showscale": k == 1, "hoverongaps": False,
                         "x": list(range(T)), "y": list(range(T)),
                         "hovertemplate": "query %{y} → key %{x}: %{z}<extra>" + f"L{l}H{h}</extra>"})
            x0 = h / n_head + gap / 2
            y1 = 1 - r / rows - gap / 2
            mark = " (selected layer)" if l == selected and rows > 1 and h == 0 else ""
            layout["xaxis" if k == 1 else f"xaxis{k}"] = {
                "domain": [x0, x0 + 1 / n_head - gap], "anchor": ya, "showticklabels": False,
                "title": {"text": f"L{l}H{h}{mark}", "font": {"size": 11}}}
            layout["yaxis" if k == 1 else f"yaxis{k}"] = {
                "domain": [y1 - 1 / rows + gap * 1.5, y1], "anchor": xa, "autorange": "reversed",
                "showticklabels": False}
    return data, layout


def render(sentence=H.DEFAULT_TEXT, model="tinylm", layer=1, all_heads=True, ablate="none"):
    if model not in dict(MODELS):
        raise ValueError(f"Unknown model {model!r}: choose tinylm or induction.")
    cfg = tinylm.load(model).cfg
    notes = []
    n_text = len(tinylm.encode(sentence)) if isinstance(sentence, str) else 0
    g = H.gallery(sentence, model)
    ids, T = g["ids"], len(g["ids"])
    if n_text > T:
        notes.append(f"Scoring the first {T} of {n_text} tokens (the induction model's context).")
    if model == "induction":
        notes.append(f"The induction model knows {cfg.vocab_size} symbols: each token id is folded "
                     f"into that range (id mod {cfg.vocab_size}), so a repeated token stays a repeat "
                     "but the words themselves mean nothing to it.")
    layer = int(layer)
    if layer >= cfg.n_layer:
        notes.append(f"The {model} model has {cfg.n_layer} layers; showing layer {cfg.n_layer - 1}.")
        layer = cfg.n_layer - 1
    labels = [f"{i}·{s}" for i, s in enumerate(tinylm.token_strings(tinylm.encode(sentence)[:T]))]

    ab = None
    if ablate != "none":
        if ablate not in dict(ABLATE):
            raise ValueError(f"Unknown head {ablate!r} to ablate: pick none or L<layer>H<head>.")
        l, h = int(ablate[1]), int(ablate[3])
        if l < cfg.n_layer and h < cfg.n_head:
            ab = (l, h, H.ablation(sentence, model, (l, h)))
        else:
            notes.append(f"The {model} model has no layer {l}, head {h} "
                         f"({cfg.n_layer} layers of {cfg.n_head} heads): nothing was ablated.")

    stats = [{"label": "Tokens", "value": str(T)},
             {"label": "Repeat", "value": f"period {g['period']}" if g["period"] else "none found",
              "note": "induction is scored only on a text that repeats"},
             {"label": "Mean next-token loss", "value": f"{g['loss'].mean():.3f}", "unit": "nats"}]
    if ab:
        stats.append({"label": f"Loss change, L{ab[0]}H{ab[1]} zeroed", "value": f"{ab[2]['delta']:+.3f}",
                      "unit": "nats", "note": f"mean over the text; {ab[2]['ablated']:.3f} ablated"})
        if "delta_repeat" in ab[2]:
            stats.append({"label": "…on the repeat only", "value": f"{ab[2]['delta_repeat']:+.3f}",
                          "unit": "nats", "note": "predictions inside the second copy"})
    for n, s in g["scores"].items():
        h = int(np.argmax(s[layer]))
        stats.append({"label": f"Layer {layer}: best {NAMES[n]}", "value": f"H{h} ({s[layer, h]:.2f})"})

    layers = list(range(cfg.n_layer)) if all_heads else [layer]
    data, layout = _gallery(g, labels, layers, cfg.n_head, layer)
    alt = (f"Attention patterns of {len(layers) * cfg.n_head} heads of {model} on {T} tokens. Scores "
           "(mean weight on the previous token, the first token"
           + (", the token after the earlier copy" if "induction" in g["scores"] else "") + "): "
           + "; ".join(f"L{l}H{h} " + " ".join(f"{g['scores'][n][l, h]:.2f}" for n in g["scores"])
                       for l in layers for h in range(cfg.n_head)))
    blocks = [{"kind": "stats", "items": stats},
              {"kind": "plotly", "figure": {"data": data, "layout": layout}, "alt": alt}]

    cols = ["layer", "head"] + [NAMES[n] for n in g["scores"]]
    rows = [[l, h] + [round(float(g["scores"][n][l, h]), 3) for n in g["scores"]]
            for l in range(cfg.n_layer) for h in range(cfg.n_head)]
    chance = float(np.mean([1 / (i + 1) for i in range(1, T)]))
    blocks.append({"kind": "table", "columns": cols, "rows": rows, "caption":
                   f"Mean attention weight each head puts where the pattern predicts; an even spread "
                   f"over the visible tokens would give about {chance:.2f}."})

    base = g["loss"]
    traces = [{"type": "bar", "name": "intact", "x": labels[1:], "y": [round(float(v), 3) for v in base]}]
    if ab:
        traces.append({"type": "bar", "name": f"L{ab[0]}H{ab[1]} zeroed", "x": labels[1:],
                       "y": [round(float(v), 3) for v in base + ab[2]["per_token"]]})
    worst = np.argsort(-ab[2]["per_token"])[:3] if ab else np.argsort(-base)[:3]
    blocks.append({"kind": "plotly", "figure": {"data": traces, "layout": {
        "title": {"text": "Loss of predicting each token" + (f" (intact vs L{ab[0]}H{ab[1]} zeroed)" if ab else "")},
        "barmode": "group", "height": 300, "margin": {"b": 110},
        "xaxis": {"tickangle": -60}, "yaxis": {"title": {"text": "nats"}}}},
        "alt": ("Next-token loss per predicted token. " + (
            f"Largest increases with L{ab[0]}H{ab[1]} zeroed: " + ", ".join(
                f"{labels[i + 1]} {ab[2]['per_token'][i]:+.2f}" for i in worst) if ab else
            "Hardest tokens: " + ", ".join(f"{labels[i + 1]} {base[i]:.2f}" for i in worst)))})
    blocks.append({"kind": "text", "text": tinylm.scale_note(model)})
    for n in notes:
        blocks.append({"kind": "text", "level": "warn", "text": n})
    return blocks
