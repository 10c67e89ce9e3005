"""Word vectors from counting: a − b + c, then the nearest words. The co-occurrence model was
built from about half a million words of Python's standard-library docstrings and comments, so
it knows `files` and `thread`, not kings and queens.

Try: the defaults first (king, man, woman): the corpus never mentions a queen, so the classic
analogy cannot even be asked. Then files − file + line (plural), or returned − return + call
(past tense). Drag dims from 300 down to 2 and watch the answers and the measured accuracy on a
fixed list of 396 such questions collapse. Notice how often the right answer is second or third:
this is what analogy arithmetic looks like on a small corpus, not a cherry-picked success.
"""

import numpy as np

from fieldguide import embeddings

TITLE = "Analogy arithmetic in a space learned from counts"
BADGE = "TOY"
ASSETS = []
METHODS = [["ppmi", "PPMI + SVD on the bundled corpus"], ["tinylm", "tinylm input embeddings"]]
CONTROLS = [
    {"name": "a", "kind": "text", "label": "a", "default": "king", "maxlength": 40},
    {"name": "b", "kind": "text", "label": "minus b", "default": "man", "maxlength": 40},
    {"name": "c", "kind": "text", "label": "plus c", "default": "woman", "maxlength": 40},
    {"name": "method", "kind": "select", "label": "Vectors", "options": METHODS, "default": "ppmi"},
    {"name": "dims", "kind": "range", "label": "Dimensions kept", "min": 2, "max": 300, "step": 1,
     "default": 100},
    {"name": "pca", "kind": "checkbox", "label": "Scatter in PCA coordinates (off: first two axes)",
     "default": True},
]
TOP = 10
SUGGEST = [("files", "file", "line"), ("returned", "return", "call"), ("keys", "key", "value")]


def _space(method, dims):
    if method == "tinylm":
        return embeddings.tinylm_space(dims)
    return embeddings.cooc_space(dims)


def _scatter(space, rows, highlight, pca):
    """rows: token/word row ids to plot; highlight: rows [a, b, answer, c] drawn large."""
    names = [space["words"][i] for i in rows]
    X = space["E"][rows]
    if pca:
        xy, share = embeddings.pca2(X)
        xt = f"PC1 ({share[0]:.0%} of variance)"
        yt = f"PC2 ({share[1]:.0%})"
    else:
        xy = np.pad(X[:, :2], ((0, 0), (0, max(0, 2 - X.shape[1]))))
        xt, yt = "coordinate 1", "coordinate 2"
    big = set(highlight)
    data = [{"type": "scatter", "mode": "markers+text", "x": xy[:, 0].tolist(),
             "y": xy[:, 1].tolist(), "text": names, "textposition": "top center",
             "marker": {"size": [12 if i in big else 7 for i in rows],
                        "color": ["#e76f51" if i in big else "#457b9d" for i in rows]},
             "showlegend": False}]
    pos = {i: xy[k] for k, i in enumerate(rows)}
    if len(highlight) == 4:
        for (u, v), label in (((highlight[1], highlight[0]), "b → a"),
                              ((highlight[3], highlight[2]), "c → answer")):
            data.append({"type": "scatter", "mode": "lines", "name": label,
                         "x": [pos[u][0], pos[v][0]], "y": [pos[u][1], pos[v][1]],
                         "line": {"dash": "dot", "color": "#e76f51"}})
    fig = {"data": data, "layout": {"xaxis": {"title": {"text": xt}},
                                    "yaxis": {"title": {"text": yt}},
                                    "margin": {"t": 20}, "legend": {"orientation": "h"}}}
    alt = "Scatter of word vectors: " + "; ".join(
        f"{names[k]} ({xy[k, 0]:.2f}, {xy[k, 1]:.2f})" for k in range(len(rows))) + "."
    return {"kind": "plotly", "figure": fig, "alt": alt}


def render(a="king", b="man", c="woman", method="ppmi", dims=100, pca=True):
    try:
        space = _space(method, int(dims))
    except (FileNotFoundError, ValueError) as err:
        return [{"kind": "text", "level": "error", "text": str(err)}]
    a, b, c = (w.strip().lower() for w in (a, b, c))
    blocks = [{"kind": "stats", "items": [
        {"label": "Query", "value": f"{a or '?'} − {b or '?'} + {c or '?'}"},
        {"label": "Vectors", "value": space["label"]},
    ]}]
    if method == "ppmi":
        acc1 = embeddings.cooc_analogy_accuracy(int(dims), 1)
        acc5 = embeddings.cooc_analogy_accuracy(int(dims), 5)
        blocks[0]["items"].append({
            "label": "Fixed test set, answer ranked first", "value": f"{acc1:.0%}",
            "note": f"{acc5:.0%} within the top 5, of {embeddings.analogy_question_count()} "
                    "plural and past-tense questions"})
    missing = embeddings.missing_words(space["index"], a, b, c)
    if missing:
        tries = "; ".join(f"{x} − {y} + {z}" for x, y, z in SUGGEST
                          if not embeddings.missing_words(space["index"], x, y, z))
        blocks.append({"kind": "text", "level": "warn",
                       "text": "Not in this vocabulary: " + ", ".join(repr(w) for w in missing) +
                               f". The {space['label']} only has words its corpus uses often. "
                               + (f"Try: {tries}." if tries else "")})
        ix = space["index"]
        present = [ix[w] for w in (a, b, c) if w and w not in missing]
        common = [i for i in list(ix.values())[:40] if i not in present]
        blocks.append(_scatter(space, present + common[:40 - len(present)], present, pca))
        return blocks
    E, ix = space["E"], space["index"]
    res = embeddings.analogy(E, ix[a], ix[b], ix[c], TOP)
    words = space["words"]
    rows = [[k + 1, words[i], f"{s:.3f}"] for k, (i, s) in enumerate(res)]
    blocks.append({"kind": "table", "columns": ["rank", "nearest to a − b + c", "cosine"],
                   "rows": rows, "caption": "a, b and c themselves are excluded, as in the "
                                            "word2vec evaluation."})
    best = res[0][0]
    inputs = [ix[a], ix[b], ix[c]]
    near = []
    for i0 in inputs:
        for i, _ in embeddings.nearest(E, E[i0], 3, exclude=(i0,)):
            if i not in near and i not in inputs and i != best:
                near.append(i)
    shown = list(dict.fromkeys(inputs + [best] + near))
    blocks.append(_scatter(space, shown, [ix[a], ix[b], best, ix[c]], pca))
    blocks.append({"kind": "text", "text": (
        f"A 2-D picture of a {E.shape[1]}-dimensional space is a caricature: a parallelogram "
        "there is neither necessary nor sufficient for the arithmetic to work.")})
    return blocks
