"""Why recurrence ran out of road: the maths behind Act II's opener.

A recurrent network reads one token at a time into a fixed-size state, h_t = f(h_{t−1}, x_t).
Two consequences, one function each:

* Backprop through time multiplies one Jacobian per step. For a vanilla RNN,
  h_t = tanh(W h_{t−1} + x_t), the Jacobian is ∂h_t/∂h_{t−1} = diag(tanh′(z_t)) · W, so the gradient
  that reaches a word k steps back has been multiplied k times (`bptt_norms`). With W = s · Q for an
  orthogonal Q, the linear part alone scales a gradient by exactly s per step and tanh′ ≤ 1 can only
  shrink it further: below s = 1 it vanishes, above it can explode.
* An LSTM's cell state is updated additively, c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t, so along the cell
  path ∂c_t/∂c_{t−1} = diag(f_t): the gradient is multiplied by forget-gate values, which the
  network can hold close to 1 (`gated_norms`). It still decays, only more slowly.
* Step t needs h_{t−1}: a recurrent layer takes N dependent steps for N tokens, however many
  processors there are. An attention layer's N² scores depend only on the inputs, so it is one
  dependent step with N² work (`step_counts`).

`load_copy_curves` reads the accuracy-vs-delay curves that `scripts/train_rnn.py` measured by
training a tiny vanilla RNN and a tiny LSTM with `fieldguide.rnn_train`.
"""

from __future__ import annotations

import math

import numpy as np

from fieldguide.data import load
from fieldguide import checks


def _check_int(name: str, value, lo: int, hi: int) -> int:
    return checks.whole(name, value, lo, hi)

def _check_float(name: str, value, lo: float, hi: float) -> float:
    return checks.number(name, value, lo, hi)

def orthogonal(hidden: int, rng) -> np.ndarray:
    """A random orthogonal matrix (QR of a Gaussian, signs fixed so it is uniformly distributed)."""
    q, r = np.linalg.qr(rng.normal(size=(hidden, hidden)))
    return q * np.sign(np.diag(r))


def vanilla_setup(distance: int, recurrent_scale: float, hidden: int = 32, input_scale: float = 0.1,
                  seed: int = 0):
    """The toy RNN behind `bptt_norms`: W = s·Q, the inputs (distance, hidden), a unit gradient at h_T."""
    distance = _check_int("distance", distance, 0, 10_000)
    s = _check_float("recurrent_scale", recurrent_scale, 0.0, 10.0)
    hidden = _check_int("hidden", hidden, 1, 4096)
    input_scale = _check_float("input_scale", input_scale, 0.0, 100.0)
    rng = np.random.default_rng(seed)
    W = s * orthogonal(hidden, rng)
    xs = input_scale * rng.normal(size=(distance, hidden))
    g = rng.normal(size=hidden)
    return W, xs, g / np.linalg.norm(g)


def bptt_norms(distance: int, recurrent_scale: float, hidden: int = 32, input_scale: float = 0.1,
               seed: int = 0) -> list[float]:
    """‖∂L/∂h_{T−k}‖ for k = 0 … distance in a vanilla tanh RNN, starting from a unit gradient at h_T.

    The RNN is h_t = tanh(s·Q h_{t−1} + x_t) with Q orthogonal, h_0 = 0 and inputs x_t ~ N(0,
    input_scale²) (one draw per seed). Backprop multiplies by (diag(tanh′(z_t)) · s·Q)ᵀ once per step.
    With input_scale = 0 every pre-activation is 0, tanh′ = 1 and the norms are exactly s^k.
    """
    W, xs, g = vanilla_setup(distance, recurrent_scale, hidden, input_scale, seed)
    h = np.zeros(W.shape[0])
    dtanh = []
    for x in xs:                               # forward: remember tanh′(z_t) at every step
        h = np.tanh(W @ h + x)
        dtanh.append(1.0 - h * h)
    norms = [1.0]
    for d in reversed(dtanh):                  # backward: g_{t−1} = Wᵀ (tanh′(z_t) ⊙ g_t)
        g = W.T @ (d * g)
        norms.append(float(np.linalg.norm(g)))
    return norms


