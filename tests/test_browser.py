"""End to end in real Chromium: the served book (under a sub-path, every other host blocked).

The demo the runtime is proven on is compute_economy on act-3/chinchilla; every other demo on
every page must at least go live without a console error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldguide import demo as runner
from fieldguide_site import demos

pytestmark = pytest.mark.browser

PAGE = "act-3/chinchilla/"
DEMO = '[data-demo="compute_economy"]'
DOCS = Path(__file__).resolve().parents[1] / "docs"


def stats_text(page, sel=DEMO):
    return page.inner_text(f"{sel} [data-demo-output] .fg-stats")


def expected_stats(values: dict) -> str:
    """The same numbers computed in CPython, as the stats block shows them."""
    blocks = runner.call(demos.load("compute_economy"), values)
    items = next(b for b in blocks if b["kind"] == "stats")["items"]
    return [it["value"] for it in items]


def roundoff(value: str) -> bool:
    """A stat that is rounding noise (|x| < 1e-6) may differ between CPython's and wasm's libm."""
    try:
        return abs(float(str(value).replace("−", "-"))) < 1e-6
    except ValueError:
        return False


def run_edited(page, new_render: str):
    """Run the demo with its render replaced, through the same path as a reader's edited code."""
    src = demos.source("compute_economy") + "\n\n" + new_render
    page.evaluate("([sel, src]) => { const d = document.querySelector(sel).__fgDemo;"
                  " d.source = src; d.update(performance.now()); }", [DEMO, src])


def test_demo_goes_live_and_every_control_redraws(tab):
    t = tab()
    page = t.goto(PAGE)
    assert t.wait_state(DEMO) == "live"
    mod = demos.load("compute_economy")
    for c in mod.CONTROLS:
        inp = page.locator(f'{DEMO} [name="{c["name"]}"]')
        if c["kind"] == "select":
            choices = [o[0] if isinstance(o, (list, tuple)) else o for o in c["options"]]
            targets = [v for v in choices if v != c["default"]][:2]
        elif c["kind"] == "checkbox":
            targets = ["toggle"]
        elif c["kind"] in ("text", "textarea"):
            targets = ["a different text, 123"]
        else:
            targets = [inp.get_attribute("min"), inp.get_attribute("max")]
        for target in targets:
            before_out = page.inner_html(f"{DEMO} [data-demo-output]")
            n = t.renders(DEMO)
            if c["kind"] == "select":
                inp.select_option(str(target))
            elif c["kind"] == "checkbox":
                inp.click()
            else:
                inp.fill(str(target))                 # range inputs take fill() and fire input
            t.wait_renders(DEMO, n + 1)
            page.wait_for_function(f"document.querySelector('{DEMO}').dataset.demoState === 'live'")
            after_out = page.inner_html(f"{DEMO} [data-demo-output]")
            assert after_out != before_out, f"{c['name']} → {target} did not change the output"
            sent = json.loads(page.get_attribute(DEMO, "data-demo-values"))
            shown = stats_text(page)
            for v in expected_stats(sent):
                assert v in shown, f"{c['name']}={target}: expected {v!r} in {shown!r}"
            assert float(page.get_attribute(DEMO, "data-demo-render-ms")) > 0
    assert not t.errors, t.errors
    assert not t.outside, t.outside


def test_every_demo_on_every_page_goes_live(tab):
    t = tab()
    pages = sorted({str(p.relative_to(DOCS).with_suffix("")) + "/" for p in DOCS.rglob("*.md")
                    if "```demo" in p.read_text(encoding="utf-8")})
    assert PAGE in pages
    for path in pages:
        page = t.goto(path.replace("index/", ""))
        ids = page.eval_on_selector_all("[data-demo]", "els => els.map(e => e.dataset.demo)")
        for i, demo_id in enumerate(ids):
            state = page.wait_for_function(
                f"(() => {{ const e = document.querySelectorAll('[data-demo]')[{i}];"
                f" return ['live','error'].includes(e.dataset.demoState) && e.dataset.demoState; }})()",
                timeout=120_000).json_value()
            msg = page.eval_on_selector_all("[data-demo]", f"els => (els[{i}].querySelector('.fg-demo-error')||{{}}).textContent")
            assert state == "live", f"{path} {demo_id}: {msg}"
            # What Pyodide drew equals what CPython computes for the same values.
            values, live = page.eval_on_selector_all(
                "[data-demo]", f"els => [els[{i}].dataset.demoValues, els[{i}].querySelector('[data-demo-output]').innerText]")
            for b in runner.call(demos.load(demo_id), json.loads(values)):
                for it in b.get("items", []) if b["kind"] == "stats" else []:
                    if roundoff(it["value"]):
                        continue          # e.g. a finite-difference error of 5e-11: libm-dependent noise
                    assert str(it["value"]).strip() in live, f"{path} {demo_id}: {it} not in the live output"
    assert t.errors == [], t.errors
    assert t.outside == [], t.outside


