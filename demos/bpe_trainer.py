"""Train a byte-level BPE vocabulary one merge at a time.

Move the merge slider: each step counts every adjacent pair of symbols in the corpus, merges the
most frequent one into a new token, and rewrites every word. On low/lower/lowest the merges come
out as (l,o) 16, (lo,w) 16, (low,e) 8, (lowe,s) 7, (lowes,t) 7, (lowe,r) 1 -- the first and fourth
are ties, settled by the tie-breaking rule. Switch the rule to WordPiece's score to see it prefer
pairs whose halves are rare on their own; untick pre-tokenization to see merges that swallow the
spaces between words (which is why real tokenizers split text first). The curve shows how the
corpus shrinks, in tokens, as the vocabulary grows.
"""

from functools import lru_cache

from fieldguide import data
from fieldguide.tokenizer import train_bpe

TITLE = "BPE training, merge by merge"
BADGE = "TOY"
ASSETS = []

CORPORA = data.load("tokenizer_samples")["bpe_corpora"]
MAX_STEPS = 50
RULE_TEXT = {"bpe": "count(a b), the number of times the pair occurs",
             "wordpiece": "count(a b) / (count(a) · count(b)), WordPiece's score"}
TIE_TEXT = {"first": "the pair that occurs first in the corpus (words in order of first appearance, then left to right)",
            "lexical": "the lexicographically smallest pair of byte strings"}

CONTROLS = [
    {"name": "corpus", "kind": "select", "label": "Corpus", "options": list(CORPORA),
     "default": "low/lower/lowest"},
    {"name": "step", "kind": "range", "label": "Merges done", "min": 0, "max": MAX_STEPS, "step": 1,
     "default": 0},
    {"name": "rule", "kind": "select", "label": "Pair score",
     "options": [["bpe", "BPE: pair count"], ["wordpiece", "WordPiece: count(ab)/(count(a)·count(b))"]],
     "default": "bpe"},
    {"name": "pretokenize", "kind": "checkbox", "label": "Pre-tokenize (split into words first)",
     "default": True},
    {"name": "tie_break", "kind": "select", "label": "Tie-breaking rule",
     "options": [["first", "first seen in the corpus"], ["lexical", "lexicographically smallest"]],
     "default": "first"},
]


@lru_cache(maxsize=64)
def _train(corpus: str, rule: str, pretokenize: bool, tie_break: str):
    return train_bpe(CORPORA[corpus], MAX_STEPS, rule, tie_break=tie_break, pretokenize=pretokenize,
                     trace=True)


def _show(b: bytes) -> str:
    return b.decode("utf-8", "replace").replace(" ", "·").replace("\n", "↵").replace("\t", "→")


def _pair(p) -> str:
    return f"({_show(p[0])}, {_show(p[1])})"


def render(corpus="low/lower/lowest", step=0, rule="bpe", pretokenize=True, tie_break="first"):
    bpe = _train(corpus, rule, bool(pretokenize), tie_break)
    done = min(int(step), len(bpe.steps))
    merges = bpe.merges[:done]
    vocab = 256 + sum(s.new_token for s in bpe.steps[:done])
    tokens = bpe.steps[done - 1].tokens if done else bpe.bytes_total
    blocks = [{"kind": "stats", "items": [
        {"label": "Merges done", "value": f"{done}"},
        {"label": "Vocabulary size", "value": f"{vocab:,}", "note": "256 bytes + one token per merge"},
        {"label": "Corpus in tokens", "value": f"{tokens:,}", "note": f"{bpe.bytes_total:,} bytes"},
        {"label": "Bytes per token", "value": f"{bpe.bytes_total / tokens:.2f}" if tokens else "–"}]}]

    lines = [f"Score: {RULE_TEXT[rule]}. Ties go to {TIE_TEXT[tie_break]}."]
    if done:
        last = bpe.steps[done - 1]
        tie = f" It was tied with {last.tied - 1} other pair(s) at that score." if last.tied > 1 else ""
        lines.append(f"Merge {done}: {_pair(last.pair)} → {_show(last.pair[0] + last.pair[1])}, "
                     f"count {last.count}.{tie}")
    if int(step) > len(bpe.steps):
        lines.append(f"No pairs are left after {len(bpe.steps)} merges: every word is one token.")
    blocks.append({"kind": "text", "text": " ".join(lines)})

    if done < len(bpe.steps):
        nxt = bpe.steps[done]
        blocks.append({"kind": "table", "columns": ["Pair", "Count", "Score", ""],
                       "rows": [[_pair(p), c, round(s, 4), "← next merge" if p == nxt.pair else ""]
                                for p, c, s in nxt.top],
                       "caption": f"The top {len(nxt.top)} pairs after {done} merges."})

    rows = [[_show(w), c, " | ".join(_show(t) for t in bpe.segment(w, done))]
            for w, c in list(zip(bpe.words, bpe.counts))[:40]]
    more = f" (first 40 of {len(bpe.words)})" if len(bpe.words) > 40 else ""
    blocks.append({"kind": "table", "columns": ["Word", "Count", "Segmentation"], "rows": rows,
                   "caption": f"Every word after {done} merges{more}."})

    ys = [bpe.bytes_total] + [s.tokens for s in bpe.steps]
    blocks.append({"kind": "plotly", "figure": {
        "data": [{"type": "scatter", "mode": "lines", "x": list(range(len(ys))), "y": ys, "name": "tokens"},
                 {"type": "scatter", "mode": "markers", "x": [done], "y": [tokens], "name": "now",
                  "marker": {"size": 10}}],
        "layout": {"xaxis": {"title": {"text": "merges"}}, "yaxis": {"title": {"text": "corpus length (tokens)"}},
                   "showlegend": False, "margin": {"t": 10}}},
        "alt": f"Corpus length falls from {ys[0]} bytes to {ys[-1]} tokens over {len(ys) - 1} merges; "
               f"after {done} merges it is {tokens} tokens."})
    return blocks
