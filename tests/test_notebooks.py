"""The notebooks generated from the demos: up to date, complete, and runnable top to bottom.

- Every demo has a notebook in docs/notebooks/ (served at site/notebooks/, opened by Colab from
  GitHub) equal to what its module generates now, and committed when its demo is.
- Each carries the demo's own code and docstring, and installs fieldguide from the repository
  named in mkdocs.yml when it runs outside the book.
- Executed in CPython with nbclient, each runs without an error, draws exactly the figures the book
  pre-renders, prints the same stats, and builds its sliders.
- The built JupyterLite is wired to the site's own Pyodide, never to PyPI, and has every package
  its kernel loads.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from fieldguide import demo as runner
from fieldguide_site import demos, notebooks

REPO = Path(__file__).resolve().parents[1]
IDS = demos.all_ids()
LITE_KERNEL_PACKAGES = ["ssl", "sqlite3", "ipython", "micropip"]   # what pyodide-kernel 0.5 loads


def cell(nb, cid):
    return next(c for c in nb.cells if c.get("id") == cid)


def test_every_demo_has_an_up_to_date_notebook():
    bad = notebooks.stale()
    assert not bad, (f"out of date: {bad}. The notebooks are generated from demos/: run `make site` "
                     "(or `python -m fieldguide_site.notebooks`) and commit docs/notebooks/.")
    extra = {p.stem for p in notebooks.OUT.glob("*.ipynb")} - set(IDS)
    assert not extra, f"notebooks without a demo: {extra}"


@pytest.mark.skipif(not (REPO / ".git").exists() or not shutil.which("git"), reason="not a git checkout")
def test_a_committed_demo_has_its_notebook_committed():
    """Colab opens the notebook from GitHub: a committed demo must come with its committed notebook."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout

    tracked = set(git("ls-files", "demos", "docs/notebooks").split())
    dirty = {ln[3:] for ln in git("status", "--porcelain", "--", "demos", "docs/notebooks").splitlines()}
    for demo_id in IDS:
        d, nb = f"demos/{demo_id}.py", f"{notebooks.NOTEBOOKS_PATH}/{demo_id}.ipynb"
        if d in tracked and d not in dirty:
            assert nb in tracked and nb not in dirty, f"{d} is committed but {nb} is not (or differs): commit it"


def test_generation_is_deterministic_and_valid():
    for demo_id in IDS[:3]:
        a = notebooks.dumps(notebooks.build(demo_id))
        assert a == notebooks.dumps(notebooks.build(demo_id))
        nbformat.validate(nbformat.reads(a, 4))


@pytest.mark.parametrize("demo_id", IDS)
def test_notebook_carries_the_demo_itself(demo_id):
    nb = nbformat.read(notebooks.OUT / f"{demo_id}.ipynb", 4)
    mod = demos.load(demo_id)
    repo, branch = notebooks.repository()
    intro = cell(nb, "intro").source
    assert intro.startswith(f"# {mod.TITLE}\n") and mod.BADGE in intro
    assert mod.__doc__.strip() in intro                                   # what to try and notice
    assert cell(nb, "code").source == demos.source(demo_id).rstrip() + "\n"   # its own code, verbatim
    setup = cell(nb, "setup").source
    assert f"git+https://github.com/{repo}@{branch}" in setup
    for asset in getattr(mod, "ASSETS", []):
        assert asset in setup and notebooks.ASSET_SOURCES[asset][1] in setup
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.fieldguide.demo == demo_id
    lite = notebooks.build(demo_id, "pyodide", repo, branch)
    assert lite.metadata.kernelspec.name == "python"                      # JupyterLite's Pyodide kernel


def test_colab_url_names_the_file_in_the_repository():
    url = notebooks.colab_url("tokenizer", "someone/fieldguide", "main")
    assert url == ("https://colab.research.google.com/github/someone/fieldguide/blob/main/"
                   "docs/notebooks/tokenizer.ipynb")
    assert (REPO / notebooks.NOTEBOOKS_PATH / "tokenizer.ipynb").exists()


