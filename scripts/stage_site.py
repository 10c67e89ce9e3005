"""Stage everything the built site serves besides the chapters, into docs/assets/runtime/.

    python scripts/stage_site.py

1. the verified runtime from the cache (scripts/fetch_runtime.py): Pyodide, numpy, vocabularies,
   plotly.js, KaTeX;
2. the `fieldguide` wheel, built from src/ and put under a content-hashed folder so a browser never
   keeps a stale copy;
3. every demo module's source (the worker runs exactly the file the build pre-rendered);
4. runtime.json, the map from names to those files that demo.js reads.

Runs before `mkdocs build`, which then copies docs/assets/runtime/ into site/ like any asset. This
lives in a script rather than an MkDocs plugin so the site stays portable to other builders.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import build_jupyterlite  # noqa: E402
import fetch_runtime  # noqa: E402

DEST = REPO / "docs" / "assets" / "runtime"


def short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def build_wheel(dest: Path) -> str:
    with tempfile.TemporaryDirectory() as t:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", t, str(REPO)],
                       check=True)
        whl = next(Path(t).glob("fieldguide-*.whl"))
        sub = f"wheels/{short_hash(whl.read_bytes())}"
        shutil.rmtree(dest / "wheels", ignore_errors=True)
        (dest / sub).mkdir(parents=True)
        shutil.copy2(whl, dest / sub / whl.name)
        return f"{sub}/{whl.name}"


def stage_demos(dest: Path) -> dict[str, str]:
    out = {}
    ddir = dest / "demos"
    shutil.rmtree(ddir, ignore_errors=True)
    ddir.mkdir(parents=True)
    for p in sorted((REPO / "demos").glob("*.py")):
        if p.name.startswith("_"):
            continue
        data = p.read_bytes()
        name = f"{p.stem}.{short_hash(data)}.py"
        (ddir / name).write_bytes(data)
        out[p.stem] = f"demos/{name}"
    return out


def stage_notebooks(wheel: Path) -> dict:
    """Each demo's notebook (docs/notebooks/, committed for Colab) and the in-site JupyterLite."""
    sys.path.insert(0, str(REPO / "src"))
    from fieldguide_site import notebooks
    notebooks.write_all()
    repo, branch = notebooks.repository()
    app = build_jupyterlite.build(DEST / "lite", wheel)
    return {"repository": repo, "branch": branch, "path": notebooks.NOTEBOOKS_PATH,
            "site": "../../notebooks/", "lite": f"lite/{app}"}


def main() -> None:
    root = fetch_runtime.cache_dir()
    vocabs = fetch_runtime.fetch_vocabs(root)
    core = fetch_runtime.fetch_pyodide_core(root)
    wheels = fetch_runtime.fetch_pyodide_packages(core, root)
    katex = fetch_runtime.fetch_katex(root)
    DEST.mkdir(parents=True, exist_ok=True)
    fetch_runtime.stage(DEST, core, wheels, vocabs, katex)
    wheel = build_wheel(DEST)
    manifest = {
        "pyodide_version": fetch_runtime.PYODIDE_VERSION,
        "pyodide": "pyodide/",
        "pyodide_sri": None,
        "wheel": wheel,
        "plotly": "vendor/plotly.min.js",
        "data": {p.name: f"data/{p.name}" for p in vocabs.values()},
        "demos": stage_demos(DEST),
        "notebooks": stage_notebooks(DEST / wheel),
        "editor": {"css": "vendor/codemirror/codemirror.css",   # "Edit here" (fork.js): CodeMirror 5
                   "js": ["vendor/codemirror/codemirror.js", "vendor/codemirror/python.js"]},
    }
    if os.environ.get("FIELDGUIDE_RUNTIME", "self") == "cdn":
        # Opt-in: load Pyodide from its CDN. pyodide.js is pinned by Subresource Integrity, computed
        # from the copy verified above; Pyodide checks every package against its lock's sha256.
        digest = hashlib.sha384((core / "pyodide.js").read_bytes()).digest()
        manifest["pyodide"] = fetch_runtime.PYODIDE_CDN
        manifest["pyodide_sri"] = "sha384-" + base64.b64encode(digest).decode()
    (DEST / "runtime.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"[stage] {len(manifest['demos'])} demos, wheel {manifest['wheel']}, runtime in {DEST.relative_to(REPO)}")


if __name__ == "__main__":
    main()
