"""Where does KV memory go when a server does not know how long each reply will be?

A queue of synthetic requests (all waiting at time 0) is served from one KV pool under three
policies: contiguous reservation of the maximum length, paged blocks handed out as sequences grow,
and paging with the shared prompt prefix stored once. The numbers are computed by the simulation.

Try: compare the three rows of the table — contiguous reservation leaves most of its memory
reserved but never written, paging wastes only part of each sequence's last block, so more
sequences run at once and the queue drains sooner. Shrink the pool to watch paging preempt whole
sequences; raise the shared prefix to see sharing hold more conversations in the same memory.
"""

from fieldguide import serving

TITLE = "KV allocation: contiguous vs paged vs shared prefix"
BADGE = "TOY"
ASSETS = []
MODES = [["naive", "Contiguous (reserve the maximum)"], ["paged", "Paged"],
         ["prefix", "Paged + prefix sharing"]]
LABEL = dict(MODES)
CONTROLS = [
    {"name": "mode", "kind": "select", "label": "Allocation policy (drawn over time)", "options": MODES,
     "default": "paged"},
    {"name": "requests", "kind": "range", "label": "Requests in the queue", "min": 5, "max": 100, "step": 1,
     "default": 25},
    {"name": "max_seq_len", "kind": "range", "label": "Maximum sequence length (tokens)", "min": 512,
     "max": 8192, "step": 512, "default": 4096},
    {"name": "block", "kind": "select", "label": "Block size (tokens)", "options": [4, 8, 16, 32], "default": 16},
    {"name": "shared_prefix", "kind": "range", "label": "Shared prompt prefix (tokens)", "min": 0,
     "max": 4096, "step": 64, "default": 1024},
    {"name": "pool_tokens", "kind": "range", "label": "KV pool (token slots)", "min": 16384, "max": 524288,
     "default": 65536, "scale": "log"},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]
SERIES = [("used", "tokens stored", "#2a9d8f"), ("reserved_unused", "reserved, never written", "#e9c46a"),
          ("internal", "empty slots in last blocks", "#f4a261"), ("external", "too small to reserve", "#e76f51")]


def _thin(xs, n=240):
    step = max(1, len(xs) // n)
    return xs[::step]


def _figure(run):
    s = run["series"]
    t = _thin(list(range(1, run["steps"] + 1)))
    traces = []
    for key, name, colour in SERIES:
        ys = _thin(s[key])
        if any(ys):
            traces.append({"type": "scatter", "mode": "lines", "stackgroup": "pool", "name": name,
                           "x": t, "y": ys, "line": {"width": 0.5, "color": colour}})
    traces.append({"type": "scatter", "mode": "lines", "name": "sequences running", "x": t,
                   "y": _thin(s["running"]), "yaxis": "y2", "line": {"color": "#264653", "dash": "dot"}})
    layout = {"xaxis": {"title": {"text": f"step ({run['quantum']} tokens per sequence per step)"}},
              "yaxis": {"title": {"text": "token slots"}, "range": [0, run["pool_tokens"]]},
              "yaxis2": {"title": {"text": "running"}, "overlaying": "y", "side": "right", "rangemode": "tozero"},
              "legend": {"orientation": "h", "y": -0.25}, "margin": {"t": 20}}
    return {"data": traces, "layout": layout}


def _tables(run):
    lines = []
    for i, t in run["tables"].items():
        if "region" in t:
            a, b = t["region"]
            lines.append(f"request {i}: {t['tokens']:,} tokens in slots {a:,}–{b - 1:,} (one contiguous region)")
        else:
            ids = t["blocks"]
            shown = ", ".join(map(str, ids[:6])) + (", …, " + ", ".join(map(str, ids[-3:])) if len(ids) > 9 else
                                                   ", " + ", ".join(map(str, ids[6:])) if len(ids) > 6 else "")
            note = f" (first {t['shared']} shared, ref-counted)" if t["shared"] else ""
            lines.append(f"request {i}: {t['tokens']:,} tokens → {len(ids)} blocks [{shown}]{note}")
    return "\n".join(lines)


def render(mode="paged", requests=25, max_seq_len=4096, block=16, shared_prefix=1024, pool_tokens=65536, seed=0):
    args = dict(requests=int(round(requests)), max_seq_len=int(round(max_seq_len)), block=int(block),
                shared_prefix=int(round(shared_prefix)), pool_tokens=int(round(pool_tokens)), seed=int(seed))
    runs = {m: serving.kv_allocator(m, **args) for m, _ in MODES}
    run = runs[mode]
    rows = [[LABEL[m], r["admitted_first_step"], r["peak_running"], f"{r['mean_running']:.1f}", r["steps"],
             f"{r['waste_pct']:.1f}%", f"{r['pool_used_pct']:.1f}%", r["preemptions"]] for m, r in runs.items()]
    blocks = [
        {"kind": "stats", "items": [
            {"label": "Admitted at once", "value": f"{run['admitted_first_step']:,}",
             "note": f"of {args['requests']} waiting"},
            {"label": "Steps to drain the queue", "value": f"{run['steps']:,}"},
            {"label": "Allocated but empty", "value": f"{run['waste_pct']:.1f}%",
             "note": "time-averaged share of allocated KV memory holding no token"},
            {"label": "Preemptions", "value": f"{run['preemptions']:,}", "note": "whole sequences evicted, recomputed later"},
        ]},
        {"kind": "plotly", "figure": _figure(run),
         "alt": (f"Stacked area of the {args['pool_tokens']:,}-slot KV pool over {run['steps']} steps under "
                 f"{LABEL[mode]}: at most {run['peak_running']} sequences ran at once, "
                 f"{run['waste_pct']:.1f}% of allocated memory held no token on average, "
                 f"the pool was {run['pool_used_pct']:.1f}% full of real tokens on average.")},
        {"kind": "table", "columns": ["Policy", "Admitted at once", "Peak running", "Mean running", "Steps",
                                      "Allocated but empty", "Pool holding tokens", "Preemptions"],
         "rows": rows, "caption": (f"The same {args['requests']} requests under each policy. The shared prefix "
                                   f"is {run['prefix']:,} tokens; {run['shared_blocks'] if mode == 'prefix' else runs['prefix']['shared_blocks']} "
                                   f"whole {args['block']}-token blocks of it can be shared.")},
        {"kind": "code", "text": _tables(run), "caption": "Block tables of three sequences at peak concurrency"},
    ]
    return blocks
