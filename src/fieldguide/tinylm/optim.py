"""AdamW: Adam's per-parameter step sizes, with weight decay applied directly to the weights.

Adam keeps two running averages per parameter: m, of the gradient (a direction with momentum), and
v, of its square (how large the gradient usually is). The step m / (sqrt(v) + eps) is roughly the
same size for every parameter whatever the scale of its gradient. Both averages start at zero, so
early on they are divided by (1 - beta^t) to undo that bias.

"W" (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019): shrink the weights by
lr * wd each step, separately from the gradient, instead of adding wd * w to the gradient (where
Adam's rescaling would weaken it for parameters with large gradients). Only matrices decay; gains
and biases do not.
"""

from __future__ import annotations

import math

import numpy as np


class AdamW:
    def __init__(self, params: dict, lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1):
        self.params, self.lr, self.betas, self.eps, self.wd = params, lr, betas, eps, weight_decay
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, grads: dict, lr: float | None = None) -> None:
        lr = self.lr if lr is None else lr
        b1, b2 = self.betas
        self.t += 1
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for k, w in self.params.items():
            g = grads[k]
            m, v = self.m[k], self.v[k]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            if w.ndim >= 2 and self.wd:
                w *= 1 - lr * self.wd
            w -= (lr / c1) * m / (np.sqrt(v / c2) + self.eps)


def clip_grad_norm(grads: dict, max_norm: float) -> float:
    """Scale all gradients down together if their global L2 norm exceeds max_norm. Returns the norm."""
    norm = math.sqrt(sum(float((g * g).sum()) for g in grads.values()))
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / (norm + 1e-6)
    return norm


def cosine_lr(step: int, total: int, peak: float, warmup: int, floor: float = 0.1) -> float:
    """Linear warm-up to `peak`, then a half cosine down to floor * peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    frac = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * frac)))
