"""fieldguide.tokenizer: the book map's test values, the trainer, the API and bad input.

(Exactness against tiktoken on a broad corpus lives in test_tokenizer_exact.py.)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from fieldguide import data
from fieldguide.tokenizer import (apply_merges, fertility, get_encoding, load_tiktoken_ranks,
                                  monthly_cost, save_tiktoken_ranks, split, stats, train_bpe)
from fieldguide.tokenizer.bpe import _merge, _merge_heap, byte_pair_encode
from fieldguide.tokenizer.encoding import Encoding
from fieldguide.tokenizer.pretokenize import WHITE_SPACE

O, C = get_encoding("o200k_base"), get_encoding("cl100k_base")
DEMOS = Path(__file__).resolve().parents[1] / "demos"


# -- the book map's act-1/reading test values (o200k / cl100k) ---------------------------------

@pytest.mark.parametrize("text, n_o, n_c", [
    ("Hello, world!", 4, 4), ("restablecer", 3, 3), ("Das Wetter ist heute wunderbar", 5, 8),
    ("こんにちは", 1, 1), ("strawberry", 3, 3), (" strawberry", 1, 1),
    ("¿Dónde está la estación de tren más cercana?", 10, 14), ("Respond only with valid JSON", 5, 5),
])
def test_book_map_counts(text, n_o, n_c):
    assert (len(O.encode_ordinary(text)), len(C.encode_ordinary(text))) == (n_o, n_c)


def pieces(enc, text):
    return [enc.decode_single_token_bytes(t).decode() for t in enc.encode_ordinary(text)]


def test_book_map_pieces_and_ids():
    assert pieces(O, "restablecer") == ["rest", "able", "cer"] == pieces(C, "restablecer")
    assert pieces(O, "strawberry") == ["st", "raw", "berry"]
    assert pieces(C, "strawberry") == ["str", "aw", "berry"]
    assert O.encode_ordinary(" Hello") == [32949] and O.encode_ordinary(" hello") == [40617]
    assert C.encode_ordinary(" Hello") == [22691] and C.encode_ordinary(" hello") == [24748]
    s = "¿Dónde está la estación de tren más cercana?"
    assert (len(s), len(s.encode())) == (44, 49)


def test_book_map_vocabulary_sizes():
    assert (O.n_vocab, O.n_ranks) == (200_019, 199_998)
    assert (C.n_vocab, C.n_ranks) == (100_277, 100_256)


def test_errata_password_question_is_8_or_9_tokens():
    """The feed's 41-byte Spanish password-reset question cannot be 103 tokens: it is 8 / 9."""
    q = "¿Cómo puedo restablecer mi contraseña?"
    assert (len(q), len(q.encode())) == (38, 41)
    assert (len(O.encode_ordinary(q)), len(C.encode_ordinary(q))) == (8, 9)


def test_never_more_tokens_than_bytes():
    for text in ["🧑🏽‍💻" * 30, "नमस्ते", "\x00\x01\x02", "ab" * 100]:
        for enc in (O, C):
            assert len(enc.encode_ordinary(text)) <= len(text.encode())


# -- pre-tokenizer semantics -------------------------------------------------------------------

def test_white_space_is_the_unicode_property_not_isspace():
    assert len(WHITE_SPACE) == 25
    assert all(c.isspace() for c in WHITE_SPACE)
    assert not any(c in WHITE_SPACE for c in "\x1c\x1d\x1e\x1f\u180e\u200b")   # isspace() says yes to 1C-1F
    assert "\x1c".isspace()
    assert split("a\x1cb", "cl100k_base") == ["a", "\x1cb"]      # a separator is punctuation-like, not space


def test_o200k_splits_by_case_and_cl100k_does_not():
    # an upper-case run may lead a lower-case run, but a lower-case run ends at the next capital
    assert split("JSONParser getHTTPResponse camelCaseName", "o200k_base") == \
        ["JSONParser", " get", "HTTPResponse", " camel", "Case", "Name"]
    assert split("HelloWorld", "o200k_base") == ["Hello", "World"]
    assert split("HelloWorld", "cl100k_base") == ["HelloWorld"]


def test_contractions_in_any_case_and_digit_groups():
    assert split("I'M HE's", "cl100k_base") == ["I", "'M", " HE", "'s"]
    assert split("I'M HE's", "o200k_base") == ["I'M", " HE's"]
    assert split("x'ſ", "cl100k_base") == ["x", "'ſ"]                # Unicode case folding: ſ ~ s
    assert split("1234567", "o200k_base") == ["123", "456", "7"]
    assert split("١٢٣٤", "o200k_base") == ["١٢٣", "٤"]               # Arabic-Indic digits are \p{N}


