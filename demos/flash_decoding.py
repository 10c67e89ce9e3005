"""Decoding has one query per sequence: with few sequences × heads, most SMs sit idle.

Try: 8 sequence-heads on 108 SMs use 7% of the chip; raise the splits and the KV is cut into
chunks that run side by side, each returning a partial output and its log-sum-exp. The merge
check shows the pieces recombine into exactly the full softmax. Then raise batch × heads to 256:
the SMs are already busy and splitting buys almost nothing.
"""

import numpy as np

from fieldguide import kernels

TITLE = "FlashDecoding: split the KV, merge with log-sum-exp"
BADGE = "TOY"
ASSETS = []
HEAD_DIM = 8
CONTROLS = [
    {"name": "kv_len", "kind": "range", "label": "Context length (keys per sequence)", "min": 1024,
     "max": 131072, "default": 65536, "scale": "log", "unit": "tokens"},
    {"name": "splits", "kind": "range", "label": "KV splits per sequence-head", "min": 1, "max": 64,
     "step": 1, "default": 8},
    {"name": "batch_heads", "kind": "range", "label": "Sequences × heads in the batch", "min": 1, "max": 256,
     "step": 1, "default": 8},
    {"name": "sms", "kind": "select", "label": "Streaming multiprocessors",
     "options": [[108, "108 (A100)"], [132, "132 (H100 SXM)"]], "default": 108},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]


def render(kv_len=65536, splits=8, batch_heads=8, sms=108, seed=0):
    L, s, bh, sms = int(round(kv_len)), int(splits), int(batch_heads), int(sms)
    rng = np.random.default_rng(int(seed))
    q = rng.standard_normal(HEAD_DIM)
    K = rng.standard_normal((L, HEAD_DIM)) * 2.0
    V = rng.standard_normal((L, HEAD_DIM))
    merged = kernels.split_kv_merge(q, K, V, s)
    one, many = kernels.occupancy(bh, 1, sms), kernels.occupancy(bh, s, sms)
    speed = kernels.decode_speedup(L, bh, s, sms)
    ok = bool(np.allclose(merged["out"], merged["full"], rtol=1e-12, atol=1e-12))
    stats = {"kind": "stats", "items": [
        {"label": "SMs busy, no split", "value": f"{one['busy'] * 100:.1f}%",
         "note": f"{bh} thread blocks, {one['waves']} wave(s)"},
        {"label": f"SMs busy, {s} splits", "value": f"{many['busy'] * 100:.1f}%",
         "note": f"{many['blocks']:,} blocks, {many['waves']} wave(s)"},
        {"label": "Merge equals full attention", "value": "yes" if ok else "no",
         "note": f"max difference {merged['max_error']:.2g}"},
        {"label": "Estimated speedup (toy model)", "value": f"{speed:.2f}×"},
    ]}
    xs = list(range(1, 65))
    ys = [kernels.decode_speedup(L, bh, k, sms) for k in xs]
    fig = {"kind": "plotly", "figure": {
        "data": [{"type": "scatter", "mode": "lines", "name": "toy speedup", "x": xs, "y": ys},
                 {"type": "scatter", "mode": "markers", "name": "this setting", "x": [s], "y": [speed],
                  "marker": {"size": 11, "color": "#d62728"}}],
        "layout": {"title": {"text": f"Speedup vs splits: {bh} sequence-heads, {L:,} keys, {sms} SMs"},
                   "height": 300, "xaxis": {"title": {"text": "splits"}},
                   "yaxis": {"title": {"text": "× faster than one block per sequence-head"}},
                   "legend": {"orientation": "h", "y": -0.3}, "margin": {"b": 70}}},
        "alt": (f"Toy speedup against splits 1 to 64 for {bh} sequence-heads, {L:,} keys, {sms} SMs. "
                f"At {s} splits: {speed:.2f}×; best {max(ys):.2f}× at {xs[int(np.argmax(ys))]} splits.")}
    w = merged["weights"]
    table = {"kind": "table", "columns": ["chunk", "keys", "log-sum-exp", "merge weight"],
             "rows": [[i, f"{a:,}–{b - 1:,}", round(float(merged['chunk_lse'][i]), 4), round(float(w[i]), 4)]
                      for i, (a, b) in enumerate(zip(merged["edges"][:-1], merged["edges"][1:])) if i < 8],
             "caption": (f"Each chunk's log-sum-exp and its weight exp(lse_chunk − lse_all) in the merge "
                         f"(first 8 of {s}); one query of head dimension {HEAD_DIM}, random keys and values.")}
    note = {"kind": "text", "text": (
        "Toy timing model: one thread block per (sequence-head, chunk), one block per SM at a time, a "
        "block's time proportional to the keys it reads, and a merge costing one key per chunk. Real "
        "kernels also share HBM bandwidth, so measured gains are smaller once bandwidth saturates.")}
    return [stats, fig, table, note]
