"""fieldguide.tokenizer gives exactly tiktoken's ids, on a broad, seeded, generated corpus.

The reference is tiktoken itself (a test-only dependency), built offline from the same verified
rank files and from the pattern and special tokens in tiktoken_ext.openai_public. Any difference is
a bug in our pre-tokenizer or BPE.
"""

from __future__ import annotations

import random
import sys
import unicodedata
from pathlib import Path

import pytest

from fieldguide import data
from fieldguide.tokenizer import get_encoding

tiktoken = pytest.importorskip("tiktoken")
REPO = Path(__file__).resolve().parents[1]
NAMES = ["o200k_base", "cl100k_base"]


def reference(name: str):
    """tiktoken's Encoding from the local rank file (no network): its constructor gives the rest."""
    import tiktoken_ext.openai_public as op
    ours = get_encoding(name)
    real_load = op.load_tiktoken_bpe
    op.load_tiktoken_bpe = lambda *a, **k: dict(ours._ranks)
    try:
        spec = getattr(op, name)()
    finally:
        op.load_tiktoken_bpe = real_load
    return tiktoken.Encoding(**spec)


@pytest.fixture(scope="module", params=NAMES)
def pair(request):
    return get_encoding(request.param), reference(request.param)


# -- the corpus -------------------------------------------------------------------------------

WHITESPACE = ("\t\n\x0b\x0c\r \x1c\x1d\x1e\x1f\x85\xa0\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005"
              "\u2006\u2007\u2008\u2009\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff")


def by_category() -> dict[str, list[str]]:
    """Every assigned code point (except surrogates), grouped by general category."""
    cats: dict[str, list[str]] = {}
    for cp in range(0x110000):
        c = chr(cp)
        cat = unicodedata.category(c)
        if cat not in ("Cs", "Cn"):
            cats.setdefault(cat, []).append(c)
    return cats


CATS = by_category()
ASCII_BITS = list("aZ09 '\n\r\t.,!?/-_sStTdDmMlLvVeErR") + ["'s", "'LL", "'Ve", "'rE", "'ſ", "  ", "\r\n"]


def random_strings(seed: int, n: int) -> list[str]:
    """Strings mixing characters of every general category with ASCII structure around them."""
    rng = random.Random(seed)
    cats = sorted(CATS)
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 24)):
            r = rng.random()
            if r < 0.45:
                parts.append(rng.choice(CATS[rng.choice(cats)]))
            elif r < 0.75:
                parts.append(rng.choice(ASCII_BITS))
            else:
                parts.append(rng.choice(WHITESPACE))
        out.append("".join(parts))
    return out


TARGETED = [
    # whitespace and line breaks, alone, in runs and between words
    *[f"a{w}b" for w in WHITESPACE], *[f"x{w * 3}\ny" for w in WHITESPACE], *[f"{w} z" for w in WHITESPACE],
    *[f"end{w}" for w in WHITESPACE], "  \n\n  x", "\n \n", " \r\n \r\n  ", "a\u3000\u3000b", "\u00a0\u00a0word",
    "line1\r\nline2\n\n\nline3   \n", "tabs\t\tand\t spaces  \t", "trailing   ", "   ", "\n", "",
    # contractions in every case, and near-misses
    "I'm you're he's we've they'll I'd don't", "I'M YOU'RE HE'S WE'VE THEY'LL I'D DON'T",
    "i'M yOu'Re He'S wE'vE tHeY'lL i'D dOn'T", "'s 'S 'ſ 'll 'LL 'Ll 've 're 'd 'm 't ''s '''", "O'Neill's",
    "rock'n'roll", "'twas", "x'sy", "JSON's HTTP'S", "l'été", "'ſt",
    # numbers of many scripts
    "1234567890 12 123 1234", "٠١٢٣٤٥٦٧٨٩ ۰۱۲۳ ०१२३४५ ০১২৩ ๐๑๒๓ ௧௨௩", "１２３４５ Ⅻ ⅷ ½ ¾ ² ³ ① ⑩",
    "3.14159 1,000,000 1e-9 -42 0x1F +7", "v1.2.3-rc4", "𝟎𝟏𝟐𝟑 𑁦𑁧",
    # emoji: ZWJ sequences, skin tones, flags, keycaps, variation selectors
    "👩‍👩‍👧‍👦 👍🏽 🧑🏿‍💻 🏳️‍🌈 🇯🇵🇫🇷 1️⃣ ❤️ ☺︎", "😀😃😄😁😆" * 20, "🤷🏻‍♀️🤷🏼‍♂️",
    # CJK and other scripts, with combining marks
    "東京は日本の首都です。今日はいい天気ですね！", "我爱自然语言处理。", "한국어 텍스트를 토큰화합니다.",
    "नमस्ते, आप कैसे हैं? क्षत्रिय", "தமிழ் மொழி", "ಕನ್ನಡ", "বাংলা ভাষা", "ਪੰਜਾਬੀ", "ગુજરાતી",
    "مرحبا بالعالم، كيف حالك؟", "שָׁלוֹם עוֹלָם", "Привет, мир! ЁЛКА ёлка", "Γειά σου Κόσμε ΣΊΣΥΦΟΣ",
    "ภาษาไทย", "ጤና ይስጥልኝ", "ᠮᠣᠩᠭᠣᠯ\u180eᠪᠢᠴᠢᠭ", "Ǆǅǆ ǈǉ ǋǌ ǲǳ", "ʰʲʷ ˢ ᵃᵇ", "e\u0301e\u0301\u0301 A\u030a",
    "\u0301\u0302x \u0903\u093f", "ß ẞ ﬁ ﬀ İı ǰ ŉ", "ÀÉÎÕÜ àéîõü",
    # case-aware o200k splits
    "HelloWorld JSONParser getHTTPResponse XMLHttpRequest iPhone McDonald's ALLCAPS camelCase",
    # code, URLs, markup
    "def f(x):\n    return x**2  # square\n\n\nclass A:\n\tpass\n",
    "for (int i = 0; i < n; ++i) { a[i] += b[i] >> 2; }\n// comment\n/* block */",
    "https://example.com/path/to/page?query=1&x=%20y#frag", "user@example.org", "C:\\Windows\\System32\\",
    "<script>alert(1)</script> <img src=x onerror=alert(1)>", "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
    "SELECT * FROM t WHERE a='b' AND c<>d;", "$ ls -la | grep '^d' && echo \"done\"\n", "a//b///c////",
    "!!!???...,,,;;;:::\n\n\n", "---\n***\n___\n", "(a)[b]{c}<d>", "\x00\x01\x02 nul\x00byte", "\ufffd\ufffe\uffff",
    # long runs of one character (one piece of thousands of bytes)
    "a" * 5000, " " * 3000, "\n" * 2000, "1" * 1000, "é" * 1500, "😀" * 500, "ab" * 2500, "!" * 2000,
    "A" * 3000 + "b" * 3000, "ー" * 2000, " \n" * 500,
    # special-token text (ordinary text here)
    "<|endoftext|> <|endofprompt|> <|fim_prefix|>",
]


