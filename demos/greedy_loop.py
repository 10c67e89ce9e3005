"""Let tinylm write. Greedy decoding always takes the most likely token, and soon repeats itself:
the highlighted chips are n-grams it has already produced. Pure sampling at temperature 1 never
loops, but now and then draws a very unlikely token and wanders off. Tempered sampling with
top-p sits in between. Compare distinct-n (1 = no repeats) and the share of tokens the model
itself gave less than a 1-in-10,000 chance.
"""

import numpy as np

from fieldguide import sampling, tinylm

TITLE = "Greedy loops, sampling drifts"
TIMEOUT_S = 15     # 200 tokens one at a time: about 0.8 s in CPython, a few seconds in the browser
BADGE = "TINY-REAL"
ASSETS = []

STRATEGIES = {"greedy": dict(temperature=0.0), "pure": dict(temperature=1.0),
              "tempered": dict(temperature=0.7, top_p=0.9)}
CONTROLS = [
    {"name": "prompt", "kind": "text", "label": "Prompt", "default": "Return a new list of",
     "maxlength": 600},
    {"name": "strategy", "kind": "select", "label": "Decoding",
     "options": [["greedy", "greedy (always the top token)"], ["pure", "pure sampling, T = 1"],
                 ["tempered", "T = 0.7 + top-p 0.9"]], "default": "greedy"},
    {"name": "length", "kind": "range", "label": "Tokens to generate", "min": 10, "max": 200,
     "step": 1, "default": 60},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]

_CACHE: dict = {}


def render(prompt="Return a new list of", strategy="greedy", length=60, seed=0):
    if strategy not in STRATEGIES:
        raise ValueError(f"Unknown strategy {strategy!r}.")
    ids = tinylm.encode(prompt)
    if not ids:
        raise ValueError("Type a prompt: the model needs at least one token to continue.")
    ids = ids[-40:]
    key = (tuple(ids), strategy, int(length), int(seed))
    if key not in _CACHE:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = tinylm.generate(ids, int(length), seed=int(seed), **STRATEGIES[strategy])
    out = _CACHE[key]
    new, probs = out["ids"], np.array(out["probs"])
    rep = sampling.repeated_ngram_mask(new, 3)
    strings = tinylm.token_strings(new)
    chips = [{"text": tinylm.decode(ids), "group": 0, "title": "your prompt"}]
    chips += [{"text": s, "id": int(t), "group": 3 if r else 1,
               "title": f"p = {q:.2g}" + (" · part of a repeated 3-gram" if r else "")}
              for s, t, r, q in zip(strings, new, rep, probs)]
    rare = float(np.mean(probs < 1e-4))
    d = {n: sampling.distinct_n(new, n) for n in (1, 2, 3)}
    return [
        {"kind": "stats", "items": [
            {"label": "distinct-1", "value": f"{d[1]:.2f}"},
            {"label": "distinct-2", "value": f"{d[2]:.2f}"},
            {"label": "distinct-3", "value": f"{d[3]:.2f}", "note": "1 = no 3-gram repeats"},
            {"label": "In repeated 3-grams", "value": f"{rep.mean():.0%}", "note": "of new tokens"},
            {"label": "Tokens with p < 1e-4", "value": f"{rare:.0%}",
             "note": "under the model's own untruncated distribution"},
            {"label": "Seed", "value": str(int(seed)),
             "note": "unused: greedy never draws" if strategy == "greedy" else "picks the random draws"},
        ]},
        {"kind": "tokens", "tokens": chips,
         "caption": "Prompt, then the generated tokens; the differently coloured ones sit inside a 3-gram that already occurred. "
                    "Hover for each token's probability."},
        {"kind": "code", "text": tinylm.decode(ids + new), "caption": "The text as a whole"},
        {"kind": "text", "text": tinylm.scale_note() + " Its whole world is the Python standard "
                                 "library's docstrings and comments."},
    ]
