"""A long prompt arrives while other requests are decoding. Prefill it whole, or in chunks?

Step times from the roofline model of Llama-3.1-8B (BF16) on one H100 SXM; the scenario is a toy.

Try: a 32K-token prompt with 16 decoders. Unchunked, one iteration swallows the whole prompt and every
decoder waits that long for its next token. With 512-token chunks the gap between tokens stays near
the normal step time, and the newcomer pays a slightly later first token. Raise the chunk size to see
the trade move the other way; a small token budget caps the chunk whatever you ask for.
"""

from fieldguide import batching, checks

TITLE = "Chunked prefill: protect the gap between tokens"
BADGE = "TOY"
ASSETS = []
MODEL, GPU, CONTEXT = "Llama-3.1-8B", "H100 SXM", 2048
CONTROLS = [
    {"name": "prompt_len", "kind": "range", "label": "New prompt (tokens)", "min": 1000, "max": 100000,
     "default": 32768, "scale": "log"},
    {"name": "chunk", "kind": "range", "label": "Chunk size (tokens)", "min": 128, "max": 8192, "default": 512,
     "scale": "log"},
    {"name": "decoders", "kind": "range", "label": "Requests already decoding", "min": 1, "max": 64, "step": 1,
     "default": 16},
    {"name": "token_budget", "kind": "range", "label": "Token budget per iteration", "min": 512, "max": 16384,
     "step": 64, "default": 2048},
]


def render(prompt_len=32768, chunk=512, decoders=16, token_budget=2048):
    p = int(round(checks.number("prompt length", prompt_len, 1000, 100000)))
    ch = int(round(checks.number("chunk size", chunk, 128, 8192)))
    d = int(round(checks.number("decoders", decoders, 1, 64)))
    budget = int(round(checks.number("token budget", token_budget, 512, 16384)))
    sm = batching.step_model(MODEL, GPU)
    whole = batching.chunked_prefill_sim(sm, p, None, d, budget, CONTEXT, iterations=3)
    chunked = batching.chunked_prefill_sim(sm, p, ch, d, budget, CONTEXT, iterations=3)
    used = chunked["pieces"][0]
    items = [
        {"label": "Normal step (decode only)", "value": f"{whole['plain_step_s'] * 1e3:.2f} ms",
         "note": f"{d} decoders at {CONTEXT:,} tokens of context"},
        {"label": "Worst gap between tokens", "value": f"{whole['max_gap_s'] * 1e3:,.1f} → "
                                                         f"{chunked['max_gap_s'] * 1e3:,.2f} ms",
         "note": "whole prompt → chunked"},
        {"label": "New request's first token", "value": f"{whole['ttft_s'] * 1e3:,.0f} → "
                                                         f"{chunked['ttft_s'] * 1e3:,.0f} ms",
         "note": f"+{100 * (chunked['ttft_s'] / whole['ttft_s'] - 1):.1f}% with chunks"},
        {"label": "Chunk used", "value": f"{used:,} tokens",
         "note": f"asked {ch:,}; budget {budget:,} − {d} decode tokens; {chunked['stalled_iterations']:,} iterations"},
    ]
    t = chunked["times_s"]
    cum, x = 0.0, []
    for s in t:
        x.append(cum)
        cum += s
    traces = [
        {"type": "bar", "name": "chunked: iteration time (ms)", "x": [round(v * 1e3, 3) for v in x],
         "y": [v * 1e3 for v in t], "marker": {"color": "#264653"}},
        {"type": "bar", "name": "whole prompt: iteration time (ms)",
         "x": [round(v * 1e3, 3) for v in [0.0] + [whole["times_s"][0] + sum(whole["times_s"][1:k])
                                                   for k in range(1, len(whole["times_s"]))]],
         "y": [v * 1e3 for v in whole["times_s"]], "marker": {"color": "#e76f51"}},
    ]
    layout = {"barmode": "overlay", "xaxis": {"title": {"text": "iteration start (ms, roofline model)"}},
              "yaxis": {"title": {"text": "iteration time = gap between tokens (ms)"}, "type": "log"},
              "legend": {"orientation": "h", "y": -0.25}, "margin": {"t": 20}}
    alt = (f"Iteration times while a {p:,}-token prompt is prefilled beside {d} decoders. Whole prompt: "
           + ", ".join(f"{v * 1e3:.2f} ms" for v in whole["times_s"]) + f". Chunked ({used:,} tokens, "
           f"{len(chunked['pieces'])} chunks): first {t[0] * 1e3:.2f} ms, longest {max(t) * 1e3:.2f} ms, "
           f"then {t[-1] * 1e3:.2f} ms once the prompt is in.")
    return [{"kind": "stats", "items": items},
            {"kind": "plotly", "figure": {"data": traces, "layout": layout}, "alt": alt}]
