import math

import numpy as np
import pytest

from fieldguide import numerics, quant


def test_nf4_levels_are_normal_quantiles():
    assert len(quant.NF4) == 16
    assert np.allclose(quant.nf_levels(4), quant.NF4, atol=1e-6)
    assert quant.nf_levels(4)[7] == 0.0


def test_asymmetric_8bit_vector():
    s, z = quant.asymmetric_params(-3.2, 4.1, 8)
    assert s == pytest.approx(0.0286, abs=5e-5)
    assert z == 112
    r = quant.int_quantize(-3.2, 8, s, z, symmetric=False)
    assert r["code"] == 0 and abs(r["error"]) <= s / 2


def test_bpw_figures():
    assert quant.effective_bpw(4, 32) == 4.5                       # FP16 scale per 32 weights
    assert quant.effective_bpw(4, 64, scheme="nf") == 4.5          # NF4, FP32 absmax per 64
    assert quant.effective_bpw(4, 64, scheme="nf", double_quant=True) == pytest.approx(4.127, abs=5e-4)
    assert quant.effective_bpw(4, 128) == 4.125


def test_outliers_wreck_per_tensor_int8():
    # seed 0, 256x512 Gaussian (std 0.02), 0.1% of weights x20: per-tensor rel. output error ~0.11,
    # group-128 ~0.013 (recorded 2026-11-23)
    W, X = quant.synthetic(outlier_frac=0.001, outlier_mag=20, seed=0)
    e_t = quant.errors(W, quant.quantize(W, 8, "symmetric", "per-tensor")["W_hat"], X)
    e_g = quant.errors(W, quant.quantize(W, 8, "symmetric", "group", 128)["W_hat"], X)
    assert e_t["mse"] > 30 * e_g["mse"]
    assert e_t["rel_out"] > 5 * e_g["rel_out"]
    W0, _ = quant.synthetic(outlier_frac=0.0, seed=0)
    e0 = quant.errors(W0, quant.quantize(W0, 8, "symmetric", "per-tensor")["W_hat"])
    assert e_t["mse"] > 10 * e0["mse"]


def test_fewer_bits_more_error_and_groups_help():
    W, X = quant.synthetic(seed=1)
    errs = [quant.errors(W, quant.quantize(W, b, "symmetric", "group", 64)["W_hat"])["mse"] for b in (8, 6, 4, 3, 2)]
    assert errs == sorted(errs)
    for scheme in quant.SCHEMES:
        r = quant.quantize(W, 4, scheme, "group", 32)
        assert r["W_hat"].shape == W.shape
        assert len(np.unique(r["W_hat"][0, :32])) <= 16


def test_grid_contains_zero_and_groups_are_contiguous_in_a_row():
    W = np.arange(1, 9, dtype=float).reshape(2, 4)
    r = quant.quantize(W, 8, "symmetric", "group", 2)
    assert r["n_blocks"] == 4 and np.allclose(r["scales"], [2 / 127, 4 / 127, 6 / 127, 8 / 127])
    with pytest.raises(ValueError, match="group size"):
        quant.quantize(W, 4, "symmetric", "group", 3)


def test_awq_never_worse_than_plain_rounding():
    W, X = quant.synthetic(seed=3)
    plain = quant.errors(W, quant.quantize(W, 3, "symmetric", "group", 128)["W_hat"], X)["rel_out"]
    a = quant.awq_scale(W, X, 3, "symmetric", "group", 128)
    assert a["rel_out"] <= plain + 1e-12


def test_weights_gb_and_the_7b_erratum():
    assert quant.weights_gb(7e9, 4.0) == pytest.approx(3.5)
    assert quant.weights_gb(7e9, quant.effective_bpw(4, 32)) == pytest.approx(3.9375)
    assert quant.weights_gb(70e9, 16) == pytest.approx(140)


def test_float_formats_come_from_numerics():
    x = 0.18374921
    assert numerics.round_to(x, "fp16") == 0.1837158203125
    assert numerics.round_to(x, "bf16") == 0.18359375
    assert numerics.round_to(x, "e4m3") == 0.1875
    assert numerics.round_to(x, "e5m2") == 0.1875


def test_tinylm_perplexity_real_and_2bit_hurts():
    base = quant.perplexity()
    assert 1 < base < 2048
    q8 = quant.perplexity(("int", 8, "symmetric", "per-row", 128, False, False))
    q2 = quant.perplexity(("int", 2, "symmetric", "group", 32, False, False))
    assert abs(q8 - base) / base < 0.01
    assert q2 > q8
    assert isinstance(quant.completion(("int", 8, "symmetric", "per-row", 128, False, False)), str)


def test_chapter_claims_about_tinylm_bits():
    """The chapter says: 8 and 6 bits change almost nothing, 4 and 3 very little, 2 bits hurts."""
    base = quant.perplexity()
    ppl = {b: quant.perplexity(("int", b, "symmetric", "group", 128, False, False)) for b in (8, 6, 4, 3, 2)}
    assert abs(ppl[8] / base - 1) < 0.005 and abs(ppl[6] / base - 1) < 0.005
    assert abs(ppl[4] / base - 1) < 0.03 and abs(ppl[3] / base - 1) < 0.03
    assert ppl[2] / base - 1 > 0.1


def test_precisions_and_a100_40_erratum():
    from fieldguide import memory, models
    n = models.Architecture.preset("Llama-3.1-70B").n_params
    assert [round(quant.model_gb(n, p)) for p in ("fp16", "int8", "int4")] == [141, 71, 36]
    assert 28 < quant.model_gb(n, "q3") < 30
    cap = memory.gpu_capacity_bytes("A100 40GB") / 1e9
    assert quant.model_gb(n, "int4") < cap < quant.model_gb(n, "int4") / 0.8   # weights fit, 20% headroom does not
    assert quant.model_gb(n, "int4") == memory.weights_bytes("Llama-3.1-70B", "int4") / 1e9 or \
        abs(quant.model_gb(n, "int4") - memory.weights_bytes("Llama-3.1-70B", "int4") / 1e9) < 1e-6


def test_group_wider_than_row_is_the_row():
    W, _ = quant.tinylm_matrix("h0.attn.w_qkv")          # rows of 128 inputs
    a = quant.quantize(W, 4, "symmetric", "group", 256)
    b = quant.quantize(W, 4, "symmetric", "per-row")
    assert np.array_equal(a["W_hat"], b["W_hat"]) and a["block"] == 128
