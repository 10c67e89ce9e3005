"""Build the book's own JupyterLite: every demo's notebook, runnable in the reader's browser, offline.

    python scripts/build_jupyterlite.py DEST --wheel path/to/fieldguide-*.whl

JupyterLite is Jupyter as static files: `jupyter lite build` (jupyterlite-core, with the Pyodide
kernel of jupyterlite-pyodide-kernel) writes an app that runs a Python kernel on Pyodide inside the
page. Out of the box that kernel downloads Pyodide from a CDN and packages from PyPI; here it runs on
the site's own Pyodide 0.27.7 and installs only wheels the site serves:

- the kernel's plugin settings in jupyter-lite.json get `pyodideUrl` (the site's pyodide.js, as a
  path relative to the app's pages) and `disablePyPIFallback: true`;
- `--piplite-wheels` adds the fieldguide wheel and comm (which the kernel needs and Pyodide's lock
  lacks); the kernel's other packages (ipython and friends) are Pyodide packages that
  fetch_runtime.py stages beside numpy;
- the contents are the demos' notebooks, generated with the Pyodide kernel named in them so they
  open ready to run.

The build takes seconds but writes ~500 files, so its output is cached under
$FIELDGUIDE_CACHE/jupyterlite/<hash of every input> and only copied into DEST on later runs.
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(REPO / "src"))
import fetch_runtime  # noqa: E402

KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
# From an app's page (DEST/notebooks/index.html) to the site's Pyodide (assets/runtime/pyodide/).
PYODIDE_URL = "../../pyodide/pyodide.js"
APPS = ["notebooks"]
KEEP = 3   # cached builds kept


def lite_env_fingerprint() -> list[str]:
    """Versions of the JupyterLite packages and of every lab extension the build will pick up."""
    from importlib.metadata import version
    out = [f"{p}=={version(p)}" for p in ("jupyterlite-core", "jupyterlite-pyodide-kernel")]
    ext_root = Path(sys.prefix) / "share" / "jupyter" / "labextensions"
    for pkg in sorted(ext_root.rglob("package.json")):
        if pkg.parent.parent == ext_root or pkg.parent.parent.parent == ext_root:
            meta = json.loads(pkg.read_text(encoding="utf-8"))
            out.append(f"labextension {meta.get('name')}=={meta.get('version')}")
    return out


def input_hash(files: list[Path], contents: dict[str, str]) -> str:
    h = hashlib.sha256()
    for line in lite_env_fingerprint() + [PYODIDE_URL, " ".join(APPS)]:
        h.update(line.encode() + b"\n")
    h.update(Path(__file__).read_bytes())
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    for name in sorted(contents):
        h.update(name.encode() + b"\0" + contents[name].encode())
    return h.hexdigest()[:16]


def notebook_contents() -> dict[str, str]:
    """Every demo's notebook, with the Pyodide kernel named in its metadata."""
    from fieldguide_site import notebooks
    repo, branch = notebooks.repository()
    from fieldguide_site import demos
    return {f"{i}.ipynb": notebooks.dumps(notebooks.build(i, "pyodide", repo, branch)) for i in demos.all_ids()}


def patch_config(out: Path) -> None:
    """Point the Pyodide kernel at the site's own Pyodide and forbid PyPI, keeping pipliteUrls."""
    cfg_path = out / "jupyter-lite.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    settings = cfg["jupyter-config-data"].setdefault("litePluginSettings", {})
    kernel = settings.setdefault(KERNEL_PLUGIN, {})
    if not kernel.get("pipliteUrls"):
        raise SystemExit("build_jupyterlite: the build wrote no pipliteUrls; the kernel could not find fieldguide")
    kernel.update(pyodideUrl=PYODIDE_URL, disablePyPIFallback=True)
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")


def run_build(work: Path, out: Path, wheels: list[Path], contents: dict[str, str]) -> None:
    cdir = work / "content"
    cdir.mkdir(parents=True)
    for name, text in contents.items():
        (cdir / name).write_text(text, encoding="utf-8")
    cmd = [sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(work),
           "--output-dir", str(out), "--contents", str(cdir), "--no-sourcemaps",
           "--no-unused-shared-packages", "--apps", *APPS]
    # each --piplite-wheels takes one path
    for w in wheels:
        cmd += ["--piplite-wheels", str(w.resolve())]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    r = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"build_jupyterlite: jupyter lite build failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    patch_config(out)
    if not (out / "api" / "contents" / "all.json").exists():
        raise SystemExit("build_jupyterlite: the contents were not indexed (is jupyter_server installed?)")


def build(dest: Path, fieldguide_wheel: Path) -> str:
    """JupyterLite into `dest`; returns the app path of a notebook relative to dest's parent."""
    root = fetch_runtime.cache_dir()
    wheels = [fieldguide_wheel] + fetch_runtime.fetch_pypi_wheels(root)
    contents = notebook_contents()
    key = input_hash(wheels, contents)
    cache = root / "jupyterlite"
    built = cache / key
    if not (built / "jupyter-lite.json").exists():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache) as t:
            out = Path(t) / "out"
            run_build(Path(t) / "work", out, wheels, contents)
            shutil.rmtree(built, ignore_errors=True)
            os.replace(out, built)
        print(f"[lite] built JupyterLite ({len(contents)} notebooks) into the cache {built}")
        old = sorted((p for p in cache.iterdir() if p.is_dir() and p != built), key=lambda p: p.stat().st_mtime)
        for p in old[:-KEEP + 1] if KEEP > 1 else old:
            shutil.rmtree(p, ignore_errors=True)
    else:
        built.touch()
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(built, dest)
    return "notebooks/index.html"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("--wheel", type=Path, required=True, help="the fieldguide wheel to serve to the kernel")
    args = ap.parse_args()
    print(build(args.dest, args.wheel))


if __name__ == "__main__":
    main()
