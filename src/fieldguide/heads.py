"""Many heads at once: what every head of a shipped model does on one text, and what the loss
pays when one head is switched off.

`gallery(text, model)` runs the model once (`tinylm.run`) and scores every head with
`fieldguide.interp`: previous-token, first-token and, when the text repeats itself, induction.
`ablation(text, model, (layer, head))` zeroes that head's output (zero-ablation: the head writes
nothing into the residual stream) and reports the change in next-token loss, position by position
and averaged over the text (the losses are `interp.token_losses`). Both cache the model's runs by (model, tokens), so moving a slider that
changes neither reruns nothing.

The induction model knows only 64 symbols, so a text's token ids are folded into its vocabulary
(id mod 64), as the attention chapter's grid does: a repeated token stays a repeat.
"""

from __future__ import annotations

import numpy as np

from . import interp, tinylm

DEFAULT_TEXT = ("Return a new list of the keys in the mapping, and return a new list of the keys "
                "in the mapping again.")
MAX_TOKENS = 64                     # the induction model's context
SCORES = ("previous_token", "first_token", "induction")

_RUNS: dict = {}


def tokens(text: str, model: str = "tinylm") -> list[int]:
    """The text as the model's token ids (tinylm's BPE, folded into the model's vocabulary),
    at most MAX_TOKENS of them. ValueError when there is nothing to score."""
    if not isinstance(text, str):
        raise ValueError("the text must be a string")
    ids = tinylm.encode(text)[:MAX_TOKENS]
    if len(ids) < 3:
        raise ValueError("Type at least a few words: scoring heads needs three tokens or more.")
    v = tinylm.load(model).cfg.vocab_size
    return [int(i) % v for i in ids]


def _run(model: str, ids: tuple, ablate: tuple = ()) -> dict:
    key = (model, ids, ablate)
    if key not in _RUNS:
        if len(_RUNS) > 48:
            _RUNS.clear()
        _RUNS[key] = tinylm.run(list(ids), model=model, ablate=list(ablate))
    return _RUNS[key]


def gallery(text: str, model: str = "tinylm") -> dict:
    """Every head's attention on the text and its scores: {"ids", "period" (None if the text does
    not repeat), "attn" (layers, heads, T, T), "scores": {name: (layers, heads)}, "loss"}.
    The induction score exists only when the text repeats (interp.find_period)."""
    ids = tuple(tokens(text, model))
    r = _run(model, ids)
    a = np.stack(r["attn"]).astype(np.float64)
    period = interp.find_period(ids)
    scores = {"previous_token": interp.previous_token_score(a),
              "first_token": interp.first_token_score(a)}
    if period:
        scores["induction"] = interp.induction_pattern_score(a, period)
    return {"ids": list(ids), "period": period, "attn": a, "scores": scores,
            "loss": interp.token_losses(r["logits"], ids)}


def ablation(text: str, model: str = "tinylm", head=(0, 0)) -> dict:
    """Zero one head's output (or several: a list of (layer, head) pairs) and compare next-token
    losses with the intact model:
    {"base", "ablated", "delta"} mean losses in nats over the text, "per_token" deltas, and, when the
    text repeats, "delta_repeat": the mean change over the predictions inside the repeat."""
    ids = tuple(tokens(text, model))
    cfg = tinylm.load(model).cfg
    pairs = [head] if np.ndim(head) == 1 else list(head)
    pairs = tuple(sorted({(int(l), int(h)) for l, h in pairs}))
    for l, h in pairs:
        if not (0 <= l < cfg.n_layer and 0 <= h < cfg.n_head):
            raise ValueError(f"{model} has no head {h} in layer {l}: it has {cfg.n_layer} layers of "
                             f"{cfg.n_head} heads")
    base = interp.token_losses(_run(model, ids)["logits"], ids)
    abl = interp.token_losses(_run(model, ids, pairs)["logits"], ids)
    out = {"base": float(base.mean()), "ablated": float(abl.mean()),
           "delta": float(abl.mean() - base.mean()), "per_token": abl - base}
    period = interp.find_period(ids)
    if period:
        # the tokens only copying can predict: the second copy after its first token
        out["delta_repeat"] = interp.copy_loss(abl, period) - interp.copy_loss(base, period)
    return out


def best_head(text: str, model: str, score: str) -> tuple[int, int, float]:
    """(layer, head, score) of the head with the highest `score` on this text."""
    s = gallery(text, model)["scores"]
    if score not in s:
        raise ValueError(f"no {score!r} score for this text (induction needs a repeat)")
    l, h = np.unravel_index(int(np.argmax(s[score])), s[score].shape)
    return int(l), int(h), float(s[score][l, h])


def repeat_gain(text: str, model: str = "tinylm") -> dict:
    """Mean next-token loss on the first copy of the repeated part and on the second (each without
    its first token, which nothing in context predicts): a model that copies from context finds the
    second copy much cheaper."""
    g = gallery(text, model)
    p = g["period"]
    if not p:
        raise ValueError("the text does not repeat")
    L = g["loss"]
    return {"first": float(L[:p - 1].mean()), "second": interp.copy_loss(L, p)}


def chance_level(text: str, model: str = "tinylm") -> float:
    """The induction score of a head that spreads its weight evenly over the visible tokens:
    the mean of 1 / (i + 1) over the positions i the score averages (i >= the repeat period)."""
    g = gallery(text, model)
    if not g["period"]:
        raise ValueError("the text does not repeat")
    return float(np.mean([1 / (i + 1) for i in range(g["period"], len(g["ids"]))]))


def ablation_table(text: str, model: str = "tinylm") -> np.ndarray:
    """(layers, heads) change in mean next-token loss (nats) when each head alone is zeroed.
    Runs the model once per head: for the chapter's prose and tests, not for a slider."""
    cfg = tinylm.load(model).cfg
    return np.array([[ablation(text, model, (l, h))["delta"] for h in range(cfg.n_head)]
                     for l in range(cfg.n_layer)])


def most_harmful(text: str, model: str = "tinylm") -> tuple[int, int, float]:
    """(layer, head, loss increase in nats) of the head whose zero-ablation hurts this text most."""
    t = ablation_table(text, model)
    l, h = np.unravel_index(int(np.argmax(t)), t.shape)
    return int(l), int(h), float(t[l, h])
