"""Break the copying circuit and watch the loss. The default run takes out layer 0's head 2 (the
previous-token head) on a random sequence repeated twice: the loss on the second copy, which the
intact model predicts almost perfectly, jumps back towards guessing. Try the layer-1 heads one at a
time (each is one of several induction heads, so removing one costs little), compare zero-, mean-
and patch-ablation, and read the table: where a head looks (its scores) and whether the model needs
it (the loss rise) are different questions.
"""

import numpy as np

from fieldguide import interp, tinylm

TITLE = "Induction heads under the knife: ablation and activation patching"
BADGE = "TINY-REAL"
ASSETS = []
MODEL = "induction"
HALF = 30                      # random mode: 30 tokens, then the same 30 again
NATURAL = "Return the sorted list of keys. "
DEFAULT_CUSTOM = "Mary and John went to the shop. Mary and John went to the shop."

SEQUENCES = [["random", "random tokens, repeated twice"],
             ["natural", "natural text, repeated twice"],
             ["custom", "your own text (below)"]]
INTERVENTIONS = [["none", "none (the intact model)"],
                 ["zero-ablate", "zero-ablate: output set to 0"],
                 ["mean-ablate", "mean-ablate: output set to its average"],
                 ["patch", "patch from a corrupted run"]]

CONTROLS = [
    {"name": "sequence", "kind": "select", "label": "Sequence", "options": SEQUENCES,
     "default": "random"},
    {"name": "custom", "kind": "text", "label": "Your text (custom only; it needs a repeat)",
     "default": DEFAULT_CUSTOM, "maxlength": 400},
    {"name": "layer", "kind": "range", "label": "Layer", "min": 0, "max": 1, "step": 1, "default": 0},
    {"name": "head", "kind": "range", "label": "Head", "min": 0, "max": 3, "step": 1, "default": 2},
    {"name": "intervention", "kind": "select", "label": "Intervention on that head",
     "options": INTERVENTIONS, "default": "zero-ablate"},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]


def _sequence(sequence, custom, seed, vocab, n_ctx):
    """ids, token labels, repeat period (or None), notes."""
    notes = []
    if sequence == "random":
        ids = interp.repeated_random_tokens(vocab, HALF, seed)
        return ids, [f"#{i}" for i in ids], HALF, notes
    if sequence == "natural":
        text_ids = tinylm.encode(NATURAL)
        text_ids = text_ids + text_ids
    elif sequence == "custom":
        text_ids = tinylm.encode(custom)
        if not text_ids:
            raise ValueError("Your text: type some text with a repeat in it, e.g. a phrase written twice.")
    else:
        raise ValueError(f"Sequence: unknown choice {sequence!r}.")
    if len(text_ids) > n_ctx:
        notes.append(f"Your text is {len(text_ids)} tinylm tokens; the induction model reads at most "
                     f"{n_ctx}, so only the first {n_ctx} are used.")
        text_ids = text_ids[:n_ctx]
    if len(text_ids) < 4:
        raise ValueError("Your text: it needs at least 4 tokens, with a repeat in it.")
    # the induction model knows 64 abstract symbols: fold tinylm's ids into that range (a repeated
    # token stays a repeat; two different tokens may rarely share a symbol)
    ids = np.array([i % vocab for i in text_ids], dtype=np.int64)
    labels = [f"{s}" for s in tinylm.token_strings(text_ids)]
    period = interp.find_period(ids)
    if period is None:
        notes.append("No repeat found in this text, so there is nothing to copy: every loss below is "
                      "the model guessing. Write a phrase twice to see induction at work.")
    return ids, labels, period, notes