def gated_norms(distance: int, forget_bias: float = 3.0, bias_spread: float = 1.0,
                jitter: float = 0.5, hidden: int = 32, seed: int = 0) -> list[float]:
    """‖∂L/∂c_{T−k}‖ along an LSTM's cell path for k = 0 … distance, from a unit gradient at c_T.

    Along c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t the Jacobian is diag(f_t), so the gradient on unit j after
    k steps is its start value times the product of that unit's forget gates. Gate values are
    f = σ(b_j + jitter·ε_t): per-unit biases b_j ~ N(forget_bias, bias_spread²) (one draw per seed),
    and ε_t ~ N(0, 1) stands in for the input's effect at each step. With bias_spread = jitter = 0
    every gate is σ(forget_bias) and the norms are exactly σ(forget_bias)^k.
    (This is the additive path only; the paths through h_t add further, vanilla-like terms.)
    """
    distance = _check_int("distance", distance, 0, 10_000)
    forget_bias = _check_float("forget_bias", forget_bias, -20.0, 20.0)
    bias_spread = _check_float("bias_spread", bias_spread, 0.0, 10.0)
    jitter = _check_float("jitter", jitter, 0.0, 10.0)
    hidden = _check_int("hidden", hidden, 1, 4096)
    rng = np.random.default_rng(seed)
    b = forget_bias + bias_spread * rng.normal(size=hidden)
    f = 1.0 / (1.0 + np.exp(-(b + jitter * rng.normal(size=(distance, hidden)))))
    g = rng.normal(size=hidden)
    g /= np.linalg.norm(g)
    norms = [1.0]
    for ft in f:
        g = ft * g
        norms.append(float(np.linalg.norm(g)))
    return norms


def step_counts(seq_len: int, lanes: int) -> dict:
    """Dependent steps, total work and a wall-clock model for one recurrent vs one attention layer.

    Work is counted in units: one token update for the RNN (N units), one query-key score for
    attention (N² units). The clock: a dependent step cannot start before the previous one ends,
    and a step with w units of work on `lanes` parallel lanes takes ⌈w / lanes⌉ ticks. So the RNN
    takes N ticks (N steps of 1 unit; extra lanes sit idle) and attention ⌈N² / lanes⌉ ticks.
    """
    n = _check_int("seq_len", seq_len, 1, 10_000_000)
    lanes = _check_int("lanes", lanes, 1, 10_000_000)
    rnn_ticks = n * math.ceil(1 / lanes)
    attn_ticks = math.ceil(n * n / lanes)
    return {
        "seq_len": n, "lanes": lanes,
        "rnn_steps": n, "rnn_work": n, "rnn_ticks": rnn_ticks,
        "rnn_utilisation": n / (rnn_ticks * lanes),
        "attn_steps": 1, "attn_work": n * n, "attn_ticks": attn_ticks,
        "attn_utilisation": n * n / (attn_ticks * lanes),
        "speedup": rnn_ticks / attn_ticks,
    }


def load_copy_curves() -> dict:
    """The shipped copy-task results: per cell, the delays, mean and per-seed held-out accuracy.

    Returns {"cells": {cell: {"delays", "mean", "per_seed", "hidden", "params"}}, "chance", and
    the run's record: "script", "seeds", "config", "wall_time_s", "cpu_time_s", "machine"}.
    """
    raw = load("rnn_copy")
    cells = {}
    for cell, c in raw["curves"].items():
        runs = c["runs"]
        cells[cell] = {
            "delays": [r["delay"] for r in runs],
            "mean": [float(np.mean(r["accuracy"])) for r in runs],
            "per_seed": [list(r["accuracy"]) for r in runs],
            "hidden": c["hidden"], "params": c["params"],
        }
    return {"cells": cells, "chance": raw["chance"], "script": raw["script"], "seeds": raw["seeds"],
            "config": raw["config"], "wall_time_s": raw["wall_time_s"],
            "cpu_time_s": raw["cpu_time_s"], "machine": raw["machine"]}


def longest_delay_learned(cell: str, threshold: float = 0.9) -> int:
    """The longest shipped delay at which the cell's mean held-out accuracy reaches `threshold`."""
    c = load_copy_curves()["cells"]
    if cell not in c:
        raise ValueError(f"unknown cell {cell!r}; known: {', '.join(c)}")
    ok = [d for d, a in zip(c[cell]["delays"], c[cell]["mean"]) if a >= threshold]
    return max(ok) if ok else 0


def copy_accuracy(cell: str, delay: int) -> float:
    """Mean held-out copy-task accuracy of the shipped runs for this cell at this delay."""
    c = load_copy_curves()["cells"]
    if cell not in c:
        raise ValueError(f"unknown cell {cell!r}; known: {', '.join(c)}")
    if delay not in c[cell]["delays"]:
        raise ValueError(f"no shipped run at delay {delay}; delays: {c[cell]['delays']}")
    return c[cell]["mean"][c[cell]["delays"].index(delay)]


def copy_runs_solved(cell: str, delay: int, threshold: float = 0.9) -> int:
    """How many of the shipped seeds reached `threshold` held-out accuracy at this delay."""
    c = load_copy_curves()["cells"]
    copy_accuracy(cell, delay)                 # validates cell and delay
    accs = c[cell]["per_seed"][c[cell]["delays"].index(delay)]
    return sum(a >= threshold for a in accs)
