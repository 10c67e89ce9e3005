"""Emergence and the mirage: how the choice of metric shapes a capability curve.

A toy in the spirit of Schaeffer, Miranda and Koyejo (2023): a model's per-token loss falls as a
smooth power law in scale, so its per-step success p = exp(-loss) rises smoothly. A task that needs
k steps all right, scored by exact match, succeeds with probability p**k, and that curve sits near
zero and then shoots up. Nothing in the model jumps; the metric does.

Also `squeeze`, the same effect measured on the book's own tinylm over a real passage: per-token
top-1 accuracy against exact match of k-token windows.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

METRICS = {
    "exact": "exact match (all k steps right)",
    "per-token": "per-token accuracy",
    "loglik": "token log-likelihood (nats)",
    "partial": "partial credit (steps right before the first error)",
}

SCALE_RANGE = (0.0, 10.0)        # log10 of scale, in arbitrary units
LOSS_AT_ZERO = math.log(10.0)    # per-token loss at scale 0: p(0) = 0.1
EXPONENT_PER_STEEPNESS = 0.2     # power-law exponent alpha = 0.2 * steepness


def _k(k) -> int:
    if isinstance(k, bool) or not float(k) == float(k) or float(k) != int(float(k)) or int(float(k)) < 1:
        raise ValueError(f"task length k must be a whole number of steps ≥ 1, got {k!r}")
    return int(float(k))


def _probability(p) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if not np.all((p >= 0) & (p <= 1)):       # also rejects NaN
        raise ValueError("per-step success p must lie between 0 and 1")
    return p


def step_loss(scale, steepness=1.0) -> np.ndarray:
    """Per-token loss (nats) at log10-scale s: a power law in scale,
    L(s) = ln(10) · 10^(-alpha·s) with alpha = 0.2 · steepness. Smooth, no threshold anywhere."""
    s = np.asarray(scale, dtype=np.float64)
    st = float(steepness)
    if not st > 0 or math.isinf(st):
        raise ValueError(f"steepness must be a positive number, got {steepness!r}")
    if not np.all(np.isfinite(s)):
        raise ValueError("scale must be a finite number")
    return LOSS_AT_ZERO * 10.0 ** (-EXPONENT_PER_STEEPNESS * st * s)


def step_success(scale, steepness=1.0) -> np.ndarray:
    """Per-step success p(s) = exp(-L(s)): 0.1 at scale 0, rising smoothly towards 1."""
    return np.exp(-step_loss(scale, steepness))


def exact_match(p, k) -> np.ndarray:
    """Chance that all k independent steps are right: p**k."""
    return _probability(p) ** _k(k)


def partial_credit(p, k) -> np.ndarray:
    """Expected share of the k steps done right before the first error: (1/k)·Σ_{i=1..k} p^i."""
    p, k = _probability(p), _k(k)
    return sum(p ** i for i in range(1, k + 1)) / k


def token_loglik(p) -> np.ndarray:
    """Mean log-probability per token (nats), log p; -inf where p = 0."""
    p = _probability(p)
    with np.errstate(divide="ignore"):
        return np.log(p)


def metrics(p, k) -> dict:
    """Every metric of METRICS for per-step success p on a k-step task."""
    p = _probability(p)
    return {"exact": exact_match(p, k), "per-token": p, "loglik": token_loglik(p),
            "partial": partial_credit(p, k)}


def needed_step_success(target, k) -> float:
    """The per-step success at which exact match on k steps reaches `target`: target**(1/k)."""
    t = float(target)
    if not 0 < t <= 1:
        raise ValueError("target exact match must be in (0, 1]")
    return t ** (1.0 / _k(k))


def rise_width(scales, values) -> float:
    """How much scale a curve needs to climb from 10% to 90% of its own rise over `scales`
    (linear interpolation; the curve must increase). Small = looks like a jump."""
    s, v = np.asarray(scales, dtype=np.float64), np.asarray(values, dtype=np.float64)
    lo, hi = v[0], v[-1]
    if not hi > lo:
        raise ValueError("the curve does not rise over this range")
    frac = np.maximum.accumulate((v - lo) / (hi - lo))
    return float(np.interp(0.9, frac, s) - np.interp(0.1, frac, s))


def mirage_curves(k=10, steepness=1.0, n=201, scale_range=SCALE_RANGE) -> dict:
    """Every metric across scale: {"scale", "p", "loss", and one array per METRICS key,
    "rise_width": {metric: 10→90% width in scale units}}."""
    if int(n) < 3:
        raise ValueError("need at least 3 points")
    s = np.linspace(float(scale_range[0]), float(scale_range[1]), int(n))
    loss = step_loss(s, steepness)
    p = np.exp(-loss)
    out = {"scale": s, "loss": loss, "p": p, **metrics(p, k)}
    out["rise_width"] = {m: rise_width(s, out[m]) for m in METRICS}
    return out


def sharpest_drop(steps, losses) -> dict:
    """The biggest fall between two consecutive logged points of a loss curve, and its share of
    the whole fall from the first point to the last. A share near 1 over a short stretch is a jump
    that no change of metric removes: loss is already the smoothest metric there is."""
    steps, losses = np.asarray(steps, dtype=np.float64), np.asarray(losses, dtype=np.float64)
    if steps.shape != losses.shape or steps.size < 2:
        raise ValueError("need matching steps and losses, at least two points")
    total = losses[0] - losses[-1]
    if not total > 0:
        raise ValueError("the loss does not fall over this curve")
    i = int(np.argmax(losses[:-1] - losses[1:]))
    drop = float(losses[i] - losses[i + 1])
    return {"from_step": int(steps[i]), "to_step": int(steps[i + 1]), "from_loss": float(losses[i]),
            "to_loss": float(losses[i + 1]), "drop": drop, "share": drop / float(total),
            "span_share": float((steps[i + 1] - steps[i]) / (steps[-1] - steps[0]))}


def induction_jump(model: str = "induction") -> dict:
    """sharpest_drop of a shipped model's logged validation loss (see the tinylm manifest)."""
    from . import tinylm
    curve = tinylm.manifest()["models"][model]["loss_curve"]
    return sharpest_drop(curve["step"], curve["val_loss"])


