"""Reading a model's attention: scores that say what each head does.

A head's attention row for query position i is a probability distribution over positions 0..i.
Three simple questions about those rows name the best-known head types:

* previous-token head: does position i look at i - 1?
* induction head: on a sequence that repeats, does position i look at the token *after* the
  earlier occurrence of its own token? That is the "A B ... A -> B" copying circuit (Olsson et al.,
  "In-context Learning and Induction Heads", 2022). Its test: random tokens r_1..r_n followed by
  the same n tokens again. In the second copy, the token at position n + j last appeared at j, so an
  induction head puts its weight on j + 1.
* first-token head: does it park its weight on position 0 (a "no-op" sink)?

Each score is the mean attention weight on the position the pattern predicts, so it lies in
[0, 1]: 1 means the head does exactly that, and chance is about 1 / (number of visible positions).

A trained circuit need not match the textbook drawing. While building the book's induction model,
runs started from GPT-2's usual small token embeddings copied perfectly but with heads that look
*two* positions after the earlier occurrence, reading the answer from that position's
previous-token slot instead of from the token itself (scripts/train.py says which change gave the
textbook circuit). `lookback_scores` measures every offset, so that kind of circuit is found
rather than missed.
"""

from __future__ import annotations

import numpy as np


def previous_token_score(attn: np.ndarray) -> np.ndarray:
    """attn: (..., heads, T, T). Mean weight on i - 1 over i = 1..T-1, per head."""
    T = attn.shape[-1]
    i = np.arange(1, T)
    return attn[..., i, i - 1].mean(-1)


def first_token_score(attn: np.ndarray) -> np.ndarray:
    """Mean weight on position 0 over queries i = 1..T-1, per head."""
    return attn[..., 1:, 0].mean(-1)


def induction_pattern_score(attn: np.ndarray, period: int) -> np.ndarray:
    """On a sequence whose second part repeats the first with this period: mean weight from
    position i (i >= period) on i - period + 1, the token after the earlier copy."""
    T = attn.shape[-1]
    i = np.arange(period, T)
    return attn[..., i, i - period + 1].mean(-1)


def lookback_pattern_scores(attn: np.ndarray, period: int, max_offset: int = 3) -> np.ndarray:
    """(..., max_offset + 1): mean weight from position i (second copy) on i - period + o, for
    o = 0 (the earlier copy of the same token), 1 (the token after it: classic induction), 2, ..."""
    T = attn.shape[-1]
    i = np.arange(period, T - max_offset)
    return np.stack([attn[..., i, i - period + o].mean(-1) for o in range(max_offset + 1)], -1)


def repeated_random_tokens(vocab_size: int, n: int, seed: int = 0, low: int = 0) -> np.ndarray:
    """n random token ids (from low..vocab_size-1) followed by the same n again."""
    rng = np.random.default_rng(seed)
    half = rng.integers(low, vocab_size, n)
    return np.concatenate([half, half])


