"""Reshape a real next-token distribution and draw from it. Start with tinylm's distribution for
the prompt, then lower the temperature and watch the top token take over; raise it and watch the
tail fill in. Compare top-p on the peaked and the flat examples: it keeps one token on the first
and almost everything on the second. With temperature 1.5 and min-p 0.1, flip the order: applying
temperature first keeps more tokens than applying it last. The histogram shows N seeded draws and
how often the most likely token did *not* come out.
"""

import numpy as np

from fieldguide import sampling, tinylm

TITLE = "Sampling playground: temperature, top-k, top-p, min-p, penalties"
BADGE = "TINY-REAL"
ASSETS = []
SHOW = 30          # tinylm: bars for the 30 most likely tokens (of 2,048)

SOURCES = [["tinylm", "tinylm on the prompt (real logits)"],
           ["capital-of-Japan", "authored: the capital of Japan"],
           ["peaked", "authored: a peaked distribution"],
           ["flat", "authored: a flat distribution"],
           ["custom", "custom logits (type them)"]]

CONTROLS = [
    {"name": "source", "kind": "select", "label": "Distribution", "options": SOURCES,
     "default": "tinylm"},
    {"name": "prompt", "kind": "text", "label": "Prompt (tinylm)", "default": "Return the number of",
     "maxlength": 600},
    {"name": "custom", "kind": "text", "label": "Custom logits, comma-separated",
     "default": "3.0, 2.5, 2.0, 1.0, 0.5, 0.0, -1.0", "maxlength": 2000},
    {"name": "temperature", "kind": "range", "label": "Temperature (0 = greedy)", "min": 0, "max": 2,
     "step": 0.05, "default": 1.0},
    {"name": "top_k", "kind": "range", "label": "top-k (0 = off)", "min": 0, "max": 100, "step": 1,
     "default": 0},
    {"name": "top_p", "kind": "range", "label": "top-p (1 = off)", "min": 0.05, "max": 1, "step": 0.01,
     "default": 1.0},
    {"name": "min_p", "kind": "range", "label": "min-p (0 = off)", "min": 0, "max": 0.5, "step": 0.01,
     "default": 0.0},
    {"name": "presence", "kind": "range", "label": "Presence penalty", "min": 0, "max": 2, "step": 0.05,
     "default": 0.0},
    {"name": "frequency", "kind": "range", "label": "Frequency penalty", "min": 0, "max": 2,
     "step": 0.05, "default": 0.0},
    {"name": "order", "kind": "select", "label": "Order",
     "options": [["hf", "Hugging Face: T, top-k, top-p, min-p"],
                 ["llama.cpp", "llama.cpp: top-k, top-p, min-p, then T"]], "default": "hf"},
    {"name": "preset", "kind": "select", "label": "Preset (overrides the knobs)",
     "options": ["none"] + list(sampling.PRESETS), "default": "none"},
    {"name": "draws", "kind": "range", "label": "Draws", "min": 0, "max": 1000, "step": 10,
     "default": 100},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]

_LOGITS: dict = {}     # prompt -> (logits, token ids): moving a knob never reruns the model


def _tinylm(prompt: str):
    if prompt not in _LOGITS:
        ids = tinylm.encode(prompt)
        if not ids:
            raise ValueError("Type a prompt: tinylm needs at least one token to continue.")
        if len(_LOGITS) > 64:
            _LOGITS.clear()
        _LOGITS[prompt] = (tinylm.next_logits(ids), ids)
    return _LOGITS[prompt]


def _source(source, prompt, custom):
    """(logits, token labels, counts for the penalties, note)."""
    if source == "tinylm":
        z, ids = _tinylm(prompt)
        labels = [repr(s)[1:-1] for s in tinylm.token_strings(range(z.size))]
        counts = sampling.token_counts(ids, z.size)
        return z, labels, counts, ("Penalties count the prompt's tokens as already generated. "
                                   + tinylm.scale_note())
    if source == "custom":
        try:
            vals = [float(v) for v in custom.replace(";", ",").split(",") if v.strip()]
        except ValueError:
            raise ValueError("Custom logits must be numbers separated by commas, e.g. 2, 1.5, 0.") from None
        if not 2 <= len(vals) <= 200:
            raise ValueError(f"Give between 2 and 200 logits (got {len(vals)}).")
        z = sampling.as_logits(vals)
        counts = np.zeros(z.size)
        counts[np.argsort(-z)[:2]] = [2, 1]
        return z, [f"t{i}" for i in range(z.size)], counts, (
            "Penalties pretend the two highest tokens were already generated (twice and once).")
    if source not in sampling.EXAMPLES:
        raise ValueError(f"Unknown source {source!r}.")
    ex = sampling.EXAMPLES[source]
    z = np.log(np.array(ex["probs"]))
    counts = np.zeros(z.size)
    counts[:2] = [2, 1]
    return z, ex["tokens"], counts, (f"Authored distribution for “{ex['prompt']}” (hand-written, not "
                                     "from a model). Penalties pretend its two most likely tokens "
                                     "were already generated (twice and once).")