def test_whitespace_rules():
    assert split("a  b", "o200k_base") == ["a", " ", " b"]           # \s+(?!\S) leaves one space for " b"
    assert split("x  \n\n  ", "cl100k_base") == ["x", "  \n\n  "]    # \s++$ at the end of the text
    assert split("x  \n\n  y", "cl100k_base") == ["x", "  \n\n", " ", " y"]
    assert split("!!\n\nx", "cl100k_base") == ["!!\n\n", "x"]       # punctuation keeps trailing newlines
    assert split("a/b//\nc", "o200k_base") == ["a", "/b", "//\n", "c"]


def test_split_round_trips():
    for text in ["", "  x  ", "a\r\n\r\nb", "🧑🏽‍💻 e\u0301"]:
        for name in ("o200k_base", "cl100k_base"):
            assert "".join(split(text, name)) == text


# -- BPE ---------------------------------------------------------------------------------------

def test_leftmost_lowest_rank_wins_ties():
    ranks = {b"a": 0, b"b": 1, b"aa": 2, b"aaa": 3}
    assert byte_pair_encode(b"aaa", {**ranks, b"aaa": 9}) == [9]
    assert _merge(b"aaaa", {b"a": 0, b"aa": 1}) == [0, 2, 4]
    assert _merge(b"aaa", {b"a": 0, b"aa": 1}) == [0, 2, 3]          # leftmost pair merges first


def test_long_pieces_use_the_heap_and_agree():
    for piece in [b"a" * 300, b"ab" * 200, ("é" * 100).encode()]:
        assert _merge(piece, O._ranks) == _merge_heap(piece, O._ranks)
    t = time.perf_counter()
    assert O.decode(O.encode_ordinary("a" * 100_000)) == "a" * 100_000
    assert time.perf_counter() - t < 5


# -- API -----------------------------------------------------------------------------------------

def test_encodings_are_cached_and_specials_follow_tiktoken():
    assert get_encoding("o200k_base") is O
    assert O.eot_token == 199999 and C.eot_token == 100257
    with pytest.raises(ValueError):
        O.encode("hi <|endoftext|>")
    assert O.encode("hi <|endoftext|>", allowed_special="all")[-1] == 199999
    assert O.encode("hi <|endoftext|>", disallowed_special=()) == O.encode_ordinary("hi <|endoftext|>")
    with pytest.raises(ValueError, match="Unknown encoding"):
        get_encoding("p50k_base")


def test_decode_and_bad_ids():
    ids = O.encode_ordinary("東京")
    assert O.decode(ids) == "東京"
    with pytest.raises(KeyError):
        C.decode([100256])              # an unused id between the ranks and the specials
    with pytest.raises(KeyError):
        O.decode([-1])
    with pytest.raises(KeyError):
        O.decode([13, O.n_vocab])
    assert Encoding("bytes", {bytes([b]): b for b in range(256)}, "cl100k_base", {}).encode_ordinary("hi") == [104, 105]


def test_lone_surrogates_and_nul_do_not_crash():
    assert O.decode(O.encode_ordinary("a\ud800b")) == "a\ufffdb"
    assert O.decode(O.encode_ordinary("\x00")) == "\x00"
    assert O.encode_pieces("x\ud800") == [("x", O.encode_ordinary("x")), ("\ufffd", O.encode_ordinary("\ufffd"))]


def test_cache_makes_re_tokenizing_cheap():
    text = " ".join(f"word{i} and more prose here" for i in range(3000))
    O.encode_ordinary(text)
    n = len(O._cache)
    O.encode_ordinary(text + " one new piece")
    assert len(O._cache) - n <= 3


def test_stats_and_fertility():
    s = stats("Hello, world!", O)
    assert (s["chars"], s["bytes"], s["tokens"], s["words"]) == (13, 13, 4, 2) and s["roundtrip"]
    s = stats("🍓", O)
    assert s["bytes"] == 4 and s["tokens"] >= 1
    rows = fertility({"English": "Good morning", "Hindi": "सुप्रभात"}, C)
    assert rows[0]["multiplier"] == 1.0 and rows[1]["multiplier"] > 1
    assert monthly_cost(200, 1e5, 3.0, 2.0) == pytest.approx(120.0)


def test_rank_files_load_fast_and_round_trip(tmp_path):
    t = time.perf_counter()
    ranks = load_tiktoken_ranks(data.asset("o200k_base.tiktoken"))
    assert len(ranks) == 199_998
    assert time.perf_counter() - t < 3      # generous here; bench/ measures it properly
    small = {bytes([b]): b for b in range(256)} | {b"ab": 256}
    save_tiktoken_ranks(small, tmp_path / "x.tiktoken")
    assert load_tiktoken_ranks(tmp_path / "x.tiktoken") == small


# -- the trainer -----------------------------------------------------------------------------------

LOW = {"low": 8, "lower": 1, "lowest": 7}


