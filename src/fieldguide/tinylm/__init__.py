"""tinylm: a tiny decoder-only transformer, written, trained and run with NumPy alone.

Files, one idea each (read them in this order):
  config.py   the shape of the model and its parameter count
  layers.py   each layer's forward and hand-written backward pass
  kvcache.py  keeping keys and values so generation does not redo the prefix
  model.py    the stack: embeddings, pre-norm blocks, tied unembedding; loss and gradients
  optim.py    AdamW, gradient clipping, the learning-rate schedule
  train.py    the training loop

Shipped models (package data `fieldguide/data/tinylm/`, fp16, rebuilt by `make train`):
  "tinylm"     the book's language model, trained on the Python standard library's docstrings
               and comments with its own 2,048-token BPE vocabulary ("tinylm-bpe")
  "induction"  a 2-layer attention-only model trained on repeating random tokens: a layer-0
               previous-token head and layer-1 heads that copy from the earlier occurrence
               (see fieldguide.interp for what exactly they attend to)

Quick use (the default model is loaded once per process and cached):

    from fieldguide import tinylm
    ids = tinylm.encode("Return the number of")
    logits = tinylm.next_logits(ids)                 # (2048,) float64 scores for the next token
    logits, cache, attn = tinylm.forward(ids, return_attn=True)   # attn: per layer (heads, T, T)
    tinylm.generate(ids, 40, temperature=0.8, seed=0)
    r = tinylm.run(ids, ablate=[(1, 0)])             # everything inside, with head 1.0 zeroed:
    r["resid"], r["heads"], r["attn"], r["logits"]   # residual stream per block, head outputs, ...
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from .config import Config
from .kvcache import KVCache
from .model import TinyLM, init_params

__all__ = ["Config", "KVCache", "TinyLM", "init_params", "load", "manifest", "forward", "run", "next_logits",
           "generate", "continuation_logprobs", "encode", "decode", "token_strings", "embed", "frontier_ratio", "scale_note",
           "FRONTIER_PARAMS"]

# Llama 3.1 405B: 405 billion parameters (Llama Team, AI @ Meta, "The Llama 3 Herd of Models", 2024).
FRONTIER_PARAMS = {"name": "Llama 3.1 405B", "params": 405e9,
                   "source": "Llama Team, AI @ Meta, \"The Llama 3 Herd of Models\", 2024"}


def folder() -> Path:
    import fieldguide.data
    return Path(fieldguide.data.__file__).parent / "tinylm"


@lru_cache(maxsize=None)
def manifest() -> dict:
    """The shipped models' manifest: corpus, configs, seeds, losses, curves, head scores."""
    return json.loads((folder() / "manifest.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def load(name: str = "tinylm") -> TinyLM:
    """A shipped model, loaded once and cached."""
    return TinyLM.load(name, folder())


@lru_cache(maxsize=1)
def _encoding():
    from ..tokenizer import get_encoding
    return get_encoding("tinylm-bpe")


def encode(text: str) -> list[int]:
    """tinylm's token ids for text (its own BPE vocabulary; special-token text stays ordinary)."""
    return _encoding().encode_ordinary(text)


def decode(ids) -> str:
    return _encoding().decode([int(i) for i in ids])


def token_strings(ids) -> list[str]:
    """Each id's text on its own (bytes that are not whole characters show as U+FFFD)."""
    enc = _encoding()
    return [enc.decode_single_token_bytes(int(i)).decode("utf-8", "replace") for i in ids]


def forward(ids, cache: KVCache | None = None, return_attn: bool = False, model: str = "tinylm"):
    """The default model's forward pass: (logits (T, V), cache, attn or None). See TinyLM.forward."""
    return load(model).forward(ids, cache=cache, return_attn=return_attn)


def run(ids, model: str = "tinylm", ablate=(), patch=None, skip=()) -> dict:
    """A shipped model's instrumented forward pass: logits, attention, per-head outputs, the
    residual stream after every block, with optional ablation, patching or skipped blocks.
    See TinyLM.run."""
    return load(model).run(ids, ablate=ablate, patch=patch, skip=skip)


@lru_cache(maxsize=32)
def _prefix(ids: tuple, model: str):
    """One forward pass over a prompt, kept: (last position's logits, the KV cache). A demo that
    scores several continuations of the same prompt, or redraws on a knob change, pays for it once."""
    logits, cache, _ = load(model).forward(list(ids), last_only=True)
    return logits[-1], cache


def next_logits(ids, model: str = "tinylm") -> np.ndarray:
    """Float64 logits for the token after `ids` (the last position's row)."""
    ids = list(ids)
    if not ids:
        raise ValueError("need at least one token of context")
    ids = ids[-load(model).cfg.n_ctx:]
    return _prefix(tuple(int(i) for i in ids), model)[0].astype(np.float64)


def generate(ids, n: int, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
             min_p: float = 0.0, seed: int = 0, model: str = "tinylm") -> dict:
    """Extend `ids` by n tokens with the KV cache, sampling with `fieldguide.sampling.filter_logits`
    (temperature 0 = greedy). Returns {"ids": new ids, "probs": probability of each chosen token
    under the untruncated T=1 distribution}. Stops early at the context limit."""
    from .. import sampling
    m = load(model)
    ids = [int(i) for i in ids]
    if not ids:
        raise ValueError("need at least one token of context")
    rng = np.random.default_rng(int(seed))
    ids = ids[-(m.cfg.n_ctx - 1):]
    first, cache = _prefix(tuple(ids), model)          # the same cached pass next_logits uses
    logits, cache = first[None], cache.copy()
    out, probs = [], []
    for _ in range(int(n)):
        z = logits[-1].astype(np.float64)
        p = sampling.filter_logits(z, temperature, top_k, top_p, min_p)
        tok = int(rng.choice(p.size, p=p)) if temperature > 0 else int(np.argmax(p))
        out.append(tok)
        probs.append(float(sampling.softmax(z)[tok]))
        if len(cache) >= m.cfg.n_ctx:
            break
        logits, cache, _ = m.forward([tok], cache=cache)
    return {"ids": out, "probs": probs}


def continuation_logprobs(ids, target, temperature: float = 1.0, model: str = "tinylm") -> np.ndarray:
    """log p(target[i] | ids + target[:i]) at a temperature, for each target token (the chain rule:
    their sum is log p(target | ids)). The prompt's pass is cached; the target continues from its KV
    cache, so scoring another target for the same prompt costs only the target's tokens."""
    from .. import sampling
    ids, target = [int(i) for i in ids], [int(t) for t in target]
    if not ids or not target:
        raise ValueError("need a context and at least one target token")
    if not temperature > 0:
        raise ValueError("temperature must be > 0 to score a continuation")
    if len(ids) + len(target) - 1 > load(model).cfg.n_ctx:
        raise ValueError(f"context and target together exceed the model's {load(model).cfg.n_ctx} tokens")
    first, cache = _prefix(tuple(ids), model)        # the prompt's pass is shared with next_logits
    rows = [first[None]]
    if len(target) > 1:                              # the rest reuses the prompt's KV cache
        rows.append(load(model).forward(target[:-1], cache=cache.copy())[0])
    rows = np.concatenate(rows).astype(np.float64)
    return np.array([sampling.log_softmax(r / temperature)[t] for r, t in zip(rows, target)])


def embed(ids, model: str = "tinylm") -> np.ndarray:
    """Rows of the token-embedding matrix for ids: (len(ids), d_model)."""
    return load(model).params["wte"][np.asarray(ids, dtype=np.int64)]


def scale_note(model: str = "tinylm") -> str:
    """The sentence every tinylm demo carries: how small this model is next to a frontier model."""
    n = Config.from_dict(manifest()["models"][model]["config"]).n_params()
    f = FRONTIER_PARAMS
    return (f"{model} has {n:,} parameters: about {frontier_ratio(model):,.0f} times fewer than "
            f"{f['name']} ({f['params'] / 1e9:.0f} billion; {f['source']}).")


def frontier_ratio(model: str = "tinylm") -> float:
    """How many times more parameters Llama 3.1 405B has than the shipped model."""
    return FRONTIER_PARAMS["params"] / Config.from_dict(manifest()["models"][model]["config"]).n_params()
