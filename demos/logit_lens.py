"""Read tinylm's mind half-way through. After every block the residual stream is pushed through the
final LayerNorm and the unembedding, as if the model stopped there. Row 0 (embeddings only) mostly
predicts the token it is sitting on: the unembedding is the embedding matrix transposed. Watch the
top guess at the last position change layer by layer, and move the layer slider to read one layer's
top five at every position.
"""

import numpy as np

from fieldguide import interp, tinylm
from fieldguide.demo import WEIGHTS

TITLE = "Logit lens: what each layer would predict"
BADGE = "TINY-REAL"
ASSETS = []
MAX_TOKENS = 48
DEFAULT_PROMPT = "Return the number of items in the"

CONTROLS = [
    {"name": "prompt", "kind": "text", "label": "Prompt", "default": DEFAULT_PROMPT, "maxlength": 600},
    {"name": "layer", "kind": "range", "label": "Layer to read in full (0 = embeddings only)",
     "min": 0, "max": 4, "step": 1, "default": 2},
]


def _show(s: str) -> str:
    return s.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥") or "·"


def render(prompt=DEFAULT_PROMPT, layer=2):
    m = tinylm.load()
    layer = int(layer)
    notes = []
    ids = tinylm.encode(prompt)
    if not ids:
        raise ValueError("Prompt: type some text; an empty prompt has no positions to read.")
    if len(ids) > MAX_TOKENS:
        notes.append(f"The prompt is {len(ids)} tokens; the lens reads the last {MAX_TOKENS}.")
        ids = ids[-MAX_TOKENS:]
    L = m.cfg.n_layer
    if layer > L:
        raise ValueError(f"Layer to read in full: tinylm has {L} blocks, so 0 to {L}.")
    lens = interp.logit_lens(m, ids, k=5)
    top, probs = lens["top_ids"], lens["top_probs"]
    T = len(ids)
    words = [_show(s) for s in tinylm.token_strings(ids)]
    names = ["embeddings"] + [f"after block {i + 1}" for i in range(L)]
    final_top = top[L, :, 0]
    agree = [float(np.mean(top[i, :, 0] == final_top)) for i in range(L + 1)]
    settle = next(i for i in range(L + 1) if all(top[j, -1, 0] == final_top[-1] for j in range(i, L + 1)))

    last = tinylm.token_strings(top[:, -1, 0])
    stats = {"kind": "stats", "items": [
        {"label": "Model's next token", "value": _show(last[L]), "note": f"p = {probs[L, -1, 0]:.2f}"},
        {"label": f"Layer {layer} ({names[layer]}) says", "value": _show(last[layer]),
         "note": f"p = {probs[layer, -1, 0]:.2f} at the last position"},
        {"label": "Top guess settles", "value": names[settle],
         "note": "from this layer on, the last position's top guess no longer changes"},
        {"label": f"Layer {layer} agrees with the output", "value": f"{agree[layer]:.0%}",
         "note": f"of the {T} positions' top guesses"},
    ]}

    cell = [[_show(s) for s in tinylm.token_strings(top[i, :, 0])] for i in range(L + 1)]
    heat = {"kind": "plotly", "figure": {
        "data": [{"type": "heatmap", "z": [[round(float(p), 3) for p in probs[i, :, 0]] for i in range(L + 1)],
                  "x": [f"{j}·{w}" for j, w in enumerate(words)], "y": [f"L{i}" for i in range(L + 1)],
                  "text": cell,
                  "texttemplate": "%{text}", "colorscale": WEIGHTS, "zmin": 0, "zmax": 1,
                  "colorbar": {"title": {"text": "p(top)"}}}],
        "layout": {"title": {"text": "Top-1 prediction read from the residual stream (colour: its probability)"},
                   "height": 330, "xaxis": {"title": {"text": "position (the token just read)"}, "tickangle": -50},
                   "yaxis": {"autorange": "reversed", "title": {"text": "read after layer (L0 = embeddings)"}},
                   "margin": {"b": 100},
                   "shapes": [{"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                               "y0": layer - 0.5, "y1": layer + 0.5, "line": {"color": "#d62728", "width": 2}}]}},
        "alt": "Top-1 prediction per layer at the last position: " + "; ".join(
            f"{names[i]}: {_show(last[i])} ({probs[i, -1, 0]:.2f})" for i in range(L + 1))
               + f". Agreement of each layer's top-1 with the output over {T} positions: "
               + ", ".join(f"{a:.0%}" for a in agree) + "."}

    per_layer = {"kind": "table", "columns": ["read after", "top 5 at the last position (probability)"],
                 "rows": [[names[i] + ("  ◀" if i == layer else ""), "  ".join(
                     f"{_show(s)} {p:.2f}" for s, p in zip(tinylm.token_strings(top[i, -1]), probs[i, -1]))]
                     for i in range(L + 1)],
                 "caption": f"The last position ({words[-1]}) through every layer."}
    one = {"kind": "table", "columns": ["position", "token", f"top 5 read from layer {layer} ({names[layer]})"],
           "rows": [[j, words[j], "  ".join(f"{_show(s)} {p:.2f}" for s, p in zip(
               tinylm.token_strings(top[layer, j]), probs[layer, j]))] for j in range(T)],
           "caption": "What the chosen layer would predict after each token."}
    blocks = [stats, heat, per_layer, one, {"kind": "text", "text": tinylm.scale_note()}]
    for n in notes:
        blocks.append({"kind": "text", "level": "warn", "text": n})
    return blocks