def test_worker_survives_instant_navigation(tab):
    t = tab()
    page = t.goto(PAGE)
    t.wait_state(DEMO)
    assert page.evaluate("window.__fieldguide.boots") == 1
    page.evaluate("window.__noReload = true")           # gone if the browser reloads the page
    page.click("a.md-header__button.md-logo")           # instant navigation to the home page
    page.wait_for_function("!document.querySelector('[data-demo=\"compute_economy\"]')")
    page.go_back()                                       # back: demos are found and wired again
    t.wait_state(DEMO)
    assert page.evaluate("window.__fieldguide.boots") == 1, "Python was started a second time"
    assert t.renders(DEMO) >= 1
    page.go_forward()
    page.go_back()
    t.wait_state(DEMO)
    assert page.evaluate("window.__noReload") is True, "navigation reloaded the page"
    assert page.evaluate("window.__fieldguide.boots") == 1
    assert not t.errors and not t.outside


def test_without_javascript_the_prerendered_figure_is_there(tab):
    t = tab(js=False)
    page = t.goto(PAGE)
    root = page.locator(DEMO)
    assert root.get_attribute("data-demo-state") == "static"
    assert page.locator(f"{DEMO} [data-demo-output] svg.fg-svg").count() >= 1
    assert expected_stats({})[0] in stats_text(page)
    for c in demos.load("compute_economy").CONTROLS:      # every control labelled, named, native
        inp = page.locator(f'{DEMO} [name="{c["name"]}"]')
        assert inp.count() == 1
        iid = inp.get_attribute("id")
        assert page.locator(f'{DEMO} label[for="{iid}"]').inner_text().strip()


def test_blocked_runtime_shows_error_and_keeps_the_figure(tab):
    t = tab(block="/assets/runtime/pyodide/")
    page = t.goto(PAGE)
    assert t.wait_state(DEMO, ("error",)) == "error"
    msg = page.inner_text(f"{DEMO} .fg-demo-error")
    assert "Live mode is unavailable" in msg and "computed when the book was built" in msg
    assert page.locator(f"{DEMO} [data-demo-output] svg.fg-svg").count() >= 1
    assert expected_stats({})[0] in stats_text(page)


def test_an_exception_stays_in_its_demo_and_the_next_input_recovers(tab):
    t = tab()
    page = t.goto(PAGE)
    t.wait_state(DEMO)
    run_edited(page, "def render(**kw):\n    raise ZeroDivisionError('boom in render')\n")
    assert t.wait_state(DEMO, ("error",)) == "error"
    assert "ZeroDivisionError: boom in render" in page.inner_text(f"{DEMO} .fg-demo-error")
    assert page.locator(f"{DEMO} [data-demo-output] .fg-stats").count() == 1    # output kept
    page.evaluate("(sel) => { const d = document.querySelector(sel).__fgDemo; d.source = undefined; }", DEMO)
    n = t.renders(DEMO)
    page.locator(f'{DEMO} [name="mfu"]').fill("0.5")
    t.wait_renders(DEMO, n + 1)
    assert t.wait_state(DEMO) == "live"
    assert page.locator(f"{DEMO} .fg-demo-error").count() == 0


def test_a_runaway_render_is_stopped_and_python_restarts(tab):
    t = tab()
    page = t.goto(PAGE)
    t.wait_state(DEMO)
    run_edited(page, "def render(**kw):\n    while True:\n        pass\n")
    assert t.wait_state(DEMO, ("error",), timeout=60_000) == "error"
    assert "was stopped" in page.inner_text(f"{DEMO} .fg-demo-error")
    assert page.evaluate("window.__fieldguide.restarts") == 1
    page.evaluate("(sel) => { document.querySelector(sel).__fgDemo.source = undefined; }", DEMO)
    n = t.renders(DEMO)
    page.locator(f'{DEMO} [name="mfu"]').fill("0.3")
    t.wait_renders(DEMO, n + 1, timeout=120_000)
    assert t.wait_state(DEMO) == "live"
    assert page.evaluate("window.__fieldguide.boots") == 2


