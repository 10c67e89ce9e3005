"""Measure tinylm's residual stream: how large it is after each block, and what the model loses
when one block is left out.

Try: keep the default prompt and step "Skip block" through 0 to 3. Leaving out block 0 wrecks
the predictions; leaving out any later block costs far less. Move the token slider: the
stream's size is set mostly by the first block and creeps up after it. Type your own text —
tinylm was trained on Python docstrings, so it predicts those best.
"""

from fieldguide import residual as R
from fieldguide import tinylm

TITLE = "Probing tinylm's residual stream"
BADGE = "TINY-REAL"
ASSETS = []
MAX_TOKENS = 48
DEFAULT_PROMPT = "Return a new list containing all items from the iterable in ascending order."
N_LAYER = tinylm.load().cfg.n_layer
D_MODEL = tinylm.load().cfg.d_model


def _default_token() -> int:
    strings = tinylm.token_strings(tinylm.encode(DEFAULT_PROMPT))
    return next((i for i, s in enumerate(strings) if s == " from"), len(strings) - 2)


CONTROLS = [
    {"name": "prompt", "kind": "textarea", "label": "Prompt", "default": DEFAULT_PROMPT,
     "maxlength": 2000},
    {"name": "skip_block", "kind": "select", "label": "Skip block",
     "options": [["none", "none (the whole model)"]] +
                [[str(k), f"block {k}"] for k in range(N_LAYER)], "default": "none"},
    {"name": "token", "kind": "range", "label": "Token (position)", "min": 0,
     "max": MAX_TOKENS - 1, "step": 1, "default": _default_token()},
]

STAGES = ["embedding"] + [f"after block {k}" for k in range(N_LAYER)]


def _show(s):
    return repr(s)      # quotes make leading spaces and newlines visible


def render(prompt=DEFAULT_PROMPT, skip_block="none", token=None):
    token = CONTROLS[2]["default"] if token is None else int(token)
    ids = tinylm.encode(prompt)
    if not ids:
        raise ValueError("Prompt: type some text; there are no tokens to probe.")
    notes = []
    if len(ids) > MAX_TOKENS:
        notes.append(f"Probing the first {MAX_TOKENS} of {len(ids)} tokens.")
        ids = ids[:MAX_TOKENS]
    T = len(ids)
    if token >= T:
        notes.append(f"Token {token} is past the last token; using the last one ({T - 1}).")
        token = T - 1
    skip = None if skip_block == "none" else int(skip_block)
    strings = tinylm.token_strings(ids)
    full = R.stream(ids)
    cut = R.stream(ids, skip) if skip is not None else None
    here = f"{token}·{_show(strings[token])}"
    what = "the whole model" if skip is None else f"block {skip} skipped"

    # the stream's size at each stage, for the chosen token and averaged over the prompt
    traces = [
        {"type": "scatter", "mode": "lines+markers", "x": STAGES, "y": full["norms"][:, token],
         "name": f"token {here}, whole model", "line": {"color": "#e63946", "width": 3}},
        {"type": "scatter", "mode": "lines", "x": STAGES, "y": full["norms"].mean(axis=1),
         "name": "mean over the prompt's tokens", "line": {"color": "#999", "dash": "dot"}}]
    if cut is not None:
        traces.insert(1, {"type": "scatter", "mode": "lines+markers", "x": STAGES,
                          "y": cut["norms"][:, token], "name": f"token {here}, block {skip} skipped",
                          "line": {"color": "#457b9d", "dash": "dash", "width": 3}})
    norm_fig = {"data": traces, "layout": {
        "height": 330, "margin": {"t": 20, "r": 10},
        "yaxis": {"title": {"text": "‖residual stream‖ (L2 norm)"}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.25}}}
    n_full = full["norms"][:, token]
    alt_n = (f"Residual-stream norm of token {here} after the embedding and each of the "
             f"{N_LAYER} blocks: " + ", ".join(f"{v:.1f}" for v in n_full) +
             ("" if cut is None else f"; with block {skip} skipped: " +
              ", ".join(f"{v:.1f}" for v in cut["norms"][:, token])) + ".")

    blocks = [{"kind": "text", "text": tinylm.scale_note()}]
    items = [{"label": "Token", "value": here},
             {"label": "Stream norm after the last block", "value": f"{n_full[-1]:.1f}",
              "note": f"{n_full[0]:.2f} after the embedding" if cut is None else
              f"{cut['norms'][-1, token]:.1f} with block {skip} skipped"}]
    if T < 2:
        notes.append("One token has no next token to predict: type more to see the loss.")
        blocks.append({"kind": "stats", "items": items})
        blocks.append({"kind": "plotly", "figure": norm_fig, "alt": alt_n})
    else:
        costs = R.skip_costs(ids)
        run = full if cut is None else cut
        loss = costs["full"] if skip is None else costs["skip"][skip]
        items.append({"label": "Mean next-token loss", "value": f"{loss:.3f}", "unit": "nats",
                      "note": "whole model" if skip is None else
                      f"{costs['delta'][skip]:+.3f} vs the whole model ({costs['full']:.3f})"})
        guess = tinylm.token_strings([int(run["top"][token])])[0]
        if token < T - 1:
            items.append({"label": f"Loss on the next token {_show(strings[token + 1])}",
                          "value": f"{run['losses'][token]:.3f}", "unit": "nats",
                          "note": f"top guess {_show(guess)} ({what})"})
        else:
            items.append({"label": "Top guess after the last token", "value": _show(guess),
                          "note": what})
        blocks.append({"kind": "stats", "items": items})
        blocks.append({"kind": "plotly", "figure": norm_fig, "alt": alt_n})
        labels = [f"block {k}" for k in range(N_LAYER)]
        colors = ["#457b9d" if k == skip else "#bbb" for k in range(N_LAYER)]
        bar = {"data": [{"type": "bar", "x": labels, "y": costs["delta"],
                         "marker": {"color": colors},
                         "text": [f"{d:+.3f}" for d in costs["delta"]], "textposition": "outside"}],
               "layout": {"height": 280, "margin": {"t": 20, "r": 10},
                          "yaxis": {"title": {"text": "loss increase when skipped (nats)"}}}}
        alt_b = (f"Increase in mean next-token loss over the {T - 1} predictions of this prompt "
                 f"when each block is skipped (whole model {costs['full']:.3f} nats): " +
                 ", ".join(f"block {k} {d:+.3f}" for k, d in enumerate(costs["delta"])) + ".")
        blocks.append({"kind": "plotly", "figure": bar, "alt": alt_b})
    blocks.append({"kind": "text", "text": (
        f"Measured on tinylm, {N_LAYER} blocks with a {D_MODEL}-wide stream; the numbers of a large "
        "model are on another scale, and how its stream grows differs from model to model.")})
    for n in notes:
        blocks.insert(0, {"kind": "text", "text": n, "level": "warn"})
    return blocks
