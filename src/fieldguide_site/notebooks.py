"""One Jupyter notebook per demo, generated from `demos/<id>.py` — never written by hand.

    python -m fieldguide_site.notebooks            # (re)write docs/notebooks/<id>.ipynb
    python -m fieldguide_site.notebooks --check    # exit 1 if any is out of date

A demo module already holds everything a notebook needs: a title, a docstring saying what to try
and notice, its controls and one `render`. The notebook is built from those, cell by cell:

1. the title, the honesty badge and the docstring;
2. setup: make `fieldguide` importable wherever the notebook runs — the book's own JupyterLite
   (the site serves the wheel), Colab or a local Jupyter (installed from the repository) — and
   fetch the data files the demo lists in ASSETS;
3. the demo's own source, verbatim, so the reader can change it;
4. `show(blocks)`: how this notebook draws the blocks `render` returns (figures as plotly's JSON
   mimetype, or plotly's own renderer on Colab; stats, tables and tokens as text);
5. `render` at the page's defaults — the same figure the book pre-renders;
6. sliders bound to `render` with ipywidgets, where widgets are available.

The notebooks live in the repository at docs/notebooks/, so MkDocs serves them at
site/notebooks/<id>.ipynb and Colab opens the very same file from GitHub. `make site` rewrites the
ones that changed; tests/test_notebooks.py fails when a committed one is out of date.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from fieldguide_site import demos

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "docs" / "notebooks"
NOTEBOOKS_PATH = "docs/notebooks"          # where Colab finds them in the repository

# Official locations and sha256 of the large data files a demo may list in ASSETS (Colab/Jupyter
# fetch them from here; the book's JupyterLite takes the site's own copies).
ASSET_SOURCES = {
    "o200k_base.tiktoken": ("https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
                            "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"),
    "cl100k_base.tiktoken": ("https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
                             "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"),
}

KERNELS = {
    # CPython (Jupyter, Colab, the tests) and the Pyodide kernel of the book's JupyterLite.
    "python3": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
    "pyodide": {"name": "python", "display_name": "Python (Pyodide)", "language": "python"},
}


def repository() -> tuple[str, str]:
    """(owner/name, branch) from mkdocs.yml `extra.fieldguide` — FIELDGUIDE_REPO overrides it."""
    from mkdocs.utils.yaml import yaml_load
    with open(REPO / "mkdocs.yml", encoding="utf-8") as f:
        cfg = yaml_load(f)
    fg = (cfg.get("extra") or {}).get("fieldguide") or {}
    return fg.get("repository", "fieldguide-book/fieldguide"), fg.get("branch", "main")


def colab_url(demo_id: str, repo: str, branch: str) -> str:
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/{NOTEBOOKS_PATH}/{demo_id}.ipynb"


# -- cells -----------------------------------------------------------------------------------------

def intro_md(demo_id: str, mod) -> str:
    doc = (mod.__doc__ or "").strip()
    return (f"# {mod.TITLE}\n\n"
            f"**{mod.BADGE}** · the `{demo_id}` demo of *fieldguide*, as a notebook you can change.\n\n"
            f"{doc}\n\n"
            "Run the cells from top to bottom. The third cell is the demo's own code, exactly as the "
            "book runs it in your browser: edit anything there, re-run it and the cells below it.\n\n"
            f"*Generated from `demos/{demo_id}.py` when the book is built; edits you make here stay in "
            "your copy.*")


def setup_code(mod, repo: str, branch: str) -> str:
    lines = [
        "# Setup: make `fieldguide` (the book's small NumPy core) importable wherever this runs.",
        "import importlib.util, sys",
        "",
        'if "pyodide" in sys.modules:  # the book\'s own JupyterLite: the site serves the wheel',
        "    %pip install fieldguide",
        'elif importlib.util.find_spec("fieldguide") is None:  # Colab, or your own Jupyter',
        f'    %pip install -q "fieldguide @ git+https://github.com/{repo}@{branch}"',
    ]
    assets = list(getattr(mod, "ASSETS", []) or [])
    if assets:
        unknown = [a for a in assets if a not in ASSET_SOURCES]
        if unknown:
            raise ValueError(f"no known source for the asset(s) {unknown}: add them to ASSET_SOURCES")
        table = ",\n".join(f"    {a!r}: {ASSET_SOURCES[a]!r}" for a in assets)
        lines += [
            "",
            "# The large data files this demo reads, fetched once and checked against their sha256.",
            "import hashlib, os, pathlib",
            "ASSETS = {",
            table + ",",
            "}",
            'data_dir = pathlib.Path.home() / ".cache" / "fieldguide" / "vocab"',
            "data_dir.mkdir(parents=True, exist_ok=True)",
            'os.environ["FIELDGUIDE_DATA"] = str(data_dir)',
            "from fieldguide import data as _fg_data",
            "for name, (url, sha256) in ASSETS.items():",
            "    try:",
            "        _fg_data.asset(name)",
            "        continue  # already here",
            "    except FileNotFoundError:",
            "        pass",
            '    if "pyodide" in sys.modules:  # in the book\'s JupyterLite, take the site\'s own copy',
            "        import js",
            "        from pyodide.http import pyfetch",
            '        url = str(js.location.href).split("/assets/runtime/")[0] + "/assets/runtime/data/" + name',
            "        blob = await (await pyfetch(url)).bytes()",
            "    else:",
            "        import urllib.request",
            "        blob = urllib.request.urlopen(url, timeout=60).read()",
            "    if hashlib.sha256(blob).hexdigest() != sha256:",
            '        raise RuntimeError(f"{name}: the download does not match its sha256; not using it")',
            "    (data_dir / name).write_bytes(blob)",
        ]
    return "\n".join(lines)


SHOW = '''\
# How this notebook draws what `render` returns: a list of blocks (see DEVELOPING.md).
import sys, types
from IPython.display import display
from fieldguide import demo as runner


class Bundle:
    """Display data as a ready-made mimebundle."""
    def __init__(self, data):
        self.data = data

    def _repr_mimebundle_(self, **kwargs):
        return self.data


def show(blocks, out=None):
    """Figures as plotly figures; stats, tables, tokens and text as plain text.

    With `out` (an ipywidgets Output) everything is appended to that widget instead."""
    lines = []

    def flush():
        if lines:
            text = "\\n".join(lines)
            print(text) if out is None else out.append_stdout(text + "\\n")
            lines.clear()

    for b in blocks:
        kind = b.get("kind")
        if kind == "plotly":
            flush()
            data = figure_bundle(b)
            display(Bundle(data)) if out is None else out.append_display_data(Bundle(data))
        elif kind == "stats":
            for it in b["items"]:
                note = f"  ({it['note']})" if it.get("note") else ""
                lines.append(f"{it['label']}: {it['value']} {it.get('unit') or ''}".rstrip() + note)
        elif kind == "table":
            rows = [list(map(str, b["columns"]))] + [[str(v) for v in r] for r in b["rows"]]
            widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
            lines += [b["caption"]] if b.get("caption") else []
            lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
        elif kind == "tokens":
            lines += [b["caption"]] if b.get("caption") else []
            lines.append(" | ".join(t.get("text", "") for t in b["tokens"]))
        else:  # text and code
            prefix = {"warn": "Note: ", "error": "Error: "}.get(b.get("level"), "")
            lines.append(prefix + b.get("text", ""))
        lines.append("")
    flush()


def figure_bundle(b):
    """A plotly figure as display data, with its text alternative for where plotly cannot draw."""
    if "google.colab" in sys.modules:  # Colab draws plotly through its own renderer
        import plotly.io as pio
        return pio.renderers["colab"].to_mimebundle(b["figure"])
    # JupyterLab and the book's JupyterLite draw this mimetype; elsewhere the text is shown.
    return {"application/vnd.plotly.v1+json": b["figure"], "text/plain": b.get("alt") or "(a figure)"}


demo = types.SimpleNamespace(CONTROLS=CONTROLS, render=render)   # the code cell above'''

RENDER = '''\
values = runner.defaults(demo)   # the page's defaults; change any, e.g. values["%s"] = %s
show(runner.call(demo, values))'''

INTERACT = '''\
# Sliders bound to `render` (ipywidgets), where widgets are available.
import math

try:
    import ipywidgets as W
except ImportError:
    W = None
    print("ipywidgets is not available here: change `values` in the cell above and run it again.")


def widget(c):
    """One ipywidgets control for one entry of CONTROLS."""
    kind, label, value = c["kind"], c["label"], c["default"]
    style = {"description_width": "initial"}
    opts = dict(description=label, style=style, layout=W.Layout(width="95%"))
    if kind in ("range", "number"):
        lo, hi = c["min"], c["max"]
        if c.get("scale") == "log":
            return W.FloatLogSlider(value=value, base=10, min=math.log10(lo), max=math.log10(hi),
                                    step=c.get("step", 0.01), continuous_update=False, **opts)
        integral = all(float(x).is_integer() for x in (lo, hi, value, c.get("step", 1)))
        if kind == "number":
            cls = W.BoundedIntText if integral else W.BoundedFloatText
            return cls(value=value, min=lo, max=hi, step=c.get("step", 1 if integral else None), **opts)
        if integral:
            return W.IntSlider(value=value, min=lo, max=hi, step=c.get("step", 1),
                               continuous_update=False, **opts)
        return W.FloatSlider(value=value, min=lo, max=hi, step=c.get("step", (hi - lo) / 100),
                             continuous_update=False, **opts)
    if kind == "select":
        pairs = [(str(o[1]), o[0]) if isinstance(o, (list, tuple)) else (str(o), o) for o in c["options"]]
        return W.Dropdown(options=pairs, value=value, **opts)
    if kind == "checkbox":
        return W.Checkbox(value=bool(value), **opts)
    if kind == "textarea":
        return W.Textarea(value=str(value), rows=c.get("rows", 4), continuous_update=False, **opts)
    return W.Text(value=str(value), continuous_update=False, **opts)


def redraw(**values):
    out.outputs = ()
    try:
        show(runner.call(demo, values), out)
    except ValueError as e:  # a value the demo refuses: say why, keep going
        out.append_stdout(f"Error: {e}\\n")


if W is not None:
    controls = {c["name"]: widget(c) for c in demo.CONTROLS}
    out = W.Output()

    def on_change(_change):
        redraw(**{name: w.value for name, w in controls.items()})

    for w in controls.values():
        w.observe(on_change, names="value")
    display(W.VBox(list(controls.values()) + [out]))
    on_change(None)'''


def first_control_example(mod) -> tuple[str, object]:
    """A name and a value for the render cell's comment: the first control, set to its maximum."""
    for c in mod.CONTROLS:
        if c["kind"] in ("range", "number"):
            return c["name"], c["max"]
        if c["kind"] == "select" and len(c["options"]) > 1:
            o = c["options"][-1]
            return c["name"], o[0] if isinstance(o, (list, tuple)) else o
        if c["kind"] == "checkbox":
            return c["name"], not c["default"]
    return (mod.CONTROLS[0]["name"], mod.CONTROLS[0]["default"]) if mod.CONTROLS else ("", None)


