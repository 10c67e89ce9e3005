"""The compute economy of training: FLOPs, GPU-time, money, and how to split a budget.

The whole chapter rests on one approximation. A dense transformer with N parameters does about
2N floating-point operations per token on the forward pass (one multiply and one add per weight)
and about twice that on the backward pass (gradients for the activations and for the weights).
Training on D tokens therefore costs

    C ≈ 2ND + 4ND = 6ND   FLOP.

Turning FLOPs into time needs two more numbers that are easy to forget: the GPU's *peak* rate
(we use dense BF16 tensor-core peaks, never the 2:4-sparsity figures) and the model FLOPs
utilisation (MFU) — the fraction of that peak a real training run sustains, typically 35–50%.
"""

from __future__ import annotations

import math

import numpy as np

from . import checks, data
from .units import SECONDS_PER_DAY, SECONDS_PER_HOUR, SECONDS_PER_YEAR

CHINCHILLA_TOKENS_PER_PARAM = 20.0


# --- input checks ----------------------------------------------------------------------------

def _positive(name: str, x) -> float:
    """x as a float, or a ValueError a reader understands."""
    return checks.number(name, x, positive=True)

def _non_negative(name: str, x) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {x!r}") from None
    if math.isnan(v) or math.isinf(v) or v < 0:
        raise ValueError(f"{name} must be zero or a positive finite number, got {x!r}")
    return v


def _mfu(mfu) -> float:
    v = _positive("MFU", mfu)
    if v > 1:
        raise ValueError(f"MFU is a fraction of peak and must be in (0, 1], got {mfu!r}")
    return v


# --- FLOPs -----------------------------------------------------------------------------------

def train_flops(n_params, n_tokens) -> float:
    """Training compute C = 6·N·D in FLOP (2ND forward + 4ND backward)."""
    return 6.0 * _positive("parameters", n_params) * _positive("tokens", n_tokens)


def inference_flops(n_params, n_tokens) -> float:
    """Forward-only compute for generating or reading n_tokens: 2·N per token."""
    return 2.0 * _positive("parameters", n_params) * _non_negative("tokens", n_tokens)


def lifetime_flops(n_params, n_train_tokens, n_inference_tokens=0.0) -> float:
    """Training plus serving: 6·N·D + 2·N·(inference tokens)."""
    return train_flops(n_params, n_train_tokens) + inference_flops(n_params, n_inference_tokens)


# --- FLOPs to time and money -----------------------------------------------------------------

def peak_flops(gpu: str = "H100 SXM") -> float:
    """Dense BF16 tensor-core peak of one GPU, in FLOP/s, from `fieldguide.data.gpus`."""
    return data.gpu(gpu)["bf16_tflops"] * 1e12


def sustained_flops(gpu: str = "H100 SXM", mfu=0.4) -> float:
    """FLOP/s one GPU actually delivers to the model: peak × MFU."""
    return peak_flops(gpu) * _mfu(mfu)


def gpu_seconds(flops, gpu: str = "H100 SXM", mfu=0.4) -> float:
    """GPU-seconds needed for `flops` at utilisation `mfu` (a fraction in (0, 1])."""
    return _positive("FLOPs", flops) / sustained_flops(gpu, mfu)


def gpu_hours(flops, gpu: str = "H100 SXM", mfu=0.4) -> float:
    """GPU-hours needed for `flops`; e.g. Llama 3 405B at 40% MFU on H100s ≈ 26.6M."""
    return gpu_seconds(flops, gpu, mfu) / SECONDS_PER_HOUR


def gpu_years(flops, gpu: str = "H100 SXM", mfu=0.4) -> float:
    """GPU-years (365.25-day years) needed for `flops`."""
    return gpu_seconds(flops, gpu, mfu) / SECONDS_PER_YEAR


def gpu_year_flops(gpu: str = "H100 SXM", mfu=1.0) -> float:
    """FLOP one GPU does in a year at `mfu`; at dense BF16 peak an H100 SXM does ≈ 3.12e22."""
    return sustained_flops(gpu, mfu) * SECONDS_PER_YEAR


def wall_clock_days(flops, gpu: str = "H100 SXM", mfu=0.4, n_gpus=1) -> float:
    """Days of wall clock on n_gpus, assuming the MFU already includes every stall and restart."""
    return gpu_seconds(flops, gpu, mfu) / _positive("number of GPUs", n_gpus) / SECONDS_PER_DAY