def test_a_dragged_slider_is_coalesced(tab):
    t = tab()
    page = t.goto(PAGE)
    t.wait_state(DEMO)
    n0 = t.renders(DEMO)
    page.evaluate("""(sel) => {
        const inp = document.querySelector(sel + ' [name="mfu"]');
        for (let i = 0; i < 60; i++) { inp.value = (0.1 + i * 0.01).toFixed(2); inp.dispatchEvent(new Event('input')); }
    }""", DEMO)
    page.wait_for_function(f"JSON.parse(document.querySelector('{DEMO}').dataset.demoValues).mfu === 0.69")
    t.wait_state(DEMO)
    page.wait_for_timeout(300)
    done = t.renders(DEMO) - n0
    assert 1 <= done < 60, f"{done} renders for 60 inputs: bursts are not coalesced"
    assert json.loads(page.get_attribute(DEMO, "data-demo-values"))["mfu"] == 0.69


KV = '[data-demo="kv_calculator"]'


def test_a_shared_url_restores_the_calculator(tab):
    t = tab()
    page = t.goto("act-5/kv-cache/")
    t.wait_state(KV)
    n = t.renders(KV)
    page.locator(f'{KV} [name="model"]').select_option("Llama-3.1-70B")
    t.wait_renders(KV, n + 1)
    n = t.renders(KV)
    page.locator(f'{KV} [name="units"]').select_option("GiB")
    t.wait_renders(KV, n + 1)
    shared = page.url
    assert "demo-kv_calculator=" in shared
    want = page.inner_text(f"{KV} [data-demo-output] .fg-stats")

    t2 = tab()
    p2 = t2.page
    p2.goto(shared)
    t2.wait_state(KV)
    assert p2.locator(f'{KV} [name="model"]').input_value() == "Llama-3.1-70B"
    assert p2.locator(f'{KV} [name="units"]').input_value() == "GiB"
    assert p2.inner_text(f"{KV} [data-demo-output] .fg-stats") == want
    assert not t.errors and not t2.errors and not t.outside and not t2.outside


def test_a_bad_pasted_config_names_the_field_and_breaks_nothing(tab):
    t = tab()
    page = t.goto("act-5/kv-cache/")
    t.wait_state(KV)
    n = t.renders(KV)
    page.locator(f'{KV} [name="config_json"]').fill('{"model_type": "llama", "hidden_size": "big"}')
    page.wait_for_function(f"Number(document.querySelector('{KV}').dataset.demoRenders) > {n} || "
                           f"document.querySelector('{KV}').dataset.demoState === 'error'")
    text = page.inner_text(KV)
    assert "hidden_size" in text
    others = page.eval_on_selector_all("[data-demo]", "els => els.map(e => e.dataset.demoState)")
    assert "error" not in [s for s in others[1:]], others


TOK = '[data-demo="tokenizer"]'


def test_tokenizer_takes_hostile_and_huge_input(tab):
    t = tab()
    page = t.goto("act-1/reading/")
    t.wait_state(TOK)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    box = page.locator(f'{TOK} [name="text"]')
    n = t.renders(TOK)
    box.fill('<script>alert(1)</script><img src=x onerror="alert(2)"> \ud800 \x00 end')
    t.wait_renders(TOK, n + 1)
    out = page.inner_text(f"{TOK} [data-demo-output]")
    assert "script" in out and "alert" in out                    # shown as text...
    assert page.locator(f"{TOK} [data-demo-output] script, {TOK} [data-demo-output] img").count() == 0
    assert not dialogs                                          # ...never run
    # a 1 MB paste: a plain message about the limit, the page stays responsive, nothing else breaks
    page.evaluate("""(sel) => { const b = document.querySelector(sel + ' [name="text"]');
        b.value = 'x'.repeat(1 << 20); b.dispatchEvent(new Event('input')); }""", TOK)
    t.wait_state(TOK, ("error",))
    assert "50,000" in page.inner_text(f"{TOK} .fg-demo-error")
    assert page.evaluate("1 + 1") == 2
    n = t.renders(TOK)
    box.fill("back to a short text")
    t.wait_renders(TOK, n + 1)
    assert t.wait_state(TOK) == "live"
    assert not t.errors and not t.outside