def literal(x) -> str:
    """A short Python literal: 2e12 rather than 2000000000000.0."""
    if isinstance(x, float) and math.isfinite(x) and abs(x) >= 1e5:
        return f"{x:.6g}".replace("e+", "e")
    return repr(x)


def build(demo_id: str, kernel: str = "python3", repo: str | None = None, branch: str | None = None):
    """The notebook of one demo, as an nbformat NotebookNode (deterministic: same input, same bytes)."""
    mod = demos.load(demo_id)
    if repo is None or branch is None:
        repo, branch = repository()
    name, example = first_control_example(mod)
    cells = [
        new_markdown_cell(intro_md(demo_id, mod), id="intro"),
        new_code_cell(setup_code(mod, repo, branch), id="setup"),
        new_markdown_cell("## The demo's code\n\nControls, one `render(**values)`, and nothing else: "
                          "the maths lives in `fieldguide`. Change it and run the cells below again.",
                          id="code-md"),
        new_code_cell(demos.source(demo_id).rstrip() + "\n", id="code"),
        new_code_cell(SHOW, id="show"),
        new_markdown_cell("## The defaults\n\nThe same output the book draws before you touch anything.",
                          id="render-md"),
        new_code_cell(RENDER % (name, literal(example)) if name else "show(runner.call(demo, {}))", id="render"),
        new_markdown_cell("## Play with it", id="interact-md"),
        new_code_cell(INTERACT, id="interact"),
    ]
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": KERNELS[kernel],
        "language_info": {"name": "python"},
        "fieldguide": {"demo": demo_id, "source": f"demos/{demo_id}.py"},
    })
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def dumps(nb) -> str:
    return nbformat.writes(nb) + "\n"


