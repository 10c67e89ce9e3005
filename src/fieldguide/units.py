"""Units and constants the book uses, each defined once.

Two traps hide in everyday units. "GB" means 10^9 bytes on a datasheet but 2^30 bytes (a GiB)
in many tools, a 7% difference. And "a year" of GPU time is 365.25 days of 86,400 seconds —
the Julian year astronomers use — so GPU-years in this book are comparable with each other.
"""

from __future__ import annotations

import math

# Time
SECONDS_PER_MINUTE = 60.0
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
DAYS_PER_YEAR = 365.25
SECONDS_PER_YEAR = DAYS_PER_YEAR * SECONDS_PER_DAY  # 3.15576e7
HOURS_PER_YEAR = DAYS_PER_YEAR * 24.0               # 8,766

# Bytes: decimal (datasheets, networks) and binary (operating systems, nvidia-smi)
KB, MB, GB, TB = 1e3, 1e6, 1e9, 1e12
KIB, MIB, GIB, TIB = 2**10, 2**20, 2**30, 2**40

# Counts and rates
THOUSAND, MILLION, BILLION, TRILLION = 1e3, 1e6, 1e9, 1e12
GFLOP, TFLOP, PFLOP = 1e9, 1e12, 1e15   # FLOP (or FLOP/s for the rate)


def gb_to_gib(x: float) -> float:
    """Decimal gigabytes to binary gibibytes (80 GB is 74.5 GiB)."""
    return x * GB / GIB


def gib_to_gb(x: float) -> float:
    """Binary gibibytes to decimal gigabytes."""
    return x * GIB / GB


# --- how numbers are written for readers ------------------------------------------------------

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sci(x: float, digits: int = 3) -> str:
    """Scientific notation a reader can read: sci(5.88e23) == '5.88×10²³'."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    exp = math.floor(math.log10(abs(x)))
    mant = round(x / 10**exp, digits - 1)
    if abs(mant) >= 10:                       # 9.999 rounded up to 10.0
        mant, exp = mant / 10, exp + 1
    return f"{mant:.{digits - 1}f}×10{str(exp).translate(_SUPERSCRIPT)}"


def compact(x: float, digits: int = 3) -> str:
    """A count with a short-scale suffix: compact(70e9) == '70B', compact(1.4e12) == '1.4T'."""
    x = float(x)
    if not math.isfinite(x):
        return f"{x:g}"
    if abs(x) >= 1e15:
        return sci(x, digits)
    for suffix, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale * (1 - 0.5 * 10**-digits):
            return f"{x / scale:.{digits}g}{suffix}"
    return f"{x:.{digits}g}"
