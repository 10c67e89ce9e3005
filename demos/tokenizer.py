"""Type anything and watch a real tokenizer cut it into the ids a model actually reads.

Try: the `strawberry` example (the bare word is three tokens, with a leading space it is one --
which is why counting its r's is hard for a model); numbers (digits go in groups of at most three);
a non-Latin script, and switch to cl100k_base to see the older vocabulary spend several times
more tokens on it; the `bytes` view, where an emoji or a CJK character is split across tokens
that are not whole characters (flagged "partial UTF-8"). Whitespace is drawn visibly: · for a
space, → for a tab, ↵ for a line break. Choosing an example replaces the text box; set the example
back to "your text" to tokenize the box.
"""

from fieldguide import data
from fieldguide.tokenizer import get_encoding, list_encoding_names, partial_utf8, stats

TITLE = "Tokenizer: the real ids"
BADGE = "REAL"
ASSETS = ["o200k_base.tiktoken", "cl100k_base.tiktoken"]

MAX_CHARS = 50_000      # about 15 pages; the box refuses more with a plain message
MAX_CHIPS = 1_500       # tokens drawn as chips; the counts always cover the whole text
EXAMPLES = data.load("tokenizer_samples")["examples"]
ENCODINGS = [n for n in ("o200k_base", "cl100k_base", "tinylm-bpe")
             if n != "tinylm-bpe" or "tinylm-bpe" in list_encoding_names()]
OTHER = {"o200k_base": "cl100k_base", "cl100k_base": "o200k_base", "tinylm-bpe": "o200k_base"}

CONTROLS = [
    {"name": "text", "kind": "textarea", "label": "Text", "default": EXAMPLES["mixed"],
     "maxlength": MAX_CHARS},
    {"name": "example", "kind": "select", "label": "Example (replaces the text)",
     "options": ["your text"] + [k for k in EXAMPLES if k != "mixed"], "default": "your text"},
    {"name": "encoding", "kind": "select", "label": "Encoding", "options": ENCODINGS,
     "default": "o200k_base"},
    {"name": "view", "kind": "select", "label": "Show each token as",
     "options": [["pieces", "its text"], ["ids", "its id"], ["bytes", "its bytes (hex)"]],
     "default": "pieces"},
    {"name": "compare", "kind": "checkbox", "label": "Compare with the other encoding", "default": False},
]

VISIBLE = str.maketrans({" ": "·", "\t": "→", "\n": "↵", "\r": "␍", "\u00a0": "⍽", "\u3000": "□"})


def _chip_text(b: bytes, tid: int, view: str) -> str:
    if view == "ids":
        return str(tid)
    if view == "bytes" or partial_utf8(b):
        return " ".join(f"{x:02x}" for x in b)
    return b.decode("utf-8").translate(VISIBLE)


def _chips(ids: list[int], enc, view: str) -> dict:
    chips = []
    for k, tid in enumerate(ids[:MAX_CHIPS]):
        b = enc.decode_single_token_bytes(tid)
        part = partial_utf8(b)
        title = f"id {tid} · bytes {b.hex(' ')}" + (" · partial UTF-8: not a whole character" if part else "")
        chips.append({"text": _chip_text(b, tid, view), "id": tid, "title": title,
                      "group": 6 if part else k % 6})
    more = f" The first {MAX_CHIPS:,} of {len(ids):,} tokens are drawn." if len(ids) > MAX_CHIPS else ""
    return {"kind": "tokens", "tokens": chips,
            "caption": f"{enc.name}: {len(ids):,} tokens. Colours alternate; the partial-UTF-8 "
                       f"colour marks a token that is only part of a character.{more}"}


def _stat_items(s: dict) -> list[dict]:
    return [
        {"label": "Characters", "value": f"{s['chars']:,}"},
        {"label": "UTF-8 bytes", "value": f"{s['bytes']:,}"},
        {"label": "Tokens", "value": f"{s['tokens']:,}"},
        {"label": "Tokens per word", "value": f"{s['tokens_per_word']:.2f}",
         "note": f"{s['words']:,} words split at whitespace"},
        {"label": "Bytes per token", "value": f"{s['bytes_per_token']:.2f}"},
        {"label": "Partial-UTF-8 tokens", "value": f"{s['partial_tokens']:,}"},
        {"label": "Decode round-trip", "value": "exact" if s["roundtrip"] else "changed"},
    ]


def render(text=EXAMPLES["mixed"], example="your text", encoding="o200k_base", view="pieces",
           compare=False):
    if example != "your text":
        text = EXAMPLES[example]
    if len(text) > MAX_CHARS:
        raise ValueError(f"Text: {len(text):,} characters is more than this demo takes "
                         f"({MAX_CHARS:,}). Paste a shorter passage.")
    enc = get_encoding(encoding)
    s = stats(text, enc)
    blocks = [{"kind": "stats", "items": _stat_items(s)}, _chips(s["ids"], enc, view)]
    if not s["roundtrip"]:
        blocks.append({"kind": "text", "level": "info",
                       "text": "The text held lone surrogate code units (not valid Unicode); like "
                               "tiktoken, the encoder replaced them with U+FFFD before encoding."})
    if compare:
        other = get_encoding(OTHER[encoding])
        o = stats(text, other)
        blocks.append(_chips(o["ids"], other, view))
        blocks.append({"kind": "table", "columns": ["", enc.name, other.name],
                       "rows": [["Tokens", s["tokens"], o["tokens"]],
                                ["Tokens per word", round(s["tokens_per_word"], 2), round(o["tokens_per_word"], 2)],
                                ["Bytes per token", round(s["bytes_per_token"], 2), round(o["bytes_per_token"], 2)],
                                ["Vocabulary (n_vocab)", enc.n_vocab, other.n_vocab]],
                       "caption": f"The same text, two vocabularies: {other.name} needs "
                                  f"{o['tokens'] - s['tokens']:+,} tokens relative to {enc.name}."})
    return blocks