def write_all(out: Path = OUT, kernel: str = "python3", quiet: bool = False) -> list[Path]:
    """Write every demo's notebook into `out`, touching only files whose content changed."""
    out.mkdir(parents=True, exist_ok=True)
    repo, branch = repository()
    written, ids = [], demos.all_ids()
    for demo_id in ids:
        text = dumps(build(demo_id, kernel, repo, branch))
        p = out / f"{demo_id}.ipynb"
        if not p.exists() or p.read_text(encoding="utf-8") != text:
            p.write_text(text, encoding="utf-8")
            written.append(p)
    for p in out.glob("*.ipynb"):      # a demo that was removed takes its notebook with it
        if p.stem not in ids:
            p.unlink()
            written.append(p)
    if written and not quiet:
        print(f"[notebooks] updated {', '.join(p.name for p in written)} in {out}")
    return written


def stale(out: Path = OUT) -> list[str]:
    """Names of notebooks in `out` that differ from what the demos generate (or are missing)."""
    repo, branch = repository()
    bad = []
    for demo_id in demos.all_ids():
        p = out / f"{demo_id}.ipynb"
        if not p.exists() or p.read_text(encoding="utf-8") != dumps(build(demo_id, "python3", repo, branch)):
            bad.append(p.name)
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a notebook is out of date")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if args.check:
        bad = stale(args.out)
        if bad:
            sys.exit(f"out of date: {', '.join(bad)}; run `python -m fieldguide_site.notebooks`")
        return
    write_all(args.out)


if __name__ == "__main__":
    main()