# ---------------------------------------------------------------- the same squeeze on tinylm

# A short passage in the style of tinylm's training text (standard-library docstrings), written
# for this book, so the model has not seen it.
PASSAGE = (
    "Return a list of the lines in the file, breaking at line boundaries. "
    "If the optional argument size is given, read at most size bytes from the file. "
    "Raise ValueError if the file is closed.\n\n"
    "Return the number of bytes written to the stream. "
    "If the object is not an instance of the class, raise TypeError. "
    "The default value is None, which means that the function returns a new list.\n\n"
    "Return True if the path is an existing directory. "
    "This function is called when the module is imported for the first time. "
    "If the name is not found in the dictionary, return the default value.\n\n"
    "Return a string containing the name of the current working directory. "
    "The optional argument encoding is the name of the encoding used to decode the file. "
    "If the argument is a string, it is converted to an integer first.\n\n"
    "Return the value of the attribute with the given name, or raise AttributeError. "
    "This method should be overridden by subclasses that need to handle the event."
)


def squeeze(text: str = PASSAGE, ks=range(1, 11), model: str = "tinylm") -> dict:
    """Per-token versus whole-answer scores of a real model on a real passage.

    One forward pass; at every position the model predicts the next token given the true text
    before it. For each k, over every window of k consecutive tokens: `token_acc` the mean top-1
    accuracy of its tokens, `exact` the share of windows with all k tokens top-1 (what greedy
    decoding from that point would reproduce exactly), `independent` the p**k prediction
    token_acc**k, `token_prob` the mean probability of each true token and `answer_prob` the mean
    probability of the whole k-token window (the chance that sampling at temperature 1 writes it)."""
    return _squeeze(str(text), tuple(_k(k) for k in ks), model)


@lru_cache(maxsize=8)
def _squeeze(text: str, ks: tuple, model: str) -> dict:
    from . import tinylm
    ids = tinylm.encode(text)[: tinylm.load(model).cfg.n_ctx]
    if len(ids) < 2:
        raise ValueError("the passage needs at least two tokens")
    logits = tinylm.forward(ids, model=model)[0][:-1].astype(np.float64)
    target = np.asarray(ids[1:])
    logz = logits.max(1) + np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1))
    logp = logits[np.arange(len(target)), target] - logz
    top1 = (logits.argmax(1) == target).astype(np.float64)
    rows = []
    for k in ks:
        if k > len(target):
            raise ValueError(f"k = {k} is longer than the passage's {len(target)} predicted tokens")
        win = np.lib.stride_tricks.sliding_window_view
        rows.append({"k": k, "windows": len(target) - k + 1,
                     "token_acc": float(win(top1, k).mean()),
                     "exact": float(win(top1, k).all(axis=1).mean()),
                     "independent": float(win(top1, k).mean()) ** k,
                     "token_prob": float(win(np.exp(logp), k).mean()),
                     "answer_prob": float(np.exp(win(logp, k).sum(axis=1)).mean())})
    return {"n_tokens": len(ids), "predicted": len(target), "rows": rows,
            "top1": float(top1.mean()), "mean_prob": float(np.exp(logp).mean())}
