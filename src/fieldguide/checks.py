"""Argument checks shared by the core and the demos.

Every function that takes a number from a reader (a slider, a notebook cell) checks it the same
way: a number, finite, in range — or a ValueError that names the input and says what was wrong,
because the book shows these messages to readers.
"""

from __future__ import annotations

import math


def number(name: str, x, lo: float = -math.inf, hi: float = math.inf, *, positive: bool = False) -> float:
    """x as a finite float in [lo, hi] (and > 0 if positive)."""
    if isinstance(x, bool):
        raise ValueError(f"{name} must be a number, got {x!r}")
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {x!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {x!r}")
    if positive and v <= 0:
        raise ValueError(f"{name} must be a positive number, got {x!r}")
    if not lo <= v <= hi:
        raise ValueError(f"{name} must be between {lo:g} and {hi:g}, got {x!r}")
    return v


def whole(name: str, x, lo: float = 0, hi: float = math.inf) -> int:
    """x as an int in [lo, hi]; 3.0 is accepted, 3.5, True and "3" are not."""
    if isinstance(x, bool):
        raise ValueError(f"{name} must be a whole number, got {x!r}")
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, got {x!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite whole number, got {x!r}")
    if not v.is_integer():
        raise ValueError(f"{name} must be a whole number, got {x!r}")
    if v < lo:
        raise ValueError(f"{name} cannot be negative, got {x!r}" if lo == 0 else
                         f"{name} must be a whole number of at least {lo:,.0f}, got {x!r}")
    if v > hi:
        raise ValueError(f"{name} must be a whole number of at most {hi:,.0f}, got {x!r}")
    return int(v)
