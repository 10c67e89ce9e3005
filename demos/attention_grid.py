"""Where does each token look? Pick a query token and read its row: the weights over the earlier
tokens sum to 1. Try the pronoun "it" in tinylm's heads, then tick "repeat" and switch to the
induction model: in its layer-1 induction head the second copy of each token looks at the token
that *followed* its first copy. Turn the causal mask off to see the scores the model never used;
turn the 1/sqrt(d) scaling off in random mode with a large d_k and watch rows collapse onto one
token; shuffle to see that attention without the mask does not care about order.
"""

import numpy as np

from fieldguide import interp, tinylm
from fieldguide.tinylm import attention as A
from fieldguide.demo import WEIGHTS

TITLE = "Attention grid: where each token looks"
BADGE = "TINY-REAL"
ASSETS = []
MAX_TOKENS = 48
DEFAULT_SENTENCE = "The bottle would not fit in the bag because it was too wide"

SOURCES = [["tinylm", "tinylm head (trained)"],
           ["induction", "2-layer induction model (trained)"],
           ["hand", "hand-built pattern heads (illustrative)"],
           ["random", "random projections of tinylm's embeddings"]]
HAND = ["previous token", "first token", "same token", "induction"]   # head 0..3 in hand mode


def _default_query() -> int:
    strings = tinylm.token_strings(tinylm.encode(DEFAULT_SENTENCE))
    # the pronoun " it" (with its space), not the "it" inside " f|it"
    return next((i for i, s in enumerate(strings) if s == " it"), len(strings) - 1)


CONTROLS = [
    {"name": "sentence", "kind": "text", "label": "Sentence", "default": DEFAULT_SENTENCE,
     "maxlength": 400},
    {"name": "source", "kind": "select", "label": "Attention from", "options": SOURCES,
     "default": "tinylm"},
    {"name": "layer", "kind": "range", "label": "Layer", "min": 0, "max": 3, "step": 1, "default": 1},
    {"name": "head", "kind": "range", "label": "Head", "min": 0, "max": 3, "step": 1, "default": 0},
    {"name": "query", "kind": "range", "label": "Query token (position)", "min": 0,
     "max": MAX_TOKENS - 1, "step": 1, "default": _default_query()},
    {"name": "temperature", "kind": "range", "label": "Score temperature", "min": 0.1, "max": 4,
     "step": 0.05, "default": 1.0},
    {"name": "causal", "kind": "checkbox", "label": "Causal mask (hide the future)", "default": True},
    {"name": "scale_sqrt_d", "kind": "checkbox", "label": "Divide scores by sqrt(d_k)", "default": True},
    {"name": "shuffle", "kind": "checkbox", "label": "Shuffle the tokens", "default": False},
    {"name": "repeat", "kind": "checkbox", "label": "Repeat the sentence (for induction)",
     "default": False},
    {"name": "d_k", "kind": "range", "label": "d_k (random mode and the equivariance check)", "min": 4, "max": 256, "step": 4,
     "default": 32},
]

_QK: dict = {}     # (model, ids) -> per-layer (Q, K): a knob change does not rerun the model


def _queries_keys(model_name: str, ids: tuple) -> list:
    key = (model_name, ids)
    if key not in _QK:
        if len(_QK) > 32:
            _QK.clear()
        _QK[key] = tinylm.load(model_name).queries_keys(list(ids))
    return _QK[key]


def _tokens(sentence: str, shuffle: bool, repeat: bool):
    ids = tinylm.encode(sentence)
    notes = []
    if not ids:
        raise ValueError("Type a sentence: there are no tokens to attend over.")
    if repeat:
        ids = ids + ids
    if len(ids) > MAX_TOKENS:
        notes.append(f"Showing the first {MAX_TOKENS} of {len(ids)} tokens.")
        ids = ids[:MAX_TOKENS]
    if shuffle:
        ids = [ids[i] for i in np.random.default_rng(0).permutation(len(ids))]
    return ids, notes


