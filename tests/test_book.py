"""fieldguide.book: the chapter graph behind the Prologue's rhyme map, and the glossary."""

from pathlib import Path

import pytest

from fieldguide import book

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_the_book_has_the_maps_chapters():
    c = book.counts()
    assert c["total"] == 69
    assert {k: c[k] for k in ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")} == \
        {"I": 5, "II": 8, "III": 7, "IV": 9, "V": 10, "VI": 8, "VII": 10, "VIII": 8}
    slugs = [ch["slug"] for ch in book.chapters()]
    assert len(set(slugs)) == len(slugs)
    assert slugs[0] == "prologue" and slugs[1] == "act-1/learning"
    assert [a["title"] for a in book.acts()][1:9] == [
        "The Apparatus", "The Routing Insight", "The Scaling Discovery", "The Alignment Problem",
        "The Inference Problem", "The Reasoning Problem", "The Other Modalities", "Shipping It"]


def test_edges_point_forward_so_the_graph_is_acyclic():
    order = {ch["slug"]: i for i, ch in enumerate(book.chapters())}
    for a, b, _ in book.edges():
        assert order[a] < order[b], (a, b)
    for ch in book.chapters():
        assert ch["constraint"].strip()
        if ch["act"] not in ("prologue", "appendix"):
            assert ch["after"], f"{ch['slug']} answers no earlier constraint"


def test_shipping_layer_is_acts_five_and_eight():
    all_edges, core = book.edges(), book.edges(shipping=False)
    assert len(core) < len(all_edges)
    for a, b, layer in all_edges:
        touches = book.is_shipping(a) or book.is_shipping(b)
        assert (layer == "shipping") == touches
    assert all(layer == "core" for *_, layer in core)


def test_neighbours_of_attention():
    n = book.neighbours("act-2/attention")
    assert [p["slug"] for p in n["predecessors"]] == ["act-2/long-sentences"]
    succ = {s["slug"]: s["layer"] for s in n["successors"]}
    assert succ["act-2/heads"] == "core" and succ["act-5/kv-cache"] == "shipping"
    assert "act-5/kv-cache" not in {s["slug"] for s in book.neighbours("act-2/attention", False)["successors"]}
    with pytest.raises(ValueError):
        book.neighbours("act-9/nothing")


def test_the_thesis_chain():
    # recurrence → attention → block → scaling → SFT → reward model → RLHF → DPO → GRPO
    c = book.chain("act-4/grpo")
    want = ["act-2/long-sentences", "act-2/attention", "act-2/block", "act-3/scaling-laws",
            "act-4/sft", "act-4/reward-models", "act-4/rlhf", "act-4/dpo", "act-4/grpo"]
    assert [s for s in c if s in want] == want
    assert c[0] == "prologue"


def test_graph_positions_nodes_by_act():
    g = book.graph()
    assert len(g["nodes"]) == 69
    cols = {n["slug"]: n["column"] for n in g["nodes"]}
    assert cols["prologue"] == 0 and cols["act-1/learning"] == 1 and cols["act-8/operations"] == 8


@pytest.mark.parametrize("name", book.PATHS)
def test_reading_paths_visit_every_chapter_once(name):
    p = book.reading_path(name)
    assert sorted(p) == sorted(c["slug"] for c in book.chapters())
    assert p[0] == "prologue"
    first = {"language-first": "act-1/learning", "vision-first": "act-7/vit",
             "practitioner": "act-5/roofline"}[name]
    assert p[1] == first


def test_glossary_terms_point_at_chapters():
    terms = book.glossary()
    assert len({t["term"].lower() for t in terms}) == len(terms) >= 20
    for t in terms:
        book.chapter(t["chapter"])
        assert len(t["definition"]) > 20
    assert {t["term"] for t in book.glossary("moving average")} >= {"Exponential moving average (EMA)"}
    assert all(t["chapter"] == "prologue" for t in book.glossary(act="prologue"))
    assert {t["term"] for t in book.glossary(kind="acronym")} >= {"SGD", "AdamW"}
    assert book.glossary("adam", act="I", kind="all") == book.glossary("adam")
    assert book.glossary("zzz-no-such-term") == []
    for t in terms:
        assert t["kind"] in book.KINDS
        for d in t["demos"]:
            assert (DOCS.parent / "demos" / f"{d}.py").is_file()
    with pytest.raises(ValueError):
        book.glossary(kind="gadget")
    with pytest.raises(ValueError):
        book.glossary(act="IX")


def test_chapters_i_wrote_exist_where_the_map_says():
    for slug in ("prologue", "act-1/learning"):
        assert (DOCS / f"{slug}.md").is_file()
