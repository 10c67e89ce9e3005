"""A tiny vanilla RNN and a tiny LSTM, trained by hand-written backprop through time on a copy task.

The copy task: the first token is one of `n_symbols` symbols; then come `delay − 1` distractors
drawn from the same symbols, then a recall marker. At the marker the network must name the first
symbol. Its hidden state has been updated `delay` times since it saw the answer, so the gradient
that teaches it to keep the symbol must travel back through `delay` steps.

    vanilla   h_t = tanh(W x_t + U h_{t−1} + b)
    LSTM      [i, f, o, g] = [σ, σ, σ, tanh](W x_t + U h_{t−1} + b)
              c_t = f ⊙ c_{t−1} + i ⊙ g;   h_t = o ⊙ tanh(c_t)
    readout   logits = V h_T + a;  loss = cross-entropy against the first symbol

`loss_and_grad` is checked against central finite differences in tests/test_rnn.py; `train` runs
Adam with global-norm clipping; `scripts/train_rnn.py` trains both cells at every delay from fixed
seeds and writes `fieldguide/data/rnn_copy.json`, which `fieldguide.rnn.load_copy_curves` reads.
"""

from __future__ import annotations

import numpy as np

CELLS = ("vanilla", "lstm")


def input_size(n_symbols: int) -> int:
    return n_symbols + 1                       # the symbols and the recall marker


def copy_batch(delay: int, batch: int, n_symbols: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Token ids (batch, delay + 1) and targets (batch,) for the copy task at this delay."""
    if delay < 1:
        raise ValueError("delay must be at least 1")
    ids = rng.integers(0, n_symbols, size=(batch, delay + 1))
    ids[:, -1] = n_symbols                     # the recall marker
    return ids, ids[:, 0].copy()


FORGET_BIAS = 3.0     # the LSTM's forget gates start at σ(3) ≈ 0.95: the cell path starts open


def init_params(cell: str, hidden: int, n_symbols: int, seed: int,
                forget_bias: float = FORGET_BIAS) -> dict:
    """Weights ~ N(0, 1/fan_in), biases 0, except the LSTM's forget-gate bias (`forget_bias`)."""
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}")
    rng = np.random.default_rng(seed)
    n_in = input_size(n_symbols)
    k = 4 if cell == "lstm" else 1
    p = {
        "W": rng.normal(0, 1 / np.sqrt(n_in), (n_in, k * hidden)),
        "U": rng.normal(0, 1 / np.sqrt(hidden), (hidden, k * hidden)),
        "b": np.zeros(k * hidden),
        "V": rng.normal(0, 1 / np.sqrt(hidden), (hidden, n_symbols)),
        "a": np.zeros(n_symbols),
    }
    if cell == "lstm":
        p["b"][hidden:2 * hidden] = forget_bias   # gate order i, f, o, g
    return p


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _forward(cell, p, ids):
    B, T = ids.shape
    H = p["U"].shape[0]
    h = np.zeros((B, H))
    c = np.zeros((B, H))
    xw = p["W"][ids]                           # (B, T, kH): one-hot inputs pick rows of W
    cache = []
    for t in range(T):
        z = xw[:, t] + h @ p["U"] + p["b"]
        if cell == "vanilla":
            h_new = np.tanh(z)
            cache.append((h, h_new))
        else:
            i, f, o = _sigmoid(z[:, :H]), _sigmoid(z[:, H:2 * H]), _sigmoid(z[:, 2 * H:3 * H])
            g = np.tanh(z[:, 3 * H:])
            c_new = f * c + i * g
            tc = np.tanh(c_new)
            h_new = o * tc
            cache.append((h, c, i, f, o, g, tc))
            c = c_new
        h = h_new
    return h, cache


def loss_and_grad(cell: str, p: dict, ids: np.ndarray, targets: np.ndarray, grad: bool = True):
    """Mean cross-entropy at the recall step and (if `grad`) its gradient for every parameter."""
    B, T = ids.shape
    H = p["U"].shape[0]
    h, cache = _forward(cell, p, ids)
    logits = h @ p["V"] + p["a"]
    logits = logits - logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    loss = float(-logp[np.arange(B), targets].mean())
    acc = float((logp.argmax(axis=1) == targets).mean())
    if not grad:
        return loss, acc, None
    dlogits = np.exp(logp)
    dlogits[np.arange(B), targets] -= 1.0
    dlogits /= B
    g = {k: np.zeros_like(v) for k, v in p.items()}
    g["V"] = h.T @ dlogits
    g["a"] = dlogits.sum(axis=0)
    dh = dlogits @ p["V"].T
    dc = np.zeros((B, H))
    dz_all = np.empty((B, T, p["U"].shape[1]))
    for t in range(T - 1, -1, -1):
        if cell == "vanilla":
            h_prev, h_t = cache[t]
            dz = dh * (1.0 - h_t * h_t)
        else:
            h_prev, c_prev, i, f, o, gg, tc = cache[t]
            do = dh * tc
            dc = dc + dh * o * (1.0 - tc * tc)
            di, df, dg = dc * gg, dc * c_prev, dc * i
            dz = np.concatenate([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o),
                                 dg * (1 - gg * gg)], axis=1)
            dc = dc * f
        dz_all[:, t] = dz
        g["U"] += h_prev.T @ dz
        dh = dz @ p["U"].T
    g["b"] = dz_all.sum(axis=(0, 1))
    np.add.at(g["W"], ids.reshape(-1), dz_all.reshape(B * T, -1))
    return loss, acc, g


def evaluate(cell: str, p: dict, delay: int, n_symbols: int, n: int, seed: int) -> float:
    """Accuracy on `n` fresh sequences drawn from `seed` (a test set the training never saw)."""
    ids, y = copy_batch(delay, n, n_symbols, np.random.default_rng(seed))
    return loss_and_grad(cell, p, ids, y, grad=False)[1]


def train(cell: str, delay: int, *, hidden: int, n_symbols: int, steps: int, batch: int,
          lr: float, clip: float, seed: int) -> dict:
    """Adam (β 0.9/0.999) with global-norm clipping; returns the parameters and the loss trace."""
    p = init_params(cell, hidden, n_symbols, seed)
    rng = np.random.default_rng(seed + 1)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    losses = []
    for step in range(1, steps + 1):
        ids, y = copy_batch(delay, batch, n_symbols, rng)
        loss, _, g = loss_and_grad(cell, p, ids, y)
        losses.append(loss)
        norm = np.sqrt(sum(float((x * x).sum()) for x in g.values()))
        scale = min(1.0, clip / norm) if norm > 0 else 1.0
        for k in p:
            gk = g[k] * scale
            m[k] = 0.9 * m[k] + 0.1 * gk
            v[k] = 0.999 * v[k] + 0.001 * gk * gk
            mh = m[k] / (1 - 0.9 ** step)
            vh = v[k] / (1 - 0.999 ** step)
            p[k] -= lr * mh / (np.sqrt(vh) + 1e-8)
    return {"params": p, "losses": losses}
