"""Encoder, decoder, encoder-decoder: the same attention with a different mask and a different
loss. Switch the architecture and watch the grid: the encoder fills it (its [CLS] row sees the
whole sentence), the decoder keeps the lower triangle, the encoder-decoder adds a full
cross-attention grid from target to source. In the encoder view, raise the masking rate and change
the seed to see which tokens BERT's recipe hides and what they become (80% [MASK], 10% a random
token, 10% unchanged); the table at the bottom counts, for every objective, how many positions
produce a loss. In the decoder views, the bars are a real decoder's loss (tinylm) at every position.
"""

from fieldguide import masks, tinylm

TITLE = "Mask zoo: who sees whom, and who gets graded"
BADGE = "TOY"
ASSETS = []
MAX_SOURCE, MAX_TARGET = 32, 16
DEFAULT_SENTENCE = "Return the number of items in the list."
DEFAULT_TARGET = "len(items)"

ARCHS = [["encoder", "encoder (BERT: bidirectional, masked LM)"],
         ["decoder", "decoder (GPT: causal, next token)"],
         ["encoder-decoder", "encoder–decoder (T5, Whisper: self + cross)"],
         ["prefix-lm", "prefix LM (one decoder, bidirectional prompt)"]]

CONTROLS = [
    {"name": "arch", "kind": "select", "label": "Architecture", "options": ARCHS, "default": "decoder"},
    {"name": "sentence", "kind": "text", "label": "Sentence (the input / source)",
     "default": DEFAULT_SENTENCE, "maxlength": 400},
    {"name": "target", "kind": "text", "label": "Target (encoder–decoder and prefix LM)",
     "default": DEFAULT_TARGET, "maxlength": 200},
    {"name": "mask_rate", "kind": "range", "label": "Masking rate (encoder's masked LM)", "min": 0,
     "max": 0.5, "step": 0.01, "default": 0.15},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]

V = tinylm.Config().vocab_size
CLS, SEP, MASK, BOS, EOS = V, V + 1, V + 2, V + 3, V + 4      # BERT/T5 specials, past tinylm's vocabulary
SPECIAL = {CLS: "[CLS]", SEP: "[SEP]", MASK: "[MASK]", BOS: "<s>", EOS: "</s>"}
ACTION_GROUP = {"mask": 3, "random": 1, "keep": 2}

_LP: dict = {}


def _nll(context: tuple, target: tuple) -> list:
    """tinylm's loss (nats) on each target token given everything before it (cached per text)."""
    key = (context, target)
    if key not in _LP:
        if len(_LP) > 64:
            _LP.clear()
        _LP[key] = [float(-x) for x in tinylm.continuation_logprobs(list(context), list(target))]
    return _LP[key]


def _strings(ids) -> list:
    return [SPECIAL.get(int(i)) or tinylm.token_strings([int(i)])[0] for i in ids]


def _show(s: str) -> str:
    return s.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥") or "·"


def _labels(ids) -> list:
    return [f"{i}·{_show(s)}" for i, s in enumerate(_strings(ids))]


