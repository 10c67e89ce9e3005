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

from . import data
from .units import SECONDS_PER_DAY, SECONDS_PER_HOUR, SECONDS_PER_YEAR

CHINCHILLA_TOKENS_PER_PARAM = 20.0


# --- input checks ----------------------------------------------------------------------------

def _positive(name: str, x) -> float:
    """x as a float, or a ValueError a reader understands."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {x!r}") from None
    if math.isnan(v) or math.isinf(v) or v <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {x!r}")
    return v


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
