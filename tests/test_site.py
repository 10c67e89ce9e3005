"""The site builds strictly, lists only pages that exist, and asks no other host for anything."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def nav_pages(nav):
    for item in nav:
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for v in item.values():
                yield from ([v] if isinstance(v, str) else nav_pages(v))


def test_mkdocs_build_strict(tmp_path, site_dir):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "s")],
                       cwd=REPO, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "WARNING" not in r.stderr, r.stderr[-3000:]


def test_nav_lists_exactly_the_pages_that_exist():
    cfg = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=_Loader)
    listed = set(nav_pages(cfg["nav"]))
    on_disk = {str(p.relative_to(REPO / "docs")) for p in (REPO / "docs").rglob("*.md")}
    assert listed <= on_disk, f"nav names missing pages: {sorted(listed - on_disk)}"
    assert on_disk <= listed, f"pages missing from nav: {sorted(on_disk - listed)}"


def test_pages_have_title_and_description():
    for p in (REPO / "docs").rglob("*.md"):
        head = p.read_text(encoding="utf-8").split("---")
        assert p.read_text().startswith("---") and len(head) >= 3, f"{p}: no front matter"
        fm = yaml.safe_load(head[1])
        assert fm.get("title") and fm.get("description"), f"{p}: front matter needs title and description"


def test_no_request_to_another_host(site_dir):
    """Scripts, styles, images, fonts and frames all come from the site itself."""
    pat = re.compile(r'<(?:script|link|img|iframe|source|video|audio)\b[^>]*?(?:src|href)="(https?:)?//', re.I)
    not_a_request = re.compile(r'<link\b[^>]*rel="(?:canonical|alternate)"[^>]*>', re.I)
    for html in site_dir.rglob("*.html"):
        m = pat.search(not_a_request.sub("", html.read_text(encoding="utf-8")))
        assert not m, f"{html.relative_to(site_dir)} loads from another host: {m.group(0)[:120]}"
    for css in site_dir.rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css.read_text(encoding="utf-8", errors="replace")), css


def test_runtime_is_self_hosted(site_dir):
    rt = site_dir / "assets" / "runtime"
    for f in ("pyodide/pyodide.js", "pyodide/pyodide.asm.wasm", "pyodide/python_stdlib.zip",
              "pyodide/pyodide-lock.json", "vendor/plotly.min.js", "runtime.json",
              "data/o200k_base.tiktoken", "data/cl100k_base.tiktoken", "vendor/katex/katex.min.js"):
        assert (rt / f).is_file(), f
    assert list(rt.glob("wheels/*/fieldguide-*.whl"))
    assert list(rt.glob("pyodide/numpy-2.0.2-*.whl"))
