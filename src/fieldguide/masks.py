"""Who may look at whom, and which positions are graded: the three transformer families side by side.

The families share one attention formula (see `fieldguide.tinylm.attention`); they differ in two
small things, both written out here:

* the **mask**, a boolean grid with a row per query and a column per key (True = may attend):
  an encoder lets every token see every token, a decoder lets token i see tokens 0..i, an
  encoder-decoder runs an encoder over the source, a causal decoder over the target, and a full
  cross-attention grid between them (queries from the decoder, keys and values from the
  encoder); a prefix LM is one decoder stack whose prompt part is bidirectional;
* the **objective**, i.e. which positions produce a loss: BERT's masked LM grades only the
  positions it corrupted, a causal LM grades every position but the last, a seq2seq model grades
  every decoder position and no encoder position.

`mlm_mask` follows the reference code that produced BERT's pre-training data
(`create_masked_lm_predictions` in google-research/bert, for Devlin et al., 2019), step for step:
shuffle the candidate positions (everything but [CLS] and [SEP]), take the first
max(1, round(len(ids) * rate)) of them (capped by max_predictions), and for each one draw u: below
0.8 it becomes [MASK]; otherwise a second draw below 0.5 keeps the original token, else it is
replaced by a token drawn uniformly from the whole vocabulary (which may be the original one).
One deliberate difference: a rate of 0 selects nothing (the reference code always takes one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tinylm.attention import causal_mask as causal     # (n, n): query i may look at keys 0..i

KINDS = ("encoder", "decoder", "encoder-decoder", "prefix-lm")
OBJECTIVES = ("mlm", "causal", "seq2seq", "prefix")
IGNORE = -100          # the label of a position that produces no loss (PyTorch's ignore_index)


def _size(name: str, v, low: int) -> int:
    try:
        i = int(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, got {v!r}") from None
    if i != v or i < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
    return i


def masks(kind: str, n: int, m: int = 0) -> dict[str, np.ndarray]:
    """The attention masks of one architecture, as {name: (queries, keys) boolean grid}.

    n is the length of the input (the encoder's source, or the prompt of a prefix LM), m the
    length of the decoder's stream (encoder-decoder) or of the continuation after the prompt
    (prefix LM).

    encoder          {"encoder": (n, n) all True}
    decoder          {"decoder": (n, n) lower triangle}
    encoder-decoder  {"encoder": (n, n) all True, "decoder": (m, m) lower triangle,
                      "cross": (m, n) all True}       queries from the decoder, keys from the encoder
    prefix-lm        {"decoder": (n + m, n + m)}      every query sees the whole prompt, then causal
    """
    n = _size("n", n, 1)
    m = _size("m", m, 0)
    if kind == "encoder":
        return {"encoder": np.ones((n, n), dtype=bool)}
    if kind == "decoder":
        return {"decoder": causal(n)}
    if kind == "encoder-decoder":
        if m < 1:
            raise ValueError("an encoder-decoder needs at least one decoder position (m >= 1)")
        return {"encoder": np.ones((n, n), dtype=bool), "decoder": causal(m),
                "cross": np.ones((m, n), dtype=bool)}
    if kind == "prefix-lm":
        grid = causal(n + m)
        grid[:, :n] = True
        return {"decoder": grid}
    raise ValueError(f"unknown architecture {kind!r}; choose one of {', '.join(KINDS)}")


def num_to_predict(n: int, rate: float, max_predictions: int | None = None) -> int:
    """How many of n tokens BERT's data generator selects for the masked-LM loss:
    max(1, round(n * rate)), capped at max_predictions (0 when rate is 0)."""
    n = _size("n", n, 0)
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"the masking rate must be between 0 and 1, got {rate!r}")
    if rate == 0.0 or n == 0:
        return 0
    k = max(1, int(round(n * rate)))
    return k if max_predictions is None else min(k, _size("max_predictions", max_predictions, 0))


@dataclass(frozen=True)
class MLMExample:
    """One masked-LM training example.

    inputs    what the encoder reads (the ids after corruption)
    selected  (n,) bool: positions that produce a loss
    action    per position: "" (untouched), "mask", "random" or "keep"
    labels    (n,) the original id where selected, IGNORE elsewhere
    """
    inputs: np.ndarray
    selected: np.ndarray
    action: tuple
    labels: np.ndarray


def mlm_mask(ids, rate: float = 0.15, rng=None, *, vocab_size: int, mask_id: int | None = None,
             special_ids=(), max_predictions: int | None = None) -> MLMExample:
    """BERT's masked-LM corruption of one sequence (Devlin et al., 2019; see the module docstring
    for the exact procedure). ids may include special tokens ([CLS], [SEP]) listed in special_ids:
    they are never selected but count in the sequence length, as in the reference code.
    mask_id defaults to vocab_size (one past the ordinary vocabulary); random replacements are
    drawn uniformly from range(vocab_size). rng is a numpy Generator (or a seed)."""
    ids = np.asarray(list(ids), dtype=np.int64)
    vocab_size = _size("vocab_size", vocab_size, 1)
    mask_id = vocab_size if mask_id is None else int(mask_id)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    specials = {int(s) for s in special_ids}
    candidates = np.array([i for i, t in enumerate(ids) if int(t) not in specials], dtype=np.int64)
    k = min(num_to_predict(len(ids), rate, max_predictions), len(candidates))
    inputs = ids.copy()
    selected = np.zeros(len(ids), dtype=bool)
    action = [""] * len(ids)
    for i in rng.permutation(candidates)[:k] if len(candidates) else []:
        if rng.random() < 0.8:
            action[i], inputs[i] = "mask", mask_id
        elif rng.random() < 0.5:
            action[i] = "keep"
        else:
            action[i], inputs[i] = "random", int(rng.integers(vocab_size))
        selected[i] = True
    labels = np.where(selected, ids, IGNORE)
    return MLMExample(inputs=inputs, selected=selected, action=tuple(action), labels=labels)


def objective_positions(objective: str, n: int, m: int = 0, selected=None) -> dict[str, np.ndarray]:
    """Which positions produce a training loss, per stream, as {stream: (length,) bool}.

    mlm      {"encoder": selected}              only the corrupted positions (pass selected, (n,))
    causal   {"decoder": i < n - 1}             every position predicts the next token; the last
                                                has nothing left to predict
    seq2seq  {"encoder": none, "decoder": all}  the decoder's m positions each predict the next
                                                target token (the first reads a start token)
    prefix   {"decoder": n-1 <= i < n+m-1}      one stream of prompt (n) + continuation (m):
                                                only the positions that predict the continuation
    """
    n = _size("n", n, 1)
    m = _size("m", m, 0)
    i = np.arange(n + m)
    if objective == "mlm":
        if selected is None:
            raise ValueError("the masked-LM objective needs the selected positions (see mlm_mask)")
        sel = np.asarray(selected, dtype=bool)
        if sel.shape != (n,):
            raise ValueError(f"selected must have one entry per token ({n}), got shape {sel.shape}")
        return {"encoder": sel.copy()}
    if objective == "causal":
        return {"decoder": i[:n] < n - 1}
    if objective == "seq2seq":
        if m < 1:
            raise ValueError("seq2seq needs at least one decoder position (m >= 1)")
        return {"encoder": np.zeros(n, dtype=bool), "decoder": np.ones(m, dtype=bool)}
    if objective == "prefix":
        return {"decoder": (i >= n - 1) & (i < n + m - 1)}
    raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")


def loss_fraction(objective: str, n: int, m: int = 0, rate: float = 0.15) -> float:
    """The share of the tokens fed in that carry a loss: for MLM num_to_predict(n, rate) / n,
    for a causal LM (n - 1) / n, for seq2seq m / (n + m), for a prefix LM m / (n + m)."""
    if objective == "mlm":
        return num_to_predict(n, rate) / _size("n", n, 1)
    out = objective_positions(objective, n, m)
    total = sum(len(v) for v in out.values())
    return float(sum(int(v.sum()) for v in out.values()) / total)


def stale_after_append(kind: str, n: int, m: int = 0) -> int:
    """How many earlier positions attend to a newly appended token, i.e. whose outputs (and hence
    keys and values in the next layer) would have to be recomputed: the token is appended to the
    input of an encoder, to the sequence of a decoder, to the target of an encoder-decoder, to the
    continuation of a prefix LM. Zero means the earlier work can be cached (the KV cache)."""
    n, m = _size("n", n, 1), _size("m", m, 0)
    if kind == "encoder":
        return int(masks(kind, n + 1)["encoder"][:n, n].sum())
    if kind == "decoder":
        return int(masks(kind, n + 1)["decoder"][:n, n].sum())
    if kind == "encoder-decoder":
        return int(masks(kind, n, m + 1)["decoder"][:m, m].sum())
    if kind == "prefix-lm":
        return int(masks(kind, n, m + 1)["decoder"][:n + m, n + m].sum())
    raise ValueError(f"unknown architecture {kind!r}; choose one of {', '.join(KINDS)}")
