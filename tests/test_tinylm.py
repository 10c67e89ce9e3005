"""tinylm's maths: shapes, causality, attention rows, gradients vs finite differences, KV cache."""

import numpy as np
import pytest

from fieldguide.tinylm import Config, KVCache, TinyLM, init_params
from fieldguide.tinylm import layers as L
from fieldguide.tinylm.optim import AdamW, cosine_lr

SMALL = Config(vocab_size=11, n_ctx=8, d_model=8, n_layer=2, n_head=2, d_ff=12)
TINY = Config(vocab_size=5, n_ctx=5, d_model=4, n_layer=2, n_head=2, d_ff=6)   # for gradient checks


def small_model(mlp=True, seed=0, jitter=0.3, base=SMALL, tied=True):
    cfg = Config(**{**base.to_dict(), "mlp": mlp, "tied": tied})
    p = init_params(cfg, seed, np.float64)
    rng = np.random.default_rng(seed + 1)
    for k in p:                       # move away from the init so every gradient is non-trivial
        p[k] = p[k] + rng.normal(0, jitter, p[k].shape)
    return TinyLM(cfg, p)


def test_shapes_and_param_count():
    m = small_model()
    logits, cache, attn = m.forward([1, 2, 3, 4, 5], return_attn=True)
    assert logits.shape == (5, 11)
    assert len(attn) == 2 and attn[0].shape == (2, 5, 5)
    assert len(cache) == 5 and cache.layers[0][0].shape == (1, 2, 5, 4)
    assert m.n_params() == SMALL.n_params()
    # 2048*128 tied embedding + 256*128 positions + 4 * 198,272 per block + final LayerNorm
    assert Config().n_params() == 262_144 + 32_768 + 4 * 198_272 + 256 == 1_088_256


def test_causality_later_tokens_never_change_earlier_logits():
    m = small_model()
    a, _, _ = m.forward([1, 2, 3, 4, 5, 6])
    b, _, _ = m.forward([1, 2, 3, 9, 0, 10])
    np.testing.assert_allclose(a[:3], b[:3], rtol=0, atol=1e-12)
    assert not np.allclose(a[3:], b[3:])


def test_attention_rows_sum_to_one_and_future_is_zero():
    _, _, attn = small_model().forward([3, 1, 4, 1, 5, 9, 2], return_attn=True)
    for a in attn:
        np.testing.assert_allclose(a.sum(-1), 1.0, atol=1e-12)
        assert np.all(a[:, np.triu_indices(7, 1)[0], np.triu_indices(7, 1)[1]] == 0)


@pytest.mark.parametrize("mlp,tied", [(True, True), (False, True), (False, False)])
def test_every_gradient_matches_finite_differences(mlp, tied):
    m = small_model(mlp, base=TINY, tied=tied)
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 5, (2, 5)), rng.integers(0, 5, (2, 5))
    _, grads = m.loss_and_grads(x, y)
    h = 1e-5
    for name, w in m.params.items():
        num = np.zeros_like(w)
        for i in range(w.size):
            old = w.flat[i]
            w.flat[i] = old + h
            up, _ = m.loss_and_grads(x, y)
            w.flat[i] = old - h
            down, _ = m.loss_and_grads(x, y)
            w.flat[i] = old
            num.flat[i] = (up - down) / (2 * h)
        assert np.abs(num).max() > 0, name
        np.testing.assert_allclose(grads[name], num, rtol=1e-5, atol=1e-8, err_msg=name)


