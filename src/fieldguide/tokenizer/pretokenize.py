"""Pre-tokenization: cut text into pieces before BPE ever sees it.

BPE on its own would happily merge across word boundaries ("e t" in "the tree") and glue digits to
letters. GPT-style tokenizers therefore first split the text with a regular expression -- letters
with an optional leading space, runs of 1-3 digits, punctuation runs, whitespace -- and run BPE
*inside* each piece. The pieces are the unit of the cache too: the same piece always gets the
same ids.

tiktoken writes these patterns with Unicode properties (`\\p{L}` letters, `\\p{N}` numbers,
`\\p{Lu}` upper-case...) for the Rust `fancy-regex` engine. Python's `re` has no `\\p{...}`, so we
build each property as an explicit character class from `unicodedata` (the Unicode tables of the
running Python) and then write the *same* pattern, alternative for alternative, in `re` syntax.
Python 3.11+ has the possessive quantifiers (`?+`, `++`, `*+`) and both engines are backtracking
and leftmost-first, so the translation is literal. Three details matter:

* `\\s` in Rust is the Unicode White_Space property (25 code points). Python's `\\s` and
  `str.isspace()` are wider: they include U+001C-U+001F (the information separators), which are
  *not* White_Space. So we spell the property out, and `\\S` becomes "any character outside it".
* `$` in Rust (without multi-line mode) is the end of the text; Python's `$` also matches before a
  final newline, so we write `\\Z`.
* `(?i:'s|'t|...)` folds case with Unicode simple case folding, so `'S` and even `'ſ` (U+017F,
  long s) are contractions. Python's `(?i:...)` folds the same way.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import accumulate

# The Unicode White_Space property (PropList.txt), unchanged since Unicode 6.3 removed U+180E.
WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
               + "\u2028\u2029\u202f\u205f\u3000")

# One byte per general-category group the patterns tell apart.
_GROUP = {"Lu": b"U", "Lt": b"U", "Ll": b"l", "Lm": b"o", "Lo": b"o",
          "Mn": b"M", "Mc": b"M", "Me": b"M", "Nd": b"N", "Nl": b"N", "No": b"N"}


def _category_runs() -> dict[str, list[tuple[int, int]]]:
    """Basic-plane code-point ranges per group: U (Lu, Lt), l (Ll), o (Lm, Lo), M (marks), N (numbers)."""
    import numpy as np
    cat, group = unicodedata.category, _GROUP
    codes = b"".join(group.get(c, b".") for c in map(cat, map(chr, range(0x10000))))
    arr = np.frombuffer(codes, dtype=np.uint8)
    edges = np.flatnonzero(np.diff(arr)) + 1
    starts = np.concatenate(([0], edges)).tolist()
    ends = (np.concatenate((edges, [len(arr)])) - 1).tolist()
    runs: dict[str, list[tuple[int, int]]] = {g: [] for g in "UloMN"}
    for s, e in zip(starts, ends):
        if codes[s] != 46:                   # "."
            runs[chr(codes[s])].append((s, e))
    return runs


def _cls(ranges: list[tuple[int, int]]) -> str:
    """The body of a regex character class for these code-point ranges."""
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in sorted(ranges))


# The classes cover the Basic Multilingual Plane only. Python's `re` tests a character against the
# basic-plane part of a class with one table look-up, but against every supplementary-plane range
# one by one -- hundreds of them for \p{L}, which made splitting prose ~20x slower. Characters
# above U+FFFF are rare, and the patterns treat every member of a group alike, so before matching
# we swap each of them for a basic-plane stand-in of the same group (see `_stand_ins`).
_RUNS = _category_runs()
L = _cls(_RUNS["U"] + _RUNS["l"] + _RUNS["o"])      # \p{L}
N = _cls(_RUNS["N"])                                # \p{N}
UPPER = _cls(_RUNS["U"] + _RUNS["o"] + _RUNS["M"])  # [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
LOWER = _cls(_RUNS["l"] + _RUNS["o"] + _RUNS["M"])  # [\p{Ll}\p{Lm}\p{Lo}\p{M}]
S = "".join(f"\\u{ord(c):04x}" for c in WHITE_SPACE)  # \s as Rust means it

# A basic-plane member of each group. Nothing in the patterns singles out a particular letter,
# digit or mark except ASCII ones and U+017F, all in the basic plane, so swapping a supplementary
# character for its group's stand-in never changes where the pieces end.
STAND_IN = {"U": "A", "l": "a", "o": "\u00aa", "M": "\u0300", "N": "0", ".": "\u00a7"}
_STAND: dict[str, str] = {}


_ASTRAL = re.compile("([\U00010000-\U0010ffff])")


def _stand_in(ch: str) -> str:
    if ch not in _STAND:
        _STAND[ch] = STAND_IN[_GROUP.get(unicodedata.category(ch), b".").decode()]
    return _STAND[ch]


def _stand_ins(text: str) -> str:
    """`text` with every character above U+FFFF replaced by its group's basic-plane stand-in."""
    parts = _ASTRAL.split(text)           # [basic, astral, basic, astral, ..., basic]
    parts[1::2] = map(_stand_in, parts[1::2])
    return "".join(parts)


