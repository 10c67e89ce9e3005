"""Build tinylm's training text from the running interpreter's standard library (PSF License).

Every machine that has Python has this text, no download needed: the docstrings (found with `ast`)
and comments (found with `tokenize`) of the standard library's own modules. Files are taken in a
fixed sorted order and each one's SHA-256 is recorded, so the corpus can be checked and rebuilt.
Tests, demos, IDLE, vendored third-party code and the codec tables (`encodings/`, whose
comments are mostly Unicode character names) are left out.

    python scripts/corpus.py --out /tmp/stdlib_corpus.txt     # print a summary, write the text
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import inspect
import io
import sys
import sysconfig
import tokenize
from pathlib import Path

SKIP_DIRS = {"test", "tests", "idlelib", "turtledemo", "site-packages", "ensurepip", "lib2to3",
             "__pycache__", "__phello__", "encodings", "config-3.12-x86_64-linux-gnu", "pydoc_data"}
LICENCE = "Python Software Foundation License Version 2 (PSF-2.0), https://docs.python.org/3/license.html"


def stdlib_files(root: Path) -> list[Path]:
    out = []
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root)
        if any(part in SKIP_DIRS or part.startswith("test_") for part in rel.parts):
            continue
        out.append(p)
    return out


def docstrings(src: str) -> list[str]:
    """Module, class and function docstrings, dedented, in source order."""
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return []
    nodes = [n for n in ast.walk(tree)
             if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
    found = []
    for n in nodes:
        d = ast.get_docstring(n, clean=False)
        if d and d.strip():
            line = getattr(n, "lineno", 0)
            found.append((line, inspect.cleandoc(d)))
    return [d for _, d in sorted(found, key=lambda t: t[0])]


def comments(src: str) -> list[str]:
    """Runs of consecutive comment lines, '#' and one space stripped, joined into paragraphs."""
    paras, cur, last = [], [], -2
    try:
        for tok in tokenize.generate_tokens(io.StringIO(src).readline):
            if tok.type != tokenize.COMMENT:
                continue
            text = tok.string.lstrip("#").strip()
            if text.startswith("!") or "coding" in text[:20] or "-*-" in text:
                continue
            if tok.start[0] != last + 1 and cur:
                paras.append(" ".join(cur))
                cur = []
            if text:
                cur.append(text)
            last = tok.start[0]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    if cur:
        paras.append(" ".join(cur))
    return [p for p in paras if len(p) > 3]


def build(root: Path | None = None) -> tuple[list[str], dict]:
    """(one text per file, manifest record). The corpus text is the files joined by a blank line."""
    root = Path(root or sysconfig.get_paths()["stdlib"])
    parts, files = [], []
    for p in stdlib_files(root):
        raw = p.read_bytes()
        src = raw.decode("utf-8", errors="replace")
        chunks = docstrings(src) + comments(src)
        if not chunks:
            continue
        parts.append("\n\n".join(chunks))
        files.append([str(p.relative_to(root)), hashlib.sha256(raw).hexdigest()])
    text = "\n\n".join(parts)
    record = {"source": "docstrings and comments of the Python standard library",
              "python": sys.version.split()[0], "stdlib_root": str(root), "licence": LICENCE,
              "n_files": len(files), "n_chars": len(text),
              "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "files": files}
    return parts, record


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    parts, rec = build()
    print(f"{rec['n_files']} files, {rec['n_chars']:,} characters, Python {rec['python']}, "
          f"sha256 {rec['sha256'][:16]}")
    if args.out:
        args.out.write_text("\n\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
