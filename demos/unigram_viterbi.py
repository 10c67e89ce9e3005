"""Every way to cut a word into vocabulary pieces is a path through a lattice; the Unigram LM
scores each path by multiplying its pieces' probabilities, and Viterbi finds the best path
without listing them all.

Try: UNICORN with the authored table (the best path is UNIC+O+R+N at 2.0e-8); then switch off
log space and type a long word such as UNICORNUNICORNUNICORN to watch the plain product shrink
toward underflow while the log score just adds up. Switch to the table learned from the
low/lower/lowest corpus and try `lowest`, `slowest` or `newer`: notice that EM learned whole
words, and that characters the table has never seen fall back to <unk>.
"""

from fieldguide import unigram

TITLE = "Unigram LM: the segmentation lattice and its best path"
BADGE = "TOY"
ASSETS = []
VOCABS = [["toy", "authored toy table (UNICORN example)"],
          ["learned", "learned by EM from the low/lower/lowest corpus"]]
CONTROLS = [
    {"name": "word", "kind": "text", "label": "Word", "default": "UNICORN", "maxlength": 200},
    {"name": "vocab", "kind": "select", "label": "Piece probabilities", "options": VOCABS,
     "default": "toy"},
    {"name": "log_space", "kind": "checkbox", "label": "Score in log space", "default": True},
]

_LEARNED = unigram.toy_learned_probs(12)  # trained once per session (a few ms)
SHOW_PATHS = 8


def _table(vocab):
    return unigram.TOY_PROBS if vocab == "toy" else _LEARNED


def _score_text(pieces, probs, log_space):
    unk = unigram.unk_logp(unigram.log_table(probs))
    if log_space:
        terms = [unigram.log_table(probs)[p] if p in probs else unk for p in pieces]
        return " + ".join(f"{t:.3f}" for t in terms) + f" = {sum(terms):.3f}"
    terms = [probs[p] if p in probs else 2.718281828459045 ** unk for p in pieces]
    value = 1.0
    for t in terms:
        value *= t
    shown = f"{value:.2g}" if value > 0 else "0 (underflow)"
    return " × ".join(f"{t:.3g}" for t in terms) + f" = {shown}"


def _figure(word, arcs, best):
    n = len(word)
    best_arcs, pos = set(), 0
    for piece in best:
        best_arcs.add((pos, pos + len(piece)))
        pos += len(piece)
    traces = []
    for i, j, piece, lp, unk in arcs:
        on_best = (i, j) in best_arcs
        h = 0.35 * (j - i)
        xs = [i + (j - i) * t / 20 for t in range(21)]
        ys = [h * 4 * (x - i) * (j - x) / max((j - i) ** 2, 1) for x in xs]
        traces.append({"type": "scatter", "mode": "lines", "x": xs, "y": ys, "showlegend": False,
                       "hoverinfo": "text", "text": f"{piece}: log p = {lp:.3f}",
                       "line": {"width": 4 if on_best else 1.5,
                                "color": "#e76f51" if on_best else ("#bbbbbb" if unk else "#457b9d"),
                                "dash": "dot" if unk else "solid"}})
        traces.append({"type": "scatter", "mode": "text", "x": [(i + j) / 2], "y": [h],
                       "text": [piece + (" (unk)" if unk else "")], "showlegend": False,
                       "textposition": "top center", "hoverinfo": "skip",
                       "textfont": {"color": "#e76f51" if on_best else "#333333"}})
    traces.append({"type": "scatter", "mode": "markers+text", "x": list(range(n + 1)),
                   "y": [0] * (n + 1), "text": [str(k) for k in range(n + 1)],
                   "textposition": "bottom center", "marker": {"size": 8, "color": "#222222"},
                   "showlegend": False, "hoverinfo": "skip"})
    traces.append({"type": "scatter", "mode": "text", "x": [k + 0.5 for k in range(n)],
                   "y": [-0.35] * n, "text": list(word), "showlegend": False, "hoverinfo": "skip",
                   "textfont": {"size": 16}})
    top = max([0.35 * (j - i) for i, j, *_ in arcs] + [0.5])
    layout = {"xaxis": {"visible": False, "range": [-0.5, n + 0.5]},
              "yaxis": {"visible": False, "range": [-0.7, top + 0.5]},
              "margin": {"t": 10, "b": 10, "l": 10, "r": 10}, "height": 300}
    return {"data": traces, "layout": layout}


def render(word="UNICORN", vocab="toy", log_space=True):
    word = word.strip()
    if not word:
        return [{"kind": "text", "level": "warn", "text": "Type a word to segment."}]
    if len(word) > unigram.MAX_WORD:
        return [{"kind": "text", "level": "error",
                 "text": f"That is {len(word)} characters; the lattice view takes a single word "
                         f"of at most {unigram.MAX_WORD}."}]
    probs = _table(vocab)
    arcs = unigram.lattice(word, probs)
    best, best_lp = unigram.viterbi(word, probs)
    paths = unigram.k_best(word, probs, SHOW_PATHS)
    n_paths = unigram.count_paths(word, probs)
    linear = unigram.path_probability(best, probs) if all(p in probs for p in best) else None
    unknown = sorted({a[2] for a in arcs if a[4]})
    blocks = [{"kind": "stats", "items": [
        {"label": "Best segmentation", "value": " + ".join(best)},
        {"label": "log p (natural log)", "value": f"{best_lp:.3f}"} if log_space else
        {"label": "p (product)", "value": "0 (underflow)" if linear == 0 else
         (f"{linear:.2g}" if linear is not None else "n/a (contains <unk>)")},
        {"label": "Paths in the lattice", "value": f"{n_paths:,}",
         "note": "Viterbi visits each arc once instead"},
        {"label": "Vocabulary", "value": f"{len(probs)} pieces"},
    ]}]
    fig = _figure(word, arcs, best)
    alt = (f"Lattice over the {len(word)} characters of {word!r} with {len(arcs)} arcs, one per "
           f"matching piece. Best path: {' + '.join(best)}, log p = {best_lp:.3f}.")
    blocks.append({"kind": "plotly", "figure": fig, "alt": alt})
    head = "log p = sum of log p(piece)" if log_space else "p = product of p(piece)"
    rows = [[k + 1, " + ".join(pieces), _score_text(pieces, probs, log_space)]
            for k, (pieces, _lp) in enumerate(paths)]
    blocks.append({"kind": "table", "columns": ["rank", "segmentation", head], "rows": rows,
                   "caption": f"The {len(rows)} most probable of {n_paths:,} segmentations."})
    if unknown:
        blocks.append({"kind": "text", "level": "warn",
                       "text": "No piece covers " + ", ".join(repr(u) for u in unknown) +
                               "; each is scored as <unk>, "
                               f"{unigram.UNK_PENALTY:g} nats below the rarest piece."})
    if not log_space and linear == 0:
        blocks.append({"kind": "text", "level": "warn",
                       "text": "The plain product underflowed to 0 in float64: this is why "
                               "tokenizers add log-probabilities instead."})
    if vocab == "learned":
        blocks.append({"kind": "table", "columns": ["piece", "p"],
                       "rows": [[p, f"{v:.4f}"] for p, v in _LEARNED.items()],
                       "caption": "The 12-piece table EM learned from low ×8, lower ×1, lowest ×7 "
                                  "(0.1 pseudo-uses per piece keep characters from reaching 0)."})
    else:
        blocks.append({"kind": "text", "text": "The toy table is AUTHORED: eight pieces from a "
                       "larger imaginary vocabulary, so the probabilities need not sum to 1."})
    return blocks
