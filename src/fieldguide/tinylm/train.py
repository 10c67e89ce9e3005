"""The training loop: sample a batch, forward, backward, clip, AdamW step, log.

Deliberately plain: one process, float32, no threads. Same seed, same data, same machine type ->
the same weights, which is how `make train` can rebuild the shipped models.
"""

from __future__ import annotations

import time

import numpy as np

from .model import TinyLM
from .optim import AdamW, clip_grad_norm, cosine_lr


def random_windows(tokens: np.ndarray, batch: int, length: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """`batch` random windows of `length` + 1 tokens: inputs and the same shifted by one."""
    starts = rng.integers(0, len(tokens) - length - 1, batch)
    x = np.stack([tokens[s:s + length] for s in starts])
    y = np.stack([tokens[s + 1:s + length + 1] for s in starts])
    return x, y


def evaluate(model: TinyLM, batches) -> float:
    """Mean loss over fixed batches (forward only)."""
    from .layers import cross_entropy_forward
    losses = []
    for x, y in batches:
        logits, _, _ = model._forward(x)
        losses.append(cross_entropy_forward(logits, y)[0])
    return float(np.mean(losses))


def train(model: TinyLM, get_batch, steps: int, lr: float, warmup: int, weight_decay=0.1,
          clip=1.0, log_every=50, val_batches=(), log=print, floor=0.1, on_log=None) -> dict:
    """Train in place. get_batch(step) -> (x, y). Returns the loss curve and timing as plain data.

    The learning rate warms up linearly, then follows a half cosine down to floor x lr (floor=1
    keeps it constant). on_log(step) may return extra numbers to record in the curve."""
    opt = AdamW(model.params, lr=lr, weight_decay=weight_decay)
    curve = {"step": [], "train_loss": [], "val_loss": []}
    t0, window = time.perf_counter(), []
    for step in range(steps):
        x, y = get_batch(step)
        loss, grads = model.loss_and_grads(x, y)
        if not np.isfinite(loss):
            raise FloatingPointError(f"loss became {loss} at step {step}")
        clip_grad_norm(grads, clip)
        opt.step(grads, cosine_lr(step, steps, lr, warmup, floor))
        window.append(loss)
        if (step + 1) % log_every == 0 or step == steps - 1:
            val = evaluate(model, val_batches) if val_batches else float("nan")
            extra = on_log(step + 1) if on_log else {}
            curve["step"].append(step + 1)
            curve["train_loss"].append(round(float(np.mean(window)), 4))
            curve["val_loss"].append(round(val, 4))
            for k, v in extra.items():
                curve.setdefault(k, []).append(v)
            log(f"step {step + 1:5d}  train {np.mean(window):.4f}  val {val:.4f}  "
                + "".join(f"{k} {v}  " for k, v in extra.items())
                + f"{time.perf_counter() - t0:7.1f}s")
            window = []
    return {"curve": curve, "wall_seconds": round(time.perf_counter() - t0, 1), "steps": steps}
