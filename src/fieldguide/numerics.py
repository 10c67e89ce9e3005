"""Floating-point formats bit by bit: FP32, BF16, FP16 and the two FP8 formats.

A binary float stores a sign bit s, an exponent field e of E bits and a mantissa (fraction) field
f of M bits. With bias b = 2^(E−1) − 1 the value is

    normal     (0 < e < e_max_field):  (−1)^s · 2^(e − b) · (1 + f / 2^M)
    subnormal  (e = 0):                 (−1)^s · 2^(1 − b) · (f / 2^M)

The leading 1 of a normal number is not stored: it is the *implicit bit*. So a format with M
stored mantissa bits carries M + 1 significant bits; `format_info` reports both and says which
convention a "decimal digits" figure uses.

Special values differ by format. FP32, BF16, FP16 and FP8 E5M2 follow IEEE 754: the all-ones
exponent holds ±infinity (f = 0) and NaN (f ≠ 0). FP8 E4M3, as specified by the OCP 8-bit
floating point specification (Micikevicius et al., "FP8 Formats for Deep Learning", 2022), has no
infinities: it gives the all-ones exponent back to ordinary numbers, except S.1111.111, which is
NaN. That stretches its largest value from 240 to 448.

`round_to` rounds to the nearest representable value, ties to even mantissa, exactly (the
arithmetic is done on Python floats, where scaling by powers of two is exact), and agrees with
NumPy's float16 and float32 conversions bit for bit. A value too large for the format becomes
±inf (IEEE formats) or NaN (E4M3), or ±max when `saturate=True` — the choice the OCP spec leaves
to the implementation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str          # canonical key: "fp32", "bf16", "fp16", "e4m3", "e5m2"
    label: str         # for readers: "FP8 E4M3"
    exponent_bits: int
    mantissa_bits: int
    ieee_specials: bool   # True: all-ones exponent = inf/NaN; False (E4M3): only S.1111.111 is NaN

    @property
    def bits(self) -> int:
        return 1 + self.exponent_bits + self.mantissa_bits

    @property
    def bias(self) -> int:
        return 2 ** (self.exponent_bits - 1) - 1

    @property
    def emin(self) -> int:
        """Unbiased exponent of the smallest normal number."""
        return 1 - self.bias

    @property
    def emax(self) -> int:
        """Unbiased exponent of the largest finite number."""
        top = 2 ** self.exponent_bits - 1
        return (top - 1 if self.ieee_specials else top) - self.bias

    @property
    def max(self) -> float:
        m = self.mantissa_bits
        if self.ieee_specials:
            frac = 2 - 2.0 ** -m                      # mantissa all ones
        else:
            frac = 2 - 2.0 ** (1 - m)                 # all ones is NaN: one step below it
        return math.ldexp(frac, self.emax)


FORMATS = {
    "fp32": Format("fp32", "FP32", 8, 23, True),
    "bf16": Format("bf16", "BF16", 8, 7, True),
    "fp16": Format("fp16", "FP16", 5, 10, True),
    "e4m3": Format("e4m3", "FP8 E4M3", 4, 3, False),
    "e5m2": Format("e5m2", "FP8 E5M2", 5, 2, True),
}
_ALIASES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16", "half": "fp16",
            "fp8_e4m3": "e4m3", "fp8-e4m3": "e4m3", "fp8 e4m3": "e4m3", "e4m3fn": "e4m3",
            "fp8_e5m2": "e5m2", "fp8-e5m2": "e5m2", "fp8 e5m2": "e5m2"}


def get_format(fmt) -> Format:
    """A Format from its name ("fp32", "BF16", "FP8 E4M3", "e5m2", …) or a Format."""
    if isinstance(fmt, Format):
        return fmt
    key = str(fmt).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        raise ValueError(f"unknown number format {fmt!r}; choose one of "
                         + ", ".join(f.label for f in FORMATS.values()))
    return FORMATS[key]


def format_info(fmt, implicit_bit: bool = True) -> dict:
    """Range and precision of a format.

    `epsilon` is the gap between 1 and the next larger number, 2^−M. `precision_bits` is M + 1
    when the implicit bit is counted (the default) and M when it is not; `decimal_digits` is
    precision_bits · log10(2) under the same convention, and `implicit_bit` records which.
    """
    f = get_format(fmt)
    p = f.mantissa_bits + (1 if implicit_bit else 0)
    return {
        "name": f.name, "label": f.label, "bits": f.bits, "sign_bits": 1,
        "exponent_bits": f.exponent_bits, "mantissa_bits": f.mantissa_bits, "bias": f.bias,
        "max": f.max,
        "min_normal": math.ldexp(1.0, f.emin),
        "min_subnormal": math.ldexp(1.0, f.emin - f.mantissa_bits),
        "epsilon": math.ldexp(1.0, -f.mantissa_bits),
        "implicit_bit": bool(implicit_bit),
        "precision_bits": p,
        "decimal_digits": p * math.log10(2),
        "has_infinity": f.ieee_specials,
    }


def _number(x) -> float:
    if isinstance(x, bool):
        raise ValueError(f"expected a number, got {x!r}")
    try:
        return float(x)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {x!r}") from None


def round_to(x, fmt, saturate: bool = False) -> float:
    """x rounded to the nearest value of `fmt` (ties to even), returned as a Python float.

    Too large in magnitude: ±inf for IEEE formats, NaN for E4M3 (it has no infinity), or the
    format's ±max when `saturate` is True. Too small: a subnormal, or a signed zero.
    """
    f = get_format(fmt)
    v = _number(x)
    if math.isnan(v):
        return math.nan
    if math.isinf(v):
        if saturate:
            return math.copysign(f.max, v)
        return v if f.ieee_specials else math.nan
    if v == 0.0:
        return v
    _, e2 = math.frexp(abs(v))                 # |v| = m · 2^e2 with m in [0.5, 1)
    exp = max(e2 - 1, f.emin)                  # unbiased exponent of the binade (subnormals share emin)
    quantum = math.ldexp(1.0, exp - f.mantissa_bits)
    n = round(abs(v) / quantum)                # exact quotient; round() is half-to-even
    r = math.copysign(n * quantum, v)
    if abs(r) > f.max:
        if saturate:
            return math.copysign(f.max, v)
        return math.copysign(math.inf, v) if f.ieee_specials else math.nan
    return r


def _classify(f: Format, r: float) -> str:
    if math.isnan(r):
        return "nan"
    if math.isinf(r):
        return "inf"
    if r == 0.0:
        return "zero"
    return "subnormal" if abs(r) < math.ldexp(1.0, f.emin) else "normal"


def encode(x, fmt, saturate: bool = False) -> dict:
    """The bit pattern `fmt` stores for x (after rounding), field by field.

    Returns sign, exponent and mantissa as bit strings, the whole code as an int and a string,
    the stored value, its class (normal, subnormal, zero, inf, nan), the unbiased exponent of a
    finite non-zero value, and the rounding error stored − x.
    """
    f = get_format(fmt)
    v = _number(x)
    r = round_to(v, f, saturate)
    kind = _classify(f, r)
    E, M = f.exponent_bits, f.mantissa_bits
    sign = 1 if math.copysign(1.0, r) < 0 else 0
    if kind == "nan":
        sign = 1 if math.copysign(1.0, v) < 0 else 0
        e_field = 2 ** E - 1
        m_field = 2 ** (M - 1) if f.ieee_specials else 2 ** M - 1   # quiet NaN / E4M3's only NaN
        exp = None
    elif kind == "inf":
        e_field, m_field, exp = 2 ** E - 1, 0, None
    elif kind == "zero":
        e_field, m_field, exp = 0, 0, None
    elif kind == "subnormal":
        e_field, exp = 0, f.emin
        m_field = int(abs(r) / math.ldexp(1.0, f.emin - M))
    else:
        _, e2 = math.frexp(abs(r))
        exp = e2 - 1
        e_field = exp + f.bias
        m_field = int((abs(r) / math.ldexp(1.0, exp) - 1) * 2 ** M)
    code = (sign << (E + M)) | (e_field << M) | m_field
    s_bits, e_bits, m_bits = str(sign), format(e_field, f"0{E}b"), format(m_field, f"0{M}b")
    return {"format": f.name, "sign": s_bits, "exponent": e_bits, "mantissa": m_bits,
            "bits": s_bits + e_bits + m_bits, "code": code, "value": r, "kind": kind,
            "unbiased_exponent": exp,
            "error": (r - v) if kind in ("normal", "subnormal", "zero") else math.nan}


def decode(code: int, fmt) -> float:
    """The value of the bit pattern `code` (an unsigned int of the format's width)."""
    f = get_format(fmt)
    if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code < 2 ** f.bits:
        raise ValueError(f"a {f.label} code is a whole number from 0 to {2 ** f.bits - 1}, got {code!r}")
    E, M = f.exponent_bits, f.mantissa_bits
    sign = -1.0 if code >> (E + M) else 1.0
    e_field = (code >> M) & (2 ** E - 1)
    m_field = code & (2 ** M - 1)
    if e_field == 2 ** E - 1:
        if f.ieee_specials:
            return math.copysign(math.inf, sign) if m_field == 0 else math.nan
        if m_field == 2 ** M - 1:
            return math.nan
    if e_field == 0:
        return sign * math.ldexp(m_field, f.emin - M)
    return sign * math.ldexp(2 ** M + m_field, e_field - f.bias - M)


def loss_scaled(grad, fmt, loss_scale=1.0) -> dict:
    """What survives when a gradient is stored in `fmt` after multiplying the loss by loss_scale.

    The stored value is round_to(grad · loss_scale); dividing by the scale afterwards (done in
    FP32 by the optimizer) recovers the gradient. `status` says what storage did to it:
    "exact", "rounded", "subnormal" (stored with fewer significant bits), "underflow" (flushed to
    zero) or "overflow" (inf/NaN).
    """
    f = get_format(fmt)
    g, s = _number(grad), _number(loss_scale)
    if not math.isfinite(g):
        raise ValueError(f"the gradient must be a finite number, got {grad!r}")
    if not (math.isfinite(s) and s > 0):
        raise ValueError(f"the loss scale must be a positive number, got {loss_scale!r}")
    scaled = g * s
    stored = round_to(scaled, f)
    kind = _classify(f, stored)
    if kind in ("inf", "nan"):
        status = "overflow"
    elif kind == "zero" and g != 0:
        status = "underflow"
    elif kind == "subnormal":
        status = "subnormal"
    else:
        status = "exact" if stored == scaled else "rounded"
    recovered = stored / s if kind not in ("inf", "nan") else stored
    rel = abs(recovered - g) / abs(g) if g != 0 and math.isfinite(recovered) else (0.0 if g == 0 else math.inf)
    return {"scaled": scaled, "stored": stored, "recovered": recovered, "status": status,
            "relative_error": rel}
