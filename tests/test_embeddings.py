"""Embedding lookup, cosine geometry, PPMI + SVD, and the shipped co-occurrence model."""

import numpy as np
import pytest

from fieldguide import embeddings as emb


def test_lookup_is_one_hot_times_matrix():
    rng = np.random.default_rng(0)
    E = rng.standard_normal((50, 8))
    ids = [3, 0, 49, 3]
    assert np.allclose(emb.one_hot(ids, 50) @ E, emb.lookup(E, ids))
    assert np.array_equal(emb.lookup(E, [17])[0], E[17])  # id 17 picks row 17
    with pytest.raises(ValueError):
        emb.lookup(E, [50])


def test_cosine_nearest_and_exclusion():
    E = np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, 0]], dtype=float)
    assert emb.cosine(E, [1, 0])[3] == pytest.approx(-1)
    assert [i for i, _ in emb.nearest(E, E[0], 2, exclude=(0,))] == [1, 2]
    assert emb.cosine(E, [0, 0]).tolist() == [0, 0, 0, 0]


def test_analogy_recovers_a_planted_parallelogram():
    rng = np.random.default_rng(1)
    E = rng.standard_normal((40, 16))
    gender = rng.standard_normal(16) * 2
    E[1] = E[0] + gender          # man -> woman
    E[3] = E[2] + gender          # king -> queen
    # king - man + woman = queen
    assert emb.analogy(E, 2, 0, 1, 1)[0][0] == 3


def test_ppmi_hand_example():
    C = np.array([[0, 2, 0], [2, 0, 1], [0, 1, 0]], dtype=float)
    M = emb.ppmi(C, alpha=1.0)
    total = C.sum()
    p01 = 2 / total
    pw0 = C[0].sum() / total
    pc1 = C[:, 1].sum() / total
    assert M[0, 1] == pytest.approx(np.log(p01 / (pw0 * pc1)))
    assert (M >= 0).all() and M[0, 0] == 0


def test_ppmi_svd_full_rank_reconstructs_and_orders_singular_values():
    rng = np.random.default_rng(2)
    C = rng.integers(0, 20, (12, 12)).astype(float)
    C = C + C.T
    vec, s = emb.ppmi_svd(C, 5)
    assert vec.shape == (12, 5)
    assert np.all(np.diff(s) <= 1e-12)
    with pytest.raises(ValueError):
        emb.ppmi_svd(C, 0)


def test_cooccurrence_window_and_documents():
    docs = [[0, 1, 2], [2, 0]]
    C = emb.cooccurrence(docs, 3, window=1)
    assert C[0, 1] == 1 and C[1, 2] == 1 and C[0, 2] == 1  # (2,0) in the second doc
    assert np.array_equal(C, C.T)
    C2 = emb.cooccurrence([[0, -1, 1]], 2, window=1)  # out-of-vocabulary keeps its place
    assert C2.sum() == 0


def test_pca2_shapes_and_variance():
    X = np.array([[0, 0, 0], [1, 0, 0], [2, 0.1, 0], [3, 0, 0.1]])
    xy, share = emb.pca2(X)
    assert xy.shape == (4, 2) and share[0] > 0.99


def test_shipped_cooccurrence_model_is_sane():
    m = emb.load_cooc()
    V, D = m["meta"]["shape"]
    assert m["vectors"].shape == (V, D) and len(m["words"]) == V
    assert m["meta"]["script"] == "scripts/build_cooccurrence.py"
    assert m["meta"]["corpus"]["file_list"]
    idx = m["index"]
    E = emb.cooc_vectors(100)
    near = [m["words"][i] for i, _ in emb.nearest(E, E[idx["thread"]], 10, exclude=(idx["thread"],))]
    assert "threads" in near
    assert "queen" not in idx  # the classic analogy cannot even be asked of this corpus


def test_analogy_accuracy_is_reported_not_assumed():
    acc = emb.cooc_analogy_accuracy(100)
    assert 0.1 < acc < 0.9  # measured, imperfect: a 0.5M-word corpus is not word2vec's 6B
    assert emb.cooc_analogy_accuracy(100, k=5) >= acc
    assert emb.cooc_analogy_accuracy(2) < acc


@pytest.mark.parametrize("dims", [2, 50, 100, 300])
def test_precomputed_accuracy_matches_live_computation(dims):
    for k in (1, 5):
        assert emb.cooc_analogy_accuracy(dims, k) == pytest.approx(
            emb.cooc_analogy_scores(dims, k)["all"], abs=1e-6)


def test_pca2_matches_svd_projection_up_to_sign():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 10)) * np.arange(1, 11)
    xy, share = emb.pca2(X)
    Xc = X - X.mean(0)
    _, s, vt = np.linalg.svd(Xc, full_matrices=False)
    ref = Xc @ vt[:2].T
    assert np.allclose(np.abs(xy), np.abs(ref), atol=1e-8)
    assert share == pytest.approx(s[:2] ** 2 / (s ** 2).sum())
