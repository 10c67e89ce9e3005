"""Serve a stream of synthetic requests, iteration by iteration, with static or continuous batching.

Each iteration's time comes from the roofline model of Llama-3.1-8B (BF16) on one H100 SXM: a model,
not a benchmark. The requests are synthetic (TOY).

Try: the bimodal workload (most replies 50 tokens, some 5,000) at 32 slots. Static batching keeps a
lane idle from the moment its short reply ends until the batch's longest reply is done; continuous
batching refills it at the next iteration. Then lower the arrival rate: once the GPU waits for work,
throughput is simply the offered load and the modes converge. The speculative mode adds a
Llama-3.2-1B draft proposing 4 tokens per pass, each accepted with an assumed probability of 0.7.
"""

from fieldguide import batching, checks, serving, speculative

TITLE = "Watch it run: static vs continuous batching"
BADGE = "TOY"
ASSETS = []
MODEL, GPU, N_REQUESTS, LANES_SHOWN = "Llama-3.1-8B", "H100 SXM", 60, 16
CONTROLS = [
    {"name": "workload", "kind": "select", "label": "Workload", "options": list(batching.WORKLOADS),
     "default": "bimodal 50 & 5,000"},
    {"name": "arrival", "kind": "range", "label": "Arrival rate (requests/s)", "min": 0.1, "max": 50,
     "default": 5, "scale": "log"},
    {"name": "slots", "kind": "range", "label": "Slots (most sequences per iteration)", "min": 1, "max": 256,
     "default": 32, "scale": "log"},
    {"name": "mode", "kind": "select", "label": "Scheduling", "options": list(batching.MODES),
     "default": "continuous"},
    {"name": "usd_per_hour", "kind": "range", "label": "GPU price (US$ per hour, your figure)", "min": 1,
     "max": 10, "step": 0.1, "default": 5},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]


def _gantt(s):
    pre = {"type": "bar", "orientation": "h", "name": "admitted → first token (prefill)",
           "x": [], "base": [], "y": [], "marker": {"color": "#e9c46a"}}
    dec = {"type": "bar", "orientation": "h", "name": "decoding", "x": [], "base": [], "y": [],
           "marker": {"color": "#264653"}}
    for i in sorted(range(s["n"]), key=lambda i: (s["lane"][i], s["admit"][i])):
        if s["lane"][i] < LANES_SHOWN:
            y = int(s["lane"][i]) + 1
            pre["x"].append(float(s["first"][i] - s["admit"][i]))
            pre["base"].append(float(s["admit"][i]))
            pre["y"].append(y)
            dec["x"].append(float(s["finish"][i] - s["first"][i]))
            dec["base"].append(float(s["first"][i]))
            dec["y"].append(y)
    layout = {"barmode": "overlay", "xaxis": {"title": {"text": "time (s, roofline model)"}},
              "yaxis": {"title": {"text": "slot (lane)"}, "autorange": "reversed"},
              "legend": {"orientation": "h", "y": -0.25}, "margin": {"t": 20}, "bargap": 0.3}
    return {"data": [pre, dec], "layout": layout}


def render(workload="bimodal 50 & 5,000", arrival=5, slots=32, mode="continuous", usd_per_hour=5, seed=0):
    price = checks.number("GPU price", usd_per_hour, 1, 10)
    slots = int(round(checks.number("slots", slots, 1, 256)))
    if mode not in batching.MODES:
        raise ValueError(f"Scheduling must be one of {', '.join(batching.MODES)}, got {mode!r}")
    rate, seed = checks.number("arrival rate", arrival, 0.1, 50), checks.whole("seed", seed, 0, 9999)
    runs = {m: batching.serve(workload, m, slots, rate, seed, N_REQUESTS, MODEL, GPU) for m in batching.MODES}
    s = runs[mode]
    usd_per_1k = serving.usd_per_mtok(price, s["tokens_per_s"]) / 1000
    items = [
        {"label": "Throughput", "value": f"{s['tokens_per_s']:,.0f}", "unit": "output tok/s",
         "note": f"{s['tokens']:,} tokens in {s['makespan_s']:,.1f} s"},
        {"label": "Cost per 1K output tokens", "value": f"${usd_per_1k:.4f}", "note": f"at ${price:.2f}/GPU-hour"},
        {"label": "Slot utilization", "value": f"{100 * s['utilization']:.0f}%",
         "note": f"mean batch {s['mean_batch']:.1f} of {slots} while busy"},
        {"label": "Latency (arrival → last token)", "value": f"{s['latency_mean_s']:.1f} s mean",
         "note": f"p99 {s['latency_p99_s']:.1f} s; first token after {s['ttft_mean_s']:.2f} s on average"},
    ]
    rows = [[m, f"{r['tokens_per_s']:,.0f}", f"{100 * r['utilization']:.0f}%", f"{r['latency_mean_s']:.1f}",
             f"{r['latency_p99_s']:.1f}", f"{r['ttft_mean_s']:.2f}", f"{1e3 * r['tpot_mean_s']:.1f}"]
            for m, r in runs.items()]
    shown = [i for i in range(s["n"]) if s["lane"][i] < LANES_SHOWN]
    alt = (f"Gantt chart of the first {min(slots, LANES_SHOWN)} slots under {mode} batching, {len(shown)} of "
           f"{s['n']} requests: " + "; ".join(
               f"slot {s['lane'][i] + 1} request {i + 1} admitted {s['admit'][i]:.2f} s, first token "
               f"{s['first'][i]:.2f} s, done {s['finish'][i]:.2f} s" for i in shown[:40])
           + ("; …" if len(shown) > 40 else "") + ".")
    return [
        {"kind": "stats", "items": items},
        {"kind": "plotly", "figure": _gantt(s), "alt": alt},
        {"kind": "table", "columns": ["mode", "tok/s", "utilization", "mean latency (s)", "p99 latency (s)",
                                      "mean TTFT (s)", "mean time per output token (ms)"], "rows": rows,
         "caption": f"The same {N_REQUESTS} requests ({batching.WORKLOADS[workload]}) under each scheduler; "
                    f"step times from the roofline model of {MODEL} (BF16) on one {GPU}. Speculative: a "
                    f"{batching.DRAFT} draft, γ = {batching.SPEC_GAMMA}, assumed acceptance "
                    f"α = {batching.SPEC_ALPHA} (a toy rate) → "
                    f"{speculative.expected_tokens(batching.SPEC_ALPHA, batching.SPEC_GAMMA):.2f} tokens per pass."},
    ]
