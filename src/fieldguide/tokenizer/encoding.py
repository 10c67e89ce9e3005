"""`Encoding`: text <-> token ids with a rank file, a pre-tokenizer and special tokens.

The API follows tiktoken's, and the ids are tiktoken's ids:

    enc = get_encoding("o200k_base")
    enc.encode_ordinary("Hello, world!")          # [13225, 11, 2375, 0]
    enc.decode([13225, 11, 2375, 0])              # 'Hello, world!'

Encoding = split the text into pieces (pretokenize.py), then BPE each piece (bpe.py). Real text
repeats its pieces ("the", " of", ".", "\\n") constantly, so each piece's ids are cached: after a
paragraph or two most pieces are dictionary look-ups, and re-tokenizing text that a reader is
editing only redoes the pieces that changed.
"""

from __future__ import annotations

import binascii
import re
from pathlib import Path

from .. import data
from . import pretokenize
from .bpe import byte_pair_encode

CACHE_MAX = 100_000     # pieces remembered per encoding; the oldest half is dropped when full


def load_tiktoken_ranks(path) -> dict[bytes, int]:
    """Read a tiktoken rank file: one `base64(token bytes) rank` pair per line."""
    parts = Path(path).read_bytes().split()
    if len(parts) % 2:
        raise ValueError(f"{path}: not a tiktoken rank file (odd number of fields)")
    return dict(zip(map(binascii.a2b_base64, parts[0::2]), map(int, parts[1::2])))


def save_tiktoken_ranks(ranks: dict[bytes, int], path) -> None:
    """Write ranks in tiktoken's format, lowest rank first."""
    lines = [binascii.b2a_base64(tok, newline=False) + b" %d\n" % r
             for tok, r in sorted(ranks.items(), key=lambda kv: kv[1])]
    Path(path).write_bytes(b"".join(lines))


