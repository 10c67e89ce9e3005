"""Train a small grid of tiny tinylm-style models and keep only their loss curves.

    python scripts/train_sweep.py            # writes src/fieldguide/data/tinylm_sweep.json
    python scripts/train_sweep.py --check    # retrain into a scratch file; fail unless every curve
                                             # equals the shipped one

The scaling-laws chapter fits a power law to these final losses. Every run uses the shipped tinylm
tokenizer and the same corpus as scripts/train.py (docstrings and comments of the Python standard
library; the last 5% of tokens held out), a 2-layer, 2-head model of width d with a 4d GELU MLP, a
64-token context, and a cosine schedule matched to its own token budget (the point Hoffmann et al.
make: a run stopped early on a longer schedule under-reports what its size can do). The grid is
6 widths x 3 token budgets, sized to finish in under ~8 minutes on one core. Kernels are pinned as
in scripts/train.py, so the numbers are reproducible on any AVX2 x86-64 machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kernels import pin  # noqa: E402

KERNELS = pin()

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fieldguide import tinylm  # noqa: E402
from fieldguide.tinylm.config import Config  # noqa: E402
from fieldguide.tinylm.model import TinyLM, init_params  # noqa: E402
from fieldguide.tinylm.train import random_windows, train  # noqa: E402

OUT = ROOT / "src" / "fieldguide" / "data" / "tinylm_sweep.json"
WIDTHS = [8, 16, 24, 32, 48, 64]
STEPS = [200, 400, 800]              # token budgets: steps x batch x context
BATCH, CTX, N_LAYER, N_HEAD = 16, 64, 2, 2
LR, WARMUP, WEIGHT_DECAY, SEED = 6e-3, 20, 0.1, 7


def non_embedding_params(cfg: Config) -> int:
    """Parameters outside the token and position tables (Kaplan et al.'s N)."""
    return cfg.n_params() - cfg.vocab_size * cfg.d_model - cfg.n_ctx * cfg.d_model


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true",
                    help="train into a scratch file and fail unless every loss curve equals the shipped one")
    args = ap.parse_args(argv)
    if args.check and args.out == OUT:
        import tempfile
        args.out = Path(tempfile.mkdtemp(prefix="fieldguide-sweep-")) / "tinylm_sweep.json"
    sys.path.insert(0, str(ROOT / "scripts"))
    import corpus
    t_all = time.perf_counter()
    docs, record = corpus.build()
    enc = tinylm._encoding()
    eot = enc.n_vocab - 1 if hasattr(enc, "n_vocab") else 2047
    stream = []
    for d in docs:
        stream += enc.encode_ordinary(d) + [eot]
    tokens = np.array(stream, dtype=np.int64)
    n_val = int(len(tokens) * 0.05)
    train_tok, val_tok = tokens[:-n_val], tokens[-n_val:]
    print(f"{len(tokens):,} tokens; encoding took {time.perf_counter() - t_all:.1f}s", flush=True)
    val_rng = np.random.default_rng(SEED + 2)
    val = [random_windows(val_tok, 32, CTX, val_rng) for _ in range(4)]
    runs = []
    for d in WIDTHS:
        cfg = Config(vocab_size=2048, n_ctx=CTX, d_model=d, n_layer=N_LAYER, n_head=N_HEAD, d_ff=4 * d)
        for steps in STEPS:
            model = TinyLM(cfg, init_params(cfg, SEED))
            rng = np.random.default_rng(SEED + 1)
            res = train(model, lambda s: random_windows(train_tok, BATCH, CTX, rng), steps, LR, WARMUP,
                        WEIGHT_DECAY, log_every=max(steps // 5, 1), val_batches=val, log=lambda m: None)
            c = res["curve"]
            n, n_ne, d_tok = cfg.n_params(), non_embedding_params(cfg), steps * BATCH * CTX
            runs.append({"d_model": d, "n_params": n, "n_params_non_embedding": n_ne, "steps": steps,
                         "tokens": d_tok, "compute_flops": 6.0 * n * d_tok,
                         "final_val_loss": c["val_loss"][-1], "final_train_loss": c["train_loss"][-1],
                         "curve": c, "wall_seconds": res["wall_seconds"]})
            print(f"d={d:3d} N={n:,} ({n_ne:,} non-emb) D={d_tok:,}  val {c['val_loss'][-1]:.4f}  "
                  f"{res['wall_seconds']}s", flush=True)
    out = {
        "description": "Final validation losses (nats/token) of tiny tinylm-style models: a grid of "
                       "widths x token budgets, each run with its own cosine schedule.",
        "script": "scripts/train_sweep.py", "as_of": time.strftime("%Y-%m-%d", time.gmtime()), "seed": SEED, "data_seed": SEED + 1, "val_seed": SEED + 2,
        "config": {"vocab_size": 2048, "n_ctx": CTX, "n_layer": N_LAYER, "n_head": N_HEAD,
                   "d_ff": "4 x d_model", "widths": WIDTHS, "batch": BATCH, "steps": STEPS,
                   "lr": LR, "warmup": WARMUP, "weight_decay": WEIGHT_DECAY,
                   "schedule": "linear warm-up, cosine to 10% over each run's own steps",
                   "optimizer": "AdamW(0.9, 0.95), grad clip 1.0", "tied_unembedding": True},
        "corpus": {k: record[k] for k in ("source", "python", "licence", "n_files", "n_chars", "sha256")},
        "tokenizer": "shipped tinylm BPE (src/fieldguide/data/tinylm/tokenizer.tiktoken)",
        "validation": "4 batches of 32 random 64-token windows from the last 5% of tokens",
        "corpus_tokens": int(len(tokens)), "kernels": KERNELS,
        "wall_seconds_total": round(time.perf_counter() - t_all, 1), "runs": runs,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} in {out['wall_seconds_total']}s", flush=True)
    if not args.check:
        return 0

    def curves(runs):
        return [(r["d_model"], r["steps"], r["curve"]["train_loss"], r["curve"]["val_loss"]) for r in runs]
    same = curves(json.loads(OUT.read_text(encoding="utf-8"))["runs"]) == curves(runs)
    print(f"[check] tinylm sweep: {'reproduces' if same else 'DIFFERS FROM'} the shipped curves", flush=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
