"""Numbers the act-3/chinchilla chapter states, recomputed from fieldguide.scaling."""

import math

import pytest

from fieldguide import scaling, units


def test_units():
    assert units.SECONDS_PER_YEAR == pytest.approx(3.15576e7)
    assert units.GIB == 2**30 and units.GB == 1e9
    assert units.gb_to_gib(80) == pytest.approx(74.506, abs=1e-3)
    assert units.gib_to_gb(units.gb_to_gib(80)) == pytest.approx(80)


def test_six_nd():
    assert scaling.train_flops(70e9, 1.4e12) == pytest.approx(5.88e23)
    assert scaling.train_flops(405e9, 15.6e12) == pytest.approx(3.79e25, rel=1e-3)
    # forward 2ND + backward 4ND
    assert scaling.train_flops(1e9, 1e9) == pytest.approx(3 * scaling.inference_flops(1e9, 1e9))
    assert scaling.lifetime_flops(1e9, 2e10, 1e11) == pytest.approx(6 * 1e9 * 2e10 + 2 * 1e9 * 1e11)


def test_gpu_year():
    # one H100 SXM at dense BF16 peak (989.4 TFLOP/s) for 365.25 days
    assert scaling.peak_flops("H100 SXM") == pytest.approx(989.4e12)
    assert scaling.gpu_year_flops("H100 SXM") == pytest.approx(3.12e22, rel=2e-3)
    assert scaling.gpu_years(scaling.gpu_year_flops("H100 SXM"), "H100 SXM", 1.0) == pytest.approx(1.0)


def test_llama3_405b_gpu_hours():
    c = scaling.train_flops(405e9, 15.6e12)
    assert scaling.gpu_hours(c, "H100 SXM", 0.4) == pytest.approx(26.6e6, rel=2e-3)


def test_time_and_money_are_consistent():
    c = 1e24
    h = scaling.gpu_hours(c, "A100 80GB", 0.5)
    assert h == pytest.approx(c / (312e12 * 0.5) / 3600)
    assert scaling.wall_clock_days(c, "A100 80GB", 0.5, 1000) == pytest.approx(h / 1000 / 24)
    assert scaling.training_cost_usd(c, "A100 80GB", 0.5, 1.5) == pytest.approx(1.5 * h)
    # a faster GPU or a higher MFU needs fewer hours
    assert scaling.gpu_hours(c, "B200", 0.5) < scaling.gpu_hours(c, "H100 SXM", 0.5) < h
    assert scaling.gpu_hours(c, "H100 SXM", 0.6) < scaling.gpu_hours(c, "H100 SXM", 0.3)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "abc", None])
def test_bad_sizes_are_refused(bad):
    with pytest.raises(ValueError):
        scaling.train_flops(bad, 1e12)
    with pytest.raises(ValueError):
        scaling.gpu_hours(bad, "H100 SXM", 0.4)


@pytest.mark.parametrize("mfu", [0, -0.1, 1.01, float("nan")])
def test_mfu_outside_unit_interval_is_refused(mfu):
    with pytest.raises(ValueError, match="MFU"):
        scaling.gpu_hours(1e24, "H100 SXM", mfu)


def test_unknown_gpu_and_bad_counts():
    with pytest.raises(ValueError, match="unknown GPU"):
        scaling.gpu_hours(1e24, "TPU v9", 0.4)
    with pytest.raises(ValueError):
        scaling.wall_clock_days(1e24, "H100 SXM", 0.4, 0)
    with pytest.raises(ValueError):
        scaling.training_cost_usd(1e24, "H100 SXM", 0.4, -2)


def test_training_runs_table():
    runs = {r["name"]: r for r in scaling.training_runs()}
    for r in runs.values():
        assert r["source"] and r["as_of"] and r["kind"]
    tpp = {k: scaling.tokens_per_param(r["n_params"], r["n_tokens"]) for k, r in runs.items()}
    assert tpp["Chinchilla 70B"] == pytest.approx(20)
    assert tpp["Llama 3 8B"] == pytest.approx(1875)
    assert tpp["Llama 3 70B"] == pytest.approx(214.3, abs=0.1)
    assert tpp["Qwen3-0.6B"] == pytest.approx(60000)
    assert tpp["Llama 1 65B"] == pytest.approx(21.5, abs=0.05)       # not 22
    assert tpp["GPT-3 175B"] == pytest.approx(1.71, abs=0.01)
    # Chinchilla and Gopher had matched training budgets (5.9e23 vs 5.0e23), not a smaller one
    ch = scaling.train_flops(70e9, 1.4e12)
    go = scaling.train_flops(280e9, 300e9)
    assert go == pytest.approx(5.04e23) and 1 < ch / go < 1.2
    r405 = runs["Llama 3 405B"]
    assert scaling.train_flops(r405["n_params"], r405["n_tokens"]) == pytest.approx(
        r405["reported_flops"], rel=0.01)


# --- splitting a budget ------------------------------------------------------------------------

def test_chinchilla_rule_at_gophers_budget():
    n, d = scaling.chinchilla_opt(5.76e23)
    assert n == pytest.approx(69.3e9, rel=1e-3) and d == pytest.approx(1.39e12, abs=0.005e12)
    assert d / n == pytest.approx(20) and scaling.train_flops(n, d) == pytest.approx(5.76e23)


