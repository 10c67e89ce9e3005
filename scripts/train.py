"""Rebuild every shipped tiny model from its seed: `make train` (or `python scripts/train.py`).

    python scripts/train.py                 # everything: corpus -> tokenizer -> tinylm, induction
    python scripts/train.py --only induction
    python scripts/train.py --check         # retrain into a scratch folder, compare with the shipped

Writes src/fieldguide/data/tinylm/{<model>.npz, manifest.json, tokenizer.tiktoken}. Each model's
manifest entry records its config, seed, steps, batch, learning-rate schedule, wall time, final
losses, the loss curve and its head scores, so every number a chapter states about them is data.
The same bits on every x86-64 machine with AVX2: float32 results depend on which SIMD kernels run
(an AVX-512 matrix multiply rounds differently from an AVX2 one), so before numpy loads this script
pins them: one thread, OpenBLAS's Haswell (AVX2 + FMA) kernels, numpy's AVX-512 loops switched off.

Reproduction is checked on the numbers: each entry carries `weights_sha256`, a digest of the fp16
weights (`fieldguide.tinylm.model.weights_sha256`); `--check` (`make train-check`) retrains into a
scratch folder and fails unless every digest equals the shipped one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kernels import pin  # noqa: E402

KERNELS = pin()          # before numpy loads: the same float32 bits on every AVX2 x86-64

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fieldguide import interp  # noqa: E402
from fieldguide.tinylm.config import Config  # noqa: E402
from fieldguide.tinylm.model import TinyLM, init_params  # noqa: E402
from fieldguide.tinylm.train import evaluate, random_windows, train  # noqa: E402

SHIPPED = ROOT / "src" / "fieldguide" / "data" / "tinylm"
OUT = SHIPPED                      # --out moves every write elsewhere
MANIFEST = OUT / "manifest.json"


def log(msg):
    print(msg, flush=True)


def update_manifest(key: str, value) -> None:
    m = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    m.setdefault("models", {})
    if key.startswith("models."):
        m["models"][key[7:]] = value
    else:
        m[key] = value
    MANIFEST.write_text(json.dumps(m, indent=1) + "\n", encoding="utf-8")


def hardware() -> dict:
    return {"machine": platform.machine(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "numpy": np.__version__, "threads": 1,
            "kernels": KERNELS}


def round_scores(a: np.ndarray) -> list:
    return np.round(np.asarray(a, dtype=np.float64), 3).tolist()


# --- 1. the attention-only induction model ---------------------------------------------------------

# Untied unembedding: with a tied one the current token's own embedding, which sits in the residual
# stream, votes for the current token again, and the model stalls on a plateau (we tried: 2,500
# steps, no induction head). A constant, fairly high learning rate gets through the plateau sooner.
# Token embeddings start 5x larger than GPT-2's (std 0.1, wte_scale): with the usual 0.02 the raw
# token is a faint signal next to layer 0's outputs, and every run we tried (five seeds, 1, 2 and 4
# heads, vocabularies of 64 and 256) built the copying head one position off: it looked *two*
# tokens after the earlier copy and read the answer from the previous-token head's output there.
# With the token loud enough to be read directly, the textbook circuit forms, and within ~500 steps.
INDUCTION = dict(cfg=Config(vocab_size=64, n_ctx=64, d_model=64, n_layer=2, n_head=4, d_ff=1,
                            mlp=False, tied=False),
                 seed=1234, data_seed=1, pos_std=0.02, wte_scale=5.0, steps=2000, batch=32, lr=1e-2,
                 warmup=100, weight_decay=0.01, floor=1.0)


def periodic_batch(rng, batch: int, length: int, vocab: int) -> tuple[np.ndarray, np.ndarray]:
    """Sequences of random tokens that repeat with a random period (5..length/2): after one period
    everything is predictable, but only by looking back — exactly the job of an induction head."""
    seqs = np.empty((batch, length + 1), dtype=np.int64)
    for b in range(batch):
        period = int(rng.integers(5, length // 2 + 1))
        block = rng.integers(0, vocab, period)
        seqs[b] = np.resize(block, length + 1)
    return seqs[:, :-1], seqs[:, 1:]


def train_induction() -> None:
    r = INDUCTION
    cfg = r["cfg"]
    params = init_params(cfg, r["seed"])
    params["wpe"] = np.random.default_rng(5).normal(0, r["pos_std"], params["wpe"].shape).astype(np.float32)
    params["wte"] *= np.float32(r["wte_scale"])
    model = TinyLM(cfg, params)
    rng = np.random.default_rng(r["data_seed"])
    val_rng = np.random.default_rng(r["seed"] + 2)
    val = [periodic_batch(val_rng, 64, cfg.n_ctx, cfg.vocab_size)]
    log(f"[induction] {model.n_params():,} parameters")

    def scores(step):      # the phase change as data: best induction and previous-token head
        ind = interp.induction_score(model, n=30, trials=2, seed=99)
        ids = interp.repeated_random_tokens(cfg.vocab_size, 30, seed=7)
        prev = interp.head_scores(model, ids)["previous_token"]
        look = interp.lookback_scores(model, n=30, trials=2, seed=99)
        return {"induction_max": round(float(ind.max()), 3), "lookback_max": round(float(look.max()), 3),
                "previous_token_max": round(float(prev.max()), 3)}

    res = train(model, lambda s: periodic_batch(rng, r["batch"], cfg.n_ctx, cfg.vocab_size),
                r["steps"], r["lr"], r["warmup"], r["weight_decay"], log_every=100, val_batches=val,
                log=lambda m: log("[induction] " + m), floor=r["floor"], on_log=scores)
    ind = interp.induction_score(model, n=cfg.n_ctx // 2 - 2, trials=8, seed=99)
    ids = interp.repeated_random_tokens(cfg.vocab_size, cfg.n_ctx // 2 - 2, seed=7)
    prev = interp.head_scores(model, ids)["previous_token"]
    look = interp.lookback_scores(model, n=cfg.n_ctx // 2 - 5, trials=8, seed=99)
    best = np.unravel_index(int(np.argmax(look)), look.shape)
    log(f"[induction] induction scores {round_scores(ind)}\n[induction] previous-token {round_scores(prev)}"
        f"\n[induction] best look-back: layer {best[0]} head {best[1]} offset {best[2]} "
        f"weight {look[best]:.3f}")
    model.save_weights(OUT / "induction.npz")
    update_manifest("models.induction", {
        "description": "2-layer attention-only transformer trained on random tokens that repeat "
                       "with a random period; it forms a previous-token head and an induction head.",
        "config": cfg.to_dict(), "n_params": model.n_params(), "seed": r["seed"],
        "steps": r["steps"], "batch": r["batch"], "tokens_per_step": r["batch"] * cfg.n_ctx,
        "lr_schedule": {"peak": r["lr"], "warmup": r["warmup"], "shape": "linear warm-up, then constant"},
        "weight_decay": r["weight_decay"], "wall_seconds": res["wall_seconds"],
        "init": {"weights_seed": r["seed"], "position_std": r["pos_std"], "position_seed": 5,
                 "token_embedding_std": 0.02 * r["wte_scale"],
                 "data_seed": r["data_seed"]},
        "final_train_loss": res["curve"]["train_loss"][-1], "final_val_loss": res["curve"]["val_loss"][-1],
        "loss_curve": res["curve"], "induction_score": round_scores(ind),
        "previous_token_score": round_scores(prev),
        "lookback_score": {"offsets": list(range(look.shape[-1])), "scores": round_scores(look),
                           "best": {"layer": int(best[0]), "head": int(best[1]), "offset": int(best[2]),
                                    "weight": round(float(look[best]), 3)},
                           "note": "mean weight from each token of the second copy on the position "
                                   "`offset` after its earlier occurrence; offset 1 is the classic "
                                   "induction head"},
        "hardware": hardware(), "dtype": "float16", "weights_sha256": model.weights_sha256(),
        "data": "synthetic: numpy.random.default_rng(seed + 1), periods 5..32, vocabulary 64"})


def main(argv=None) -> int:
    global OUT, MANIFEST
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["induction", "tinylm"], default=None)
    ap.add_argument("--out", type=Path, default=None, help="write here instead of the package data")
    ap.add_argument("--check", action="store_true",
                    help="train into --out (default: a scratch folder) and compare with the shipped weights")
    args = ap.parse_args(argv)
    if args.check and args.out is None:
        import tempfile
        args.out = Path(tempfile.mkdtemp(prefix="fieldguide-train-"))
    if args.out is not None:
        OUT, MANIFEST = args.out, args.out / "manifest.json"
    OUT.mkdir(parents=True, exist_ok=True)
    names = [n for n in ("induction", "tinylm") if args.only in (None, n)]
    if "induction" in names:
        train_induction()
    if "tinylm" in names:
        train_tinylm()
    if not args.check:
        return 0
    shipped = json.loads((SHIPPED / "manifest.json").read_text(encoding="utf-8"))["models"]
    rebuilt = json.loads(MANIFEST.read_text(encoding="utf-8"))["models"]
    ok = True
    for n in names:
        same = shipped[n].get("weights_sha256") == rebuilt[n]["weights_sha256"]
        ok &= same
        log(f"[check] {n}: {'reproduces' if same else 'DIFFERS FROM'} the shipped weights "
            f"({rebuilt[n]['weights_sha256'][:16]}… vs {str(shipped[n].get('weights_sha256'))[:16]}…)")
    if "tinylm" in names:
        tok = json.loads(MANIFEST.read_text(encoding="utf-8"))["tokenizer"]["sha256"]
        same = tok == json.loads((SHIPPED / "manifest.json").read_text(encoding="utf-8"))["tokenizer"]["sha256"]
        ok &= same
        log(f"[check] tokenizer: {'reproduces' if same else 'DIFFERS FROM'} the shipped vocabulary")
    log(f"[check] rebuilt files are in {OUT}")
    return 0 if ok else 1



# --- 2. tinylm: the book's language model ----------------------------------------------------------

TINYLM = dict(cfg=Config(vocab_size=2048, n_ctx=256, d_model=128, n_layer=4, n_head=4, d_ff=512),
              seed=2024, steps=1100, batch=8, lr=3e-3, warmup=50, weight_decay=0.1, val_frac=0.05)
PROMPTS = ["Return the number of", "This module provides", "If the file", "The default value is"]


def build_tokenizer(text: str):
    """tinylm's vocabulary: 2,047 byte-level BPE ranks learned from the corpus, then <|endoftext|>."""
    from fieldguide.tokenizer import Encoding, save_tiktoken_ranks
    from fieldguide.tokenizer.train import train_bpe
    t0 = time.perf_counter()
    bpe = train_bpe(text, vocab_size=TINYLM["cfg"].vocab_size - 1, pattern="o200k_base")
    save_tiktoken_ranks(bpe.ranks, OUT / "tokenizer.tiktoken")
    eot = len(bpe.ranks)
    enc = Encoding("tinylm-bpe", bpe.ranks, "o200k_base", {"<|endoftext|>": eot})
    record = {"file": "tokenizer.tiktoken", "format": "tiktoken rank file (base64 token, rank)",
              "pattern": "o200k_base", "special_tokens": {"<|endoftext|>": eot},
              "n_vocab": eot + 1, "trainer": "fieldguide.tokenizer.train.train_bpe(corpus, "
              f"vocab_size={eot}, pattern='o200k_base')", "seconds": round(time.perf_counter() - t0, 1),
              "sha256": hashlib.sha256((OUT / "tokenizer.tiktoken").read_bytes()).hexdigest()}
    return enc, record


