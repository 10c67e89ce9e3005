"""Every demo module keeps the contract of DEVELOPING.md, at its defaults and at every extreme.

The book map's rule: each control changes the rendered output at its min, at its max and for
every other select option, whatever the other controls are set to (checked here from the defaults).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest

from fieldguide import demo as runner
from fieldguide_site import demos
from fieldguide_site.fence import demo_html

IDS = demos.all_ids()
DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK_KINDS = {"stats", "plotly", "table", "tokens", "text", "code"}
TRICKY_TEXT = "naïve café 東京 🧑🏽‍💻 <script>alert(1)</script> \t\n\u200b"


def check_blocks(blocks):
    assert isinstance(blocks, list) and blocks, "render must return a non-empty list of blocks"
    json.dumps(blocks, allow_nan=False)
    for b in blocks:
        assert b["kind"] in BLOCK_KINDS, b["kind"]
        if b["kind"] == "plotly":
            go.Figure(b["figure"])                      # validates every trace and layout key
            assert b.get("alt"), "a chart needs a text alternative (the numbers behind it)"
        if b["kind"] == "stats":
            for it in b["items"]:
                assert isinstance(it["value"], str) and it["label"]


def variants(c):
    """Values of one control other than its default: its extremes and every other option."""
    kind, d = c["kind"], c["default"]
    if kind in ("range", "number"):
        return [v for v in (c["min"], c["max"]) if not math.isclose(float(v), float(d))]
    if kind == "select":
        vals = [o[0] if isinstance(o, (list, tuple)) else o for o in c["options"]]
        return [v for v in vals if v != d]
    if kind == "checkbox":
        return [not d]
    return []


def test_there_are_demos():
    assert IDS, "no demo modules found in demos/"


@pytest.mark.parametrize("demo_id", IDS)
def test_defaults_render(demo_id):
    mod = demos.load(demo_id)
    check_blocks(runner.call(mod, {}))


@pytest.mark.parametrize("demo_id", IDS)
def test_every_control_changes_the_output(demo_id):
    mod = demos.load(demo_id)
    base = json.dumps(runner.call(mod, {}), sort_keys=True)
    for c in mod.CONTROLS:
        for v in variants(c):
            out = runner.call(mod, {c["name"]: v})
            check_blocks(out)
            assert json.dumps(out, sort_keys=True) != base, \
                f"{demo_id}: setting {c['name']} to {v!r} does not change the output"


@pytest.mark.parametrize("demo_id", IDS)
def test_text_controls_take_any_unicode(demo_id):
    mod = demos.load(demo_id)
    for c in mod.CONTROLS:
        if c["kind"] in ("text", "textarea"):
            for text in ("", TRICKY_TEXT, "x" * 2000):
                if c.get("maxlength") and len(text) > c["maxlength"]:
                    continue
                try:
                    check_blocks(runner.call(mod, {c["name"]: text}))
                except ValueError as e:          # a clear refusal is fine; a crash is not
                    assert str(e)


@pytest.mark.parametrize("demo_id", IDS)
def test_out_of_range_values_get_a_clear_message(demo_id):
    mod = demos.load(demo_id)
    for c in mod.CONTROLS:
        if c["kind"] in ("range", "number"):
            for bad in ("", "abc", "nan", float(c["max"]) * 10 + 1, -1e300):
                with pytest.raises(ValueError) as e:
                    runner.call(mod, {c["name"]: bad})
                assert c["label"] in str(e.value)


@pytest.mark.parametrize("demo_id", IDS)
def test_dom_contract_of_the_prerender(demo_id):
    mod = demos.load(demo_id)
    html = demo_html(demo_id, mod, runner.defaults(mod), runner.call(mod, {}), f"t-{demo_id}")
    assert f'data-demo="{demo_id}"' in html and 'data-demo-state="static"' in html
    assert "data-demo-output" in html and 'data-demo-renders="0"' in html
    for c in mod.CONTROLS:
        cid = f"t-{demo_id}-{c['name']}"
        assert f'<label for="{cid}">' in html, f"{c['name']} has no label"
        tag = re.search(rf'<(input|select|textarea)[^>]*id="{cid}"[^>]*>', html)
        assert tag and f'name="{c["name"]}"' in tag.group(0)
        if c["kind"] == "range":
            assert all(f' {a}="' in tag.group(0) for a in ("min", "max", "step"))


@pytest.mark.parametrize("demo_id", IDS)
def test_every_demo_is_on_a_page(demo_id):
    pages = [p for p in DOCS.rglob("*.md") if re.search(rf"```demo\s*\n\s*{demo_id}\s*\n", p.read_text())]
    assert pages, f"demo {demo_id} is embedded in no chapter"
