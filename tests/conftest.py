"""Shared fixtures: the built site, a server for it under a sub-path, and headless Chromium.

Browser tests run against the site as GitHub Pages would serve a project page — under a
sub-path (/fieldguide/) — with every request to any other host blocked and recorded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "site"
BASE = "/fieldguide/"
CHROMIUM = os.environ.get("FIELDGUIDE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


def build_site() -> Path:
    """make test builds site/ first; a bare `pytest` builds it here so tests never see a stale tree."""
    if not (SITE / "assets" / "runtime" / "runtime.json").exists():
        subprocess.run([sys.executable, str(REPO / "scripts" / "stage_site.py")], cwd=REPO, check=True)
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "--site-dir", str(SITE)],
                       cwd=REPO, check=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    return SITE


@pytest.fixture(scope="session")
def site_dir() -> Path:
    return build_site()


@pytest.fixture(scope="session")
def server(site_dir):
    sys.path.insert(0, str(REPO / "src"))
    from fieldguide_site.serve import serve_in_thread
    srv, url = serve_in_thread(site_dir, 0, BASE)
    yield url
    srv.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Chromium is not installed: run `make test`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


class Tab:
    """A browser tab on the served book that records console errors and outside requests."""

    def __init__(self, browser, root: str, js: bool = True, block: str | None = None):
        self.root = root
        self.ctx = browser.new_context(java_script_enabled=js)
        self.page = self.ctx.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        origin = root.split(BASE)[0]

        def route(r):
            url = r.request.url
            if not url.startswith(origin):
                self.outside.append(url)
                return r.abort()
            if block and block in url:
                return r.abort()
            return r.continue_()

        self.page.route("**/*", route)

    def goto(self, path: str = ""):
        self.page.goto(self.root + path)
        return self.page

    def wait_state(self, sel: str, states=("live",), timeout=120_000):
        cond = " || ".join(f'e.dataset.demoState === "{s}"' for s in states)
        self.page.wait_for_function(f"(() => {{ const e = document.querySelector('{sel}'); return e && ({cond}); }})()",
                                    timeout=timeout)
        return self.page.get_attribute(sel, "data-demo-state")

    def renders(self, sel: str) -> int:
        return int(self.page.get_attribute(sel, "data-demo-renders") or 0)

    def wait_renders(self, sel: str, n: int, timeout=30_000):
        self.page.wait_for_function(
            f"(() => Number(document.querySelector('{sel}').dataset.demoRenders) >= {n})()", timeout=timeout)

    def close(self):
        self.ctx.close()


@pytest.fixture
def tab(browser, server):
    tabs = []

    def make(**kw):
        t = Tab(browser, server, **kw)
        tabs.append(t)
        return t

    yield make
    for t in tabs:
        t.close()
