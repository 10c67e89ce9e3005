"""Train the sparse autoencoder of the interpretability chapter: `python scripts/train_sae.py`.

    python scripts/train_sae.py            # write src/fieldguide/data/tinylm/sae.{npz,json}
    python scripts/train_sae.py --check    # retrain into a scratch folder; fail unless the weight
                                           # digest equals the shipped one (about a minute)

A dictionary of 8 x 128 = 1,024 features on tinylm's residual stream after block 2, trained with
NumPy alone from a fixed seed on activations of the same corpus tinylm was trained on (the
docstrings and comments of the Python standard library, `scripts/corpus.py`):

    x     = residual / scale                       scale: makes the mean ||x|| equal sqrt(d_model)
    f     = ReLU(W_enc (x - b_dec) + b_enc)        the feature activations (mostly zero)
    x_hat = W_dec f + b_dec                        the reconstruction; W_dec's columns have norm 1
    loss  = mean ||x - x_hat||^2 + l1 * mean sum_i f_i

(Bricken et al., "Towards Monosemanticity", 2023). It also stores, for every feature, the
corpus snippets that activate it most, so the feature explorer needs no corpus in the browser.

Writes src/fieldguide/data/tinylm/sae.npz and sae.json (the record: seed, steps, data, the
tinylm weights' digest it was trained on, reconstruction quality, hardware, wall time). The SAE
belongs to one set of tinylm weights: retrain it after `make train` changes them (a test fails
while the digests disagree). Uses the same pinned kernels as scripts/train.py.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import train as _pinned  # noqa: E402  (sets the single-thread AVX2 kernels before numpy loads)
import numpy as np  # noqa: E402

from fieldguide import tinylm  # noqa: E402
from fieldguide.tinylm.model import weights_sha256  # noqa: E402

OUT = ROOT / "src" / "fieldguide" / "data" / "tinylm"
SAE = dict(layer=2, expansion=8, seed=2026, windows=480, window=128, held_out=0.2, steps=2500,
           batch=512, lr=1e-3, l1=2.0, top_k=10, context_before=10, context_after=3)


def activations(model, tokens: np.ndarray, n: int, length: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """(n, length) token windows from random offsets and the residual stream after block
    `SAE['layer']` at every position: (n * length, d_model)."""
    starts = np.sort(rng.choice(len(tokens) - length, n, replace=False))
    wins = np.stack([tokens[s:s + length] for s in starts])
    acts = np.concatenate([model.run(w)["resid"][SAE["layer"]] for w in wins])
    return wins, acts.astype(np.float32)


def train_sae(x: np.ndarray, n_feat: int, cfg: dict, log) -> dict:
    rng = np.random.default_rng(cfg["seed"])
    d = x.shape[1]
    w_dec = rng.normal(0, 1, (d, n_feat)).astype(np.float32)
    w_dec /= np.linalg.norm(w_dec, axis=0)
    p = {"w_enc": w_dec.T.copy(), "b_enc": np.zeros(n_feat, np.float32), "w_dec": w_dec,
         "b_dec": x.mean(0).astype(np.float32)}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    B, l1, lr = cfg["batch"], cfg["l1"], cfg["lr"]
    curve = []
    for step in range(cfg["steps"]):
        xb = x[rng.integers(0, len(x), B)]
        xc = xb - p["b_dec"]
        pre = xc @ p["w_enc"].T + p["b_enc"]
        f = np.maximum(pre, 0)
        e = f @ p["w_dec"].T + p["b_dec"] - xb
        mse = float((e * e).sum(1).mean())
        sparsity = float(f.sum(1).mean())
        de = 2 * e / B
        g = {"w_dec": de.T @ f, "b_dec": de.sum(0)}
        dpre = (de @ p["w_dec"] + l1 / B) * (pre > 0)
        g["w_enc"] = dpre.T @ xc
        g["b_enc"] = dpre.sum(0)
        g["b_dec"] -= (dpre @ p["w_enc"]).sum(0)
        t = step + 1
        for k in p:
            m[k] = 0.9 * m[k] + 0.1 * g[k]
            v[k] = 0.999 * v[k] + 0.001 * g[k] * g[k]
            p[k] -= lr * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)
        p["w_dec"] /= np.linalg.norm(p["w_dec"], axis=0)
        if step % 250 == 0 or step == cfg["steps"] - 1:
            l0 = float((f > 0).sum(1).mean())
            curve.append({"step": step, "mse": round(mse, 5), "l1": round(sparsity, 4), "l0": round(l0, 2)})
            log(f"[sae] step {step}: mse {mse:.4f}, sum f {sparsity:.3f}, active {l0:.1f}")
    return {"params": p, "curve": curve}


def main() -> int:
    sys.path.insert(0, str(ROOT / "scripts"))
    import corpus
    t0 = time.time()
    model = tinylm.load()
    docs, record = corpus.build()
    enc_eot = tinylm.manifest()["tokenizer"]["special_tokens"]["<|endoftext|>"]
    stream = []
    for doc in docs:
        stream += tinylm.encode(doc) + [enc_eot]
    tokens = np.array(stream, dtype=np.int64)
    print(f"[sae] corpus: {len(docs)} files, {len(tokens):,} tokens", flush=True)
    rng = np.random.default_rng(SAE["seed"])
    wins, acts = activations(model, tokens, SAE["windows"], SAE["window"], rng)
    scale = float(np.sqrt((acts.astype(np.float64) ** 2).sum(1)).mean() / np.sqrt(acts.shape[1]))
    acts = (acts / scale).astype(np.float32)
    n_hold = int(len(wins) * SAE["held_out"])
    split = (len(wins) - n_hold) * SAE["window"]
    x_train, x_val = acts[:split], acts[split:]
    print(f"[sae] {len(x_train):,} training and {len(x_val):,} held-out activations", flush=True)
    n_feat = SAE["expansion"] * model.cfg.d_model
    res = train_sae(x_train, n_feat, SAE, lambda s: print(s, flush=True))
    p = res["params"]

    def encode(x):
        return np.maximum((x - p["b_dec"]) @ p["w_enc"].T + p["b_enc"], 0)
    f_val = encode(x_val)
    rec = f_val @ p["w_dec"].T + p["b_dec"]
    fve = 1 - float(((rec - x_val) ** 2).sum() / ((x_val - x_val.mean(0)) ** 2).sum())
    l0 = float((f_val > 0).sum(1).mean())
    fired = (f_val > 0).mean(0)
    dead = int((fired == 0).sum())
    mass = f_val.sum(0)

    # top examples from the held-out windows: per feature the top_k tokens by activation, each
    # with a little context (ids and the feature's activation on every token of the snippet)
    K, before, after = SAE["top_k"], SAE["context_before"], SAE["context_after"]
    W = before + 1 + after
    val_wins = wins[len(wins) - n_hold:]
    L = SAE["window"]
    ex_ids = np.full((n_feat, K, W), -1, dtype=np.int16)
    ex_act = np.zeros((n_feat, K, W), dtype=np.float16)
    for i in range(n_feat):
        col = f_val[:, i]
        order = np.argsort(-col, kind="stable")
        chosen = []
        for flat in order:
            if col[flat] <= 0 or len(chosen) == K:
                break
            w, pos = divmod(int(flat), L)
            if any(w == cw and abs(pos - cp) <= before for cw, cp in chosen):
                continue                      # one snippet per stretch of text
            chosen.append((w, pos))
        for k, (w, pos) in enumerate(chosen):
            lo, hi = max(0, pos - before), min(L, pos + after + 1)
            off = before - (pos - lo)
            ex_ids[i, k, off:off + hi - lo] = val_wins[w, lo:hi]
            ex_act[i, k, off:off + hi - lo] = col[w * L + lo:w * L + hi]
    out = {k: v.astype(np.float16) for k, v in p.items()}
    np.savez_compressed(OUT / "sae.npz", **out, example_ids=ex_ids, example_acts=ex_act,
                        mass=mass.astype(np.float32), fired=fired.astype(np.float32),
                        scale=np.float32(scale))
    info = {
        "description": "sparse autoencoder on tinylm's residual stream after block 2",
        "script": "scripts/train_sae.py", "model": "tinylm", "layer": SAE["layer"],
        "tinylm_weights_sha256": weights_sha256(model.params),
        "n_features": n_feat, "d_model": model.cfg.d_model, "config": SAE, "input_scale": round(scale, 6),
        "corpus_sha256": record["sha256"], "train_activations": int(len(x_train)),
        "held_out_activations": int(len(x_val)),
        "held_out": {"fraction_variance_explained": round(fve, 4), "mean_active_features": round(l0, 2),
                     "dead_features": dead},
        "loss_curve": res["curve"], "optimizer": "Adam(0.9, 0.999), decoder columns renormalised each step",
        "hardware": _pinned.hardware(), "wall_seconds": round(time.time() - t0, 1),
        "sae_weights_sha256": weights_sha256({k: v for k, v in out.items()}),
    }
    (OUT / "sae.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    print(f"[sae] held-out variance explained {fve:.3f}, {l0:.1f} active features per token, "
          f"{dead} dead; {info['wall_seconds']} s", flush=True)
    return 0


def check() -> int:
    """Retrain into a scratch folder and compare the weight digest with the shipped one."""
    global OUT
    import tempfile
    shipped = json.loads((OUT / "sae.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        OUT = Path(tmp)
        main()
        fresh = json.loads((OUT / "sae.json").read_text(encoding="utf-8"))
    same = fresh["sae_weights_sha256"] == shipped["sae_weights_sha256"]
    print(f"[sae] {'same weights as shipped' if same else 'DIFFERENT weights from the shipped ones'}: "
          f"{fresh['sae_weights_sha256'][:16]} vs {shipped['sae_weights_sha256'][:16]}", flush=True)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(check() if "--check" in sys.argv[1:] else main())