def train_tinylm() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import corpus
    r = TINYLM
    cfg = r["cfg"]
    docs, corpus_record = corpus.build()
    log(f"[tinylm] corpus: {corpus_record['n_files']} files, {corpus_record['n_chars']:,} characters")
    enc, tok_record = build_tokenizer("\n\n".join(docs))
    eot = tok_record["special_tokens"]["<|endoftext|>"]
    stream = []
    for d in docs:
        stream += enc.encode_ordinary(d) + [eot]
    tokens = np.array(stream, dtype=np.int64)
    n_val = int(len(tokens) * r["val_frac"])
    train_tok, val_tok = tokens[:-n_val], tokens[-n_val:]       # the last files are held out
    log(f"[tinylm] {len(tokens):,} tokens ({corpus_record['n_chars'] / len(tokens):.2f} characters "
        f"per token); {len(train_tok):,} train, {len(val_tok):,} validation")
    model = TinyLM(cfg, init_params(cfg, r["seed"]))
    rng = np.random.default_rng(r["seed"] + 1)
    val_rng = np.random.default_rng(r["seed"] + 2)
    val = [random_windows(val_tok, r["batch"], cfg.n_ctx, val_rng) for _ in range(4)]
    log(f"[tinylm] {model.n_params():,} parameters")
    res = train(model, lambda s: random_windows(train_tok, r["batch"], cfg.n_ctx, rng), r["steps"],
                r["lr"], r["warmup"], r["weight_decay"], log_every=50, val_batches=val,
                log=lambda m: log("[tinylm] " + m))
    ind = interp.induction_score(model, n=60, trials=4, seed=99, low=256)
    ids = interp.repeated_random_tokens(cfg.vocab_size - 1, 60, seed=7, low=256)
    prev = interp.head_scores(model, ids)["previous_token"]
    log(f"[tinylm] induction scores {round_scores(ind)}\n[tinylm] previous-token {round_scores(prev)}")
    model.save_weights(OUT / "tinylm.npz")
    samples = []
    for i, prompt in enumerate(PROMPTS):
        out = sample_text(model, enc, prompt, 40, 0.8, seed=i)
        samples.append({"prompt": prompt, "temperature": 0.8, "seed": i, "text": out})
        log(f"[tinylm] sample: {prompt!r} -> {out!r}")
    update_manifest("corpus", corpus_record)
    update_manifest("tokenizer", tok_record)
    update_manifest("models.tinylm", {
        "description": "decoder-only transformer trained on the docstrings and comments of the "
                       "Python standard library, with its own BPE vocabulary",
        "config": cfg.to_dict(), "n_params": model.n_params(), "seed": r["seed"],
        "steps": r["steps"], "batch": r["batch"], "tokens_per_step": r["batch"] * cfg.n_ctx,
        "corpus_tokens": int(len(tokens)), "train_tokens": int(len(train_tok)),
        "epochs": round(r["steps"] * r["batch"] * cfg.n_ctx / len(train_tok), 2),
        "lr_schedule": {"peak": r["lr"], "warmup": r["warmup"], "shape": "cosine to 10%"},
        "weight_decay": r["weight_decay"], "grad_clip": 1.0, "optimizer": "AdamW(0.9, 0.95)",
        "positions": "learned absolute", "tied_unembedding": True, "norm": "pre-norm LayerNorm",
        "wall_seconds": res["wall_seconds"], "final_train_loss": res["curve"]["train_loss"][-1],
        "final_val_loss": res["curve"]["val_loss"][-1], "loss_curve": res["curve"],
        "induction_score": round_scores(ind), "previous_token_score": round_scores(prev),
        "samples": samples, "hardware": hardware(), "dtype": "float16",
        "training_dtype": "float32", "weights_sha256": model.weights_sha256()})


def sample_text(model, enc, prompt, n, temperature, seed) -> str:
    from fieldguide import sampling
    ids = enc.encode_ordinary(prompt)
    rng = np.random.default_rng(seed)
    logits, cache, _ = model.forward(ids)
    out = []
    for _ in range(n):
        p = sampling.filter_logits(logits[-1].astype(np.float64), temperature)
        tok = int(rng.choice(p.size, p=p))
        out.append(tok)
        logits, cache, _ = model.forward([tok], cache=cache)
    return enc.decode(ids + out)


if __name__ == "__main__":
    sys.exit(main())
