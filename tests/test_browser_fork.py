"""Forking a demo, end to end in Chromium with every other host blocked (tests/conftest.py).

- "Edit here": change the demo's code on the page, run it, see the change; break it, see the error
  in that demo only; reset it.
- "Open in notebook": the demo's notebook in the book's own JupyterLite runs top to bottom on the
  site's Pyodide and draws the same numbers the book does.
- The toolbar's other links point at the generated notebook, on the site and on GitHub (Colab).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import pytest

from fieldguide import demo as runner
from fieldguide_site import demos, notebooks

pytestmark = pytest.mark.browser

PAGE = "act-3/chinchilla/"
DEMO_ID = "compute_economy"
DEMO = f'[data-demo="{DEMO_ID}"]'
# JupyterLite 0.5's notebook app polls checkpoints and reads the last of an empty list; harmless
# and upstream, so it is the one page error the notebook test tolerates.
KNOWN_LITE_ERRORS = ("reading 'last_modified'",)
OTHER_STATES = "[...document.querySelectorAll('[data-demo]:not([data-demo=\"%s\"])')].map(e => e.dataset.demoState)"


def stats(page) -> str:
    return page.inner_text(f"{DEMO} [data-demo-output] .fg-stats")


def default_stats() -> list[str]:
    blocks = runner.call(demos.load(DEMO_ID), {})
    return [it["value"] for it in next(b for b in blocks if b["kind"] == "stats")["items"]]


def test_toolbar_links_point_at_the_generated_notebook(tab, site_dir):
    t = tab()
    page = t.goto(PAGE)
    t.wait_state(DEMO)
    bar = page.locator(f"{DEMO} .fg-fork")
    bar.wait_for()
    assert bar.get_attribute("role") == "toolbar"
    names = [s.strip() for s in bar.locator(".fg-fork-btn").all_inner_texts()]
    assert names == ["Open in notebook", "Download .ipynb", "Open in Colab", "Edit here"]
    # Download: the very notebook the build wrote, served by the site
    href = bar.locator(".fg-fork-download").get_attribute("href")
    assert href.endswith(f"/fieldguide/notebooks/{DEMO_ID}.ipynb")
    assert bar.locator(".fg-fork-download").get_attribute("download") == f"{DEMO_ID}.ipynb"
    served = page.evaluate("(u) => fetch(u).then(r => r.text())", href)
    assert json.loads(served)["metadata"]["fieldguide"]["demo"] == DEMO_ID
    assert served == (site_dir / "notebooks" / f"{DEMO_ID}.ipynb").read_text(encoding="utf-8")
    # Colab: the same file in the repository named in mkdocs.yml
    repo, branch = notebooks.repository()
    assert bar.locator(".fg-fork-colab").get_attribute("href") == notebooks.colab_url(DEMO_ID, repo, branch)
    # JupyterLite: on this site
    lite = bar.locator(".fg-fork-lite").get_attribute("href")
    assert urlparse(lite).netloc == urlparse(t.root).netloc
    assert lite.endswith(f"/assets/runtime/lite/notebooks/index.html?path={DEMO_ID}.ipynb")
    assert not t.errors and not t.outside


def test_edit_run_break_and_reset(tab):
    t = tab()
    page = t.goto(PAGE)
    t.wait_state(DEMO)
    before = stats(page)
    for v in default_stats():
        assert v in before
    page.click(f"{DEMO} .fg-fork-edit")
    editor = page.locator(f"{DEMO} .fg-edit .CodeMirror")
    editor.wait_for()                                   # CodeMirror came from the site
    assert page.get_attribute(f"{DEMO} .fg-fork-edit", "aria-expanded") == "true"
    assert page.locator(f"{DEMO} .fg-edit .cm-keyword").count() > 0      # highlighted Python
    src = demos.source(DEMO_ID)
    assert page.evaluate(f"document.querySelector('{DEMO} .CodeMirror').CodeMirror.getValue()") == src

    # 1. a visible change, typed into the editor: wrap render so a new first stat appears
    line = ('render = (lambda f: lambda **kw: [dict(b, items=[{"label": "Edited by hand", "value": "42 forks"}]'
            ' + b["items"]) if b["kind"] == "stats" else b for b in f(**kw)])(render)')
    page.click(f"{DEMO} .CodeMirror-code")
    page.keyboard.press("Control+End")
    page.keyboard.type("\n" + line)
    assert page.evaluate(f"document.querySelector('{DEMO} .CodeMirror').CodeMirror.getValue()") == src + "\n" + line
    n = t.renders(DEMO)
    page.keyboard.press("Control+Enter")                # Run, from the keyboard
    t.wait_renders(DEMO, n + 1)
    assert t.wait_state(DEMO) == "live"
    assert "42 forks" in stats(page) and "edited by hand" in stats(page).lower()
    assert page.get_attribute(DEMO, "data-demo-edited") == ""
    # the controls still drive the edited code
    n = t.renders(DEMO)
    page.locator(f'{DEMO} [name="mfu"]').fill("0.5")
    t.wait_renders(DEMO, n + 1)
    assert "42 forks" in stats(page)

    # 2. broken code: the demo says what is wrong, keeps its output, and other demos are untouched
    others = OTHER_STATES % DEMO_ID
    before_others = page.evaluate(others)
    page.evaluate(f"document.querySelector('{DEMO} .CodeMirror').CodeMirror.setValue('def render(:\\n  pass\\n')")
    page.click(f"{DEMO} .fg-edit-run")
    assert t.wait_state(DEMO, ("error",)) == "error"
    assert "SyntaxError" in page.inner_text(f"{DEMO} .fg-demo-error")
    assert "42 forks" in stats(page)                     # the last good output stays
    assert page.evaluate(others) == before_others        # other demos on the page are untouched

    # 3. Reset: the book's code, rendering the book's numbers again
    n = t.renders(DEMO)
    page.click(f"{DEMO} .fg-edit-reset")
    t.wait_renders(DEMO, n + 1)
    assert t.wait_state(DEMO) == "live"
    assert page.locator(f"{DEMO} .fg-demo-error").count() == 0
    assert "42 forks" not in stats(page)
    assert page.evaluate(f"document.querySelector('{DEMO} .CodeMirror').CodeMirror.getValue()") == src
    assert page.evaluate(f"document.querySelector('{DEMO}').__fgDemo.source") is None
    assert page.get_attribute(DEMO, "data-demo-edited") is None
    values = json.loads(page.get_attribute(DEMO, "data-demo-values"))
    blocks = runner.call(demos.load(DEMO_ID), values)
    for it in next(b for b in blocks if b["kind"] == "stats")["items"]:
        assert it["value"] in stats(page)
    assert not t.errors and not t.outside


def test_toolbar_comes_back_after_instant_navigation(tab):
    t = tab()
    page = t.goto(PAGE)
    t.wait_state(DEMO)
    page.locator(f"{DEMO} .fg-fork").wait_for()
    page.click("a.md-header__button.md-logo")
    page.wait_for_function(f"!document.querySelector('{DEMO}')")
    page.go_back()
    t.wait_state(DEMO)
    page.locator(f"{DEMO} .fg-fork").wait_for()
    assert page.locator(f"{DEMO} .fg-fork").count() == 1
    assert not t.errors and not t.outside


@pytest.mark.slow
def test_notebook_runs_in_the_in_site_jupyterlite(tab):
    t = tab()
    page = t.goto(PAGE)
    t.wait_state(DEMO)
    lite = page.locator(f"{DEMO} .fg-fork-lite").get_attribute("href")
    page.goto(lite)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator, .jp-KernelStatus, .jp-Toolbar-kernelName",
                           timeout=60_000)
    # opened with the right kernel (the toolbar says "No Kernel" for a moment while it attaches)
    page.wait_for_function(
        "() => (document.querySelector('.jp-NotebookPanel-toolbar') || {innerText: ''}).innerText.includes('Pyodide')",
        timeout=60_000)
    assert "Pyodide" in page.inner_text(".jp-NotebookPanel-toolbar")
    # Run > Run All Cells, as a reader would
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
    want = default_stats()
    page.wait_for_function(
        "(v) => document.querySelector('.jp-Notebook').innerText.includes(v)", arg=want[-1], timeout=240_000)
    page.locator(".jp-OutputArea-output.jp-RenderedPlotly .main-svg").first.wait_for(state="attached", timeout=60_000)
    text = page.inner_text(".jp-Notebook")
    for v in want:
        assert v in text, f"{v!r} not in the notebook's output"
    assert "Traceback" not in text and "Error" not in text.split("The defaults")[-1].split("Play with it")[0]
    errors = [e for e in t.errors if not any(k in e for k in KNOWN_LITE_ERRORS)]
    assert not errors, errors
    assert not t.outside, t.outside
