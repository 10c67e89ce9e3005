"""Grokking on (a + b) mod p: an embedding + one-hidden-layer MLP trained full-batch with AdamW.

One idea per function: the dataset split, the forward pass, a hand-written backward pass (checked
against finite differences in tests/test_grokking.py), AdamW, a training loop that logs train/test
accuracy and loss at log-spaced steps, and the Fourier power of the learned embeddings. The shipped
p = 97 runs (scripts/train_grokking.py) use exactly this code; `train_live` runs p = 23 in the page.
"""

from __future__ import annotations

import numpy as np

from fieldguide import checks
from fieldguide.data import load

WEIGHT_DECAYS = (0.0, 0.3, 1.0)
TRAIN_FRACS = (0.3, 0.5)


def split(p: int, frac: float, seed: int):
    """All p*p pairs (a, b) with label (a + b) mod p, shuffled by `seed`; the first frac go to train."""
    p = checks.whole("p", p, 2, 1000)
    frac = checks.number("train fraction", frac, 0.01, 0.99)
    a, b = np.divmod(np.arange(p * p), p)
    perm = np.random.default_rng(seed).permutation(p * p)
    n_train = max(1, int(round(frac * p * p)))
    tr, te = perm[:n_train], perm[n_train:]
    y = (a + b) % p
    return (a[tr], b[tr], y[tr]), (a[te], b[te], y[te])


def init(p: int, d: int, hidden: int, seed: int) -> dict:
    """Parameters: embedding E (p, d), W1 (2d, hidden), b1, W2 (hidden, p), b2."""
    rng = np.random.default_rng(seed + 1_000_003)
    return {
        "E": rng.normal(0, 1.0, (p, d)),
        "W1": rng.normal(0, 1 / np.sqrt(2 * d), (2 * d, hidden)),
        "b1": np.zeros(hidden),
        "W2": rng.normal(0, 1 / np.sqrt(hidden), (hidden, p)),
        "b2": np.zeros(p),
    }


def forward(params: dict, a, b):
    """Logits (n, p) and the cache the backward pass needs."""
    x = np.concatenate([params["E"][a], params["E"][b]], axis=1)
    pre = x @ params["W1"] + params["b1"]
    h = np.maximum(pre, 0.0)
    logits = h @ params["W2"] + params["b2"]
    return logits, (x, pre, h)


def loss_and_grads(params: dict, a, b, y, onehots=None):
    """Mean cross-entropy, accuracy and the gradient of the loss for every parameter.

    `onehots` = (one_hot(a, p), one_hot(b, p)) may be passed to save rebuilding them every step.
    """
    logits, (x, pre, h) = forward(params, a, b)
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    loss = float(-logp[np.arange(n), y].mean())
    acc = float((logits.argmax(axis=1) == y).mean())
    g = np.exp(logp)
    g[np.arange(n), y] -= 1.0
    g /= n
    grads = {"W2": h.T @ g, "b2": g.sum(axis=0)}
    gh = (g @ params["W2"].T) * (pre > 0)
    grads["W1"] = x.T @ gh
    grads["b1"] = gh.sum(axis=0)
    gx = gh @ params["W1"].T
    d = params["E"].shape[1]
    p = params["E"].shape[0]
    oa, ob = onehots if onehots is not None else (one_hot(a, p), one_hot(b, p))
    grads["E"] = oa.T @ gx[:, :d] + ob.T @ gx[:, d:]     # scatter-add as a matmul (faster than np.add.at)
    return loss, acc, grads


def one_hot(idx, p):
    """(n, p) matrix with a 1 at column idx[i] of row i."""
    onehot = np.zeros((len(idx), p))
    onehot[np.arange(len(idx)), idx] = 1.0
    return onehot


def evaluate(params: dict, a, b, y):
    """(loss, accuracy) without gradients."""
    logits, _ = forward(params, a, b)
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean()), float((logits.argmax(axis=1) == y).mean())


