"""Why recurrence cannot use a parallel machine: count the steps that must wait for each other.

Try: with 1,024 lanes, slide the sequence length. The RNN needs one dependent step per token
whatever the hardware, so its time grows with N and almost every lane sits idle. Attention does
N² work but all of it at once, so it wins until N² outgrows the lanes. Drop the lanes to 1 (a
strictly serial machine) and the RNN wins everywhere: attention is not cheaper, it is parallel.
"""

from fieldguide import checks, rnn

TITLE = "Sequential vs parallel: dependent steps for an RNN and for attention"
BADGE = "TOY"
ASSETS = []
CONTROLS = [
    {"name": "seq_len", "kind": "range", "label": "Sequence length N", "min": 8,
     "max": 4096, "scale": "log", "default": 512, "unit": "tokens"},
    {"name": "lanes", "kind": "range", "label": "Parallel lanes",
     "min": 1, "max": 10000, "scale": "log", "default": 1024, "unit": "lanes"},
]


def _whole(value, label, lo, hi):
    return int(round(checks.number(label, value, lo - 0.5, hi + 0.5)))    # a log slider sends 8.13

def render(seq_len=512, lanes=1024):
    n = _whole(seq_len, "Sequence length N", 8, 4096)
    p = _whole(lanes, "Parallel lanes", 1, 10000)
    r = rnn.step_counts(n, p)
    grid = sorted({int(round(8 * 2 ** (i / 4))) for i in range(37)} | {n})
    rows = [rnn.step_counts(m, p) for m in grid]
    fig = {"data": [
        {"type": "scatter", "mode": "lines", "x": grid, "y": [x["rnn_ticks"] for x in rows],
         "name": "RNN: N dependent steps", "line": {"color": "#e63946", "width": 3}},
        {"type": "scatter", "mode": "lines", "x": grid, "y": [x["attn_ticks"] for x in rows],
         "name": "attention: 1 step, N² work",
         "line": {"color": "#1d70b8", "width": 3}},
        {"type": "scatter", "mode": "markers", "x": [n, n], "y": [r["rnn_ticks"], r["attn_ticks"]],
         "name": f"N = {n:,}", "marker": {"color": "#111", "size": 9}}],
        "layout": {"margin": {"t": 20, "r": 10}, "height": 340,
                   "xaxis": {"title": {"text": "sequence length N (tokens)"}, "type": "log"},
                   "yaxis": {"title": {"text": "time (ticks)"}, "type": "log",
                             "exponentformat": "e"},
                   "legend": {"orientation": "h", "y": -0.38}}}
    faster = "attention" if r["attn_ticks"] < r["rnn_ticks"] else (
        "RNN" if r["rnn_ticks"] < r["attn_ticks"] else "neither (a tie)")
    alt = (f"Log-log chart of time in ticks against sequence length 8 to 4,096 with {p:,} lanes. "
           f"At N = {n:,}: RNN {r['rnn_ticks']:,} ticks, attention {r['attn_ticks']:,} ticks. "
           f"The curves cross where N equals the number of lanes ({p:,}).")
    stats = {"kind": "stats", "items": [
        {"label": "RNN dependent steps", "value": f"{r['rnn_steps']:,}",
         "note": f"{r['rnn_work']:,} units of work"},
        {"label": "Attention dependent steps", "value": f"{r['attn_steps']:,}",
         "note": f"{r['attn_work']:,} units of work (N²)"},
        {"label": "RNN time", "value": f"{r['rnn_ticks']:,}", "unit": "ticks",
         "note": f"lanes busy {r['rnn_utilisation']:.2%}"},
        {"label": "Attention time", "value": f"{r['attn_ticks']:,}", "unit": "ticks",
         "note": f"lanes busy {r['attn_utilisation']:.1%}"},
        {"label": "Faster here", "value": faster,
         "note": f"RNN ticks / attention ticks = {r['speedup']:.3g}"},
    ]}
    note = ("The clock model: a step of w units of work on L lanes takes ⌈w / L⌉ ticks, and a "
            "dependent step waits for the one before it. Real layers also spend d² work per token "
            "on projections (parallel for attention, per step for the RNN) and pay memory traffic; "
            "the model keeps only the dependency structure.")
    return [stats, {"kind": "plotly", "figure": fig, "alt": alt}, {"kind": "text", "text": note}]
