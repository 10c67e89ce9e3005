"""Run a single speculative step many times on a toy target p and draft q, and compare what comes
out with p. With the residual step the gap (TV) sits at the level sampling noise alone would give;
untick it (on a rejection, just sample from p) and a bias appears that more samples do not shrink.
Move the draft quality: acceptance follows 1 − TV(p, q), and exactness does not depend on it.
"""

from fieldguide import speculative as sp

TITLE = "Exact by construction: the residual step"
BADGE = "TOY"
ASSETS = []
CONTROLS = [
    {"name": "draft_quality", "kind": "range", "label": "Draft quality (1 = draft equals target)",
     "min": 0, "max": 1, "step": 0.01, "default": 0.7},
    {"name": "samples", "kind": "range", "label": "Speculative steps sampled", "min": 1000, "max": 400000,
     "scale": "log", "default": 100000},
    {"name": "residual", "kind": "checkbox", "label": "Resample rejections from norm(max(0, p − q))",
     "default": True},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]


def render(draft_quality=0.7, samples=100000, residual=True, seed=0):
    n = int(round(samples))
    p, q = sp.toy_pair(draft_quality)
    r = sp.sample_exact(p, q, n, residual, int(seed))
    names = [f"t{i + 1}" for i in range(p.size)]
    fig = {"data": [
        {"type": "bar", "x": names, "y": [round(float(v), 4) for v in p], "name": "target p"},
        {"type": "bar", "x": names, "y": [round(float(v), 4) for v in r["freq"]], "name": "speculative output"},
        {"type": "scatter", "mode": "markers", "x": names, "y": [round(float(v), 4) for v in q],
         "name": "draft q", "marker": {"symbol": "x", "size": 9, "color": "#333"}}],
        "layout": {"barmode": "group", "height": 300, "yaxis": {"title": {"text": "probability"}},
                   "margin": {"t": 20, "b": 40, "l": 55, "r": 10}, "legend": {"orientation": "h", "y": 1.12}}}
    ratio = r["tv"] / r["floor"]
    return [
        {"kind": "stats", "items": [
            {"label": "TV(output, p)", "value": f"{r['tv']:.4f}", "note": f"{ratio:.1f}× the noise floor"},
            {"label": "Noise floor", "value": f"{r['floor']:.4f}", "note": f"expected TV of {n:,} exact samples"},
            {"label": "Bias in theory", "value": f"{r['bias']:.4f}",
             "note": "0 with the residual" if residual else "TV of min(p,q) + (1−α)p from p"},
            {"label": "Acceptance measured", "value": f"{r['accept_rate']:.3f}"},
            {"label": "1 − TV(p, q)", "value": f"{r['alpha']:.3f}", "note": "acceptance in theory"},
        ]},
        {"kind": "plotly", "figure": fig,
         "alt": "Eight outcomes: " + "; ".join(
             f"{a}: p {pp:.3f}, output {f:.3f}, q {qq:.3f}" for a, pp, f, qq in zip(names, p, r["freq"], q))},
        {"kind": "text", "level": "info" if residual else "warn",
         "text": ("Rejected drafts are replaced by a draw from the residual: the output matches p up to sampling noise."
                  if residual else "Rejected drafts are replaced by a fresh draw from p. That sounds safe, but the "
                  "accepted drafts already over-represent the outcomes q and p agree on, so the output is biased "
                  "by the amount shown.")},
    ]