def log_steps(steps: int, per_decade: int = 12) -> list:
    """Log-spaced logging steps 0, 1, 2, ... up to `steps` (inclusive), without duplicates."""
    if steps <= 0:
        return [0]
    pts = np.unique(np.round(np.logspace(0, np.log10(steps), int(per_decade * np.log10(steps)) + 2)))
    return [0] + [int(s) for s in pts if 1 <= s <= steps]


class Run:
    """One training run's state, so a run can be continued (the live demo extends it step by step)."""

    def __init__(self, p, wd, frac, seed=0, *, d=32, hidden=128, lr=3e-3, betas=(0.9, 0.98)):
        self.p = checks.whole("p", p, 2, 1000)
        self.wd = checks.number("weight decay", wd, 0, 10)
        self.lr, self.betas = lr, betas
        (self.a, self.b, self.y), (self.ta, self.tb, self.ty) = split(p, frac, seed)
        params = init(p, d, hidden, seed)
        # one flat buffer for all weights, so AdamW is a handful of array operations per step
        self.names = list(params)
        self.w = np.concatenate([params[k].ravel() for k in self.names])
        offsets = np.cumsum([0] + [params[k].size for k in self.names])
        for k, lo, hi in zip(self.names, offsets[:-1], offsets[1:]):
            params[k] = self.w[lo:hi].reshape(params[k].shape)
        self.params = params
        self.m, self.v = np.zeros_like(self.w), np.zeros_like(self.w)
        self.onehots = (one_hot(self.a, self.p), one_hot(self.b, self.p))
        self.t = 0
        self.curves = {"steps": [], "train_acc": [], "test_acc": [], "train_loss": [], "test_loss": []}
        self.config = {"p": self.p, "weight_decay": self.wd, "train_frac": frac, "seed": seed,
                       "d": d, "hidden": hidden, "lr": lr, "betas": list(betas), "optimizer": "AdamW",
                       "n_train": int(len(self.y)), "n_test": int(len(self.ty))}

    def advance(self, to: int, logs) -> None:
        """Train until step `to`, logging train/test loss and accuracy at the steps in `logs`."""
        b1, b2 = self.betas
        while True:
            t = self.t
            loss, acc, grads = loss_and_grads(self.params, self.a, self.b, self.y, self.onehots)
            if t in logs and (not self.curves["steps"] or self.curves["steps"][-1] < t):
                tl, tacc = evaluate(self.params, self.ta, self.tb, self.ty)
                for k, x in zip(("steps", "train_loss", "train_acc", "test_loss", "test_acc"),
                                (t, loss, acc, tl, tacc)):
                    self.curves[k].append(x)
            if t >= to:
                return
            c1, c2 = 1 - b1 ** (t + 1), 1 - b2 ** (t + 1)
            g = np.concatenate([grads[k].ravel() for k in self.names])
            self.m = b1 * self.m + (1 - b1) * g
            self.v = b2 * self.v + (1 - b2) * g ** 2
            self.w *= 1 - self.lr * self.wd                       # decoupled weight decay (AdamW)
            self.w -= self.lr * (self.m / c1) / (np.sqrt(self.v / c2) + 1e-8)
            self.t = t + 1

    def result(self) -> dict:
        out = {k: list(v) for k, v in self.curves.items()}
        out["fourier"] = fourier_power(self.params["E"]).tolist()
        out["config"] = dict(self.config)
        return out


def train(p: int, wd: float, frac: float, steps: int, seed: int = 0, *, d: int = 32,
          hidden: int = 128, lr: float = 3e-3, betas=(0.9, 0.98), per_decade: int = 12) -> dict:
    """Full-batch AdamW (decoupled weight decay `wd`) on (a + b) mod p.

    Returns {"steps", "train_acc", "test_acc", "train_loss", "test_loss", "fourier", "config"};
    the curves are logged at `log_steps(steps)`.
    """
    steps = checks.whole("steps", steps, 0, 10**6)
    run = Run(p, wd, frac, seed, d=d, hidden=hidden, lr=lr, betas=betas)
    run.advance(steps, set(log_steps(steps, per_decade)))
    return run.result()


