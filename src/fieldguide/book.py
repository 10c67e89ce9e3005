"""The book's own map: every chapter, the constraint that demanded it, and how they connect.

The thesis of the book is a graph. Each chapter answers a constraint left behind by an earlier
one; `after` in `data/book.json` lists those earlier chapters, and the edges point forward
(from the chapter that left the problem to the chapter that answers it). Edges that touch Act V
(inference) or Act VIII (shipping) are the *shipping layer*: the same chain, extended from
"how models work" to "how to run them".

The data is authored (it is the book's table of contents with reasons attached), so it carries
`kind: authored` and an as-of date. This module only reads and walks it.
"""

from __future__ import annotations

from functools import lru_cache

from fieldguide import data

PATHS = ("language-first", "vision-first", "practitioner")


@lru_cache(maxsize=None)
def _book() -> dict:
    return data.load("book")


def acts() -> list[dict]:
    """The acts in reading order: id ("I"…"VIII", "prologue", "appendix"), name, title."""
    return list(_book()["acts"])


def chapters() -> list[dict]:
    """Every chapter in book order: slug, title, act, constraint, after."""
    return list(_book()["chapters"])


@lru_cache(maxsize=None)
def _index() -> dict:
    return {c["slug"]: c for c in _book()["chapters"]}


def chapter(slug: str) -> dict:
    """One chapter by slug, e.g. "act-2/attention"."""
    idx = _index()
    if slug not in idx:
        raise ValueError(f"no chapter {slug!r} in the book map")
    return idx[slug]


def is_shipping(slug: str) -> bool:
    """True for chapters of Act V and Act VIII, the shipping layer."""
    act = chapter(slug)["act"]
    return any(a["id"] == act and a["shipping"] for a in acts())


def edges(shipping: bool = True) -> list[tuple[str, str, str]]:
    """(from, to, layer) for every edge; layer is "core" or "shipping".

    With shipping=False the shipping-layer edges are left out.
    """
    out = []
    for c in chapters():
        for a in c["after"]:
            layer = "shipping" if is_shipping(a) or is_shipping(c["slug"]) else "core"
            if shipping or layer == "core":
                out.append((a, c["slug"], layer))
    return out


def graph(shipping: bool = True) -> dict:
    """Nodes (chapters, each with its act's position and its row inside the act) and edges."""
    order = [a["id"] for a in acts()]
    rows: dict[str, int] = {}
    nodes = []
    for c in chapters():
        row = rows.get(c["act"], 0)
        rows[c["act"]] = row + 1
        nodes.append({**c, "column": order.index(c["act"]), "row": row,
                      "shipping": is_shipping(c["slug"])})
    return {"nodes": nodes, "edges": edges(shipping)}


def neighbours(slug: str, shipping: bool = True) -> dict:
    """The chapter, the chapters whose constraint it answers, and the chapters that answer its own."""
    c = chapter(slug)
    es = edges(shipping)
    return {"chapter": c,
            "predecessors": [chapter(a) | {"layer": l} for a, b, l in es if b == slug],
            "successors": [chapter(b) | {"layer": l} for a, b, l in es if a == slug]}


def chain(slug: str) -> list[str]:
    """One line of ancestry back to the Prologue, following each chapter's first predecessor."""
    out = [chapter(slug)["slug"]]
    while chapter(out[-1])["after"]:
        out.append(chapter(out[-1])["after"][0])
    return out[::-1]


def reading_path(name: str) -> list[str]:
    """The chapters in the order one of the three reading paths visits them.

    language-first: the book's order. vision-first: Act VII, then the rest in order.
    practitioner: Acts V and VIII, then the rest in order. The Prologue always comes first and
    the appendices last.
    """
    if name not in PATHS:
        raise ValueError(f"unknown reading path {name!r}; choose one of {', '.join(PATHS)}")
    slugs = [c["slug"] for c in chapters()]
    first = {"language-first": (), "vision-first": ("VII",), "practitioner": ("V", "VIII")}[name]
    head = [s for s in slugs if chapter(s)["act"] == "prologue"]
    tail = [s for s in slugs if chapter(s)["act"] == "appendix"]
    early = [s for s in slugs if chapter(s)["act"] in first]
    rest = [s for s in slugs if s not in head and s not in tail and s not in early]
    return head + early + rest + tail


def counts() -> dict:
    """Chapters per act id, and the total."""
    out: dict[str, int] = {}
    for c in chapters():
        out[c["act"]] = out.get(c["act"], 0) + 1
    out["total"] = sum(out.values())
    return out


KINDS = ("term", "acronym", "hardware")


def glossary(query: str = "", act: str | None = None, kind: str | None = None) -> list[dict]:
    """Glossary entries whose term or definition contains `query` (case-insensitive).

    `act` keeps only terms introduced in one act ("I", "II", …, "prologue"); `kind` keeps one
    kind of entry ("term", "acronym" or "hardware"). None or "all" means no filter.
    """
    if act not in (None, "all") and act not in {a["id"] for a in acts()}:
        raise ValueError(f"unknown act {act!r}")
    if kind not in (None, "all") and kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    q = query.strip().lower()
    out = []
    for e in data.load("glossary")["terms"]:
        if act not in (None, "all") and chapter(e["chapter"])["act"] != act:
            continue
        if kind not in (None, "all") and e["kind"] != kind:
            continue
        if q and q not in e["term"].lower() and q not in e["definition"].lower():
            continue
        out.append(e)
    return out