def test_layer_gradients_gelu_layernorm():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5))
    dy = rng.normal(size=(3, 5))
    y, c = L.gelu_forward(x)
    h = 1e-6
    num = (L.gelu_forward(x + h)[0] - L.gelu_forward(x - h)[0]) / (2 * h)
    np.testing.assert_allclose(L.gelu_backward(dy, c), dy * num, rtol=1e-6)
    g, b = rng.normal(size=5), rng.normal(size=5)
    y, c = L.layernorm_forward(x, g, b)
    dx, _, _ = L.layernorm_backward(dy, c)
    num = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        num.flat[i] = ((L.layernorm_forward(x + e, g, b)[0] - L.layernorm_forward(x - e, g, b)[0]) * dy).sum() / (2 * h)
    np.testing.assert_allclose(dx, num, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("split", [1, 3, 6])
def test_kv_cache_equals_full_recomputation(split):
    m = small_model()
    ids = [5, 3, 8, 1, 0, 7, 2, 9]
    full, _, full_attn = m.forward(ids, return_attn=True)
    logits, cache, _ = m.forward(ids[:split])
    rows = [logits]
    for t in ids[split:]:
        step, cache, attn = m.forward([t], cache=cache, return_attn=True)
        rows.append(step)
    np.testing.assert_allclose(np.concatenate(rows), full, atol=1e-12)
    np.testing.assert_allclose(attn[0][:, 0], full_attn[0][:, -1], atol=1e-12)   # last row, S keys
    assert len(cache) == len(ids) and cache.nbytes() == 2 * 2 * len(ids) * 8 * 8


def test_context_and_vocab_limits_raise():
    m = small_model()
    with pytest.raises(ValueError, match="context"):
        m.forward(list(range(9)))
    with pytest.raises(ValueError, match="token ids"):
        m.forward([11])
    _, cache, _ = m.forward([1] * 8)
    with pytest.raises(ValueError, match="context"):
        m.forward([1], cache=cache)


def test_config_rejects_bad_shapes():
    with pytest.raises(ValueError, match="divisible"):
        Config(d_model=10, n_head=3)
    with pytest.raises(ValueError):
        Config(n_layer=0)


def test_training_reduces_loss_on_a_copy_task():
    cfg = Config(vocab_size=7, n_ctx=12, d_model=16, n_layer=1, n_head=2, d_ff=32)
    m = TinyLM(cfg, init_params(cfg, 0))
    opt = AdamW(m.params, lr=1e-2, weight_decay=0.0)
    x = np.tile(np.arange(6) % 7, (4, 2))[:, :11]
    y = np.roll(np.tile(np.arange(6), (4, 2)), -1, axis=1)[:, :11]
    first, _ = m.loss_and_grads(x, y)
    for _ in range(60):
        loss, g = m.loss_and_grads(x, y)
        opt.step(g)
    assert loss < 0.3 * first


def test_adamw_first_step_moves_each_weight_by_lr():
    p = {"w": np.ones((2, 2)), "b": np.zeros(2)}
    opt = AdamW(p, lr=0.1, weight_decay=0.0)
    opt.step({"w": np.full((2, 2), 5.0), "b": np.array([-1e-3, 2.0])})
    np.testing.assert_allclose(p["w"], 0.9, atol=1e-6)     # bias-corrected m/sqrt(v) = sign(g)
    np.testing.assert_allclose(p["b"], [0.1, -0.1], atol=1e-4)


def test_cosine_schedule():
    assert cosine_lr(0, 100, 1.0, 10) == pytest.approx(0.1)
    assert cosine_lr(10, 100, 1.0, 10) == pytest.approx(1.0)
    assert cosine_lr(100, 100, 1.0, 10) == pytest.approx(0.1)


def test_kvcache_copy_is_independent():
    c = KVCache([(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2)))])
    d = c.copy()
    d.layers[0][0][...] = 1
    assert c.layers[0][0].sum() == 0 and len(c) == 2


def test_training_is_reproducible_from_its_seed():
    from fieldguide.tinylm.train import random_windows, train
    tokens = np.random.default_rng(0).integers(0, 11, 500)

    def run(seed):
        m = TinyLM(SMALL, init_params(SMALL, seed))
        rng = np.random.default_rng(seed + 1)
        res = train(m, lambda s: random_windows(tokens, 4, 8, rng), 5, 1e-2, 2, log_every=5, log=lambda _: None)
        return m.params, res["curve"]["train_loss"]

    (a, la), (b, lb), (c, _) = run(3), run(3), run(4)
    assert la == lb and all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["wte"], c["wte"])


