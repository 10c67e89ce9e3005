"""A token id is only an address: the embedding layer fetches row `id` of a V x d matrix. Here
the matrix is tinylm's real, trained one (2,048 rows of 128 numbers).

Try: ` river`, then `river` with no leading space — a different id and a different row. Type a
word tinylm never saw whole and watch it become several rows. Tick the one-hot box to see that
multiplying a vector of 2,047 zeros and one 1 by the matrix gives the very same row. Notice which
neighbours are near by cosine: tinylm learned them from Python docstrings, so its idea of "near"
is a programmer's.
"""

from fieldguide import embeddings, tinylm

TITLE = "Embedding lookup: id → row of tinylm's matrix"
BADGE = "TINY-REAL"
ASSETS = []
CONTROLS = [
    {"name": "token", "kind": "text", "label": "Text (a leading space is part of a token)",
     "default": " river", "maxlength": 200},
    {"name": "one_hot", "kind": "checkbox", "label": "Show the one-hot × matrix identity",
     "default": False},
    {"name": "neighbours", "kind": "range", "label": "Nearest neighbours to list", "min": 1,
     "max": 20, "step": 1, "default": 8},
]
MAX_TOKENS = 12


def _label(s: str) -> str:
    return s.replace(" ", "␣").replace("\n", "⏎")


def render(token=" river", one_hot=False, neighbours=8):
    try:
        model = tinylm.load()
    except (FileNotFoundError, ValueError) as err:
        return [{"kind": "text", "level": "error",
                 "text": f"tinylm's weights are not in this build ({err}); run `make train`."}]
    if not token:
        return [{"kind": "text", "level": "warn", "text": "Type a word or a few characters."}]
    E = model.params["wte"]
    V, d = E.shape
    ids = tinylm.encode(token)[:MAX_TOKENS]
    strings = tinylm.token_strings(ids)
    blocks = [{"kind": "tokens", "caption": f"{len(ids)} tinylm token(s)",
               "tokens": [{"text": _label(s), "id": int(i), "group": k % 6}
                          for k, (i, s) in enumerate(zip(ids, strings))]}]
    n_total = model.n_params()
    blocks.append({"kind": "stats", "items": [
        {"label": "Embedding matrix", "value": f"{V:,} × {d}", "unit": "rows × columns"},
        {"label": "Embedding parameters V·d", "value": f"{V * d:,}",
         "note": f"{V * d / n_total:.0%} of tinylm's {n_total:,}"},
        {"label": "Scale", "value": f"{tinylm.frontier_ratio():,.0f}× smaller",
         "note": f"than {tinylm.FRONTIER_PARAMS['name']}"},
    ]})
    rows = embeddings.lookup(E, ids)
    fig = {"data": [{"type": "heatmap", "z": rows.tolist(), "colorscale": "RdBu", "zmid": 0,
                     "y": [f"{_label(s)} ({i})" for i, s in zip(ids, strings)],
                     "colorbar": {"title": {"text": "value"}}}],
           "layout": {"xaxis": {"title": {"text": f"dimension (0–{d - 1})"}},
                      "yaxis": {"autorange": "reversed", "type": "category"},
                      "margin": {"t": 20, "l": 120}, "height": 120 + 28 * len(ids)}}
    alt = "; ".join(f"row {i} ({_label(s)}): first values " +
                    ", ".join(f"{v:.3f}" for v in r[:6]) + f", length {float((r ** 2).sum()) ** 0.5:.3f}"
                    for i, s, r in zip(ids, strings, rows))
    blocks.append({"kind": "plotly", "figure": fig, "alt": "Heat strip of embedding rows. " + alt})
    if one_hot:
        i0 = int(ids[0])
        gap = embeddings.one_hot_gap(E, i0)
        blocks.append({"kind": "code", "caption": "one-hot × matrix = row lookup",
                       "text": f"one_hot({i0}) = [0, 0, …, 1 at position {i0}, …, 0]   "
                               f"({V:,} entries)\none_hot({i0}) @ E  vs  E[{i0}]:  largest "
                               f"difference = {gap}\nThe product does {V * d:,} multiply-adds to "
                               "copy one row; the lookup reads 128 numbers."})
    table = []
    for i, s in list(zip(ids, strings))[:4]:
        near = embeddings.nearest(E, E[i], int(neighbours), exclude=(int(i),))
        names = tinylm.token_strings([j for j, _ in near])
        table.append([_label(s), ", ".join(f"{_label(n)} ({c:.2f})" for n, (_, c) in zip(names, near))])
    blocks.append({"kind": "table", "columns": ["token", f"{neighbours} nearest rows by cosine"],
                   "rows": table, "caption": "Cosine similarity of embedding rows, token itself "
                                             "excluded."})
    return blocks