def induction_score(model, n: int = 30, trials: int = 4, seed: int = 0, low: int = 0) -> np.ndarray:
    """(layers, heads) induction scores of a model, averaged over a few repeated random sequences.

    `model.forward(ids, return_attn=True)` must give one (heads, T, T) attention array per layer.
    `low` skips the smallest token ids (e.g. the 256 single bytes of a BPE vocabulary).
    """
    n = min(n, model.cfg.n_ctx // 2)
    scores = []
    for t in range(trials):
        ids = repeated_random_tokens(model.cfg.vocab_size, n, seed + t, low)
        _, _, attn = model.forward(ids, return_attn=True)
        scores.append(induction_pattern_score(np.stack(attn), n))
    return np.mean(scores, axis=0)


def lookback_scores(model, n: int = 30, trials: int = 4, seed: int = 0, low: int = 0,
                    max_offset: int = 3) -> np.ndarray:
    """(layers, heads, max_offset + 1) look-back weights on repeated random sequences; [..., 1] is
    the induction score."""
    n = min(n, model.cfg.n_ctx // 2)
    out = []
    for t in range(trials):
        ids = repeated_random_tokens(model.cfg.vocab_size, n, seed + t, low)
        _, _, attn = model.forward(ids, return_attn=True)
        out.append(lookback_pattern_scores(np.stack(attn), n, max_offset))
    return np.mean(out, axis=0)


def head_scores(model, ids, period: int | None = None) -> dict[str, np.ndarray]:
    """Previous-token, first-token and (if the sequence repeats with `period`) induction scores of
    every head on one sequence: each a (layers, heads) array."""
    _, _, attn = model.forward(ids, return_attn=True)
    a = np.stack(attn)
    out = {"previous_token": previous_token_score(a), "first_token": first_token_score(a)}
    if period:
        out["induction"] = induction_pattern_score(a, period)
    return out


def find_period(ids) -> int | None:
    """The shift p at which the tail of a sequence best repeats its earlier part, if any: the
    smallest p with at least 3 matching positions ids[i] == ids[i - p] and most of the tail
    matching. Used to score induction on a reader's own repeated text."""
    ids = np.asarray(ids)
    T = len(ids)
    best, best_hits = None, 2
    for p in range(2, T // 2 + 1):
        hits = int((ids[p:] == ids[:-p]).sum())
        if hits > best_hits:
            best, best_hits = p, hits
    return best


# --- interventions: ablation and activation patching --------------------------------------------
#
# Scores of attention patterns are *representational* evidence: they say where a head looks, not
# that the model needs it. The causal test changes one component's output during a forward pass
# and measures what happens to the loss (Meng et al., "Locating and Editing Factual Associations
# in GPT", 2022, call the patching form causal tracing; Wang et al., "Interpretability in the Wild",
# 2022, use it to map the IOI circuit). Three ways to take a head out:
#   zero-ablate   its output is replaced by zeros;
#   mean-ablate   by its average output over a reference set of inputs (zero is an input the head
#                 never produces, so zeroing can break things for reasons unrelated to the task);
#   patch         by its output on a *corrupted* input that lacks the structure under study, so
#                 only the information the head carried about that structure is removed.

INTERVENTIONS = ("none", "zero-ablate", "mean-ablate", "patch")


def _model(model):
    if isinstance(model, str):
        from . import tinylm
        return tinylm.load(model)
    return model


def token_losses(logits: np.ndarray, ids) -> np.ndarray:
    """(T - 1,) cross-entropy in nats of predicting ids[t + 1] from the logits at position t."""
    z = np.asarray(logits, dtype=np.float64)[:-1]
    ids = np.asarray(ids)
    m = z.max(-1, keepdims=True)
    logz = (m + np.log(np.exp(z - m).sum(-1, keepdims=True)))[:, 0]
    return logz - z[np.arange(len(z)), ids[1:]]


def corrupt_copy(ids, period: int, vocab_size: int, seed: int = 0) -> np.ndarray:
    """The same sequence with its first `period` tokens replaced by fresh random tokens: the second
    copy no longer repeats anything, so copying from context cannot help, but everything else
    (length, positions, the tokens of the second part) is unchanged."""
    ids = np.array(ids, dtype=np.int64)
    rng = np.random.default_rng(seed + 7919)
    new = rng.integers(0, vocab_size, period)
    clash = new == ids[:period]                      # never keep a token by chance
    new[clash] = (new[clash] + 1) % vocab_size
    ids[:period] = new
    return ids


_MEANS: dict = {}


def head_means(model, trials: int = 16, seed: int = 0) -> list[np.ndarray]:
    """Per layer (H, D): each head's mean output (before W_O) over every position of `trials`
    repeated random sequences filling the context: the reference value for mean-ablation."""
    m = _model(model)
    key = (id(m), trials, seed)
    if key not in _MEANS:
        n = m.cfg.n_ctx // 2
        acc = None
        for t in range(trials):
            heads = m.run(repeated_random_tokens(m.cfg.vocab_size, n, seed + 10_000 + t))["heads"]
            s = [h.mean(1) for h in heads]
            acc = s if acc is None else [a + b for a, b in zip(acc, s)]
        _MEANS[key] = [a / trials for a in acc]
    return _MEANS[key]


def patch(model, ids, corrupt_ids, site) -> dict:
    """Activation patching: run `corrupt_ids`, then run `ids` with head `site` = (layer, head)
    given the output it had on the corrupted run. Returns the patched run (see TinyLM.run)."""
    m = _model(model)
    l, h = (int(v) for v in site)
    if len(corrupt_ids) != len(ids):
        raise ValueError("the corrupted sequence must have as many tokens as the clean one")
    z = m.run(corrupt_ids)["heads"][l][h]
    return m.run(ids, patch={(l, h): z})


def intervene(model, ids, site, kind: str, corrupt_ids=None, corrupt_heads=None) -> dict:
    """One forward pass of `ids` with head `site` = (layer, head) intervened on by `kind`
    (one of INTERVENTIONS). Patching takes the head's output from a run of `corrupt_ids` (or from
    `corrupt_heads`, that run's `heads`, when it has already been computed)."""
    m = _model(model)
    l, h = (int(v) for v in site)
    if kind == "none":
        return m.run(ids)
    if kind == "zero-ablate":
        return m.run(ids, ablate=[(l, h)])
    if kind == "mean-ablate":
        mean = head_means(m)[l][h]
        return m.run(ids, patch={(l, h): np.broadcast_to(mean, (len(ids), m.cfg.head_dim))})
    if kind == "patch":
        if corrupt_heads is not None:
            return m.run(ids, patch={(l, h): corrupt_heads[l][h]})
        if corrupt_ids is None:
            raise ValueError("patching needs a corrupted sequence to take the activation from")
        return patch(m, ids, corrupt_ids, (l, h))
    raise ValueError(f"unknown intervention {kind!r}: use one of {', '.join(INTERVENTIONS)}")


def copy_loss(losses: np.ndarray, period: int) -> float:
    """Mean loss on the tokens only copying can predict: targets period + 1 .. T - 1 (the first
    token of the second copy cannot be known; the ones after it can)."""
    return float(np.mean(losses[period:]))


def ablation_effects(model, ids, period: int, kind: str, corrupt_ids=None) -> np.ndarray:
    """(layers, heads): how much the copy loss rises when each head alone is intervened on."""
    m = _model(model)
    base = copy_loss(token_losses(m.run(ids)["logits"], ids), period)
    corrupt_heads = m.run(corrupt_ids)["heads"] if kind == "patch" else None
    out = np.zeros((m.cfg.n_layer, m.cfg.n_head))
    for l in range(m.cfg.n_layer):
        for h in range(m.cfg.n_head):
            r = intervene(m, ids, (l, h), kind, corrupt_ids, corrupt_heads)
            out[l, h] = copy_loss(token_losses(r["logits"], ids), period) - base
    return out


# --- the logit lens -------------------------------------------------------------------------------


def logit_lens(model, ids, k: int = 5) -> dict:
    """Read the residual stream after every block as if it were the last one (nostalgebraist,
    "interpreting GPT: the logit lens", 2020): apply the final LayerNorm and the unembedding to
    resid[0] (embeddings only), resid[1], ..., resid[n_layer] (= the model's real output).

    Returns {"top_ids": (L + 1, T, k), "top_probs": (L + 1, T, k), "logprobs": (L + 1, T, V)}.
    The last layer's row equals the model's own prediction exactly.
    """
    m = _model(model)
    p = m.params
    w_u = p["wte"].T if m.cfg.tied else p["w_unembed"]
    from .tinylm.layers import layernorm_forward
    resid = np.stack(m.run(ids)["resid"])                             # (L + 1, T, d)
    x, _ = layernorm_forward(resid, p["lnf.g"], p["lnf.b"])
    z = (x @ w_u).astype(np.float64)
    z = z - z.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    k = min(int(k), logp.shape[-1])
    top = np.argpartition(-logp, k - 1, axis=-1)[..., :k]              # the k best, unordered
    order = np.argsort(-np.take_along_axis(logp, top, -1), axis=-1, kind="stable")
    top = np.take_along_axis(top, order, -1)
    return {"top_ids": top, "top_probs": np.exp(np.take_along_axis(logp, top, -1)), "logprobs": logp}


# --- superposition in a toy model -----------------------------------------------------------------
#
# Elhage et al., "Toy Models of Superposition" (2022): n features, each zero with probability S
# (the sparsity) and otherwise uniform on [0, 1], must pass through m < n hidden dimensions and
# come back out as ReLU(W^T W x + b). Feature i matters I_i = decay**i to the loss. When features
# are dense the model keeps the m most important ones in orthogonal directions and drops the rest;
# when they are sparse it packs more than m features into the m dimensions at the cost of some
# interference, which the ReLU and a negative bias mostly filter out.

TOY_BATCH = 32


def toy_batch(rng, batch: int, n: int, sparsity: float) -> np.ndarray:
    """(batch, n) synthetic features: each is 0 with probability `sparsity`, else uniform [0, 1).
    One uniform draw u per entry gives both: the entry is present when u < 1 - S, and then
    u / (1 - S) is uniform on [0, 1)."""
    p = 1.0 - sparsity
    u = rng.random((batch, n))
    return np.where(u < p, u / p, 0.0) if p > 0 else np.zeros((batch, n))


def toy_loss(W, b, x, importance) -> float:
    """Importance-weighted squared reconstruction error, summed over features, mean over the batch."""
    out = np.maximum(x @ W.T @ W + b, 0.0)
    return float((((out - x) ** 2) * importance).sum(1).mean())


def toy_grads(W, b, x, importance):
    """d toy_loss / d W (m, n) and d / d b, by hand: with z = x W^T W + b and
    d = 2 I (ReLU(z) - x) [z > 0] / B, dL/db = sum_batch d and dL/dW = W (x^T d + d^T x)."""
    z = x @ W.T @ W + b
    d = (np.maximum(z, 0.0) - x) * importance * (z > 0) * (2.0 / len(x))
    s = x.T @ d
    return W @ (s + s.T), d.sum(0)


def toy_superposition(n_features: int = 5, hidden: int = 2, sparsity: float = 0.9,
                      importance_decay: float = 0.9, steps: int = 1000, seed: int = 0,
                      lr: float = 0.01, batch: int = TOY_BATCH, eval_size: int = 2000) -> dict:
    """Train the toy autoencoder with Adam on a fresh random batch at every step.

    W and b live in one array theta = [W; b] of shape (hidden + 1, n_features) so each step is a
    few array operations. Returns W (hidden, n_features), b, the loss curve (step, batch loss),
    the final loss on a fixed evaluation batch, and the loss of the best answer *without*
    superposition for comparison: the `hidden` most important features in dimensions of their
    own, every other feature replaced by its mean through the bias.
    """
    n, m = int(n_features), int(hidden)
    if not (1 <= m and 1 <= n):
        raise ValueError("need at least one feature and one hidden dimension")
    if not 0 <= sparsity < 1:
        raise ValueError("sparsity must lie in [0, 1)")
    rng = np.random.default_rng(int(seed))
    theta = np.zeros((m + 1, n))
    theta[:m] = rng.normal(0.0, 1.0 / np.sqrt(m), (m, n))
    W, b = theta[:m], theta[m]                       # views: updating theta updates both
    grad, mom, var = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    b1, b2 = 0.9, 0.999
    imp = float(importance_decay) ** np.arange(n) * (2.0 / batch)
    p = 1.0 - sparsity
    every = max(1, int(steps) // 50)
    curve_s, curve_l = [], []
    for s in range(int(steps)):
        u = rng.random((batch, n))
        x = np.where(u < p, u / p, 0.0)
        z = x @ W.T @ W + b
        d = (np.maximum(z, 0.0) - x) * imp
        if s % every == 0:
            curve_s.append(s)
            curve_l.append(float((d * d / imp).sum() / 2.0))
        d *= z > 0
        g = x.T @ d
        grad[:m] = W @ (g + g.T)
        grad[m] = d.sum(0)
        mom *= b1
        mom += (1 - b1) * grad
        var *= b2
        var += (1 - b2) * grad * grad
        theta -= (lr * np.sqrt(1 - b2 ** (s + 1)) / (1 - b1 ** (s + 1))) * mom / (np.sqrt(var) + 1e-8)
    imp = float(importance_decay) ** np.arange(n)
    ev = toy_batch(np.random.default_rng(int(seed) + 1_000_003), eval_size, n, sparsity)
    k = min(m, n)
    keep = np.zeros((m, n))
    keep[np.arange(k), np.arange(k)] = 1.0
    keep_b = ev.mean(0)
    keep_b[:k] = 0.0
    return {"W": W.copy(), "b": b.copy(), "importance": imp, "curve_steps": curve_s,
            "curve_loss": curve_l, "loss": toy_loss(W, b, ev, imp),
            "baseline_loss": toy_loss(keep, keep_b, ev, imp), "steps": int(steps)}


def toy_geometry(W: np.ndarray) -> dict:
    """What the toy learned: each feature's norm ||W_i|| (near 1 = represented, near 0 = dropped),
    its superposition sum_{j != i} (W_i_hat . W_j)^2 (0 = it has a dimension to itself), the
    interference matrix W^T W, and the count of represented features per hidden dimension."""
    norms = np.linalg.norm(W, axis=0)
    gram = W.T @ W
    unit = W / np.maximum(norms, 1e-9)
    overlap = (unit.T @ W) ** 2
    np.fill_diagonal(overlap, 0.0)
    sup = overlap.sum(1)
    represented = int((norms > 0.5).sum())
    return {"norms": norms, "gram": gram, "superposition": sup, "represented": represented,
            "features_per_dim": represented / W.shape[0]}


# --- the chapter's worked numbers -----------------------------------------------------------------

_KNOCKOUT: dict = {}


def knockout_summary(model="induction", n: int = 30, seed: int = 0) -> dict:
    """The interpretability chapter's experiment on one repeated random sequence: the loss on each
    copy, the strongest previous-token head, and every head's effect on the repeat's loss under
    each intervention (see `ablation_effects`)."""
    key = (model if isinstance(model, str) else id(model), n, seed)
    if key in _KNOCKOUT:
        return _KNOCKOUT[key]
    m = _model(model)
    V = m.cfg.vocab_size
    ids = repeated_random_tokens(V, n, seed)
    bad = corrupt_copy(ids, n, V, seed)
    clean = m.run(ids)
    base = token_losses(clean["logits"], ids)
    attn = np.stack(clean["attn"])
    prev, ind = previous_token_score(attn), induction_pattern_score(attn, n)
    effects = {k: ablation_effects(m, ids, n, k, bad) for k in INTERVENTIONS[1:]}
    pl, ph = np.unravel_index(int(np.argmax(prev)), prev.shape)
    inductive = ind > 0.5
    patched = effects["patch"].copy()
    patched[pl, ph] = -np.inf
    sl, sh = np.unravel_index(int(np.argmax(patched)), patched.shape)
    out = {"first_copy_loss": float(np.mean(base[:n - 1])), "copy_loss": copy_loss(base, n),
           "uniform_loss": float(np.log(V)), "prev_head": (int(pl), int(ph)),
           "prev_score": float(prev[pl, ph]), "previous_token": prev, "induction": ind,
           "effects": effects, "n_induction_heads": int(inductive.sum()),
           "max_induction_head_effect": float(effects["patch"][inductive].max()) if inductive.any() else 0.0,
           "second_head": (int(sl), int(sh)), "second_effect": float(effects["patch"][sl, sh])}
    _KNOCKOUT[key] = out
    return out


# --- a sparse autoencoder on tinylm's residual stream --------------------------------------------
#
# Trained offline by scripts/train_sae.py (its record: data/tinylm/sae.json). The dictionary has
# 8 x d_model features; each is a direction in the residual stream after block 2, and the file also
# carries each feature's top-activating snippets from held-out corpus text.

_SAE: dict = {}


def sae_load() -> dict:
    """The shipped SAE: float32 w_enc (F, d), b_enc (F,), w_dec (d, F), b_dec (d,), the input
    `scale`, per-feature `mass` (summed activation on held-out text) and `fired` (fraction of
    held-out tokens where it is non-zero), `example_ids` / `example_acts` (F, K, W) snippets
    (-1 pads), and `info`, the training record."""
    if not _SAE:
        import json
        from pathlib import Path
        import fieldguide.data
        folder = Path(fieldguide.data.__file__).parent / "tinylm"
        with np.load(folder / "sae.npz") as z:
            d = {k: z[k] for k in z.files}
        out = {k: d[k].astype(np.float32) for k in ("w_enc", "b_enc", "w_dec", "b_dec", "mass", "fired")}
        out["scale"] = float(d["scale"])
        out["example_ids"], out["example_acts"] = d["example_ids"].astype(np.int64), d["example_acts"].astype(np.float32)
        out["info"] = json.loads((folder / "sae.json").read_text(encoding="utf-8"))
        _SAE.update(out)
    return _SAE


def sae_encode(x) -> np.ndarray:
    """Feature activations ReLU(W_enc (x / scale - b_dec) + b_enc) of residual vectors x (..., d)."""
    s = sae_load()
    x = np.asarray(x, dtype=np.float32) / s["scale"]
    return np.maximum((x - s["b_dec"]) @ s["w_enc"].T + s["b_enc"], 0.0)


def sae_decode(f) -> np.ndarray:
    """The reconstruction of the residual stream, in its own units: (W_dec f + b_dec) * scale."""
    s = sae_load()
    return (np.asarray(f, dtype=np.float32) @ s["w_dec"].T + s["b_dec"]) * s["scale"]


def sae_features(ids) -> np.ndarray:
    """(T, F) feature activations of tinylm's residual stream after the SAE's block, per token."""
    from . import tinylm
    layer = sae_load()["info"]["layer"]
    return sae_encode(tinylm.run(list(ids))["resid"][layer])


def top_features(n: int = 12) -> list[int]:
    """The n features with the most activation mass on held-out text, largest first."""
    mass = sae_load()["mass"]
    return [int(i) for i in np.argsort(-mass, kind="stable")[:n]]


def top_examples(f: int, k: int = 5) -> list[dict]:
    """Feature f's k strongest held-out snippets: {"ids", "acts", "peak"} with padding removed."""
    s = sae_load()
    out = []
    for ids, acts in zip(s["example_ids"][f][:k], s["example_acts"][f][:k]):
        keep = ids >= 0
        if not keep.any():
            continue
        out.append({"ids": [int(i) for i in ids[keep]], "acts": [float(a) for a in acts[keep]],
                    "peak": float(acts[keep].max())})
    return out


def feature_label(f: int, n: int = 3) -> str:
    """An automatic, lossy label: the tokens on which feature f peaks in its top snippets, most
    frequent first (ties: stronger first)."""
    from . import tinylm
    s = sae_load()
    count: dict[int, list] = {}
    for ids, acts in zip(s["example_ids"][f], s["example_acts"][f]):
        if (ids >= 0).any():
            j = int(np.argmax(np.where(ids >= 0, acts, -np.inf)))
            c = count.setdefault(int(ids[j]), [0, 0.0])
            c[0] += 1
            c[1] += float(acts[j])
    best = sorted(count, key=lambda t: (-count[t][0], -count[t][1]))[:n]
    return " / ".join(repr(s_) for s_ in tinylm.token_strings(best)) if best else "(never fires)"