# --- the instrumented forward pass (`run`): what the interpretability demos stand on -------------

def _run_model():
    return TinyLM(SMALL, init_params(SMALL, 5))


def test_run_matches_forward_and_the_residual_stream_adds_up():
    m, ids = _run_model(), [1, 4, 2, 7, 3]
    r = m.run(ids)
    logits, _, attn = m.forward(ids, return_attn=True)
    np.testing.assert_allclose(r["logits"], logits, rtol=1e-6, atol=1e-6)
    for a, b in zip(r["attn"], attn):
        np.testing.assert_array_equal(a, b)
    # the stream is the embedding plus what every sublayer added, and the logits read its end
    total = r["resid"][0] + sum(r["attn_out"]) + sum(o for o in r["mlp_out"] if o is not None)
    np.testing.assert_allclose(r["resid"][-1], total, rtol=1e-5, atol=1e-6)
    for i in range(SMALL.n_layer):
        np.testing.assert_allclose(r["resid_mid"][i], r["resid"][i] + r["attn_out"][i], atol=1e-6)
    w_u = m.params["wte"].T if SMALL.tied else m.params["w_unembed"]
    np.testing.assert_allclose(r["final"] @ w_u, r["logits"], rtol=1e-5, atol=1e-5)
    assert len(r["resid"]) == SMALL.n_layer + 1
    assert r["heads"][0].shape == (SMALL.n_head, len(ids), SMALL.head_dim)


def test_ablation_patching_and_skipping():
    m, ids = _run_model(), [1, 4, 2, 7, 3]
    clean = m.run(ids)
    zero = m.run(ids, ablate=[(1, 0)])
    assert np.all(zero["heads"][1][0] == 0)
    assert not np.allclose(zero["logits"], clean["logits"])
    np.testing.assert_array_equal(zero["resid"][1], clean["resid"][1])      # earlier layers untouched
    # patching a head with zeros is zero-ablation; patching it with its own output changes nothing
    patched = m.run(ids, patch={(1, 0): np.zeros((len(ids), SMALL.head_dim))})
    np.testing.assert_allclose(patched["logits"], zero["logits"], atol=1e-6)
    same = m.run(ids, patch={(1, 0): clean["heads"][1][0]})
    np.testing.assert_allclose(same["logits"], clean["logits"], atol=1e-6)
    # a skipped block passes the stream through untouched
    sk = m.run(ids, skip=[0])
    np.testing.assert_array_equal(sk["resid"][1], sk["resid"][0])
    assert sk["attn"][0] is None and sk["heads"][0] is None
    assert not np.allclose(sk["logits"], clean["logits"])
    for bad in ({"ablate": [(9, 0)]}, {"ablate": [(0, 9)]}, {"skip": [9]},
                {"patch": {(0, 0): np.zeros((2, 2))}}):
        with pytest.raises(ValueError):
            m.run(ids, **bad)


def test_forward_stays_float32():
    """NumPy 2 keeps a float64 *numpy* scalar strong: one np.sqrt constant in GELU or the score
    scale silently turned the whole forward (and training) into float64. Python floats do not."""
    m = TinyLM(SMALL, init_params(SMALL, 1))
    logits, _, attn = m.forward([1, 2, 3], return_attn=True)
    assert logits.dtype == np.float32 and attn[0].dtype == np.float32
    assert all(r.dtype == np.float32 for r in m.run([1, 2, 3])["resid"])


def test_browser_matmul_path_agrees_with_blas(monkeypatch):
    """Pyodide's numpy has no BLAS, so the browser multiplies with einsum: same numbers."""
    m = TinyLM(SMALL, init_params(SMALL, 2))
    ids = [1, 4, 2, 7, 3, 9]
    ref = m.forward(ids)[0]
    monkeypatch.setattr(L, "matmul", L._matmul_einsum)
    np.testing.assert_allclose(m.forward(ids)[0], ref, rtol=1e-5, atol=1e-6)
