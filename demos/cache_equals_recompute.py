"""Does a KV cache change the answer? And what exactly does it save?

A causal attention layer is run two ways on the same random inputs: all positions at once (what you
would recompute at every step without a cache), and one position at a time with keys and values
appended to a cache. Below, the real tiny transformer of this book is checked the same way.

Try: switch the dtype to float16 — the two paths still agree to within float16's rounding, because
they do the same arithmetic in a different order. Then read the counters: without a cache the
projection work grows with the square of the length; with it, linearly. Attention over the cache
stays quadratic in total either way: the cache removes recomputation, not attention.
"""

from functools import lru_cache

import numpy as np

from fieldguide import serving

TITLE = "The KV cache gives the same answer, for less work"
BADGE = "TOY"
ASSETS = []
DTYPES = {"float64": np.float64, "float32": np.float32, "float16": np.float16}
TOL = {"float64": 1e-12, "float32": 1e-5, "float16": 1e-2}
CONTROLS = [
    {"name": "seq_len", "kind": "range", "label": "Sequence length (tokens)", "min": 2, "max": 256,
     "step": 1, "default": 32},
    {"name": "d", "kind": "range", "label": "Model width d", "min": 4, "max": 128, "step": 1, "default": 16},
    {"name": "dtype", "kind": "select", "label": "Number format", "options": list(DTYPES), "default": "float64"},
    {"name": "counters", "kind": "checkbox", "label": "Show the FLOP counters", "default": True},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]


@lru_cache(maxsize=1)
def _tinylm_check(n=12):
    """The book's tiny transformer: one full pass vs n cached single-token steps (once per process)."""
    try:
        from fieldguide import tinylm
        ids = tinylm.encode("Return the number of items in the list, counting")[:n]
        full, _, _ = tinylm.forward(ids)
        cache, rows = None, []
        for i in ids:
            logits, cache, _ = tinylm.forward([i], cache=cache)
            rows.append(logits[0])
        diff = float(np.abs(np.array(rows, dtype=np.float64) - full.astype(np.float64)).max())
        m = tinylm.load()
        same = bool(np.array_equal(np.argmax(rows, axis=1), np.argmax(full, axis=1)))
        return (f"The real tinylm ({m.cfg.n_layer} layers, d = {m.cfg.d_model}), {len(ids)} tokens: "
                f"cached step-by-step logits differ from one full pass by at most {diff:.2g}; "
                f"the predicted token is {'the same' if same else 'NOT the same'} at every position.")
    except (FileNotFoundError, ValueError, ImportError) as err:
        return f"The tinylm check could not run here: {err}"


def _figure(full, cached, T):
    cum = lambda a: np.cumsum(a).tolist()            # noqa: E731
    step = full["step"].tolist()
    tr = [("projections, no cache", full["projections"], "#e76f51", "solid"),
          ("attention, no cache", full["attention"], "#e76f51", "dot"),
          ("projections, cached", cached["projections"], "#2a9d8f", "solid"),
          ("attention, cached", cached["attention"], "#2a9d8f", "dot")]
    data = [{"type": "scatter", "mode": "lines", "name": n, "x": step, "y": cum(a),
             "line": {"color": c, "dash": dash}} for n, a, c, dash in tr]
    layout = {"xaxis": {"title": {"text": "tokens generated"}},
              "yaxis": {"title": {"text": "cumulative FLOPs"}, "type": "log"},
              "legend": {"orientation": "h", "y": -0.25}, "margin": {"t": 20}}
    return {"data": data, "layout": layout}


def render(seq_len=32, d=16, dtype="float64", counters=True, seed=0):
    T, d = int(seq_len), int(d)
    rng = np.random.default_rng(int(seed))
    dt = DTYPES[dtype]
    x = rng.standard_normal((T, d)).astype(dt)
    w = [(rng.standard_normal((d, d)) / np.sqrt(d)).astype(dt) for _ in range(4)]
    with np.errstate(over="ignore", invalid="ignore"):
        full = serving.attention_full(x, *w)
        inc = serving.attention_cached(x, *w)
    diff = float(np.abs(full.astype(np.float64) - inc.astype(np.float64)).max())
    scale = float(np.abs(full.astype(np.float64)).max()) or 1.0
    close = diff <= TOL[dtype] * scale
    blocks = [{"kind": "stats", "items": [
        {"label": "Cached equals recomputed", "value": "yes" if close else "no",
         "note": f"within {TOL[dtype]:g} × the largest output, {dtype}"},
        {"label": "Largest difference", "value": f"{diff:.3g}", "note": f"outputs up to {scale:.3g} in size"},
        {"label": "Cache size", "value": f"{2 * T * d * np.dtype(dt).itemsize:,} bytes",
         "note": f"K and V: 2 × {T} tokens × {d} × {np.dtype(dt).itemsize} bytes"},
    ]}]
    if counters:
        nf = serving.generation_flops(d, 1, 0, T, cached=False)
        cf = serving.generation_flops(d, 1, 0, T, cached=True)
        tot = {k: float(v.sum()) for k, v in (("pn", nf["projections"]), ("an", nf["attention"]),
                                               ("pc", cf["projections"]), ("ac", cf["attention"]))}
        blocks[0]["items"].append({"label": "FLOPs saved by the cache",
                                   "value": f"{1 - (tot['pc'] + tot['ac']) / (tot['pn'] + tot['an']):.1%}",
                                   "note": f"{tot['pn'] + tot['an']:,.0f} → {tot['pc'] + tot['ac']:,.0f} over {T} steps"})
        blocks.append({"kind": "plotly", "figure": _figure(nf, cf, T),
                       "alt": (f"Cumulative FLOPs over {T} generated tokens at d = {d}: without a cache, "
                               f"projections {tot['pn']:,.0f} and attention {tot['an']:,.0f}; with a cache, "
                               f"projections {tot['pc']:,.0f} and attention {tot['ac']:,.0f}.")})
    blocks.append({"kind": "text", "text": _tinylm_check()})
    return blocks