# cl100k_base, as tiktoken writes it:
#   '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+
#   |\s++$|\s*[\r\n]|\s+(?!\S)|\s
CL100K = "|".join([
    r"'(?i:[sdmt]|ll|ve|re)",
    rf"[^\r\n{L}{N}]?+[{L}]++",
    rf"[{N}]{{1,3}}+",
    rf" ?[^{S}{L}{N}]++[\r\n]*+",
    rf"[{S}]++\Z",
    rf"[{S}]*[\r\n]",
    rf"[{S}]+(?![^{S}])",
    rf"[{S}]",
])

# o200k_base: case-aware letter runs (upper-case letters, then lower-case ones, so "HelloWorld" and
# "camelCase" are two pieces each while "JSONParser" stays one), contractions glued to the word, and
# "/" allowed to trail punctuation:
#   [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
#   |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
#   |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
_CONTRACTION = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
O200K = "|".join([
    rf"[^\r\n{L}{N}]?[{UPPER}]*[{LOWER}]+{_CONTRACTION}",
    rf"[^\r\n{L}{N}]?[{UPPER}]+[{LOWER}]*{_CONTRACTION}",
    rf"[{N}]{{1,3}}",
    rf" ?[^{S}{L}{N}]+[\r\n/]*",
    rf"[{S}]*[\r\n]+",
    rf"[{S}]+(?![^{S}])",
    rf"[{S}]+",
])

PATTERNS = {"cl100k_base": CL100K, "o200k_base": O200K}
_COMPILED: dict[str, re.Pattern] = {}


def compiled(pattern: str) -> re.Pattern:
    """The compiled `re` pattern for 'o200k_base', 'cl100k_base' or a pattern string."""
    pat = PATTERNS.get(pattern, pattern)
    if pat not in _COMPILED:
        _COMPILED[pat] = re.compile(pat)
    return _COMPILED[pat]


def splitter(pattern: str = "o200k_base"):
    """A function text -> pieces for this pattern (what Encoding calls on every encode)."""
    findall = compiled(pattern).findall

    def split_text(text: str) -> list[str]:
        if not text or max(text) <= "\uffff":          # the usual case: one C call does it all
            return findall(text)
        # stand-ins are one character each, so the pieces have the same lengths in both texts
        ends = list(accumulate(map(len, findall(_stand_ins(text)))))
        return [text[a:b] for a, b in zip([0] + ends, ends)]
    return split_text


def split(text: str, pattern: str = "o200k_base") -> list[str]:
    """The pre-token pieces of `text`, in order; joined they give `text` back.

    >>> split("Hello world's 12345!!\\n\\n")
    ['Hello', " world's", ' ', '123', '45', '!!\\n\\n']
    """
    return splitter(pattern)(text)