def test_doubling_compute_grows_n_and_d_by_root_two():
    for rule in scaling.RULES:
        n1, d1 = scaling.chinchilla_opt(1e23, rule)
        n2, d2 = scaling.chinchilla_opt(2e23, rule)
        assert n2 * d2 == pytest.approx(2 * n1 * d1)
        if rule == "20-tokens":
            assert n2 / n1 == pytest.approx(math.sqrt(2)) and d2 / d1 == pytest.approx(math.sqrt(2))
        else:  # the fits share the growth between N and D by their exponents, near √2 each
            assert 1.3 < n2 / n1 < 1.6 and 1.3 < d2 / d1 < 1.6


def test_rounded_hoffmann_constants_mislead():
    n, d = scaling.chinchilla_opt(5.76e23, "hoffmann")
    assert n == pytest.approx(32.2e9, rel=5e-3) and d / n == pytest.approx(92.6, rel=5e-3)
    n, d = scaling.chinchilla_opt(5.76e23, "epoch")
    assert 15 < d / n < 22 and 60e9 < n < 80e9


def test_fit_optimum_is_the_minimum_of_the_iso_flop_curve():
    import numpy as np
    for fit in scaling.FITS:
        c = 1e22
        n0, d0 = scaling.fit_optimum(c, fit)
        n = n0 * np.logspace(-0.5, 0.5, 2001)
        losses = scaling.parametric_loss(n, c / (6 * n), fit)
        assert n[np.argmin(losses)] == pytest.approx(n0, rel=2e-3)


def test_parametric_loss_and_iso_loss_tokens_agree():
    target = scaling.parametric_loss(7e10, 1.4e12)
    assert scaling.iso_loss_tokens(7e10, target) == pytest.approx(1.4e12)
    assert scaling.iso_loss_tokens(1e6, target) == math.inf      # too small to ever get there
    with pytest.raises(ValueError):
        scaling.parametric_loss(0, 1e12)
    with pytest.raises(ValueError):
        scaling.chinchilla_opt(1e23, "kaplan")


def test_lifetime_optimum():
    import numpy as np
    c = 5.76e23
    base = scaling.lifetime_optimum(c, 0)
    n0, d0 = scaling.fit_optimum(c, "epoch")
    assert base["n_params"] == n0 and base["n_tokens"] == pytest.approx(d0)
    prev = base
    for inf in (1e12, 1e13, 1e14):
        r = scaling.lifetime_optimum(c, inf)
        # smaller and longer-trained, same loss, cheaper over its life than the Chinchilla model
        assert r["n_params"] < prev["n_params"] and r["n_tokens"] > prev["n_tokens"]
        assert scaling.parametric_loss(r["n_params"], r["n_tokens"]) == pytest.approx(r["loss"])
        assert r["lifetime_flops"] < r["chinchilla"]["lifetime_flops"]
        # and it is the minimum: a brute-force scan along the same-loss curve finds nothing cheaper
        n = r["n_params"] * np.logspace(-0.3, 0.3, 4001)
        total = 6 * n * scaling.iso_loss_tokens(n, r["loss"]) + 2 * n * inf
        assert total.min() >= r["lifetime_flops"] * (1 - 1e-6)
        prev = r
    with pytest.raises(ValueError):
        scaling.lifetime_optimum(c, -1)


def test_reader_formats():
    assert units.sci(5.88e23) == "5.88×10²³"
    assert units.sci(9.9996e5) == "1.00×10⁶"           # rounding carries into the exponent
    assert units.sci(4e-3, 2) == "4.0×10⁻³"
    assert units.compact(70e9) == "70B" and units.compact(1.4e12) == "1.4T"
    assert units.compact(26.6e6) == "26.6M" and units.compact(500) == "500"
    assert units.compact(4e15) == units.sci(4e15)       # no made-up suffix past trillions


def test_demos_show_the_chapter_numbers():
    """The demos at their defaults print the numbers the chapter states."""
    from fieldguide import demo
    from fieldguide_site import demos

    stats = {i["label"]: i["value"] for i in demo.call(demos.load("compute_economy"), {})[0]["items"]}
    assert stats["Training compute 6·N·D"] == units.sci(5.88e23) and stats["GPU-hours"] == "413k"
    llama = demo.call(demos.load("compute_economy"), {"params": 405e9, "tokens_per_param": 15.6e12 / 405e9})
    assert {i["label"]: i["value"] for i in llama[0]["items"]}["GPU-hours"] == "26.6M"

    out = demo.call(demos.load("chinchilla_frontier"), {})
    stats = {i["label"]: i["value"] for i in out[0]["items"]}
    assert stats["Compute-optimal N"] == "69.3B" and stats["Compute-optimal D"] == "1.39T"
    out = demo.call(demos.load("chinchilla_frontier"), {"rule": "hoffmann"})
    assert {i["label"]: i["value"] for i in out[0]["items"]}["Compute-optimal N"] == "32.2B"
    assert any(b["kind"] == "text" and b.get("level") == "warn" for b in out)
