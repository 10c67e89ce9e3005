"""Quantize a weight matrix and see what it costs. Start on the synthetic matrix at 4 bits,
group 128: then switch granularity to per-tensor and watch the 0.1% of outliers stretch the grid
until almost every ordinary weight rounds to zero. Switch the source to a tinylm layer to quantize
every linear layer of the real tiny model and read its held-out perplexity; drop to 2 bits to see
where it finally breaks.
"""

from functools import lru_cache

import numpy as np

from fieldguide import checks, quant, tinylm

TITLE = "Quantization lab"
BADGE = "TINY-REAL"
ASSETS = []
SOURCES = [["synthetic", "synthetic (Gaussian + outliers)"]] + [[n, f"tinylm {n}"] for n in quant.tinylm_layers()]
CONTROLS = [
    {"name": "bits", "kind": "select", "label": "Bits per weight (codes)", "options": [8, 6, 4, 3, 2], "default": 4},
    {"name": "scheme", "kind": "select", "label": "Grid",
     "options": [["symmetric", "symmetric INT"], ["asymmetric", "asymmetric INT (zero-point)"],
                 ["nf", "NormalFloat (NF4 at 4 bits)"]], "default": "symmetric"},
    {"name": "granularity", "kind": "select", "label": "One scale per",
     "options": [["per-tensor", "tensor"], ["per-row", "row (output channel)"], ["group", "group"]],
     "default": "group"},
    {"name": "group_size", "kind": "select", "label": "Group size (weights)", "options": [32, 64, 128, 256],
     "default": 128},
    {"name": "outlier_frac", "kind": "range", "label": "Outlier fraction (synthetic)", "min": 0.0, "max": 0.05,
     "step": 0.0005, "default": 0.001},
    {"name": "outlier_mag", "kind": "range", "label": "Outlier magnitude (×)", "min": 1.0, "max": 50.0,
     "step": 1.0, "default": 20.0},
    {"name": "awq", "kind": "checkbox", "label": "Activation-aware scaling (AWQ-style)", "default": False},
    {"name": "double_quant", "kind": "checkbox", "label": "Double-quantize the scales (8-bit)", "default": False},
    {"name": "source", "kind": "select", "label": "Weights", "options": SOURCES, "default": "synthetic"},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]


@lru_cache(maxsize=32)
def _synthetic(frac, mag, seed):
    return quant.synthetic(outlier_frac=frac, outlier_mag=mag, seed=seed)


def _hist(W, grid, title):
    w = np.asarray(W).ravel()
    counts, edges = np.histogram(w, bins=60)
    mids = (edges[:-1] + edges[1:]) / 2
    g = np.asarray(grid)
    fig = {"data": [
        {"type": "bar", "name": "weights", "x": [float(x) for x in mids], "y": [int(c) for c in counts],
         "marker": {"color": "#2a9d8f"}},
        {"type": "scatter", "mode": "markers", "name": "grid (first block)", "x": [float(x) for x in g],
         "y": [0.5] * len(g), "marker": {"color": "#e76f51", "size": 7, "symbol": "line-ns-open"}}],
        "layout": {"height": 300, "margin": {"t": 30}, "title": {"text": title},
                   "xaxis": {"title": {"text": "weight value"}},
                   "yaxis": {"title": {"text": "count"}, "type": "log"}, "legend": {"orientation": "h", "y": -0.3}}}
    inside = int(((g >= edges[0]) & (g <= edges[-1])).sum())
    alt = (f"Histogram of {w.size:,} weights from {edges[0]:.3g} to {edges[-1]:.3g}, tallest bin "
           f"{int(counts.max()):,}; the first block's grid has {len(g)} levels, {inside} inside that range, "
           f"from {g.min():.3g} to {g.max():.3g}.")
    return {"kind": "plotly", "figure": fig, "alt": alt}


