"""Real features of a small sparse autoencoder trained on tinylm's residual stream after block 2.
Pick a feature and read the held-out snippets that excite it most (the strongest token is
highlighted), then type your own text and see where the same feature fires, and which other
features light up. The labels are made automatically from the top tokens: check each one against
the snippets, and you will find features that fire on more than their label says.
"""

import numpy as np

from fieldguide import interp, tinylm

TITLE = "Feature explorer: a sparse autoencoder on tinylm"
BADGE = "TINY-REAL"
ASSETS = []
MAX_TOKENS = 64
DEFAULT_TEXT = "Open the file in binary mode and return the number of bytes read."
FEATURES = interp.top_features(12)

CONTROLS = [
    {"name": "feature", "kind": "select", "label": "Feature (the 12 with the most activation mass)",
     "options": [[f, f"#{f}: {interp.feature_label(f)}"] for f in FEATURES], "default": FEATURES[0]},
    {"name": "text", "kind": "text", "label": "Your text", "default": DEFAULT_TEXT, "maxlength": 600},
    {"name": "top_k", "kind": "range", "label": "Snippets to show", "min": 1, "max": 10, "step": 1, "default": 5},
]


def _show(s: str) -> str:
    return s.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥") or "·"


def _chips(ids, acts, peak):
    chips = []
    for s, a in zip(tinylm.token_strings(ids), acts):
        a = float(a)
        strong = peak > 0 and a >= 0.5 * peak
        chips.append({"text": _show(s), "title": f"activation {a:.2f}", "group": 3 if strong else 1,
                      "muted": bool(a <= 0)})
    return chips


def render(feature=None, text=DEFAULT_TEXT, top_k=5):
    s = interp.sae_load()
    info = s["info"]
    f = FEATURES[0] if feature is None else int(feature)
    if not 0 <= f < info["n_features"]:
        raise ValueError(f"Feature: there are {info['n_features']} features, numbered from 0.")
    k = int(top_k)
    notes = []
    label = interp.feature_label(f)
    q = info["held_out"]
    stats = {"kind": "stats", "items": [
        {"label": f"Feature #{f}", "value": label, "note": "automatic label: the tokens it peaks on"},
        {"label": "Fires on", "value": f"{s['fired'][f]:.1%}", "note": "of held-out tokens"},
        {"label": "SAE reconstruction", "value": f"{q['fraction_variance_explained']:.1%}",
         "note": "of the residual stream's variance, held-out text"},
        {"label": "Active features per token", "value": f"{q['mean_active_features']:.1f}",
         "note": f"of {info['n_features']}; {q['dead_features']} never fired on held-out text"},
    ]}
    blocks = [stats]
    ex = interp.top_examples(f, k)
    chips = []
    for i, e in enumerate(ex):
        if i:
            chips.append({"text": "   │   ", "muted": True, "title": "next snippet"})
        chips += _chips(e["ids"], e["acts"], e["peak"])
    blocks.append({"kind": "tokens", "tokens": chips, "caption":
                   f"Top {len(ex)} held-out snippets for feature #{f} (peak activations "
                   + ", ".join(f"{e['peak']:.2f}" for e in ex) + "). Hover a token for its activation."})

    ids = tinylm.encode(text)
    if not ids:
        blocks.append({"kind": "text", "level": "warn", "text": "Type some text to see the features on it."})
    else:
        if len(ids) > MAX_TOKENS:
            notes.append(f"Your text is {len(ids)} tokens; the first {MAX_TOKENS} are encoded.")
            ids = ids[:MAX_TOKENS]
        acts = interp.sae_features(ids)
        col = acts[:, f]
        blocks.append({"kind": "tokens", "tokens": _chips(ids, col, float(col.max())), "caption":
                       f"Feature #{f} on your text: peak {col.max():.2f}" +
                       (f" on ‘{_show(tinylm.token_strings([ids[int(np.argmax(col))]])[0])}’" if col.max() > 0
                        else " (it does not fire here)")})
        peak = acts.max(0)
        best = [int(i) for i in np.argsort(-peak, kind="stable")[:6] if peak[i] > 0]
        strings = tinylm.token_strings(ids)
        blocks.append({"kind": "table", "columns": ["feature", "automatic label", "peak on your text", "at token"],
                       "rows": [[f"#{i}", interp.feature_label(i), round(float(peak[i]), 2),
                                 _show(strings[int(np.argmax(acts[:, i]))])] for i in best],
                       "caption": f"The features most active anywhere in your text ({int((acts > 0).sum(1).mean())} "
                                  "active per token on average): a token is described by several features at once."})
    blocks.append({"kind": "text", "text":
                   f"This dictionary has {info['n_features']:,} features and was trained in "
                   f"{info['wall_seconds']:.0f} s on one CPU core ({info['script']}). The dictionaries "
                   "behind frontier-model explorers reach millions of features (about 34 million in "
                   "Templeton et al., 2024) on models far larger than this one; those cannot run in a "
                   "browser. " + tinylm.scale_note()})
    for n in notes:
        blocks.append({"kind": "text", "level": "warn", "text": n})
    return blocks