@pytest.mark.parametrize("tie_break", ["first", "lexical"])
def test_low_lower_lowest_merge_counts(tie_break):
    bpe = train_bpe(LOW, 6, tie_break=tie_break)
    assert [a + b for a, b in bpe.merges] == [b"lo", b"low", b"lowe", b"lowes", b"lowest", b"lower"]
    assert [s.count for s in bpe.steps] == [16, 16, 8, 7, 7, 1]
    assert [s.tied for s in bpe.steps] == [2, 1, 1, 2, 1, 1]         # (l,o)~(o,w); (lowe,s)~(s,t)
    assert bpe.vocab_size == 262 and bpe.steps[-1].tokens == 16


def test_tie_rules_differ_when_it_matters():
    assert train_bpe({"ba": 1, "dc": 1}, 1, tie_break="first").merges == [(b"b", b"a")]
    assert train_bpe({"ba": 1, "dc": 1}, 1, tie_break="lexical").merges == [(b"b", b"a")]
    assert train_bpe({"dc": 1, "ba": 1}, 1, tie_break="first").merges == [(b"d", b"c")]
    assert train_bpe({"dc": 1, "ba": 1}, 1, tie_break="lexical").merges == [(b"b", b"a")]


def test_wordpiece_score_prefers_rare_parts():
    bpe = train_bpe(LOW, 1, "wordpiece", trace=True)
    step = bpe.steps[0]
    # count(s t) = 7, count(s) = 7, count(t) = 7: 7/49 beats (l,o): 16/(16*16)
    assert step.pair == (b"s", b"t") and step.score == pytest.approx(1 / 7)


def test_pretokenize_off_lets_merges_cross_spaces():
    merged = {a + b for a, b in train_bpe(LOW, 10, pretokenize=False).merges}
    assert any(b" " in m for m in merged)
    # with pre-tokenization a space can only lead a token (" low"), never follow a letter
    assert all(b" " not in m[1:] for m in {a + b for a, b in train_bpe("low low lower", 10).merges})


def test_trained_ranks_encode_their_corpus_like_training():
    text = (DEMOS / "bpe_trainer.py").read_text() + (DEMOS / "tokenizer.py").read_text()
    bpe = train_bpe(text, vocab_size=512)
    assert bpe.vocab_size == 512
    enc = Encoding("toy", bpe.ranks, "o200k_base", {"<|endoftext|>": 512})
    assert enc.decode(enc.encode_ordinary(text)) == text
    for w in bpe.words[:200]:
        assert enc.encode_ordinary(w.decode()) == [bpe.ranks[t] for t in apply_merges(w, bpe.merges)]


def test_trainer_rejects_bad_arguments():
    for kw in ({"vocab_size": 10}, {"rule": "magic", "n_merges": 1}, {"tie_break": "random", "n_merges": 1}, {}):
        with pytest.raises(ValueError):
            train_bpe("abc", **kw)


# -- the demos' own promises -------------------------------------------------------------------

def load_demo(name):
    sys.path.insert(0, str(DEMOS))
    try:
        return __import__(name)
    finally:
        sys.path.pop(0)


def test_tokenizer_demo_refuses_a_huge_paste_plainly():
    from fieldguide import demo as runner
    mod = load_demo("tokenizer")
    with pytest.raises(ValueError, match="at most"):
        runner.call(mod, {"text": "x" * 1_000_000})
    out = runner.call(mod, {"text": "<script>alert(1)</script> <img src=x onerror=alert(1)>"})
    chips = next(b for b in out if b["kind"] == "tokens")["tokens"]
    assert "".join(c["text"] for c in chips).replace("·", " ") == "<script>alert(1)</script> <img src=x onerror=alert(1)>"


def test_tokenizer_demo_counts_a_known_example():
    from fieldguide import demo as runner
    mod = load_demo("tokenizer")
    out = runner.call(mod, {"text": "strawberry", "compare": True})
    vals = {i["label"]: i["value"] for i in out[0]["items"]}
    assert vals["Tokens"] == "3" and vals["UTF-8 bytes"] == "10"


def test_a_trained_vocabulary_loads_as_tinylm_bpe(tmp_path, monkeypatch):
    """The tiny model's tokenizer: train_bpe -> save -> get_encoding("tinylm-bpe")."""
    from fieldguide.tokenizer import encoding
    text = (DEMOS / "bpe_trainer.py").read_text()
    bpe = train_bpe(text, vocab_size=300)
    (tmp_path / "tinylm").mkdir()
    bpe.save(tmp_path / "tinylm" / "tokenizer.tiktoken")
    monkeypatch.setenv("FIELDGUIDE_DATA", str(tmp_path))
    monkeypatch.delitem(encoding._LOADED, "tinylm-bpe", raising=False)
    enc = get_encoding("tinylm-bpe")
    try:
        assert (enc.n_ranks, enc.eot_token, enc.n_vocab) == (300, 300, 301)
        assert enc.decode(enc.encode("hi<|endoftext|>", allowed_special="all")) == "hi<|endoftext|>"
        assert "tinylm-bpe" in encoding.list_encoding_names()
    finally:
        encoding._LOADED.pop("tinylm-bpe", None)