def render(bits=4, scheme="symmetric", granularity="group", group_size=128, outlier_frac=0.001,
           outlier_mag=20.0, awq=False, double_quant=False, source="synthetic", seed=0):
    b = checks.whole("Bits per weight", bits, 2, 8)
    if b not in (8, 6, 4, 3, 2):
        raise ValueError("Bits per weight must be one of 8, 6, 4, 3, 2")
    if scheme not in quant.SCHEMES:
        raise ValueError(f"Grid: unknown scheme {scheme!r}")
    if granularity not in quant.GRANULARITIES:
        raise ValueError(f"One scale per: unknown granularity {granularity!r}")
    g = checks.whole("Group size", group_size, 32, 256)
    if g not in (32, 64, 128, 256):
        raise ValueError("Group size must be 32, 64, 128 or 256")
    frac = checks.number("Outlier fraction", outlier_frac, 0.0, 0.05)
    mag = checks.number("Outlier magnitude", outlier_mag, 1.0, 50.0)
    s = checks.whole("Seed", seed, 0, 9999)
    if source not in dict(SOURCES):
        raise ValueError(f"Weights: unknown source {source!r}")
    awq, dq = bool(awq), bool(double_quant)

    if source == "synthetic":
        W, X = _synthetic(frac, mag, s)
    else:
        W, X = quant.tinylm_matrix(source)
    q = quant.quantize(W, b, scheme, granularity, g, dq)
    Wh = quant.awq_scale(W, X, b, scheme, granularity, g, dq)["W_hat"] if awq else q["W_hat"]
    e = quant.errors(W, Wh, X)
    blocks = []
    items = [
        {"label": "relative W·x error", "value": f"{e['rel_out']:.3%}"},
        {"label": "weight MSE", "value": f"{e['mse']:.3g}"},
        {"label": "SNR", "value": f"{e['snr_db']:.1f}", "unit": "dB"},
        {"label": "effective bits/weight", "value": f"{q['bpw']:.4f}",
         "note": f"{q['n_blocks']:,} block(s) of {q['block']:,}"},
        {"label": "scale storage", "value": f"{quant.scale_bytes(q['n_blocks'], scheme, b, dq):,}", "unit": "bytes"},
    ]
    blocks.append({"kind": "stats", "items": items})
    blocks.append(_hist(W, q["grid"], f"{dict(SOURCES)[source]}: {W.shape[0]}×{W.shape[1]}"))

    if source != "synthetic":
        gg = g if granularity == "group" else 128
        setting = ("int", b, scheme, granularity, gg, awq, dq)
        base, ppl = quant.perplexity(), quant.perplexity(setting)
        blocks.append({"kind": "stats", "items": [
            {"label": "tinylm perplexity, as shipped", "value": f"{base:.3f}"},
            {"label": "every linear layer quantized", "value": f"{ppl:.3f}",
             "note": f"{(ppl / base - 1):+.2%}"}]})
        blocks.append({"kind": "text", "text": (
            "Perplexity is measured on a fixed held-out paragraph written for this book, with all 16 linear "
            "matrices quantized this way (embeddings, norms and biases stay as shipped). "
            + tinylm.scale_note())})

    # always drawn: the outlier check on the synthetic matrix, per-tensor against this group size
    Ws, Xs = _synthetic(frac, mag, s)
    et = quant.errors(Ws, quant.quantize(Ws, b, scheme, "per-tensor")["W_hat"], Xs)
    eg = quant.errors(Ws, quant.quantize(Ws, b, scheme, "group", g)["W_hat"], Xs)
    blocks.append({"kind": "table", "columns": ["synthetic matrix, seed " + str(s), "relative W·x error", "MSE"],
                   "rows": [["one scale per tensor", f"{et['rel_out']:.3%}", f"{et['mse']:.3g}"],
                            [f"one scale per {g} weights", f"{eg['rel_out']:.3%}", f"{eg['mse']:.3g}"]],
                   "caption": f"Outliers: {frac:.2%} of weights × {mag:g}, at {b} bits"})
    return blocks
