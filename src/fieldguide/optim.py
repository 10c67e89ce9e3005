"""How a network learns: gradient descent and the optimizers built on it, on surfaces you can see.

A network is a function f(x; θ) with many knobs θ, and a loss L(θ) that says how badly it does.
Training turns the knobs downhill: θ ← θ − lr · ∇L(θ). Everything in this module is a variation:

    SGD        θ ← θ − lr · g                              g = a noisy estimate of ∇L
    momentum   m ← β₁ m + (1 − β₁) g;   θ ← θ − lr · m̂     an EMA of the gradients
    Adam       m as above;  v ← β₂ v + (1 − β₂) g²;
               θ ← θ − lr · m̂ / (√v̂ + ε)                  per-knob step sizes
    AdamW      Adam, plus θ ← θ − lr · λ · θ               decay decoupled from the gradient

with bias correction m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ): both EMAs start at zero, so their
first values are too small by exactly that factor. (PyTorch's SGD momentum sums instead,
m ← β m + g, which is the EMA above scaled by 1/(1 − β): the same path with a larger step.)

The surfaces are two-dimensional so the path can be drawn, and their gradients are analytic.
"Minibatch noise" is modelled as Gaussian noise added to the exact gradient, one draw per step
from `numpy.random.default_rng(seed)`, the same draws for every optimizer so a race is fair.

`jacobian_chain` is the other half of the chapter: backpropagation multiplies the gradient by one
Jacobian per layer, and a product of many random matrices shrinks or grows geometrically.
The backprop check (`mlp_grad`, `numeric_grad`) lives in `fieldguide.autodiff`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from fieldguide.autodiff import mlp_grad, numeric_grad  # noqa: F401  (the book map's names)

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
ADAMW_DECAY = 0.1          # λ, the decoupled weight decay AdamW uses here
DIVERGED = 1e6             # a coordinate beyond this counts as blown up


@dataclass(frozen=True)
class Surface:
    """A loss surface in two knobs (x, y): its value, its exact gradient, where to start."""
    name: str
    label: str
    f: Callable[[float, float], float]
    grad: Callable[[float, float], tuple]
    start: tuple
    xrange: tuple
    yrange: tuple
    minima: tuple              # ((label, x, y), ...): the basins a run can end in
    log_contours: bool = False # draw log10(1 + loss): for surfaces whose values span decades

    def grid(self, n: int = 60):
        """Loss on an n×n grid over the plotted window, as drawn by a contour plot."""
        xs = np.linspace(*self.xrange, n)
        ys = np.linspace(*self.yrange, n)
        X, Y = np.meshgrid(xs, ys)
        Z = self.f(X, Y)
        return xs, ys, np.log10(1 + Z) if self.log_contours else Z


# --- the three surfaces ----------------------------------------------------------------------

BOWL_A, BOWL_B = 1.0, 30.0   # curvatures along x and y: condition number 30


def _bowl_f(x, y):
    return 0.5 * (BOWL_A * x * x + BOWL_B * y * y)


def _bowl_g(x, y):
    return BOWL_A * x, BOWL_B * y


# Two Gaussian wells on a gentle quadratic floor: a narrow deep one and a wide shallow one.
NARROW = (-1.0, 0.0, 0.15, 0.6)   # centre x, centre y, width σ, depth
WIDE = (1.8, 0.5, 1.3, 0.6)       # same depth, almost nine times wider
FLOOR = 0.03


def _well(x, y, cx, cy, s, d):
    exp = math.exp if isinstance(x, float) else np.exp     # floats on the path, arrays on the grid
    return -d * exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))


def _basins_f(x, y):
    return _well(x, y, *NARROW) + _well(x, y, *WIDE) + FLOOR * (x * x + y * y)


def _basins_g(x, y):
    gx, gy = 2 * FLOOR * x, 2 * FLOOR * y
    for cx, cy, s, d in (NARROW, WIDE):
        w = -d * math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))
        gx += -w * (x - cx) / (s * s)
        gy += -w * (y - cy) / (s * s)
    return gx, gy


def _rosen_f(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _rosen_g(x, y):
    return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


SURFACES = {
    "bowl": Surface("bowl", "ill-conditioned bowl", _bowl_f, _bowl_g, (-4.0, 1.5),
                    (-4.5, 4.5), (-2.0, 2.0), (("the minimum", 0.0, 0.0),), True),
    "basins": Surface("basins", "narrow + wide basins", _basins_f, _basins_g, (-0.82, 0.15),
                      (-3.0, 5.0), (-2.5, 3.5),
                      (("narrow", NARROW[0], NARROW[1]), ("wide", WIDE[0], WIDE[1]))),
    "rosenbrock": Surface("rosenbrock", "Rosenbrock valley", _rosen_f, _rosen_g, (-1.5, 2.0),
                          (-2.0, 2.0), (-1.0, 3.0), (("the minimum (1, 1)", 1.0, 1.0),), True),
}


def surface(name: str) -> Surface:
    """One of the named surfaces: "bowl", "basins" or "rosenbrock"."""
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; choose one of {', '.join(SURFACES)}")
    return SURFACES[name]


# --- the optimizers --------------------------------------------------------------------------

def run(opt: str, surf, lr: float = 0.05, steps: int = 100, noise: float = 0.0,
        beta1: float = 0.9, beta2: float = 0.999, bias_correction: bool = True,
        eps: float = 1e-8, weight_decay: float = ADAMW_DECAY, seed: int = 0,
        start: tuple | None = None) -> dict:
    """Run one optimizer for `steps` updates on a surface; return its whole path.

    Returns a dict with `x`, `y`, `loss` (steps + 1 entries each, the start included),
    `first_step` (length of the first update), `diverged_at` (step at which a coordinate passed
    1e6, or None; the path stops there), `basin` (label of the nearest minimum at the end) and
    `grew` (the loss ended far above where it started — by more than 10·(|L₀| + 1) — so the
    run is on its way to diverging, even if no coordinate has passed 1e6 yet).
    Plain floats inside: for two knobs that is faster than NumPy, which matters in the browser.
    """
    if opt not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {opt!r}; choose one of {', '.join(OPTIMIZERS)}")
    s = surface(surf) if isinstance(surf, str) else surf
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError("the learning rate must be a positive number")
    if not 0 <= beta1 < 1 or not 0 <= beta2 < 1:
        raise ValueError("beta1 and beta2 must be in [0, 1)")
    if noise < 0 or steps < 0:
        raise ValueError("noise and steps must not be negative")
    steps = int(steps)
    z = np.random.default_rng(seed).standard_normal((steps, 2)) * noise
    x, y = start if start is not None else s.start
    xs, ys, losses = [x], [y], [float(s.f(x, y))]
    mx = my = vx = vy = 0.0
    first_step, diverged_at = None, None
    for t in range(1, steps + 1):
        gx, gy = s.grad(x, y)
        gx, gy = gx + z[t - 1, 0], gy + z[t - 1, 1]
        if opt == "sgd":
            dx, dy = gx, gy
        else:
            mx = beta1 * mx + (1 - beta1) * gx
            my = beta1 * my + (1 - beta1) * gy
            c1 = (1 - beta1 ** t) if bias_correction else 1.0
            dx, dy = mx / c1, my / c1
            if opt in ("adam", "adamw"):
                vx = beta2 * vx + (1 - beta2) * gx * gx
                vy = beta2 * vy + (1 - beta2) * gy * gy
                c2 = (1 - beta2 ** t) if bias_correction else 1.0
                dx = dx / (math.sqrt(vx / c2) + eps)
                dy = dy / (math.sqrt(vy / c2) + eps)
        if opt == "adamw":
            dx, dy = dx + weight_decay * x, dy + weight_decay * y
        x, y = x - lr * dx, y - lr * dy
        if first_step is None:
            first_step = lr * math.hypot(dx, dy)
        if not (abs(x) < DIVERGED and abs(y) < DIVERGED):
            diverged_at = t
            break
        xs.append(x)
        ys.append(y)
        losses.append(float(s.f(x, y)))
    basin = None
    if diverged_at is None:
        basin = min(s.minima, key=lambda m: (m[1] - x) ** 2 + (m[2] - y) ** 2)[0]
    return {"opt": opt, "x": xs, "y": ys, "loss": losses, "first_step": first_step or 0.0,
            "diverged_at": diverged_at, "basin": basin,
            "grew": losses[-1] - losses[0] > 10 * (abs(losses[0]) + 1)}


def race(surf: str, lr: float = 0.05, steps: int = 100, noise: float = 0.0, beta1: float = 0.9,
         bias_correction: bool = True, seed: int = 0, optimizers=OPTIMIZERS) -> dict:
    """Every optimizer from the same start with the same noise draws: {name: run(...)}."""
    return {o: run(o, surf, lr=lr, steps=steps, noise=noise, beta1=beta1,
                   bias_correction=bias_correction, seed=seed) for o in optimizers}


def basin_tally(opt: str, surf: str, seeds: int = 30, **kwargs) -> dict:
    """How many of `seeds` runs (seeds 0, 1, …) end in each basin, or diverge."""
    out: dict[str, int] = {}
    for k in range(int(seeds)):
        r = run(opt, surf, seed=k, **kwargs)
        key = r["basin"] if r["diverged_at"] is None else "diverged"
        out[key] = out.get(key, 0) + 1
    return out


# --- gradients through depth -----------------------------------------------------------------

def jacobian_chain(depth: int, scale: float, width: int, residual: bool = False,
                   seed: int = 0, explicit: bool = False, norm: str | None = None,
                   placement: str = "pre") -> np.ndarray:
    """Norm of the backpropagated gradient at every layer of a deep stack of random Jacobians.

    Backpropagation through layer l multiplies the gradient by that layer's Jacobian:
    g ← Jₗᵀ g. Here each Jₗ is a width×width matrix with entries drawn from N(0, scale²/width),
    so E‖Jᵀg‖² = scale²·‖g‖² and the norm changes by about `scale` per layer: scale^depth in all.
    With `residual=True` each layer is y = x + f(x), whose Jacobian is I + Jₗ, and the
    expected squared norm grows by (1 + scale²) per layer instead of shrinking.

    A shortcut makes this cheap enough for a browser: for a fresh Gaussian matrix J (independent
    of g), every entry of Jᵀg is an independent N(0, scale²‖g‖²/width) draw. So Jᵀg can be drawn
    directly as scale·‖g‖/√width · z with z ~ N(0, I): the same distribution, width times less
    work. `explicit=True` builds the matrices instead (the tests check the two agree).

    Returns depth + 1 norms: index l is ‖∂L/∂xₗ‖ at the input of layer l (0 = the first layer,
    `depth` = the output, where the gradient starts as a random unit vector).

    With `norm` ("layernorm", "rmsnorm", "batchnorm") the Jacobians depend on the activations,
    so the stack is run for real on a batch of 8 (`fieldguide.depth.deep_stack`, with `placement`
    "pre" or "post") and the values are RMS gradients over the batch, also starting at 1.
    """
    if norm is not None and norm != "none":
        from fieldguide.depth import deep_stack
        return deep_stack(depth, scale, width, residual, norm, placement, seed=seed)["grad"]
    depth, width = int(depth), int(width)
    if depth < 0 or width < 1:
        raise ValueError("depth must be ≥ 0 and width ≥ 1")
    if not (scale >= 0 and math.isfinite(scale)):
        raise ValueError("the Jacobian scale must be a finite number ≥ 0")
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(width)
    g /= np.linalg.norm(g)
    norms = np.empty(depth + 1)
    norms[depth] = 1.0
    sd = scale / math.sqrt(width)
    for layer in range(depth - 1, -1, -1):
        if explicit:
            step = (rng.standard_normal((width, width)) * sd).T @ g
        else:
            step = rng.standard_normal(width) * (sd * np.linalg.norm(g))
        g = g + step if residual else step
        norms[layer] = np.linalg.norm(g)
    return norms


def expected_chain_norm(depth: int, scale: float, residual: bool = False) -> float:
    """The typical ‖g‖ after `depth` layers: scale^depth, or (1 + scale²)^(depth/2) with residuals."""
    return (1 + scale * scale) ** (depth / 2) if residual else scale ** depth
