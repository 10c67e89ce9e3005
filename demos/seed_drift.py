"""A seed fixes the random numbers a sampler draws, not the logits they are compared with.
Here one toy output layer (16 tokens, a 2,048-long dot product each, the top two logits planted
about 2e-7 apart) is computed alone and inside a batch, where the kernel splits its sums
differently.

Try: batch 1, then 64, in float32 — the logits move in their 6th–7th significant digit and, for
some seeds, the greedy token flips. Switch to float64: the same near-tie is resolved the same way
every time. float16 moves whole hundredths. Notice that the sampled-token counter rarely moves
in float32: drift is rare per token, but one changed token changes everything after it.
"""

from fieldguide import floatorder

TITLE = "Seeds and summation order: why the same request can differ"
BADGE = "TOY"
ASSETS = []
CONTROLS = [
    {"name": "batch", "kind": "range", "label": "Batch size (other requests alongside yours)",
     "min": 1, "max": 64, "step": 1, "default": 1},
    {"name": "reduction", "kind": "select", "label": "Summation order inside each chunk",
     "options": list(floatorder.ORDERS), "default": "sequential"},
    {"name": "dtype", "kind": "select", "label": "Precision of the arithmetic",
     "options": ["float16", "float32", "float64"], "default": "float32"},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1,
     "default": 0},
]
DRAWS = 20000


def render(batch=1, reduction="sequential", dtype="float32", seed=0):
    r = floatorder.drift(int(batch), reduction, dtype, int(seed), DRAWS)
    flip = r["argmax_batched"] != r["argmax_alone"]
    stats = {"kind": "stats", "items": [
        {"label": "Chunks per dot product", "value": f"{r['split_alone']} → {r['split_batched']}",
         "note": f"alone → in a batch of {batch}"},
        {"label": "Largest logit change", "value": f"{r['max_diff']:.2e}",
         "note": "batched vs alone"},
        {"label": "Largest error vs exact", "value": f"{r['max_err_batched']:.2e}",
         "note": f"alone: {r['max_err_alone']:.2e}"},
        {"label": "Greedy token", "value": f"{r['argmax_alone']} → {r['argmax_batched']}",
         "note": "FLIPPED" if flip else f"same (exact answer: {r['argmax_exact']})"},
        {"label": "Sampled tokens changed", "value": f"{r['changed_draws']:,} of {DRAWS:,}",
         "note": f"same seed, same random numbers; expected {r['change_probability']:.1e} "
                 "per token"},
    ]}
    k = list(range(len(r["exact"])))
    fig = {"data": [
        {"type": "bar", "name": "alone (batch 1)", "x": k,
         "y": (r["alone"] - r["exact"]).tolist(), "marker": {"color": "#457b9d"}},
        {"type": "bar", "name": f"in a batch of {batch}", "x": k,
         "y": (r["batched"] - r["exact"]).tolist(), "marker": {"color": "#e76f51"}}],
        "layout": {"barmode": "group", "margin": {"t": 20},
                   "xaxis": {"title": {"text": "token id (0 and 1 are the near-tie)"}},
                   "yaxis": {"title": {"text": "computed − exact logit"}, "exponentformat": "e"},
                   "legend": {"orientation": "h", "y": -0.25}}}
    alt = (f"Bar chart of rounding error per token for {dtype}, {reduction} order. Largest error "
           f"alone {r['max_err_alone']:.2e}, in a batch of {batch} {r['max_err_batched']:.2e}; "
           f"largest change between the two {r['max_diff']:.2e}.")
    rows = [[t, f"{r['exact'][t]:.9f}", f"{r['alone'][t]:.9f}", f"{r['batched'][t]:.9f}"]
            for t in (0, 1)]
    table = {"kind": "table", "columns": ["token", "exact", "alone", f"batch {batch}"],
             "rows": rows, "caption": "The two leading logits in full; the exact gap is "
             f"{r['exact'][0] - r['exact'][1]:.2e}."}
    if dtype == "float64":
        note = ("float64 carries about 16 significant digits: the summation order still changes "
                "the last ones, but a 2e-7 gap is never in doubt.")
    elif flip:
        note = ("Same prompt, same weights, same seed — and a different greedy token, because "
                "the batch changed how the sums were grouped. Every token after it will differ.")
    else:
        note = ("The seed fixed the sampler's random numbers; it did not fix the digits of the "
                "logits. Try other seeds or batch sizes to find a flip.")
    return [stats, {"kind": "plotly", "figure": fig, "alt": alt}, table,
            {"kind": "text", "text": note}]
