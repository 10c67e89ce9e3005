"""Runtime benchmark in Chromium: what a reader waits for, as ratios measured in one run.

    python bench/bench_runtime.py [--runs 3] [--page act-3/chinchilla/] [--demo compute_economy]

1. baseline: a bare Pyodide + numpy boot in a worker (the floor no page can beat);
2. time from navigation to the first demo live on the demo page (and its ratio to 1);
3. time to live after instant navigation to a second page (the worker is reused);
4. data-demo-render-ms while a slider is dragged: median and p95;
5. data-demo-render-ms while a reader types into the tokenizer holding a page of text;
6. data-demo-render-ms (and its Python part) when next_token gets a new 64-token prompt: one full
   tinylm forward pass in Pyodide per render, the cost behind every tinylm demo.

Prints a table. No thresholds: timings depend on the machine, ratios less so.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests"))

from conftest import CHROMIUM, CHROMIUM_FLAGS, build_site  # noqa: E402
from fieldguide_site.serve import serve_in_thread  # noqa: E402

BARE_BOOT = """async () => {
  const t0 = performance.now();
  const src = `importScripts("${ROOT}assets/runtime/pyodide/pyodide.js");
    onmessage = async () => { const py = await loadPyodide({indexURL: "${ROOT}assets/runtime/pyodide/"});
      await py.loadPackage("numpy", {messageCallback() {}}); py.runPython("import numpy"); postMessage("ok"); };`;
  const w = new Worker(URL.createObjectURL(new Blob([src], {type: "text/javascript"})));
  await new Promise((res) => { w.onmessage = res; w.postMessage("go"); });
  w.terminate();
  return performance.now() - t0;
}"""


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def one_run(browser, root, page_path, demo, second):
    ctx = browser.new_context()
    page = ctx.new_page()
    origin = root.split("/fieldguide/")[0]
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(origin) else r.abort())
    page.goto(root)
    bare = page.evaluate(BARE_BOOT.replace("${ROOT}", root))
    ctx.close()

    ctx = browser.new_context()
    page = ctx.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(origin) else r.abort())
    sel = f'[data-demo="{demo}"]'
    t0 = time.perf_counter()
    page.goto(root + page_path)
    page.wait_for_function(f"document.querySelector('{sel}').dataset.demoState === 'live'", timeout=180_000)
    first_live = (time.perf_counter() - t0) * 1000

    # drag: 40 input events in a row on the first range control, one per animation frame
    rng = page.locator(f"{sel} input[type=range]").first
    lo, hi = float(rng.get_attribute("min")), float(rng.get_attribute("max"))
    times = page.evaluate("""async ([sel, lo, hi]) => {
        const root = document.querySelector(sel);
        const inp = root.querySelector('input[type=range]');
        const out = [];
        for (let i = 0; i < 40; i++) {
          const n = Number(root.dataset.demoRenders);
          inp.value = String(lo + (hi - lo) * (i % 20) / 19);
          inp.dispatchEvent(new Event('input'));
          while (Number(root.dataset.demoRenders) === n) await new Promise(requestAnimationFrame);
          out.push([Number(root.dataset.demoRenderMs), Number(root.dataset.demoPythonMs)]);
        }
        return out;
    }""", [sel, lo, hi])

    nav = None
    if second:
        page.evaluate("window.__benchMarker = 1")
        link = page.locator(f'nav.md-nav a.md-nav__link[href$="{second.rstrip("/").split("/")[-1]}/"]').first
        t1 = time.perf_counter()
        link.click()                                    # Material's instant navigation
        page.wait_for_function("(() => { const d = document.querySelector('[data-demo]');"
                               " return d && d.dataset.demoRenders > 0 &&"
                               " ['live', 'error'].includes(d.dataset.demoState); })()", timeout=120_000)
        nav = (time.perf_counter() - t1) * 1000
        assert page.evaluate("window.__benchMarker") == 1, "the page reloaded: not instant navigation"
        assert page.evaluate("window.__fieldguide.boots") == 1
    ctx.close()
    return bare, first_live, nav, times


def typing_run(browser, root, origin, page_path, demo, field, text, suffix):
    """A reader typing at the end of a text field: every keystroke is new input (no cache hit).
    Returns (data-demo-render-ms, data-demo-python-ms) per render."""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(origin) else r.abort())
    page.goto(root + page_path)
    sel = f'[data-demo="{demo}"]'
    page.wait_for_function(f"document.querySelector('{sel}').dataset.demoState === 'live'", timeout=180_000)
    times = page.evaluate("""async ([sel, field, text, suffix]) => {
        const root = document.querySelector(sel);
        const box = root.querySelector(`[name="${field}"]`);
        box.value = text; box.dispatchEvent(new Event('input'));
        const out = [];
        for (let i = 0; i < 30; i++) {
          const n = Number(root.dataset.demoRenders);
          box.value = text + suffix + i;
          box.dispatchEvent(new Event('input'));
          while (Number(root.dataset.demoRenders) === n) await new Promise(requestAnimationFrame);
          out.push([Number(root.dataset.demoRenderMs), Number(root.dataset.demoPythonMs)]);
        }
        return out.slice(5);
    }""", [sel, field, text, suffix])
    ctx.close()
    return times


def tinylm_prompt(n_tokens=64) -> str:
    """A prompt of about n_tokens tinylm tokens, cut from tinylm's own sample text."""
    from fieldguide import tinylm
    words = " ".join(s["text"] for s in tinylm.manifest()["models"]["tinylm"]["samples"]).split()
    text = ""
    for w in words:
        if len(tinylm.encode(text + " " + w + " word99")) > n_tokens:
            break
        text = (text + " " + w).strip()
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--page", default="act-3/chinchilla/")
    ap.add_argument("--demo", default="compute_economy")
    ap.add_argument("--second", default=None, help="a second page with a demo (default: first other one)")
    a = ap.parse_args()
    site = build_site()
    second = a.second
    if second is None:
        for p in sorted((REPO / "docs").rglob("*.md")):
            rel = (str(p.relative_to(REPO / "docs").with_suffix("")) + "/").removesuffix("index/")
            if rel != a.page and "```demo" in p.read_text(encoding="utf-8"):
                second = rel
                break
    srv, root = serve_in_thread(site, 0, "/fieldguide/")
    from playwright.sync_api import sync_playwright
    rows = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for _ in range(a.runs):
            rows.append(one_run(b, root, a.page, a.demo, second))
        origin = root.split("/fieldguide/")[0]
        page_text = (REPO / "docs" / "act-1" / "reading.md").read_text(encoding="utf-8")[:3000]
        typing = [t for t, _ in typing_run(b, root, origin, "act-1/reading/", "tokenizer", "text",
                                           page_text, " word")]
        prompt = tinylm_prompt(64)
        forward = typing_run(b, root, origin, "act-1/speaking/", "next_token", "prompt", prompt, " word")
        b.close()
    srv.shutdown()
    bare = statistics.median(r[0] for r in rows)
    live = statistics.median(r[1] for r in rows)
    navs = [r[2] for r in rows if r[2] is not None]
    drags = [t for r in rows for t, _ in r[3]]
    pys = [p for r in rows for _, p in r[3]]
    print(f"\nfieldguide runtime benchmark — {a.runs} runs, page {a.page}, demo {a.demo}\n")
    print(f"{'measure':52} {'median':>10} {'ratio':>8}")
    print(f"{'bare Pyodide + numpy boot in a worker (baseline)':52} {bare:>8.0f}ms {1:>8.2f}")
    print(f"{'first demo live on the demo page':52} {live:>8.0f}ms {live / bare:>8.2f}")
    if navs:
        nav = statistics.median(navs)
        print(f"{'live after instant navigation to ' + second:52} {nav:>8.0f}ms {nav / bare:>8.2f}")
    print(f"{'render while dragging a slider: median':52} {statistics.median(drags):>8.1f}ms")
    print(f"{'render while dragging a slider: p95':52} {pct(drags, 0.95):>8.1f}ms")
    print(f"{'  of which Python in the worker: median':52} {statistics.median(pys):>8.1f}ms")
    print(f"{'tokenizer, typing into 3,000 characters: median':52} {statistics.median(typing):>8.1f}ms")
    print(f"{'tokenizer, typing into 3,000 characters: p95':52} {pct(typing, 0.95):>8.1f}ms")
    fw = [t for t, _ in forward]
    fp = [p for _, p in forward]
    print(f"{'next_token, new 64-token prompt (tinylm forward): median':52} {statistics.median(fw):>8.1f}ms")
    print(f"{'next_token, new 64-token prompt: p95':52} {pct(fw, 0.95):>8.1f}ms")
    print(f"{'  of which Python in the worker: median':52} {statistics.median(fp):>8.1f}ms")


if __name__ == "__main__":
    main()