def training_cost_usd(flops, gpu: str = "H100 SXM", mfu=0.4, usd_per_gpu_hour=2.0) -> float:
    """Rental cost in US dollars: GPU-hours × price per GPU-hour (compute only)."""
    return gpu_hours(flops, gpu, mfu) * _positive("price per GPU-hour", usd_per_gpu_hour)


# --- reference runs --------------------------------------------------------------------------

def training_runs() -> list[dict]:
    """Published (N, D) of well-known training runs, each with its source (data/training_runs.json)."""
    return list(data.load("training_runs")["runs"])


def tokens_per_param(n_params, n_tokens) -> float:
    """D / N; Chinchilla's rule of thumb is about 20."""
    return _positive("tokens", n_tokens) / _positive("parameters", n_params)


# --- splitting a budget ----------------------------------------------------------------------

def chinchilla_rule(compute, tokens_per_param=CHINCHILLA_TOKENS_PER_PARAM) -> tuple[float, float]:
    """(N, D) that spend `compute` FLOP at a fixed tokens-per-parameter ratio r.

    From C = 6·N·D and D = r·N: N = √(C / 6r), D = r·N. With r = 20, N = √(C/120), so
    C = 5.76e23 gives N ≈ 69.3B and D ≈ 1.39T — Chinchilla. Both grow as √C: doubling the
    budget multiplies N and D by √2 each, not by 2.
    """
    c = _positive("compute", compute)
    r = _positive("tokens per parameter", tokens_per_param)
    n = math.sqrt(c / (6.0 * r))
    return n, r * n


# --- the parametric loss fit -----------------------------------------------------------------
#
# Hoffmann et al. (2022) also fitted L(N, D) = E + A/N^α + B/D^β to ~400 training runs. The
# constants printed in the paper are rounded, and the fit itself did not converge well: with the
# printed values the optimum at Gopher's budget is a ~32B model on ~93 tokens per parameter, far
# from the 70B / 20 the paper's other two methods (and Chinchilla itself) give. Besiroglu et al.
# (2024) refitted the same form on data reconstructed from the paper's figures and got constants
# whose optimum sits near 20 tokens per parameter. We keep both, and say which one is in use.

FITS = {
    "hoffmann": {
        "label": "Hoffmann et al. 2022, constants as printed (rounded)",
        "E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28,
        "source": "Hoffmann et al., Training Compute-Optimal Large Language Models, "
                  "arXiv:2203.15556, Section 3.3 / Appendix D.2",
    },
    "epoch": {
        "label": "Besiroglu et al. 2024 refit (Epoch AI)",
        "E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658,
        "source": "Besiroglu, Erdil, Barnett, You, Chinchilla Scaling: A Replication Attempt, "
                  "arXiv:2404.10102",
    },
}


def _fit(fit: str) -> dict:
    if fit not in FITS:
        raise ValueError(f"unknown loss fit {fit!r}; known: {', '.join(FITS)}")
    return FITS[fit]


def parametric_loss(n_params, n_tokens, fit: str = "epoch"):
    """Predicted pre-training loss (nats per token) L = E + A/N^α + B/D^β.

    Accepts numbers or NumPy arrays. E is the loss no model can beat (the text's own entropy);
    the other two terms are what a finite model and a finite dataset each leave on the table.
    """
    f = _fit(fit)
    n = np.asarray(n_params, dtype=float)
    d = np.asarray(n_tokens, dtype=float)
    if not (np.all(np.isfinite(n)) and np.all(n > 0) and np.all(np.isfinite(d)) and np.all(d > 0)):
        raise ValueError("parameters and tokens must be positive finite numbers")
    out = f["E"] + f["A"] / n ** f["alpha"] + f["B"] / d ** f["beta"]
    return float(out) if out.ndim == 0 else out


def fit_optimum(compute, fit: str = "epoch") -> tuple[float, float]:
    """(N, D) minimising the parametric loss subject to 6·N·D = compute (closed form).

    Setting the derivative along the iso-FLOP curve to zero gives α·A/N^α = β·B/D^β, hence
    N_opt = G·(C/6)^(β/(α+β)) with G = (αA / βB)^(1/(α+β)), and D_opt = (C/6) / N_opt.
    """
    f = _fit(fit)
    c6 = _positive("compute", compute) / 6.0
    a, b = f["alpha"], f["beta"]
    g = (a * f["A"] / (b * f["B"])) ** (1.0 / (a + b))
    n = g * c6 ** (b / (a + b))
    return n, c6 / n


RULES = {
    "20-tokens": "20 tokens per parameter (rule of thumb)",
    "hoffmann": FITS["hoffmann"]["label"],
    "epoch": FITS["epoch"]["label"],
}


