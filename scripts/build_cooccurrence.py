"""Build the co-occurrence (PPMI + SVD) word vectors shipped as fieldguide/data/embeddings_cooc.json.

Corpus: the docstrings and comments of the Python standard library of the interpreter running
this script (PSF License), i.e. text that is on every machine that has Python, no download.
Test suites, IDLE and bundled wheels are left out. Every file used is listed with its SHA-256.

    python scripts/build_cooccurrence.py            # writes src/fieldguide/data/embeddings_cooc.json

The pipeline is deterministic (no random numbers are drawn; SVD signs are fixed so each vector's
largest-magnitude component is positive), so `seed` in the output is recorded as null.
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import io
import json
import sys
import sysconfig
import time
import tokenize
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from fieldguide import embeddings  # noqa: E402

SKIP_DIRS = {"test", "tests", "idle_test", "site-packages", "__pycache__", "_bundled",
             "idlelib", "turtledemo", "lib2to3"}


def stdlib_files() -> list[Path]:
    base = Path(sysconfig.get_paths()["stdlib"])
    files = [p for p in base.rglob("*.py")
             if not SKIP_DIRS & set(p.relative_to(base).parts[:-1])
             and not p.name.startswith("test_")]
    return sorted(files, key=lambda p: p.relative_to(base).as_posix())


def documents(source: str) -> list[str]:
    """Every docstring and every comment of one module, one document each."""
    out = []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return out
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                out.append(doc)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out.append(tok.string.lstrip("#"))
    except (tokenize.TokenError, SyntaxError):
        pass
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vocab", type=int, default=2000)
    ap.add_argument("--dims", type=int, default=300)
    ap.add_argument("--window", type=int, default=4)
    ap.add_argument("--alpha", type=float, default=0.75)
    ap.add_argument("--out", default=str(ROOT / "src/fieldguide/data/embeddings_cooc.json"))
    args = ap.parse_args(argv)
    t0 = time.time()
    base = Path(sysconfig.get_paths()["stdlib"])
    files, docs = [], []
    for p in stdlib_files():
        raw = p.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        files.append([p.relative_to(base).as_posix(), hashlib.sha256(raw).hexdigest()])
        docs += [embeddings.words(d) for d in documents(text)]
    docs = [d for d in docs if d]
    freq = Counter(w for d in docs for w in d)
    vocab = [w for w, _ in sorted(freq.items(), key=lambda t: (-t[1], t[0]))[:args.vocab]]
    index = {w: i for i, w in enumerate(vocab)}
    ids = [[index.get(w, -1) for w in d] for d in docs]
    counts = embeddings.cooccurrence(ids, len(vocab), args.window)
    vec, s = embeddings.ppmi_svd(counts, args.dims, args.alpha)
    flip = np.sign(vec[np.abs(vec).argmax(axis=0), np.arange(vec.shape[1])])
    vec = vec * flip
    blob = base64.b64encode(vec.astype("<f2").tobytes()).decode("ascii")
    shipped = vec.astype("<f2").astype(np.float64)  # score what readers get: the fp16 vectors
    accuracy = {str(k): [round(embeddings.analogy_accuracy(shipped[:, :d], index, k)["all"], 6)
                         for d in range(1, args.dims + 1)] for k in (1, 5)}
    out = {
        "description": "PPMI + truncated SVD word vectors of the Python standard library's "
                       "docstrings and comments",
        "kind": "computed",
        "script": "scripts/build_cooccurrence.py",
        "seed": None,
        "python": sys.version.split()[0],
        "licence": "Python Software Foundation License (the corpus); the vectors are derived data",
        "settings": {"vocab": len(vocab), "dims": args.dims, "window": args.window,
                     "alpha": args.alpha, "svd_power": 0.5, "tokenizer": "lower-case [a-z]+"},
        "corpus": {"documents": len(docs), "words": int(sum(len(d) for d in docs)),
                   "distinct_words": len(freq), "files": len(files),
                   "sha256_of_file_list": hashlib.sha256(
                       json.dumps(files).encode()).hexdigest(),
                   "file_list": files},
        "counts": [int(freq[w]) for w in vocab],
        "analogy_accuracy_by_dims": {
            "note": "share of fieldguide.embeddings.ANALOGY_PAIRS questions answered within top "
                    "k, for dims = 1..N (list index = dims - 1)",
            "questions": len(embeddings.analogy_questions(index)), "top_k": accuracy},
        "singular_values": [round(float(x), 4) for x in s[:args.dims]],
        "shape": [len(vocab), args.dims],
        "words": vocab,
        "vectors_f16_b64": blob,
    }
    Path(args.out).write_text(json.dumps(out, separators=(",", ":")), encoding="utf-8")
    print(f"{len(files)} files, {len(docs)} documents, {out['corpus']['words']:,} words; "
          f"wrote {args.out} ({Path(args.out).stat().st_size / 1e6:.2f} MB) "
          f"in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
