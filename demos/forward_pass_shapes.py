"""Follow one prompt through the book's tiny model, stage by stage: token ids, vectors of width 128,
what attention adds, the FFN's 4× wider hidden layer, the residual stream after the block, and the
logits that end in the five likeliest next tokens. Step the stage slider and watch the shapes; move
the block slider to see what each block adds and how large the residual stream is after it.
"""

import numpy as np

from fieldguide import block, tinylm

TITLE = "One forward pass: the shapes at every stage"
BADGE = "TINY-REAL"
ASSETS = []
MAX_TOKENS = 32
LOGIT_COLUMNS = 16
DEFAULT_PROMPT = "The dog slept on the"

CONTROLS = [
    {"name": "prompt", "kind": "text", "label": "Prompt", "default": DEFAULT_PROMPT, "maxlength": 400},
    {"name": "stage", "kind": "range", "label": "Stage (0 tokens … 5 unembed)", "min": 0, "max": 5,
     "step": 1, "default": 3},
    {"name": "layer", "kind": "range", "label": "Block (layer)", "min": 0, "max": 3, "step": 1,
     "default": 0},
]

_TRACES: dict = {}     # ids -> trace: moving a slider does not rerun the model


def _trace(ids: tuple) -> dict:
    if ids not in _TRACES:
        if len(_TRACES) > 16:
            _TRACES.clear()
        _TRACES[ids] = block.trace(list(ids))
    return _TRACES[ids]


def _rms(row) -> float:
    return float(np.sqrt(np.mean(np.square(row))))


def render(prompt=DEFAULT_PROMPT, stage=3, layer=0):
    ids = tinylm.encode(prompt)
    notes = []
    if not ids:
        raise ValueError("Prompt: type some text; there are no tokens to run.")
    if len(ids) > MAX_TOKENS:
        notes.append(f"Using the last {MAX_TOKENS} of {len(ids)} tokens.")
        ids = ids[-MAX_TOKENS:]
    stage, layer = int(stage), int(layer)
    tr = _trace(tuple(ids))
    labels = [f"{i}·{s}" for i, s in enumerate(tr["tokens"])]
    name = block.STAGES[stage]
    st = block.stage(tr, name, layer)
    arr = st["array"]
    shape = "(" + ", ".join(f"{s:,}" for s in st["shape"]) + (",)" if len(st["shape"]) == 1 else ")")
    per_layer = name in ("attention", "FFN", "residual")

    if name == "unembed":
        cols = np.argsort(-arr[-1])[:LOGIT_COLUMNS]
        z, x = arr[:, cols], [repr(s) for s in tinylm.token_strings(cols)]
        x_title = f"the {LOGIT_COLUMNS} tokens the last position scores highest (of {arr.shape[1]:,})"
    elif name == "tokens":
        z, x = arr, labels
        x_title = "position"
    else:
        z, x = arr, list(range(arr.shape[1]))
        x_title = f"dimension (all {arr.shape[1]})"
    y = ["ids"] if name == "tokens" else labels
    lim = float(np.abs(z).max()) or 1.0
    zmin = 0.0 if name == "tokens" else -lim
    heat = {"kind": "plotly", "figure": {
        "data": [{"type": "heatmap", "z": np.round(z, 3).tolist(), "x": x, "y": y,
                  "zmin": zmin, "zmax": lim, "colorscale": "Blues" if name == "tokens" else "RdBu",
                  "reversescale": name != "tokens", "colorbar": {"title": {"text": "value"}}}],
        "layout": {"title": {"text": f"Stage {stage} · {name}: {st['tensor']}, shape {shape}"},
                   "height": 140 + 18 * len(y), "margin": {"l": 90},
                   "xaxis": {"title": {"text": x_title}},
                   "yaxis": {"autorange": "reversed", "type": "category"}}},
        "alt": (f"Heat strip of {st['tensor']}, shape {shape}: values from {z.min():.3g} to "
                f"{z.max():.3g}; root-mean-square per token: "
                + ", ".join(f"{lab} {_rms(r):.3g}" for lab, r in zip(y, z)))}

    rows = []
    for i, s in enumerate(block.STAGES):
        one = block.stage(tr, s, layer)
        last = one["array"][0, -1:] if s == "tokens" else one["array"][-1]
        where = f"block {layer}" if s in ("attention", "FFN", "residual") else ""
        rows.append([("▶ " if i == stage else "") + f"{i} · {s}", where, one["tensor"],
                     "(" + ", ".join(f"{v:,}" for v in one["shape"]) + (",)" if s == "tokens" else ")"),
                     "" if s == "tokens" else f"{_rms(last):.3g}"])
    table = {"kind": "table", "columns": ["stage", "where", "tensor", "shape", "RMS, last token"],
             "rows": rows, "caption": "Every stage for this prompt (T = "
             f"{len(ids)} tokens). The residual stream keeps width {tr['resid'][0].shape[1]} from the "
             "embedding to the unembedding; only the FFN's hidden layer is wider."}

    top = block.top_next(tr)
    nxt = {"kind": "table", "columns": ["next token", "probability"],
           "rows": [[repr(s), f"{p:.3f}"] for s, p in top],
           "caption": f"The five likeliest tokens after {tr['tokens'][-1]!r} (softmax of the last row of "
                      "the logits)."}
    stats = {"kind": "stats", "items": [
        {"label": "Stage", "value": f"{stage} · {name}"},
        {"label": "Shape", "value": shape},
        {"label": "Where", "value": f"block {layer}" if per_layer else "outside the blocks"},
        {"label": "Top next token", "value": f"{top[0][0]!r} ({top[0][1]:.2f})"},
    ]}
    chips = {"kind": "tokens", "tokens": [{"text": s, "id": int(i), "title": f"id {int(i)}"}
                                          for s, i in zip(tr["tokens"], ids)],
             "caption": f"{len(ids)} tokens of tinylm's {tinylm.load().cfg.vocab_size:,}-entry vocabulary"}
    blocks = [stats, chips, heat, table, nxt, {"kind": "text", "text": tinylm.scale_note()}]
    for n in notes:
        blocks.append({"kind": "text", "level": "warn", "text": n})
    return blocks
