"""The attention grid shows an induction head a reader can point at: on a repeated sentence, the
induction model's best layer-1 head sends each token of the second copy to the token that followed
its first copy, and the demo's own table says so."""

import numpy as np

from fieldguide import interp, tinylm
from fieldguide_site import demos

attention_grid = demos.load("attention_grid")


def _best_induction_head():
    s = interp.induction_score(tinylm.load("induction"), n=30, trials=4, seed=99)
    layer, head = np.unravel_index(int(np.argmax(s)), s.shape)
    return int(layer), int(head)


def test_repeated_sentence_lights_up_the_token_after_the_earlier_copy():
    layer, head = _best_induction_head()
    assert layer == 1
    sentence = attention_grid.DEFAULT_SENTENCE
    n = len(tinylm.encode(sentence))
    hits = 0
    for k in range(1, n - 1):
        blocks = attention_grid.render(sentence=sentence, source="induction", layer=layer, head=head,
                                       query=n + k, repeat=True)
        bars = [b for b in blocks if b["kind"] == "plotly"][1]["figure"]["data"][0]["y"]
        hits += int(np.argmax(bars) == k + 1)
    assert hits >= 0.8 * (n - 2), (hits, n)


def test_the_demo_table_scores_that_head_as_induction():
    layer, head = _best_induction_head()
    blocks = attention_grid.render(source="induction", layer=layer, head=head, repeat=True)
    table = next(b for b in blocks if b["kind"] == "table")
    col = table["columns"].index("induction (+1)")
    row = next(r for r in table["rows"] if r[0] == layer and r[1] == head)
    assert row[col] > 0.7
    assert row[table["columns"].index("strongest look-back")].startswith("+1:")
