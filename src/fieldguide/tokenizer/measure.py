"""Counting what a tokenizer does to a text: characters, bytes, tokens, and what they cost.

"Fertility" is tokens per word (or per character): how many pieces the tokenizer needs for the
same amount of text. It depends on the script and on what the vocabulary was trained on, and it
is what you pay for, since APIs bill per token. Tables of typical fertility are estimates; these
functions measure it on the text you give them.
"""

from __future__ import annotations


def partial_utf8(token_bytes: bytes) -> bool:
    """True if a token's bytes are not whole UTF-8 characters (it cuts a character in pieces)."""
    try:
        token_bytes.decode("utf-8")
        return False
    except UnicodeDecodeError:
        return True


def stats(text: str, enc, ids: list[int] | None = None) -> dict:
    """Counts for one text under one encoding, plus a decode round-trip check.

    Pass `ids` if you already have enc.encode_ordinary(text), to skip encoding again.
    """
    if ids is None:
        ids = enc.encode_ordinary(text)
    raw = text.encode("utf-8", "surrogatepass")
    words = len(text.split())
    partial = sum(partial_utf8(enc.decode_single_token_bytes(t)) for t in ids)
    return {
        "chars": len(text),
        "bytes": len(raw),
        "tokens": len(ids),
        "words": words,
        "tokens_per_word": len(ids) / words if words else 0.0,
        "tokens_per_char": len(ids) / len(text) if text else 0.0,
        "bytes_per_token": len(raw) / len(ids) if ids else 0.0,
        "partial_tokens": partial,
        "roundtrip": enc.decode_bytes(ids) == raw,
        "ids": ids,
    }


def fertility(texts: dict[str, str], enc, baseline: str = "English") -> list[dict]:
    """Per text: tokens, tokens per character and per word, and the multiplier against `baseline`.

    The texts should say the same thing, so the multiplier is "how much more this language costs".
    """
    rows = []
    for label, text in texts.items():
        s = stats(text, enc)
        rows.append({"label": label, "chars": s["chars"], "bytes": s["bytes"], "words": s["words"],
                     "tokens": s["tokens"], "tokens_per_char": s["tokens_per_char"],
                     "tokens_per_word": s["tokens_per_word"]})
    base = next((r["tokens"] for r in rows if r["label"] == baseline), None)
    for r in rows:
        r["multiplier"] = r["tokens"] / base if base else float("nan")
    return rows


def monthly_cost(tokens_per_query: float, queries_per_month: float, price_per_mtok: float,
                 multiplier: float = 1.0) -> float:
    """Dollars per month: queries x tokens per query x multiplier x price per million tokens."""
    return queries_per_month * tokens_per_query * multiplier * price_per_mtok / 1e6