def prose() -> list[str]:
    """Real prose and code: this repository's own Markdown and Python files."""
    files = sorted(REPO.glob("*.md")) + sorted((REPO / "src" / "fieldguide").rglob("*.py"))
    return [p.read_text(encoding="utf-8") for p in files[:40]]


def check(ours, ref, texts):
    for text in texts:
        want = ref.encode_ordinary(text)
        got = ours.encode_ordinary(text)
        assert got == want, f"{ours.name}: ids differ for {text[:80]!r}"
        assert ours.decode_bytes(got) == text.encode("utf-8"), "decode must give the text back"


# -- the tests --------------------------------------------------------------------------------

def test_targeted_cases(pair):
    ours, ref = pair
    check(ours, ref, TARGETED)


def test_real_prose_and_code(pair):
    ours, ref = pair
    check(ours, ref, prose())


def test_random_strings_across_all_categories(pair):
    ours, ref = pair
    check(ours, ref, random_strings(seed=1234, n=3000))


@pytest.mark.slow
def test_many_more_random_strings(pair):
    ours, ref = pair
    check(ours, ref, random_strings(seed=99, n=30000))


def test_every_code_point_in_context(pair):
    """Each assigned character of each category, between letters, digits, spaces and punctuation."""
    ours, ref = pair
    rng = random.Random(7)
    texts = []
    for cat, chars in sorted(CATS.items()):
        sample = chars if len(chars) < 400 else rng.sample(chars, 400)
        texts += [f"a{c}b {c}1 {c}{c}\n{c}'s" for c in sample]
    check(ours, ref, ["".join(texts[i:i + 50]) for i in range(0, len(texts), 50)])


def test_unassigned_code_points(pair):
    """Characters unassigned in this Python's Unicode tables: tiktoken must agree they are not letters."""
    ours, ref = pair
    rng = random.Random(11)
    unassigned = [c for c in map(chr, rng.sample(range(0x110000), 200_000))
                  if unicodedata.category(c) == "Cn"]
    texts = [f"a{c}b {c}1 x{c}" for c in unassigned[:3000]]
    check(ours, ref, ["".join(texts[i:i + 30]) for i in range(0, len(texts), 30)])


def test_lone_surrogates_and_nul_match_tiktoken(pair):
    ours, ref = pair
    for text in ["a\ud800b", "\udfff", "x\ud83d\ude00y", "\ud83d", "\x00", "a\x00\ud800\x00"]:
        assert ours.encode_ordinary(text) == ref.encode_ordinary(text)
        assert ours.encode(text) == ref.encode(text)


def test_special_tokens_like_tiktoken(pair):
    ours, ref = pair
    text = "hi <|endoftext|> there<|endofprompt|>"
    assert ours.encode(text, allowed_special="all") == ref.encode(text, allowed_special="all")
    assert ours.encode(text, disallowed_special=()) == ref.encode(text, disallowed_special=())
    one = {"<|endoftext|>"}
    assert ours.encode("a<|endoftext|>b", allowed_special=one) == ref.encode("a<|endoftext|>b", allowed_special=one)
    with pytest.raises(ValueError, match="disallowed special token"):
        ours.encode(text)
    with pytest.raises(ValueError):
        ours.encode(text, allowed_special=one)
    assert ours.special_tokens_set == ref.special_tokens_set
    assert ours.eot_token == ref.eot_token
    assert ours.n_vocab == ref.n_vocab and ours.max_token_value == ref.max_token_value


def test_decode_like_tiktoken(pair):
    ours, ref = pair
    ids = ref.encode("naïve 🧑🏽‍💻 東京")
    assert ours.decode(ids) == ref.decode(ids)
    assert [ours.decode_single_token_bytes(t) for t in ids] == [ref.decode_single_token_bytes(t) for t in ids]
    assert ours.decode(ids[:3]) == ref.decode(ids[:3])          # cut inside a character: U+FFFD
    with pytest.raises(KeyError):
        ours.decode_single_token_bytes(ours.n_vocab + 5)
    eot = ours.eot_token
    assert ours.decode([eot]) == ref.decode([eot])
