"""What does the model think comes next? The bars are tinylm's 20 most likely next tokens for your
prompt; the numbers below score a target continuation: its probability, its rank among all 2,048
tokens, its negative log-likelihood (the training loss for that choice) and the perplexity. Try a
target the model expects and one it does not, and watch the NLL jump; lower the temperature and
see the top token swallow the rest. Tokens greyed out fall outside the top-p nucleus.
"""

import math

import numpy as np

from fieldguide import sampling, tinylm

TITLE = "Next-token probabilities and the loss"
BADGE = "TINY-REAL"
ASSETS = []
TOP = 20

CONTROLS = [
    {"name": "prompt", "kind": "text", "label": "Prompt", "default": "The dog slept on the",
     "maxlength": 600},
    {"name": "target", "kind": "text", "label": "Target continuation (␣ = space)", "default": "␣floor",
     "maxlength": 200},
    {"name": "temperature", "kind": "range", "label": "Temperature", "min": 0.05, "max": 2,
     "step": 0.05, "default": 1.0},
    {"name": "top_p", "kind": "range", "label": "top-p", "min": 0.05, "max": 1, "step": 0.01,
     "default": 1.0},
]

def render(prompt="The dog slept on the", target="␣floor", temperature=1.0, top_p=1.0):
    ids = tinylm.encode(prompt)
    if not ids:
        raise ValueError("Type a prompt: the model needs at least one token to continue.")
    ids = ids[-200:]          # leave room in the 256-token context for the target
    target_ids = tinylm.encode(target.replace("␣", " "))
    z = tinylm.next_logits(ids)         # cached per prompt: a knob change reruns no model
    p = sampling.filter_logits(z, temperature)
    nucleus = sampling.top_p_mask(p, top_p)
    top = np.argsort(-p, kind="stable")[:TOP]
    names = [repr(s)[1:-1] or "·" for s in tinylm.token_strings(top)]
    colors = ["#1f77b4" if nucleus[i] else "#c7c7c7" for i in top]
    blocks = []
    if target_ids:
        target_ids = target_ids[:50]
        nlls = list(-tinylm.continuation_logprobs(ids, target_ids, temperature))
        total = float(sum(nlls))
        rank = int((p > p[target_ids[0]]).sum()) + 1
        pieces = " | ".join(repr(s)[1:-1] for s in tinylm.token_strings(target_ids))
        blocks.append({"kind": "stats", "items": [
            {"label": "P(target)", "value": f"{math.exp(-total):.3g}" if total < 700 else "≈ 0",
             "note": f"{len(target_ids)} token(s): {pieces}"},
            {"label": "Rank of its first token", "value": f"{rank:,}", "note": f"of {z.size:,}"},
            {"label": "NLL", "value": f"{total:.2f}", "unit": "nats", "note": "−log P(target)"},
            {"label": "Perplexity", "value": f"{sampling.perplexity(nlls):.1f}",
             "note": "exp(mean NLL per token)"},
            {"label": "Nucleus", "value": f"{int(nucleus.sum()):,}", "note": f"tokens inside top-p {top_p:g}"},
        ]})
    else:
        blocks.append({"kind": "text", "level": "warn", "text": "Type a target to score it."})
    blocks.append({"kind": "plotly", "figure": {
        "data": [{"type": "bar", "x": [round(float(p[i]), 5) for i in top][::-1], "y": names[::-1],
                  "orientation": "h", "marker": {"color": colors[::-1]}}],
        "layout": {"title": {"text": f"Top {TOP} next tokens at T = {temperature:g} (grey: outside top-p)"},
                   "height": 480, "xaxis": {"title": {"text": "probability"}},
                   "yaxis": {"type": "category"}, "margin": {"l": 120}}},
        "alt": "Top next tokens: " + ", ".join(f"{n} {p[i]:.3f}" for n, i in zip(names, top))})
    blocks.append({"kind": "text", "text": tinylm.scale_note() + " It learned only from the Python "
                   "standard library's docstrings and comments."})
    return blocks