def fourier_power(E) -> np.ndarray:
    """Share of the embedding's energy at each frequency k = 0 .. p//2 (sums to 1).

    Each embedding column is a function of the token a = 0..p-1; its discrete Fourier transform over
    a says which waves cos(2*pi*k*a/p) it is built from. A generalizing model concentrates the
    energy on a few k; a memorizing one spreads it out.
    """
    E = np.asarray(E, dtype=float)
    if E.ndim != 2 or E.shape[0] < 2:
        raise ValueError("fourier_power needs an embedding matrix of shape (p, d) with p >= 2")
    F = np.abs(np.fft.rfft(E, axis=0)) ** 2          # (p//2 + 1, d)
    F[1:] *= 2                                        # +k and -k carry the same power
    if E.shape[0] % 2 == 0:
        F[-1] /= 2
    power = F.sum(axis=1)
    return power / power.sum()


def grok_step(steps, train_acc, test_acc, level: float = 0.9):
    """First logged steps where train and test accuracy reach `level` (None if never)."""
    def first(acc):
        return next((s for s, x in zip(steps, acc) if x >= level), None)
    return first(train_acc), first(test_acc)


LIVE = {"d": 16, "hidden": 48, "lr": 1e-2, "max_steps": 3000}
_LIVE: dict = {}     # (p, wd, frac, seed) -> (Run, {step: result}): moving the slider up only trains the new steps


def train_live(p: int = 23, wd: float = 1.0, frac: float = 0.5, steps: int = 3000,
               seed: int = 0) -> dict:
    """A small in-page run with the same code, logged at log_steps(3000) plus every 100th step.

    Equals train(...) up to `steps` (the logging grid aside); the run is kept per setting and
    continued, so a larger `steps` costs only the steps not yet taken.
    """
    p = checks.whole("p", p, 5, 31)
    steps = checks.whole("steps", steps, 0, LIVE["max_steps"])
    seed = checks.whole("seed", seed, 0, 9999)
    wd = checks.number("weight decay", wd, 0, 10)
    frac = checks.number("train fraction", frac, 0.05, 0.95)
    key = (p, wd, frac, seed)
    logs = set(log_steps(LIVE["max_steps"])) | set(range(0, LIVE["max_steps"] + 1, 100)) | {steps}
    run, done = _LIVE.get(key, (None, {}))
    if steps in done:
        return done[steps]
    if run is None or run.t > steps or steps not in run.curves["steps"] and run.t >= steps:
        if len(_LIVE) > 16:
            _LIVE.clear()
        run, done = Run(p, wd, frac, seed, d=LIVE["d"], hidden=LIVE["hidden"], lr=LIVE["lr"]), {}
    run.advance(steps, logs)
    n = run.curves["steps"].index(steps) + 1
    out = run.result()
    for k in ("steps", "train_acc", "test_acc", "train_loss", "test_loss"):
        out[k] = out[k][:n]
    done[steps] = out
    _LIVE[key] = (run, done)
    return out


def load_runs() -> dict:
    """The shipped p = 97 grid: {"runs": {(wd, frac): run}, "meta": {...}}."""
    raw = load("grokking_runs")
    runs = {(r["config"]["weight_decay"], r["config"]["train_frac"]): r for r in raw["runs"]}
    return {"runs": runs, "meta": {k: v for k, v in raw.items() if k != "runs"}}


def shipped(wd: float, frac: float, what: str):
    """One number about a shipped p = 97 run, for the chapter's prose.

    what: "train90" / "test90" (first logged step at >= 90% accuracy, None if never),
    "final_train" / "final_test" (accuracy at the last step), "delay" (test90 / train90),
    "top5" (share of embedding energy in the five strongest frequencies).
    """
    r = load_runs()["runs"][(float(wd), float(frac))]
    tr, te = grok_step(r["steps"], r["train_acc"], r["test_acc"])
    if what == "train90":
        return tr
    if what == "test90":
        return te
    if what == "delay":
        return None if tr is None or te is None else te / tr
    if what == "final_train":
        return r["train_acc"][-1]
    if what == "final_test":
        return r["test_acc"][-1]
    if what == "top5":
        return float(sum(sorted(r["fourier"], reverse=True)[:5]))
    raise ValueError(f"unknown quantity {what!r}")
