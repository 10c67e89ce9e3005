"""Stretch a RoPE model trained on 4,096 tokens to a longer context. With no change, the slow
pairs meet rotation angles they never saw in training (red); position interpolation slows every
pair, including the fast ones that tell neighbours apart; NTK-aware and YaRN leave the fast pairs
alone and slow only the slow ones. Watch the band colours and how the score-versus-distance curve
is stretched.
"""

import numpy as np

from fieldguide import position as P

TITLE = "RoPE scaling: which frequency bands each method stretches"
BADGE = "TOY"
ASSETS = []
TRAIN_LEN = 4096            # the training context of the toy model (Llama 2's length)
ALPHA, BETA = 1.0, 32.0     # YaRN's ramp bounds for Llama-family models (Peng et al., 2023)
COLOURS = {"unchanged": "#2ca02c", "blended": "#ff7f0e", "interpolated": "#1f77b4",
           "extrapolated": "#d62728"}

CONTROLS = [
    {"name": "scale", "kind": "range", "label": "Scale factor s (new context = s × 4,096)", "min": 1,
     "max": 32, "step": 1, "default": 4},
    {"name": "method", "kind": "select", "label": "Method", "options": list(P.METHODS), "default": "YaRN"},
    {"name": "base", "kind": "select", "label": "RoPE base",
     "options": [[10000, "10,000"], [500000, "500,000 (Llama 3)"]], "default": 10000},
    {"name": "d", "kind": "select", "label": "Head width d", "options": [64, 128], "default": 128},
]


def render(scale=4, method="YaRN", base=10000, d=128):
    s, d, base = float(scale), int(d), float(base)
    if method not in P.METHODS:
        raise ValueError(f"Method: unknown choice {method!r}")
    L, new_len = TRAIN_LEN, int(round(s * TRAIN_LEN))
    w = P.rope_frequencies(d, base)
    v = P.scaled_frequencies(method, d, base, s, L, ALPHA, BETA)
    status = P.band_status(w, v, s, L)
    lam, lam2 = P.wavelengths(w), P.wavelengths(v)
    turns = L / lam
    counts = {k: status.count(k) for k in COLOURS}

    items = [{"label": "Context", "value": f"{L:,} → {new_len:,}", "unit": "tokens"}]
    items += [{"label": f"Pairs {k}", "value": str(n)} for k, n in counts.items() if n]
    if method == "NTK-aware":
        items.append({"label": "New base", "value": f"{P.ntk_aware_base(base, s, d):,.0f}",
                      "note": f"{base:,.0f} × s^(d/(d−2))"})
    if method == "YaRN":
        f = P.yarn_attention_factor(s)
        items.append({"label": "q and k multiplied by", "value": f"{f:.3f}",
                      "note": f"0.1·ln s + 1; scores × {f * f:.3f}"})
    blocks = [{"kind": "stats", "items": items}]

    idx = list(range(d // 2))
    traces = [{"type": "scatter", "mode": "lines", "name": "trained wavelengths", "x": idx,
               "y": [float(f"{x:.5g}") for x in lam], "line": {"color": "#999", "dash": "dot"}}]
    for k, colour in COLOURS.items():
        sel = [i for i in idx if status[i] == k]
        if sel:
            traces.append({"type": "scatter", "mode": "markers", "name": k, "x": sel,
                           "y": [float(f"{lam2[i]:.5g}") for i in sel], "marker": {"color": colour, "size": 6}})
    lines = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y,
              "line": {"color": c, "dash": "dash"}} for y, c in ((L, "#444"), (new_len, "#d62728"))]
    blocks.append({"kind": "plotly", "figure": {"data": traces, "layout": {
        "title": {"text": f"Wavelength of each pair after {method} (dashed: {L:,} and {new_len:,} tokens)"},
        "height": 360, "xaxis": {"title": {"text": "pair i (fast → slow)"}},
        "yaxis": {"title": {"text": "tokens per full turn"}, "type": "log"}, "shapes": lines}},
        "alt": (f"Wavelengths of the {d // 2} pairs, base {base:,.0f}, from {lam[0]:.2f} to {lam[-1]:,.0f} "
                f"tokens when trained; after {method} with s = {s:g}: from {lam2[0]:.2f} to {lam2[-1]:,.0f}. "
                + ", ".join(f"{n} pairs {k}" for k, n in counts.items() if n) + ".")})

    dist = np.unique(np.round(np.geomspace(1, new_len, 160)))
    orig = P.score_decay(w, dist)
    new = P.score_decay(v, dist)
    inside = dist <= L
    blocks.append({"kind": "plotly", "figure": {"data": [
        {"type": "scatter", "mode": "lines", "name": "trained model, inside its context",
         "x": dist[inside].tolist(), "y": np.round(orig[inside], 4).tolist(), "line": {"color": "#2ca02c"}},
        {"type": "scatter", "mode": "lines", "name": "trained model, past it (never seen)",
         "x": dist[~inside].tolist(), "y": np.round(orig[~inside], 4).tolist(),
         "line": {"color": "#d62728", "dash": "dot"}},
        {"type": "scatter", "mode": "lines", "name": f"after {method}", "x": dist.tolist(),
         "y": np.round(new, 4).tolist(), "line": {"color": "#1f77b4"}}],
        "layout": {"title": {"text": "RoPE score against distance (same query and key, score at 0 = 1)"},
                   "height": 320, "xaxis": {"title": {"text": "distance (tokens)"}, "type": "log"},
                   "yaxis": {"title": {"text": "relative score"}}}},
        "alt": (f"Mean cos(distance x theta) over the pairs. Trained model at distance {L:,}: "
                f"{P.score_decay(w, L):.3f}; after {method}, at {new_len:,}: {P.score_decay(v, new_len):.3f} "
                f"and at {L:,}: {P.score_decay(v, L):.3f}.")})

    step = max(1, (d // 2) // 8)
    rows = [[i, f"{lam[i]:,.1f}", f"{turns[i]:,.2f}", f"{v[i] / w[i]:.3f}", status[i]]
            for i in list(range(0, d // 2, step)) + ([d // 2 - 1] if (d // 2 - 1) % step else [])]
    blocks.append({"kind": "table", "columns": ["pair i", "wavelength (tokens)",
                                                f"full turns in {L:,} tokens", "new speed ÷ old", "band"],
                   "rows": rows, "caption": f"Every {step}th pair, and the last. YaRN's ramp leaves pairs with "
                   f"more than {BETA:g} turns alone and fully interpolates pairs with fewer than {ALPHA:g}."})
    if s == 1:
        blocks.append({"kind": "text", "level": "info", "text": "s = 1: the context is not extended, "
                       "so every method leaves the ladder as trained."})
    return blocks