def render(source="tinylm", prompt="Return the number of", custom="3.0, 2.5, 2.0, 1.0, 0.5, 0.0, -1.0",
           temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, presence=0.0, frequency=0.0, order="hf",
           preset="none", draws=100, seed=0):
    if preset != "none":
        if preset not in sampling.PRESETS:
            raise ValueError(f"Unknown preset {preset!r}.")
        pr = sampling.PRESETS[preset]
        temperature, top_k, top_p, min_p = pr["temperature"], pr["top_k"], pr["top_p"], pr["min_p"]
        presence, frequency = pr["presence"], pr["frequency"]
    z, labels, counts, note = _source(source, prompt, custom)
    raw = sampling.softmax(z)
    zp = sampling.apply_penalties(z, counts, presence, frequency)
    p = sampling.filter_logits_ordered(zp, temperature, int(top_k), top_p, min_p, order=order)
    kept = int((p > 0).sum())
    draws_ids = sampling.sample(p, int(draws), seed)
    top_raw = int(np.argmax(raw))
    lost = float(np.mean(draws_ids != top_raw)) if len(draws_ids) else float("nan")

    show = np.argsort(-raw, kind="stable")[:SHOW] if z.size > SHOW else np.arange(z.size)
    names = [labels[i] or "·" for i in show]
    names = [f"{n} ({i})" if names.count(n) > 1 else n for n, i in zip(names, show)]
    grey = ["#c7c7c7" if p[i] == 0 else "#1f77b4" for i in show]
    floor, shapes = None, []
    if min_p > 0 and (order == "hf" or temperature == 1):
        # min-p is the last filter here, and renormalising divides every survivor by the same sum,
        # so its rule "p >= m x the largest p" reads the same on the final bars
        floor = min_p * float(p.max())
        shapes = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": floor, "y1": floor,
                   "line": {"color": "#d62728", "dash": "dash"}}]
    figs = []
    figs.append({"kind": "plotly", "figure": {
        "data": [{"type": "bar", "x": names, "y": [round(float(raw[i]), 5) for i in show],
                  "marker": {"color": "#7f7f7f"}}],
        "layout": {"title": {"text": "1. Raw probabilities (softmax of the logits, T = 1)"},
                   "height": 250, "yaxis": {"title": {"text": "probability"}},
                   "xaxis": {"tickangle": -50}, "margin": {"b": 90}}},
        "alt": "Raw probabilities: " + ", ".join(f"{names[j]} {raw[i]:.3f}" for j, i in enumerate(show[:10]))})
    figs.append({"kind": "plotly", "figure": {
        "data": [{"type": "bar", "x": names, "y": [round(float(p[i]), 5) for i in show],
                  "marker": {"color": grey}}],
        "layout": {"title": {"text": f"2. After penalties and filtering ({order} order): {kept} kept, "
                                     "grey = removed"},
                   "height": 250, "yaxis": {"title": {"text": "probability"}}, "shapes": shapes,
                   "xaxis": {"tickangle": -50}, "margin": {"b": 90}}},
        "alt": f"Filtered probabilities, {kept} tokens kept: " + ", ".join(
            f"{names[j]} {p[i]:.3f}" for j, i in enumerate(show) if p[i] > 0)[:600]})
    hist_ids, hist_n = np.unique(draws_ids, return_counts=True)
    order_h = np.argsort(-hist_n)[:SHOW]
    hx = [labels[hist_ids[i]] or "·" for i in order_h]
    hx = [f"{n} ({hist_ids[i]})" if hx.count(n) > 1 else n for n, i in zip(hx, order_h)]
    figs.append({"kind": "plotly", "figure": {
        "data": [{"type": "bar", "x": hx, "y": [int(hist_n[i]) for i in order_h],
                  "marker": {"color": "#2ca02c"}}],
        "layout": {"title": {"text": f"3. {int(draws)} draws with seed {int(seed)}"}, "height": 240,
                   "yaxis": {"title": {"text": "count"}}, "xaxis": {"tickangle": -50},
                   "margin": {"b": 90}}},
        "alt": f"Histogram of {int(draws)} draws: " + ", ".join(
            f"{hx[j]} {hist_n[i]}" for j, i in enumerate(order_h[:10]))})
    total = float(p.sum())
    stats = {"kind": "stats", "items": [
        {"label": "Tokens kept", "value": f"{kept:,}", "note": f"of {z.size:,}"},
        {"label": "Entropy before", "value": f"{sampling.entropy(raw, 2):.2f}", "unit": "bits"},
        {"label": "Entropy after", "value": f"{sampling.entropy(p, 2):.2f}", "unit": "bits"},
        {"label": "Top token lost", "value": "–" if not len(draws_ids) else f"{lost:.0%}",
         "note": f"draws that were not {labels[top_raw]!r}"},
        {"label": "Sum of probabilities", "value": f"{total:.6f}",
         "note": "checked: a distribution must sum to 1"},
    ] + ([{"label": "min-p floor", "value": f"{floor:.4f}", "note": "red dashed line"}] if floor else [])}
    blocks = [stats] + figs + [{"kind": "text", "text": note}]
    if abs(total - 1) > 1e-9:
        blocks.append({"kind": "text", "level": "error", "text": f"Probabilities sum to {total}, not 1."})
    if preset != "none":
        blocks.append({"kind": "text", "text": f"Preset '{preset}': T {temperature}, top-k {top_k}, "
                       f"top-p {top_p}, min-p {min_p}, presence {presence}, frequency {frequency} "
                       "(the knobs above are ignored while a preset is chosen)."})
    return blocks