def _grid(title, grid, rows, cols, note, highlight=None):
    # 0 blocked, 1 allowed, 2 allowed in the row the note points at
    z = [[(2 if i == highlight else 1) if v else 0 for v in r] for i, r in enumerate(grid)]
    words = [["allowed" if v else "blocked" for v in r] for r in grid]
    allowed = int(grid.sum())
    seen = ", ".join(f"{rows[i]} sees {int(grid[i].sum())}" for i in
                     sorted({0, len(rows) // 2, len(rows) - 1}))
    return {"kind": "plotly", "figure": {
        "data": [{"type": "heatmap", "z": z, "x": cols, "y": rows, "zmin": 0, "zmax": 2,
                  "colorscale": [[0, "#e8e8e8"], [0.5, "#1f77b4"], [1, "#d62728"]],
                  "showscale": False, "xgap": 1, "ygap": 1, "text": words,
                  "hovertemplate": "query %{y}<br>key %{x}<br>%{text}<extra></extra>"}],
        "layout": {"title": {"text": title}, "height": 200 + 14 * len(rows),
                   "xaxis": {"title": {"text": "key (looked at)"}, "tickangle": -60},
                   "yaxis": {"title": {"text": "query (looking)"}, "autorange": "reversed"},
                   "margin": {"l": 110, "b": 110}}},
        "alt": f"{title}: a {len(rows)}×{len(cols)} grid, {allowed} of {grid.size} query–key pairs "
               f"allowed (coloured), the rest blocked (grey). {note} Rows: {seen}."}


def _chips(ids, loss, titles=None, caption=""):
    out = []
    for i, (s, lo) in enumerate(zip(_strings(ids), loss)):
        out.append({"text": _show(s), "group": 0 if lo else 4, "muted": not lo,
                    "title": (titles[i] if titles else "") or ("produces a loss" if lo else "no loss")})
    return {"kind": "tokens", "tokens": out, "caption": caption}


def _bars(title, labels, nll, alt_what):
    return {"kind": "plotly", "figure": {
        "data": [{"type": "bar", "x": labels, "y": [round(v, 3) for v in nll],
                  "marker": {"color": "#1f77b4"}}],
        "layout": {"title": {"text": title}, "height": 280,
                   "yaxis": {"title": {"text": "loss (nats)"}, "rangemode": "tozero"},
                   "xaxis": {"tickangle": -60}, "margin": {"b": 110}}},
        "alt": f"{alt_what}: " + ", ".join(f"{lab} {v:.2f}" for lab, v in zip(labels, nll))
               + f". Mean {sum(nll) / len(nll):.2f} nats."}


def _positions(flags) -> str:
    idx = [str(i) for i, f in enumerate(flags) if f]
    return ", ".join(idx) if idx else "none"


def render(arch="decoder", sentence=DEFAULT_SENTENCE, target=DEFAULT_TARGET, mask_rate=0.15, seed=0):
    notes = []
    src = tinylm.encode(sentence)
    if not src:
        raise ValueError("Type a sentence: there are no tokens to attend over.")
    if len(src) > MAX_SOURCE:
        notes.append(f"Showing the first {MAX_SOURCE} of {len(src)} sentence tokens.")
        src = src[:MAX_SOURCE]
    tgt = tinylm.encode(target)
    if len(tgt) > MAX_TARGET:
        notes.append(f"Showing the first {MAX_TARGET} of {len(tgt)} target tokens.")
        tgt = tgt[:MAX_TARGET]
    if not tgt and arch in ("encoder-decoder", "prefix-lm"):
        raise ValueError("Type a target: an encoder–decoder or a prefix LM needs something to produce.")
    n, m = len(src), len(tgt)

    # BERT's input: [CLS] sentence [SEP], corrupted by the 80/10/10 recipe (computed in every view:
    # the comparison table below always shows it)
    bert = [CLS] + src + [SEP]
    ex = masks.mlm_mask(bert, mask_rate, int(seed), vocab_size=V, mask_id=MASK, special_ids=(CLS, SEP))
    mlm_loss = masks.objective_positions("mlm", len(bert), selected=ex.selected)["encoder"]

    blocks = []
    if arch == "encoder":
        g = masks.masks("encoder", len(bert))["encoder"]
        lab = _labels(bert)
        blocks.append({"kind": "stats", "items": [
            {"label": "Tokens read", "value": str(len(bert)), "note": "[CLS] + sentence + [SEP]"},
            {"label": "Attention pairs allowed", "value": f"{int(g.sum())} of {g.size}",
             "note": "every token sees every token"},
            {"label": "Positions with a loss", "value": f"{int(mlm_loss.sum())} of {len(bert)}",
             "note": f"masked LM at rate {float(mask_rate):.2f}"}]})
        blocks.append(_grid("Encoder self-attention (bidirectional)", g, lab, lab,
                            "The [CLS] row (highlighted) sees the whole sentence, so its vector can summarise it.",
                            highlight=0))
        titles = [{"mask": f"was {_show(o)}: replaced by [MASK] (the 80% case)",
                   "random": f"was {_show(o)}: replaced by a random token (the 10% case)",
                   "keep": "selected but left unchanged (the 10% case): still graded",
                   "": "not selected: no loss"}[a] for a, o in zip(ex.action, _strings(bert))]
        chips = [{"text": _show(s), "group": ACTION_GROUP.get(a, 4), "muted": not a, "title": t}
                 for s, a, t in zip(_strings(ex.inputs), ex.action, titles)]
        blocks.append({"kind": "tokens", "tokens": chips, "caption":
                       "What the encoder reads after corruption (hover a chip): coloured chips were "
                       "selected and produce a loss; the model must recover the original token there."})
        rows = [[i, _show(_strings([o])[0]), _show(_strings([x])[0]), a]
                for i, (o, x, a) in enumerate(zip(bert, ex.inputs, ex.action)) if a]
        blocks.append({"kind": "table", "columns": ["position", "original", "encoder reads", "rule"],
                       "rows": rows or [["—", "—", "—", "nothing selected at rate 0"]],
                       "caption": f"Seed {int(seed)}: {len(rows)} of {len(bert)} positions selected "
                                  "(max(1, round(rate × length)), [CLS] and [SEP] never); each "
                                  "becomes [MASK] with probability 0.8, else a random token or itself, "
                                  "0.1 each."})
        notes.append("tinylm is a decoder, so no real model scores this view: the masking is real "
                     "BERT procedure on tinylm's tokens; there is no trained masked-LM head here.")
    elif arch == "decoder":
        g = masks.masks("decoder", n)["decoder"]
        lab = _labels(src)
        loss = masks.objective_positions("causal", n)["decoder"]
        blocks.append({"kind": "stats", "items": [
            {"label": "Tokens read", "value": str(n)},
            {"label": "Attention pairs allowed", "value": f"{int(g.sum())} of {g.size}",
             "note": "n(n+1)/2: each token sees itself and the past"},
            {"label": "Positions with a loss", "value": f"{int(loss.sum())} of {n}",
             "note": "each predicts the next token; the last has no target"}]})
        blocks.append(_grid("Decoder self-attention (causal)", g, lab, lab,
                            "Only the last row (highlighted) sees the whole sentence.", highlight=n - 1))
        blocks.append(_chips(src, loss, [f"predicts {_show(s)}" for s in _strings(src[1:])] + [""],
                             "Positions graded by next-token prediction (hover: the token each predicts)."))
        if n > 1:
            nll = _nll((src[0],), tuple(src[1:]))
            blocks.append(_bars("tinylm's loss at every position (one forward pass)",
                                [f"{i}→{_show(s)}" for i, s in enumerate(_strings(src[1:]))], nll,
                                "tinylm's next-token loss by position, position→token predicted"))
    elif arch == "encoder-decoder":
        dec = [BOS] + tgt                                       # the decoder reads <s> y1 .. ym
        out = tgt + [EOS]                                       # and predicts y1 .. ym </s>
        g = masks.masks("encoder-decoder", n, len(dec))
        ls, ld = _labels(src), _labels(dec)
        loss = masks.objective_positions("seq2seq", n, len(dec))
        pairs = sum(int(v.sum()) for v in g.values())
        blocks.append({"kind": "stats", "items": [
            {"label": "Tokens read", "value": f"{n} + {len(dec)}", "note": "source + decoder input"},
            {"label": "Attention pairs allowed", "value": str(pairs),
             "note": f"encoder {int(g['encoder'].sum())}, decoder {int(g['decoder'].sum())}, "
                     f"cross {int(g['cross'].sum())}"},
            {"label": "Positions with a loss", "value": f"{int(loss['decoder'].sum())} of {n + len(dec)}",
             "note": "every decoder position, no encoder position"}]})
        blocks.append(_grid("Encoder self-attention (bidirectional, over the source)", g["encoder"],
                            ls, ls, "Every source token sees every source token."))
        blocks.append(_grid("Decoder self-attention (causal, over the target)", g["decoder"], ld, ld,
                            "Each target position sees <s> and the target tokens before it."))
        blocks.append(_grid("Cross-attention: queries from the decoder, keys and values from the encoder",
                            g["cross"], ld, ls, "Every decoder position sees the whole encoded source."))
        blocks.append(_chips(src, loss["encoder"], caption="Encoder stream: no position is graded."))
        blocks.append(_chips(dec, loss["decoder"], [f"predicts {_show(s)}" for s in _strings(out)],
                             "Decoder stream: every position is graded (hover: the token it predicts)."))
        nll = _nll(tuple(src), tuple(tgt))
        blocks.append(_bars("A decoder-only model does it with a prompt: tinylm's loss on each target "
                            "token, the source as its prompt",
                            [f"{_show(s)}" for s in _strings(tgt)], nll,
                            "tinylm's loss on each target token given the source as a prompt"))
    elif arch == "prefix-lm":
        seq = src + tgt
        g = masks.masks("prefix-lm", n, m)["decoder"]
        lab = _labels(seq)
        loss = masks.objective_positions("prefix", n, m)["decoder"]
        blocks.append({"kind": "stats", "items": [
            {"label": "Tokens read", "value": f"{n} + {m}", "note": "prompt + continuation, one stack"},
            {"label": "Attention pairs allowed", "value": f"{int(g.sum())} of {g.size}",
             "note": "the prompt block is full, the rest causal"},
            {"label": "Positions with a loss", "value": f"{int(loss.sum())} of {n + m}",
             "note": "only those that predict the continuation"}]})
        blocks.append(_grid("Prefix LM self-attention (bidirectional prompt, causal continuation)",
                            g, lab, lab, f"The first {n} columns are open to every row; the prompt "
                            "never sees the continuation. The last prompt token (highlighted row) predicts the "
                            "first continuation token.", highlight=n - 1))
        blocks.append(_chips(seq, loss, [f"predicts {_show(s)}" for s in _strings(seq[1:])] + [""],
                             "Graded positions: the last prompt token and the continuation."))
        nll = _nll(tuple(src), tuple(tgt))
        blocks.append(_bars("tinylm's loss on the continuation, prompt read causally "
                            "(tinylm was trained as a plain decoder)",
                            [f"{_show(s)}" for s in _strings(tgt)], nll,
                            "tinylm's loss on each continuation token given the prompt"))
    else:
        raise ValueError(f"Unknown architecture {arch!r}.")

    # what a new token costs: earlier rows that read it must be recomputed (no cache for them)
    sizes = {"encoder": (len(bert), 0), "decoder": (n, 0), "encoder-decoder": (n, m + 1),
             "prefix-lm": (n, m)}[arch]
    stale = masks.stale_after_append(arch, *sizes)
    blocks[0]["items"].append({
        "label": "Earlier positions redone per new token", "value": str(stale),
        "note": "bidirectional: every earlier token reads the newcomer, so nothing can be cached"
        if stale else "none read the newcomer: their keys and values can be cached"
        + ("" if arch == "decoder" else " (a token added to the source or prompt would be read by all)")})

    # every objective on this input, whatever the view
    here = {"encoder": "mlm", "decoder": "causal", "encoder-decoder": "seq2seq", "prefix-lm": "prefix"}[arch]
    rows = [["masked LM (encoder)", f"{len(bert)}", _positions(mlm_loss), int(mlm_loss.sum()),
             f"{mlm_loss.mean():.0%}", "●" if here == "mlm" else ""]]
    causal = masks.objective_positions("causal", n)["decoder"]
    rows.append(["next token (decoder)", f"{n}", _positions(causal), int(causal.sum()),
                 f"{causal.mean():.0%}", "●" if here == "causal" else ""])
    if tgt:
        s2s = masks.objective_positions("seq2seq", n, m + 1)
        rows.append(["seq2seq (encoder–decoder)", f"{n} + {m + 1}", "decoder " + _positions(s2s["decoder"]),
                     m + 1, f"{(m + 1) / (n + m + 1):.0%}", "●" if here == "seq2seq" else ""])
        pre = masks.objective_positions("prefix", n, m)["decoder"]
        rows.append(["prefix LM (one decoder)", f"{n} + {m}", _positions(pre), int(pre.sum()),
                     f"{pre.mean():.0%}", "●" if here == "prefix" else ""])
    else:
        rows.append(["seq2seq / prefix LM", "—", "type a target", "—", "—", ""])
    blocks.append({"kind": "table",
                   "columns": ["objective", "tokens read", "positions with a loss", "count", "share",
                               "this view"],
                   "rows": rows,
                   "caption": f"The same input under every objective (masked LM at rate "
                              f"{float(mask_rate):.2f}, seed {int(seed)}; its positions count [CLS] as 0)."})
    if arch != "encoder":
        blocks.append({"kind": "text", "text": tinylm.scale_note()})
    for t in notes:
        blocks.append({"kind": "text", "level": "info" if t.startswith("tinylm is") else "warn", "text": t})
    return blocks
