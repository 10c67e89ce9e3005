"""Count the bigram draft for the speculative-decoding chapter: tinylm's own corpus, tinylm's own
tokenizer, so the draft and the target share every token id.

For each previous token we keep its K most frequent next tokens with their counts (ties broken by
the smaller id), plus every token's unigram count for contexts the table has no row for. Counting
is deterministic: no seed is involved.

    python scripts/train_draft.py            # writes src/fieldguide/data/draft_bigram.npz and .json
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from kernels import pin  # noqa: E402

pin()

import hashlib  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import corpus  # noqa: E402
from fieldguide import tinylm  # noqa: E402

K = 16
OUT = ROOT / "src" / "fieldguide" / "data"


def main():
    t0 = time.time()
    parts, rec = corpus.build()
    text = "\n\n".join(parts)
    V = tinylm.load().cfg.vocab_size
    ids = np.array(tinylm.encode(text), dtype=np.int64)
    pair = np.bincount(ids[:-1] * V + ids[1:], minlength=V * V).reshape(V, V)
    uni = np.bincount(ids, minlength=V)
    order = np.lexsort((np.arange(V)[None, :].repeat(V, 0), -pair), axis=1)[:, :K]  # count desc, id asc
    top_ids = order.astype(np.int16)
    top_counts = np.take_along_axis(pair, order, axis=1).astype(np.int32)
    arrays = {"top_ids": top_ids, "top_counts": top_counts, "unigram": uni.astype(np.int32)}
    if "--check" in sys.argv[1:]:          # compare with the shipped arrays, write nothing
        with np.load(OUT / "draft_bigram.npz") as z:
            same = all(np.array_equal(z[k], v) for k, v in arrays.items())
        print(f"[check] bigram draft: {'reproduces' if same else 'DIFFERS FROM'} the shipped arrays", flush=True)
        return 0 if same else 1
    np.savez_compressed(OUT / "draft_bigram.npz", **arrays)
    kept = float(top_counts.sum() / max(1, pair.sum()))
    record = {"model": "draft_bigram", "script": "scripts/train_draft.py", "seed": None,
              "what": "for each previous token, its top-k next tokens by count in tinylm's training corpus; "
                      "unigram counts as the fallback",
              "tokenizer": "tinylm-bpe", "k": K, "vocab_size": V, "corpus_sha256": rec["sha256"],
              "corpus_chars": rec["n_chars"], "corpus_tokens": int(ids.size), "python": rec["python"],
              "share_of_bigrams_kept": round(kept, 4),
              "npz_sha256": hashlib.sha256((OUT / "draft_bigram.npz").read_bytes()).hexdigest(),
              "seconds": round(time.time() - t0, 1), "as_of": time.strftime("%Y-%m-%d")}
    (OUT / "draft_bigram.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in record.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