class Encoding:
    """A byte-level BPE tokenizer (ranks + pre-tokenizer + special tokens), tiktoken-compatible."""

    def __init__(self, name: str, mergeable_ranks: dict[bytes, int], pattern: str,
                 special_tokens: dict[str, int]):
        self.name = name
        self._ranks = mergeable_ranks
        self._split = pretokenize.splitter(pattern)
        self._special_tokens = dict(special_tokens)
        self.max_token_value = max(max(mergeable_ranks.values()), max(special_tokens.values(), default=0))
        self.n_vocab = self.max_token_value + 1
        dec: list[bytes | None] = [None] * self.n_vocab
        for tok, r in mergeable_ranks.items():
            dec[r] = tok
        for tok, r in special_tokens.items():
            dec[r] = tok.encode("utf-8")
        self._decoder = dec
        self._cache: dict[str, list[int]] = {}
        self._special_re: dict[frozenset, re.Pattern] = {}

    def __repr__(self):
        return f"<Encoding {self.name!r}>"

    # -- encoding ---------------------------------------------------------------------------

    def encode_ordinary(self, text: str) -> list[int]:
        """Token ids of `text`, with special-token text treated as ordinary text."""
        try:
            return self._encode(text)
        except UnicodeEncodeError:
            return self._encode(_fix_surrogates(text))

    def encode(self, text: str, *, allowed_special=frozenset(), disallowed_special="all") -> list[int]:
        """Token ids of `text`; special tokens in `allowed_special` ("all" or a set) become their ids.

        Like tiktoken, text that spells a special token which is not allowed raises ValueError
        (unless `disallowed_special=()`): a user's text must not smuggle in an <|endoftext|>.
        """
        if allowed_special == "all":
            allowed_special = self.special_tokens_set
        if disallowed_special == "all":
            disallowed_special = self.special_tokens_set - set(allowed_special)
        if disallowed_special:
            m = self._special_regex(frozenset(disallowed_special)).search(text)
            if m:
                tok = m.group()
                raise ValueError(
                    f"Encountered text corresponding to disallowed special token {tok!r}.\n"
                    f"If you want this text to be encoded as a special token, pass it to "
                    f"`allowed_special`, e.g. `allowed_special={{{tok!r}, ...}}`.\n"
                    f"If you want this text to be encoded as normal text, disable the check for this "
                    f"token by passing `disallowed_special=(enc.special_tokens_set - {{{tok!r}}})`.\n"
                    "To disable this check for all special tokens, pass `disallowed_special=()`.\n")
        allowed = frozenset(allowed_special)
        if not allowed:
            return self.encode_ordinary(text)
        try:
            return self._encode_special(text, allowed)
        except UnicodeEncodeError:
            return self._encode_special(_fix_surrogates(text), allowed)

    def _encode_special(self, text: str, allowed: frozenset) -> list[int]:
        out: list[int] = []
        start = 0
        for m in self._special_regex(allowed).finditer(text):
            out += self._encode(text[start:m.start()])
            out.append(self._special_tokens[m.group()])
            start = m.end()
        out += self._encode(text[start:])
        return out

    def _special_regex(self, tokens: frozenset) -> re.Pattern:
        if tokens not in self._special_re:
            self._special_re[tokens] = re.compile("|".join(map(re.escape, sorted(tokens, key=len, reverse=True))))
        return self._special_re[tokens]

    def _encode(self, text: str) -> list[int]:
        cache = self._cache
        get = cache.get
        out: list[int] = []
        add = out.extend
        for piece in self._split(text):
            ids = get(piece)
            if ids is None:
                ids = self._encode_piece(piece)
            add(ids)
        return out

    def _encode_piece(self, piece: str) -> list[int]:
        ids = byte_pair_encode(piece.encode("utf-8"), self._ranks)
        cache = self._cache
        if len(cache) >= CACHE_MAX:                 # forget the oldest half (dicts keep order)
            for k in list(cache)[:CACHE_MAX // 2]:
                del cache[k]
        cache[piece] = ids
        return ids

    def split(self, text: str) -> list[str]:
        """The pre-token pieces of `text` (BPE never merges across them)."""
        return self._split(text)

    def encode_pieces(self, text: str) -> list[tuple[str, list[int]]]:
        """Each pre-token piece with its token ids: the tokenizer's work, step by step."""
        text = _fix_surrogates(text)
        return [(p, list(self._cache.get(p) or self._encode_piece(p))) for p in self._split(text)]

    # -- decoding ---------------------------------------------------------------------------

    def decode_bytes(self, tokens) -> bytes:
        """The bytes the tokens stand for (KeyError for an id that is not a token)."""
        dec = self._decoder
        try:
            if min(tokens, default=0) < 0:
                raise IndexError
            return b"".join([dec[t] for t in tokens])     # a gap in the ids is None: TypeError
        except (IndexError, TypeError):
            bad = next(t for t in tokens if not (0 <= t < len(dec)) or dec[t] is None)
            raise KeyError(f"Invalid token for decoding: {bad}") from None

    def decode(self, tokens, errors: str = "replace") -> str:
        """The text; bytes that are not valid UTF-8 (a token that splits a character) become U+FFFD."""
        return self.decode_bytes(tokens).decode("utf-8", errors=errors)

    def decode_single_token_bytes(self, token: int) -> bytes:
        """The bytes of one token -- possibly only part of a UTF-8 character."""
        b = self._decoder[token] if 0 <= token < self.n_vocab else None
        if b is None:
            raise KeyError(f"Invalid token for decoding: {token}")
        return b

    def decode_tokens_bytes(self, tokens) -> list[bytes]:
        return [self.decode_single_token_bytes(t) for t in tokens]

    # -- vocabulary -------------------------------------------------------------------------

    @property
    def special_tokens_set(self) -> set[str]:
        return set(self._special_tokens)

    @property
    def eot_token(self) -> int:
        return self._special_tokens["<|endoftext|>"]

    @property
    def n_ranks(self) -> int:
        """How many ordinary (mergeable) tokens there are; n_vocab also counts specials and gaps."""
        return len(self._ranks)

    def is_special_token(self, token: int) -> bool:
        return token in self._special_tokens.values()


def _fix_surrogates(text: str) -> str:
    """What tiktoken does with text that is not valid Unicode: join surrogate pairs, and replace lone
    surrogates with U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


ENCODINGS = ("o200k_base", "cl100k_base", "tinylm-bpe")
_LOADED: dict[str, Encoding] = {}


def list_encoding_names() -> list[str]:
    """Encodings whose rank files can be found here (tinylm-bpe only once it has been trained)."""
    names = []
    for name in ENCODINGS:
        try:
            data.asset(data.load("tokenizer_encodings")["encodings"][name]["file"])
            names.append(name)
        except FileNotFoundError:
            pass
    return names


def get_encoding(name: str) -> Encoding:
    """The encoding called `name`, loaded once per process ("o200k_base", "cl100k_base", "tinylm-bpe")."""
    if name not in _LOADED:
        specs = data.load("tokenizer_encodings")["encodings"]
        if name not in specs:
            raise ValueError(f"Unknown encoding {name!r}; known: {', '.join(specs)}")
        spec = specs[name]
        ranks = load_tiktoken_ranks(data.asset(spec["file"]))
        if "pat_str" in spec:
            pattern, special = name, spec["special_tokens"]
        else:       # our own trained vocabularies: specials follow the ranks
            pattern = spec["pattern"]
            special = {tok: len(ranks) + i for i, tok in enumerate(spec["special_tokens"])}
        _LOADED[name] = Encoding(name, ranks, pattern, special)
    return _LOADED[name]