def render(sentence=DEFAULT_SENTENCE, source="tinylm", layer=1, head=0, query=None,
           temperature=1.0, causal=True, scale_sqrt_d=True, shuffle=False, repeat=False, d_k=32):
    query = CONTROLS[4]["default"] if query is None else int(query)
    ids, notes = _tokens(sentence, shuffle, repeat)
    labels = [f"{i}·{s}" for i, s in enumerate(tinylm.token_strings(ids))]
    T = len(ids)
    if query >= T:
        notes.append(f"Query {query} is past the last token; using the last one ({T - 1}).")
        query = T - 1
    layer, head = int(layer), int(head)
    what = ""
    if source in ("tinylm", "induction"):
        model = tinylm.load(source)
        # the induction model knows 64 abstract symbols: token id mod 64 keeps repeats as repeats
        mids = tuple(int(i) % model.cfg.vocab_size for i in ids)
        if layer >= model.cfg.n_layer:
            notes.append(f"The {source} model has {model.cfg.n_layer} layers; showing layer "
                         f"{model.cfg.n_layer - 1}.")
            layer = model.cfg.n_layer - 1
        if head >= model.cfg.n_head:
            notes.append(f"The {source} model has {model.cfg.n_head} head(s) per layer; showing head "
                         f"{model.cfg.n_head - 1}.")
            head = model.cfg.n_head - 1
        q, k = (a[head] for a in _queries_keys(source, mids)[layer])
        w, scores = A.attention_weights(q, k, causal, scale_sqrt_d, temperature)
        what = f"{source} layer {layer}, head {head} (real weights, d_k = {q.shape[-1]})"
    elif source == "hand":
        pattern = HAND[head]
        w, scores = A.weights_from_scores(A.pattern_scores(ids, pattern), causal, temperature)
        what = f"hand-built '{pattern}' head (illustrative: scores written by hand, not learned)"
    elif source == "random":
        x = tinylm.embed(ids).astype(np.float64) + tinylm.load().params["wpe"][:T]
        rng = np.random.default_rng(1000 * layer + head)
        d = x.shape[1]
        wq, wk = (rng.normal(0, 1 / np.sqrt(d), (d, int(d_k))) for _ in range(2))
        x = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)      # LayerNorm, no gain
        w, scores = A.attention_weights(x @ wq, x @ wk, causal, scale_sqrt_d, temperature)
        what = f"random projections, d_k = {int(d_k)} (untrained)"
    else:
        raise ValueError(f"Unknown source {source!r}.")

    row = w[query]
    ent = float(A.row_entropy(row))
    visible = query + 1 if causal else T
    top = np.argsort(-row)[:3]
    x0 = tinylm.embed(ids).astype(np.float64)
    eq_rng = np.random.default_rng(7)
    wqkv = [eq_rng.normal(0, 1 / np.sqrt(x0.shape[1]), (x0.shape[1], int(d_k))) for _ in range(3)]
    equivariant = A.equivariance_check(x0, *wqkv, causal=causal)

    stats = {"kind": "stats", "items": [
        {"label": "Query", "value": labels[query]},
        {"label": "Row entropy", "value": f"{ent:.2f}", "unit": "bits",
         "note": f"max {np.log2(visible):.2f} = evenly over {visible} tokens"},
        {"label": "Strongest link", "value": f"{labels[top[0]]} ({row[top[0]]:.2f})"},
        {"label": "Permutation-equivariant", "value": "yes" if equivariant else "no",
         "note": f"random W_Q, W_K, W_V of width d_k = {int(d_k)} on the token vectors alone "
                 "(no positions), shuffled vs not, with this mask setting"},
    ]}
    z = [[None if not np.isfinite(scores[i, j]) else round(float(w[i, j]), 4) for j in range(T)]
         for i in range(T)]
    heat = {"kind": "plotly", "figure": {
        "data": [{"type": "heatmap", "z": z, "x": labels, "y": labels, "colorscale": WEIGHTS,
                  "zmin": 0, "zmax": 1, "hoverongaps": False,
                  "colorbar": {"title": {"text": "weight"}}}],
        "layout": {"title": {"text": what}, "height": 460,
                   "xaxis": {"title": {"text": "key (looked at)"}, "tickangle": -60},
                   "yaxis": {"title": {"text": "query (looking)"}, "autorange": "reversed"},
                   "plot_bgcolor": "#e0e0e0", "margin": {"l": 110, "b": 110},
                   "shapes": [{"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                               "y0": query - 0.5, "y1": query + 0.5,
                               "line": {"color": "#d62728", "width": 2}}]}},
        "alt": f"{T}x{T} attention weights for {what}; grey cells are masked (future). Row "
               f"{labels[query]}: " + ", ".join(f"{labels[j]} {row[j]:.2f}" for j in top)}
    bars = {"kind": "plotly", "figure": {
        "data": [{"type": "bar", "x": labels, "y": [round(float(v), 4) for v in row],
                  "marker": {"color": ["#d62728" if j == top[0] else "#1f77b4" for j in range(T)]}}],
        "layout": {"title": {"text": f"Row {labels[query]}: its weights (sum = {row.sum():.3f})"},
                   "height": 260, "yaxis": {"title": {"text": "weight"}, "range": [0, 1]},
                   "xaxis": {"tickangle": -60}, "margin": {"b": 110}}},
        "alt": "Weights of the selected row: " + ", ".join(
            f"{labels[j]} {row[j]:.3f}" for j in range(T) if row[j] >= 0.005)}
    blocks = [stats, heat, bars]
    if source in ("tinylm", "induction"):
        model = tinylm.load(source)
        period = interp.find_period(mids)
        sc = interp.head_scores(model, list(mids), period)
        cols = ["layer", "head", "previous-token", "first-token"]
        look = None
        if period:
            _, _, att_all = model.forward(list(mids), return_attn=True)
            look = interp.lookback_pattern_scores(np.stack(att_all), period)
            cols += ["induction (+1)", "strongest look-back"]
        rows = []
        for li in range(model.cfg.n_layer):
            for h in range(model.cfg.n_head):
                row_ = [li, h] + [round(float(sc[c][li, h]), 2) for c in ("previous_token", "first_token")]
                if look is not None:
                    o = int(np.argmax(look[li, h]))
                    row_ += [round(float(look[li, h, 1]), 2), f"+{o}: {look[li, h, o]:.2f}"]
                rows.append(row_)
        blocks.append({"kind": "table", "columns": cols, "rows": rows, "caption":
                       "What each head of this model does on this input: mean weight on the previous "
                       "token, on the first token" + (
                           f", on the token after the earlier copy (repeat period {period}), and the "
                           "offset after the earlier copy this head looks at most (+0 = the copy "
                           "itself)" if period else "; tick 'repeat' for the induction columns")})
    blocks.append({"kind": "text", "text": tinylm.scale_note()})
    for n in notes:
        blocks.append({"kind": "text", "level": "warn", "text": n})
    return blocks
