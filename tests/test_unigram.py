"""Unigram LM tokenization: the book map's UNICORN vectors, Viterbi vs brute force, EM training."""

import itertools
import math

import pytest

from fieldguide import unigram


def brute_force_best(word, probs):
    """Try every way to cut the word (2^(n-1) of them) and keep the most probable."""
    best = (None, -math.inf)
    for cuts in itertools.product([0, 1], repeat=len(word) - 1):
        pieces, start = [], 0
        for i, c in enumerate(cuts, 1):
            if c:
                pieces.append(word[start:i])
                start = i
        pieces.append(word[start:])
        if all(p in probs for p in pieces):
            lp = sum(math.log(probs[p]) for p in pieces)
            if lp > best[1]:
                best = (pieces, lp)
    return best


def test_unicorn_products_from_the_book_map():
    p = unigram.TOY_PROBS
    assert unigram.path_probability(["UN", "I", "C", "O", "R", "N"], p) == pytest.approx(9.6e-11)
    assert unigram.path_probability(["UNI", "C", "O", "R", "N"], p) == pytest.approx(2.4e-9)
    assert unigram.path_probability(["UNIC", "O", "R", "N"], p) == pytest.approx(2.0e-8)


def test_viterbi_picks_unic_o_r_n():
    pieces, lp = unigram.viterbi("UNICORN", unigram.TOY_PROBS)
    assert pieces == ["UNIC", "O", "R", "N"]
    assert math.exp(lp) == pytest.approx(2.0e-8)


def test_k_best_lists_paths_in_order():
    paths = unigram.k_best("UNICORN", unigram.TOY_PROBS, k=3)
    assert [p for p, _ in paths] == [["UNIC", "O", "R", "N"], ["UNI", "C", "O", "R", "N"],
                                     ["UN", "I", "C", "O", "R", "N"]]
    assert [lp for _, lp in paths] == sorted([lp for _, lp in paths], reverse=True)


@pytest.mark.parametrize("word", ["lowest", "slower", "lowlowest", "newest", "wollo"])
def test_viterbi_equals_brute_force(word):
    probs = {"l": .05, "o": .05, "w": .05, "e": .05, "s": .05, "t": .05, "r": .05, "n": .05,
             "lo": .1, "low": .1, "est": .08, "er": .07, "we": .03, "ow": .04, "lowe": .02}
    pieces, lp = unigram.viterbi(word, probs)
    want, want_lp = brute_force_best(word, probs)
    assert lp == pytest.approx(want_lp)
    assert "".join(pieces) == word


def test_unknown_characters_get_unk_arcs_and_still_segment():
    pieces, lp = unigram.viterbi("U🙂N", unigram.TOY_PROBS)
    assert "".join(pieces) == "U🙂N"
    unk = [a for a in unigram.lattice("U🙂N", unigram.TOY_PROBS) if a[4]]
    assert {a[2] for a in unk} == {"U", "🙂"}
    assert lp < math.log(min(unigram.TOY_PROBS.values())) * 2


def test_count_paths_and_empty_word():
    assert unigram.count_paths("UNICORN", unigram.TOY_PROBS) == 4  # three real paths + U,N,...
    assert unigram.viterbi("", unigram.TOY_PROBS) == ([], 0.0)


def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match="at most"):
        unigram.viterbi("x" * 1000, unigram.TOY_PROBS)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        unigram.viterbi("a", {"a": 0.0})


def test_training_learns_whole_words_and_increases_likelihood():
    learned = unigram.train(unigram.TOY_CORPUS, 12)
    assert len(learned) <= 12
    assert {"low", "lower", "lowest"} <= set(learned)
    assert set("lowerst") <= set(learned)  # characters are never pruned
    chars_only = {c: 1 / 7 for c in "lowerst"}
    assert unigram.corpus_loglik(unigram.TOY_CORPUS, learned) > \
        unigram.corpus_loglik(unigram.TOY_CORPUS, chars_only)
    assert unigram.viterbi("lowest", learned)[0] == ["lowest"]
    assert unigram.viterbi("slowest", learned)[0] == ["s", "lowest"]