def chinchilla_opt(compute, rule: str = "20-tokens") -> tuple[float, float]:
    """Compute-optimal (N, D) for a training budget, by the 20-tokens rule or a parametric fit.

    chinchilla_opt(5.76e23) ≈ (69.3e9, 1.39e12): Gopher's budget, spent the Chinchilla way.
    """
    if rule == "20-tokens":
        return chinchilla_rule(compute)
    if rule in FITS:
        return fit_optimum(compute, rule)
    raise ValueError(f"unknown rule {rule!r}; choose one of: {', '.join(RULES)}")


def iso_loss_tokens(n_params, target_loss, fit: str = "epoch"):
    """Tokens D a model of size N needs to reach `target_loss`, or inf if it never can.

    Solves E + A/N^α + B/D^β = L for D. A model too small to get below L (A/N^α ≥ L − E)
    gets infinity: no amount of data rescues it.
    """
    f = _fit(fit)
    n = np.asarray(n_params, dtype=float)
    gap = target_loss - f["E"] - f["A"] / n ** f["alpha"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = np.where(gap > 0, (f["B"] / np.where(gap > 0, gap, 1.0)) ** (1.0 / f["beta"]), np.inf)
    return float(d) if d.ndim == 0 else d


def lifetime_optimum(compute, inference_tokens=0.0, fit: str = "epoch") -> dict:
    """The model that reaches the same loss as the compute-optimal one, cheapest over its life.

    Quality target: the loss the fit's compute-optimal model reaches with `compute` FLOP.
    Among all (N, D) reaching that loss, pick the one minimising 6·N·D + 2·N·(inference tokens).
    With no inference this is the compute-optimal model itself; the more tokens it will serve,
    the smaller and longer-trained the best model gets (the argument of Sardana & Frankle, 2023).
    """
    f = _fit(fit)
    inf_tokens = _non_negative("inference tokens", inference_tokens)
    n0, d0 = fit_optimum(compute, fit)
    target = parametric_loss(n0, d0, fit)
    n_min = (f["A"] / (target - f["E"])) ** (1.0 / f["alpha"])  # below this, no D is enough

    def total(n):
        return 6.0 * n * iso_loss_tokens(n, target, fit) + 2.0 * n * inf_tokens

    lo, hi = np.log(n_min) + 1e-9, np.log(n0) + 0.05
    for _ in range(3):                                            # coarse-to-fine grid search
        grid = np.linspace(lo, hi, 801)
        k = int(np.argmin(total(np.exp(grid))))
        lo, hi = max(grid[max(k - 1, 0)], np.log(n_min) + 1e-12), grid[min(k + 1, 800)]
    n = float(np.exp(grid[k]))
    if inf_tokens == 0:
        n = n0                                                    # exact, not grid-rounded
    d = float(iso_loss_tokens(n, target, fit))
    return {
        "n_params": n, "n_tokens": d, "loss": target,
        "train_flops": 6.0 * n * d,
        "lifetime_flops": 6.0 * n * d + 2.0 * n * inf_tokens,
        "chinchilla": {"n_params": n0, "n_tokens": d0,
                       "lifetime_flops": 6.0 * n0 * d0 + 2.0 * n0 * inf_tokens},
    }


def training_run(name: str) -> dict:
    """One published run by name, e.g. training_run("Llama 3 8B")."""
    for r in training_runs():
        if r["name"] == name:
            return r
    raise ValueError(f"unknown run {name!r}; known: {', '.join(r['name'] for r in training_runs())}")


# --- power laws: fit small runs, extrapolate -------------------------------------------------
#
# Kaplan et al. (2020) found test loss falling as a power law in parameters, data and compute.
# With an irreducible floor E (the text's own entropy) the law is L(x) = a·x^(−b) + E. Only L − E
# is a straight line on log-log axes: log(L − E) = log a − b·log x. L itself bends towards E.

KAPLAN_EXPONENTS = {
    "alpha_N": 0.076, "alpha_D": 0.095, "alpha_C": 0.050,
    "source": "Kaplan et al., Scaling Laws for Neural Language Models, arXiv:2001.08361 (2020), "
              "Section 1.2 (alpha_C is for the compute-efficient frontier, C_min)",
}


def power_law(x, a, b, E=0.0):
    """L = a·x^(−b) + E for positive x (a number or an array)."""
    xs = np.asarray(x, dtype=float)
    if not (np.all(np.isfinite(xs)) and np.all(xs > 0)):
        raise ValueError("x must be positive finite numbers")
    _positive("a", a)
    _non_negative("E", E)
    out = a * xs ** (-float(b)) + float(E)
    return float(out) if out.ndim == 0 else out


def exponential_decay(x, x0, L0, rate, E=0.0):
    """L = E + (L0 − E)·exp(−rate·(x − x0)): an exponential starting at the same point (x0, L0)."""
    xs = np.asarray(x, dtype=float)
    out = float(E) + (float(L0) - float(E)) * np.exp(-float(rate) * (xs - float(x0)))
    return float(out) if out.ndim == 0 else out


def _loglog_line(x, y):
    """Least-squares line through (log x, log y): (slope, intercept, residual sum of squares)."""
    lx, ly = np.log(x), np.log(y)
    (slope, icpt), res, *_ = np.polyfit(lx, ly, 1, full=True)
    rss = float(res[0]) if len(res) else float(np.sum((ly - (slope * lx + icpt)) ** 2))
    return float(slope), float(icpt), rss


def fit_power_law(x, y, E=None, grid=400) -> dict:
    """Fit y = a·x^(−b) + E: a straight line through (log x, log(y − E)), E by grid search.

    For each candidate E in [0, min(y)) the line is fitted by `numpy.polyfit` on the logs; the E
    whose line leaves the smallest squared error *in y* wins (then refined on a finer grid).
    Pass E to fix it (E=0 gives the plain log-log line). Returns a, b, E and the RMS error.
    """
    xs, ys = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if xs.size != ys.size:
        raise ValueError("x and y must have the same length")
    if xs.size < 3:
        raise ValueError(f"need at least 3 runs to fit a power law with a floor, got {xs.size}")
    if not (np.all(np.isfinite(xs)) and np.all(xs > 0) and np.all(np.isfinite(ys)) and np.all(ys > 0)):
        raise ValueError("x and y must be positive finite numbers")
    if np.unique(xs).size < 2:
        raise ValueError("x must take at least two different values")

    lx = np.log(xs)
    lxc = lx - lx.mean()

    def sse(es):
        """Squared error in y of the best log-log line for each candidate floor (vectorised polyfit)."""
        ly = np.log(ys[None, :] - np.asarray(es, dtype=float)[:, None])
        slope = (ly - ly.mean(axis=1, keepdims=True)) @ lxc / (lxc @ lxc)
        icpt = ly.mean(axis=1) - slope * lx.mean()
        pred = np.exp(icpt[:, None] + slope[:, None] * lx[None, :]) + np.asarray(es)[:, None]
        return np.sum((ys[None, :] - pred) ** 2, axis=1)

    if E is None:
        hi = float(ys.min())
        cands = np.linspace(0.0, hi, int(grid), endpoint=False)
        for _ in range(3):                                   # coarse-to-fine grid search on E
            k = int(np.argmin(sse(cands)))
            step = cands[1] - cands[0]
            cands = np.linspace(max(cands[k] - step, 0.0), min(cands[k] + step, hi * (1 - 1e-9)), 41)
        e_best = float(cands[int(np.argmin(sse(cands)))])
    else:
        e_best = _non_negative("E", E)
        if e_best >= ys.min():
            raise ValueError(f"E = {e_best} must be below every loss (smallest {ys.min():.4g})")
    slope, icpt, _ = _loglog_line(xs, ys - e_best)
    a, b = float(np.exp(icpt)), float(-slope)
    pred = a * xs ** (-b) + e_best
    return {"a": a, "b": b, "E": e_best, "rms": float(np.sqrt(np.mean((ys - pred) ** 2)))}


def synthetic_runs(a, b, E, runs=5, noise=0.02, x_min=1e6, x_max=1e8, seed=0) -> dict:
    """`runs` small training runs on a log-spaced grid of sizes, losses from the true law with
    multiplicative Gaussian noise of relative size `noise` (seeded)."""
    n = int(runs)
    if n < 2:
        raise ValueError(f"need at least 2 runs, got {runs}")
    x = np.logspace(np.log10(_positive("smallest size", x_min)),
                    np.log10(_positive("largest size", x_max)), n)
    true = power_law(x, a, b, E)
    rng = np.random.default_rng(int(seed))
    return {"x": x, "true": true, "loss": true * (1 + _non_negative("noise", noise) * rng.standard_normal(n))}


def matched_exponential_rate(x0, x1, a, b, E=0.0) -> float:
    """Rate of the exponential that starts where the power law does (x0) and meets it again at x1.

    Both curves agree at the two ends of the fitted range; beyond it, the exponential collapses
    to E while the power law keeps creeping down."""
    l0, l1 = power_law(x0, a, b, E), power_law(x1, a, b, E)
    return float(np.log((l0 - E) / (l1 - E)) / (float(x1) - float(x0)))


def forecast(a, b, E, runs=5, noise=0.02, target=1e11, x_min=1e6, x_max=1e8, seed=0) -> dict:
    """The chapter's experiment: synthetic runs from a known law, a fit, and its forecast at `target`.

    Returns the runs, the fit, the true and predicted loss at `target`, the relative error, and what
    an exponential with the same start (meeting the law again at x_max) would predict there.
    """
    t = _positive("target size", target)
    r = synthetic_runs(a, b, E, runs, noise, x_min, x_max, seed)
    fit = fit_power_law(r["x"], r["loss"])
    true_t = power_law(t, a, b, E)
    pred_t = power_law(t, fit["a"], fit["b"], fit["E"])
    rate = matched_exponential_rate(x_min, x_max, a, b, E)
    return {"runs": r, "fit": fit, "true": true_t, "predicted": pred_t, "error": pred_t / true_t - 1,
            "exp_rate": rate, "exponential": exponential_decay(t, x_min, power_law(x_min, a, b, E), rate, E)}


def load_sweep(name: str = "tinylm") -> dict:
    """The bundled size sweep of tiny models (data/tinylm_sweep.json), written by scripts/train_sweep.py."""
    if name != "tinylm":
        raise ValueError(f"unknown sweep {name!r}; the only bundled sweep is 'tinylm'")
    return data.load("tinylm_sweep")


SWEEP_AXES = {"params": "non-embedding parameters N", "tokens": "training tokens D",
              "compute": "compute C = 6·N·D (FLOP, non-embedding N)"}


def sweep_runs(axis: str = "params", sweep: dict | None = None) -> list[dict]:
    """The sweep's runs as points {x, loss, d_model, tokens} on one axis (Kaplan's convention: N
    counts non-embedding parameters, and compute is 6·N·D with that N)."""
    if axis not in SWEEP_AXES:
        raise ValueError(f"axis must be one of {', '.join(SWEEP_AXES)}, got {axis!r}")
    s = sweep if sweep is not None else load_sweep()
    out = []
    for r in s["runs"]:
        n, d = r["n_params_non_embedding"], r["tokens"]
        x = {"params": n, "tokens": d, "compute": 6.0 * n * d}[axis]
        out.append({"x": float(x), "loss": float(r["final_val_loss"]), "d_model": r["d_model"],
                    "tokens": d, "n_params": r["n_params"], "n_params_non_embedding": n})
    return out


def frontier(x, y) -> np.ndarray:
    """Indices of the points no cheaper point beats: sorted by x, each lower than all before it."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep, best = [], np.inf
    for i in np.argsort(xs, kind="stable"):
        if ys[i] < best:
            keep.append(int(i))
            best = ys[i]
    return np.array(keep, dtype=int)


def sweep_fit(axis: str = "params", budget=None, sweep: dict | None = None) -> dict:
    """Fit a power law to the sweep along one axis, the way the chapter does.

    params: the widths at one token budget (default the largest), floor E by grid search;
    tokens: the widest model at its budgets (too few points for a floor, so E is fixed at 0);
    compute: the runs on the compute frontier (E fitted when there are at least 4 of them).
    Returns the fit plus the runs it used and a sentence saying which they are.
    """
    s = sweep if sweep is not None else load_sweep()
    pts = sweep_runs(axis, s)
    budgets = sorted({p["tokens"] for p in pts})
    b = budgets[-1] if budget is None else int(budget)
    if b not in budgets:
        raise ValueError(f"token budget must be one of {', '.join(map(str, budgets))}, got {budget!r}")
    if axis == "params":
        used, e, what = [p for p in pts if p["tokens"] == b], None, f"the {len({p['d_model'] for p in pts})} widths at {b:,} tokens"
    elif axis == "tokens":
        w = max(p["d_model"] for p in pts)
        used, e, what = [p for p in pts if p["d_model"] == w], 0.0, f"the widest model (d = {w}) at its {len(budgets)} budgets, floor fixed at 0"
    else:
        used = [pts[i] for i in frontier([p["x"] for p in pts], [p["loss"] for p in pts])]
        e, what = (None if len(used) >= 4 else 0.0), f"the {len(used)} runs on the compute frontier"
    fit = fit_power_law([p["x"] for p in used], [p["loss"] for p in used], E=e)
    return dict(fit, used=used, what=what, floor_fixed=e is not None, budget=b)