def render(sequence="random", custom=DEFAULT_CUSTOM, layer=0, head=2, intervention="zero-ablate", seed=0):
    m = tinylm.load(MODEL)
    layer, head, seed = int(layer), int(head), int(seed)
    if intervention not in interp.INTERVENTIONS:
        raise ValueError(f"Intervention on that head: unknown choice {intervention!r}.")
    ids, labels, period, notes = _sequence(sequence, custom, seed, m.cfg.vocab_size, m.cfg.n_ctx)
    T = len(ids)
    split = period if period else T // 2
    corrupt = interp.corrupt_copy(ids, split, m.cfg.vocab_size, seed)

    clean = m.run(ids)
    base = interp.token_losses(clean["logits"], ids)
    run = interp.intervene(m, ids, (layer, head), intervention, corrupt)
    after = interp.token_losses(run["logits"], ids)
    uniform = float(np.log(m.cfg.vocab_size))

    attn = np.stack(clean["attn"])
    prev = interp.previous_token_score(attn)
    ind = interp.induction_pattern_score(attn, period) if period else None
    table_kind = intervention if intervention != "none" else "zero-ablate"
    effects = interp.ablation_effects(m, ids, split, table_kind, corrupt)

    site = f"layer {layer}, head {head}"
    items = []
    if period:
        items += [
            {"label": "Loss on the first copy", "value": f"{np.mean(base[:split - 1]):.2f}",
             "unit": "nats", "note": f"guessing among {m.cfg.vocab_size} symbols costs {uniform:.2f}"},
            {"label": "Loss on the repeat, intact", "value": f"{interp.copy_loss(base, split):.3f}",
             "unit": "nats", "note": "tokens 2 onwards of the second copy"},
            {"label": f"… with {site} {intervention}" if intervention != "none" else "… with no intervention",
             "value": f"{interp.copy_loss(after, split):.3f}", "unit": "nats"},
        ]
    else:
        items += [{"label": "Mean loss, intact", "value": f"{base.mean():.2f}", "unit": "nats"},
                  {"label": f"… with {site} {intervention}", "value": f"{after.mean():.2f}", "unit": "nats"}]
    items.append({"label": f"Scores of {site}",
                  "value": f"prev {prev[layer, head]:.2f}" + (f" · induction {ind[layer, head]:.2f}" if ind is not None else ""),
                  "note": "mean attention on the previous token / on the token after the earlier copy"})

    x = list(range(1, T))
    hover = [f"{i}: {labels[i - 1]!s} → {labels[i]!s}" for i in x]
    traces = [{"type": "scatter", "mode": "lines+markers", "name": "intact model", "x": x,
               "y": [round(float(v), 4) for v in base], "text": hover, "line": {"color": "#1f77b4"}}]
    if intervention != "none":
        traces.append({"type": "scatter", "mode": "lines+markers", "name": f"{site} {intervention}",
                       "x": x, "y": [round(float(v), 4) for v in after], "text": hover,
                       "line": {"color": "#d62728"}})
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": split - 0.5, "x1": split - 0.5,
               "y0": 0, "y1": 1, "line": {"dash": "dot", "color": "#555"}}]
    chart = {"kind": "plotly", "figure": {"data": traces, "layout": {
        "title": {"text": "Loss on each next token (dotted line: the repeat starts)"}, "height": 320,
        "xaxis": {"title": {"text": "position of the predicted token"}},
        "yaxis": {"title": {"text": "loss (nats)"}, "rangemode": "tozero"},
        "shapes": shapes, "legend": {"orientation": "h", "y": -0.25}}},
        "alt": (f"Per-token loss over {T - 1} predictions; the repeat starts at position {split}. "
                f"Intact: first part mean {np.mean(base[:split - 1]):.2f}, repeated part mean "
                f"{np.mean(base[split:]):.3f} nats. With {site} {intervention}: first part "
                f"{np.mean(after[:split - 1]):.2f}, repeated part {np.mean(after[split:]):.3f} nats.")}

    rows = []
    for l in range(m.cfg.n_layer):
        for h in range(m.cfg.n_head):
            rows.append([l, h, round(float(prev[l, h]), 2),
                         round(float(ind[l, h]), 2) if ind is not None else "–",
                         f"{effects[l, h]:+.3f}" + ("  ◀" if (l, h) == (layer, head) else "")])
    table = {"kind": "table",
             "columns": ["layer", "head", "previous-token score", "induction score",
                         f"loss rise on the repeat when {table_kind}d"],
             "rows": rows,
             "caption": "Every head on this sequence. Scores say where a head looks; the last column "
                        "says whether the model needs it: the change in the repeated part's loss when "
                        "that head alone is " + table_kind + "d (◀ marks the head you chose)."}

    how = {"none": "No intervention: both curves would coincide.",
           "zero-ablate": f"Zero-ablation sets the output of {site} to 0 at every position.",
           "mean-ablate": f"Mean-ablation replaces the output of {site} with its average over "
                          "16 other repeated random sequences, at every position.",
           "patch": f"Activation patching: the same sequence with its first {split} tokens replaced by "
                    f"random ones (seed {seed}) is run first; {site} then gets the output it had on "
                    "that corrupted run. Only what the head carried about the first copy is lost."}
    blocks = [{"kind": "stats", "items": items}, chart, table,
              {"kind": "text", "text": how[intervention]}]
    if sequence != "random":
        blocks.append({"kind": "tokens", "caption": "The sequence as the model reads it (tinylm tokens "
                       f"folded into the induction model's {m.cfg.vocab_size} symbols)",
                       "tokens": [{"text": s, "id": int(i), "group": 1 if period and k >= split else 0}
                                  for k, (s, i) in enumerate(zip(labels, ids))]})
    blocks.append({"kind": "text", "text": tinylm.scale_note(MODEL)})
    for n in notes:
        blocks.append({"kind": "text", "level": "warn", "text": n})
    return blocks