def test_built_jupyterlite_is_offline_and_complete(site_dir):
    lite = site_dir / "assets" / "runtime" / "lite"
    cfg = json.loads((lite / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = cfg["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["disablePyPIFallback"] is True
    # resolved against an app page (lite/notebooks/index.html): the site's own pyodide.js
    pyodide_js = (lite / "notebooks" / kernel["pyodideUrl"]).resolve()
    assert pyodide_js == (site_dir / "assets" / "runtime" / "pyodide" / "pyodide.js").resolve()
    assert pyodide_js.exists()
    assert any(u.startswith("./pypi/all.json") for u in kernel["pipliteUrls"])
    index = json.loads((lite / "pypi" / "all.json").read_text())
    assert {"fieldguide", "comm"} <= set(index)
    # every notebook is in the app's contents, opening with the Pyodide kernel
    listed = {c["name"] for c in json.loads((lite / "api" / "contents" / "all.json").read_text())["content"]}
    assert {f"{i}.ipynb" for i in IDS} <= listed
    nb = json.loads((lite / "files" / f"{IDS[0]}.ipynb").read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python"
    # every Pyodide package the kernel loads (with its dependencies) is served by the site
    pyo = site_dir / "assets" / "runtime" / "pyodide"
    lock = json.loads((pyo / "pyodide-lock.json").read_text())["packages"]
    stack, seen = list(LITE_KERNEL_PACKAGES) + ["numpy"], set()
    while stack:
        n = stack.pop().lower().replace("_", "-")
        if n not in seen:
            seen.add(n)
            stack.extend(lock[n]["depends"])
    missing = [lock[n]["file_name"] for n in seen if not (pyo / lock[n]["file_name"]).exists()]
    assert not missing, f"the site lacks Pyodide packages the notebook kernel loads: {missing}"


# -- executed in CPython ---------------------------------------------------------------------------

def outputs(nb, cid):
    return cell(nb, cid).get("outputs", [])


@pytest.mark.slow
@pytest.mark.parametrize("demo_id", IDS)
def test_notebook_runs_and_draws_the_prerender(demo_id, tmp_path, monkeypatch):
    from nbclient import NotebookClient
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    nb = nbformat.read(notebooks.OUT / f"{demo_id}.ipynb", 4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    for c in nb.cells:
        for o in c.get("outputs", []):
            assert o.output_type != "error", f"{demo_id} cell {c.id}: {o.get('ename')}: {o.get('evalue')}"
    mod = demos.load(demo_id)
    blocks = runner.call(mod, runner.defaults(mod))       # what the book pre-renders
    want_figs = [json.loads(json.dumps(b["figure"])) for b in blocks if b["kind"] == "plotly"]
    got_figs = [o["data"]["application/vnd.plotly.v1+json"] for o in outputs(nb, "render")
                if o.output_type == "display_data" and "application/vnd.plotly.v1+json" in o["data"]]
    assert got_figs == want_figs
    alts = [o["data"]["text/plain"] for o in outputs(nb, "render") if o.output_type == "display_data"]
    assert alts == [b.get("alt") or "(a figure)" for b in blocks if b["kind"] == "plotly"]
    text = "".join(o.get("text", "") for o in outputs(nb, "render") if o.output_type == "stream")
    for b in blocks:
        if b["kind"] == "stats":
            for it in b["items"]:
                assert f"{it['label']}: {it['value']}" in text
    # the sliders: one control per CONTROLS entry, and an output that redrew the same figures
    views = [o for o in outputs(nb, "interact") if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1, "the sliders were not built"
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    box = state[views[0]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]]
    assert len(box["state"]["children"]) == len(mod.CONTROLS) + 1
    redrawn = next(m for m in state.values() if m["model_name"] == "OutputModel")["state"]["outputs"]
    assert [o["data"]["application/vnd.plotly.v1+json"] for o in redrawn
            if "application/vnd.plotly.v1+json" in o.get("data", {})] == want_figs
