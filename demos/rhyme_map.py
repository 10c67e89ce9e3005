"""The book as a graph: every chapter answers a constraint left by an earlier one.

Try: pick a chapter and read the constraint that demanded it, the chapters that left that
problem behind (blue) and the chapters that pick up the problem it leaves (green). The default,
Attention, sits between recurrence and the block. Tick the overlay to add the shipping layer,
Acts V and VIII, where the same chain turns into serving and cost questions. The line of chips
traces one path of ancestry back to the Prologue.
"""

from fieldguide import book

TITLE = "The rhyme map: the chapter that came before, and the one that comes next"
BADGE = "AUTHORED"
ASSETS = []
CONTROLS = [
    {"name": "idea", "kind": "select", "label": "Chapter",
     "options": [[c["slug"], c["title"]] for c in book.chapters()], "default": "act-2/attention"},
    {"name": "shipping_layer", "kind": "checkbox",
     "label": "Overlay the shipping layer (Acts V and VIII)", "default": False},
]
ACT_NAMES = {a["id"]: a["name"] for a in book.acts()}


def _short(title):
    return title.split(":")[0].split(" — ")[0]


def render(idea="act-2/attention", shipping_layer=False):
    nb = book.neighbours(idea, shipping=shipping_layer)
    g = book.graph(shipping=shipping_layer)
    pos = {n["slug"]: (n["column"], -n["row"]) for n in g["nodes"]}
    preds = [p["slug"] for p in nb["predecessors"]]
    succs = [s["slug"] for s in nb["successors"]]

    traces = []
    for layer, colour, line in (("core", "#c8c8c8", {}), ("shipping", "#f4a261", {"dash": "dot"})):
        ex, ey = [], []
        for a, b, l in g["edges"]:
            if l == layer:
                ex += [pos[a][0], pos[b][0], None]
                ey += [pos[a][1], pos[b][1], None]
        if ex:
            traces.append({"type": "scatter", "mode": "lines", "x": ex, "y": ey,
                           "name": f"{layer} edges", "hoverinfo": "skip",
                           "line": {"color": colour, "width": 1, **line}})
    for group, colour in ((preds, "#457b9d"), (succs, "#2a9d8f")):
        ex, ey = [], []
        for other in group:
            a, b = (other, idea) if group is preds else (idea, other)
            ex += [pos[a][0], pos[b][0], None]
            ey += [pos[a][1], pos[b][1], None]
        if ex:
            traces.append({"type": "scatter", "mode": "lines", "x": ex, "y": ey,
                           "showlegend": False, "hoverinfo": "skip",
                           "line": {"color": colour, "width": 3}})
    rest = [n for n in g["nodes"] if n["slug"] not in preds + succs + [idea]]
    for shipping, colour in ((False, "#8d99ae"), (True, "#f4a261")):
        ns = [n for n in rest if n["shipping"] == shipping]
        traces.append({"type": "scatter", "mode": "markers",
                       "name": "Acts V and VIII" if shipping else "chapters",
                       "x": [pos[n["slug"]][0] for n in ns], "y": [pos[n["slug"]][1] for n in ns],
                       "text": [n["title"] for n in ns], "hoverinfo": "text",
                       "marker": {"size": 9, "color": colour},
                       "opacity": 0.9 if (shipping_layer or not shipping) else 0.35})
    acts = book.acts()
    traces.append({"type": "scatter", "mode": "text", "showlegend": False, "hoverinfo": "text",
                   "x": list(range(len(acts))), "y": [1.2] * len(acts),
                   "text": ["Pro." if a["id"] == "prologue" else "App." if a["id"] == "appendix"
                            else a["id"] for a in acts],
                   "hovertext": [f"{a['name']}: {a['title']}" for a in acts]})
    for name, slugs, colour, size in (("answers the constraint of", preds, "#457b9d", 13),
                                      ("chosen chapter", [idea], "#e63946", 18),
                                      ("its constraint is answered by", succs, "#2a9d8f", 13)):
        if slugs:
            traces.append({"type": "scatter", "mode": "markers+text", "name": name,
                           "x": [pos[s][0] for s in slugs], "y": [pos[s][1] for s in slugs],
                           "text": [_short(book.chapter(s)["title"]) for s in slugs],
                           "textposition": "middle right", "hoverinfo": "text",
                           "hovertext": [book.chapter(s)["title"] for s in slugs],
                           "marker": {"size": size, "color": colour,
                                      "line": {"color": "#111", "width": 1}}})
    fig = {"data": traces, "layout": {
        "margin": {"t": 10, "r": 10, "l": 10}, "height": 440,
        "xaxis": {"visible": False, "range": [-0.5, len(acts) - 0.2]},
        "yaxis": {"visible": False, "range": [-10, 1.8]},
        "legend": {"orientation": "h", "y": -0.08}}}

    ch = nb["chapter"]
    items = [{"label": "Chapter", "value": _short(ch["title"]),
              "note": f"{ACT_NAMES[ch['act']]}"},
             {"label": "Comes after", "value": str(len(preds)), "note": "chapters"},
             {"label": "Leads to", "value": str(len(succs)), "note": "chapters"},
             {"label": "Edges drawn", "value": str(len(g["edges"])),
              "note": "with the shipping layer" if shipping_layer else "core layer only"}]
    rows = [["before", p["title"], p["layer"]] for p in nb["predecessors"]] + \
           [["after", s["title"], s["layer"]] for s in nb["successors"]]
    blocks = [{"kind": "stats", "items": items},
              {"kind": "text", "text": f"The constraint that demanded it: {ch['constraint']}"}]
    if not rows and book.is_shipping(idea) and not shipping_layer:
        blocks.append({"kind": "text", "level": "info",
                       "text": "This chapter is part of the shipping layer (Acts V and VIII). "
                               "Tick the overlay to see the chapters it connects to."})
    elif rows:
        blocks.append({"kind": "table", "columns": ["", "chapter", "layer"], "rows": rows})
    else:
        blocks.append({"kind": "text", "level": "info",
                       "text": "The appendices stand outside the chain: they are for looking "
                               "things up, so no chapter leads into or out of them."})
    alt = (f"Graph of {len(g['nodes'])} chapters in columns by act, {len(g['edges'])} edges. "
           f"Chosen: {ch['title']}. Before it: {', '.join(preds) or 'none'}. "
           f"After it: {', '.join(succs) or 'none'}.")
    blocks.append({"kind": "plotly", "figure": fig, "alt": alt})
    blocks.append({"kind": "tokens", "caption": "One line of ancestry, back to the Prologue",
                   "tokens": [{"text": _short(book.chapter(s)["title"]), "title": s,
                               "group": i % 8} for i, s in enumerate(book.chain(idea))]})
    return blocks
