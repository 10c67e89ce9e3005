"""Number formats: the book map's worked values, IEEE/OCP edge cases, and exact agreement with
NumPy's float16/float32 conversions (and a bit-level BF16 reference) on many random values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fieldguide import numerics as n

X = 0.18374921


def test_a_weight_progressively_rounded():
    assert n.round_to(X, "fp16") == 0.1837158203125
    assert n.round_to(X, "bf16") == 0.18359375
    assert n.round_to(X, "e4m3") == 0.1875
    assert n.round_to(X, "e5m2") == 0.1875
    assert n.round_to(X, "fp32") == float(np.float32(X))


def test_layouts_and_ranges():
    lay = {k: (n.format_info(k)["exponent_bits"], n.format_info(k)["mantissa_bits"]) for k in n.FORMATS}
    assert lay == {"fp32": (8, 23), "bf16": (8, 7), "fp16": (5, 10), "e4m3": (4, 3), "e5m2": (5, 2)}
    assert n.format_info("fp16")["max"] == 65504 == float(np.finfo(np.float16).max)
    assert n.format_info("fp32")["max"] == float(np.finfo(np.float32).max)
    assert n.format_info("e4m3")["max"] == 448
    assert n.format_info("e5m2")["max"] == 57344
    assert n.format_info("bf16")["max"] == pytest.approx(3.3895e38, rel=1e-4)
    assert n.format_info("fp16")["min_normal"] == float(np.finfo(np.float16).tiny) == 2.0 ** -14
    assert n.format_info("fp16")["min_subnormal"] == 2.0 ** -24
    assert n.format_info("e4m3")["min_subnormal"] == 2.0 ** -9
    assert n.format_info("e5m2")["min_subnormal"] == 2.0 ** -16
    assert n.format_info("bf16")["min_normal"] == n.format_info("fp32")["min_normal"]
    assert n.format_info("fp32")["epsilon"] == float(np.finfo(np.float32).eps)
    assert n.format_info("FP8 E4M3")["name"] == "e4m3" and n.format_info("BF16")["bits"] == 16


def test_implicit_bit_convention():
    on, off = n.format_info("fp32"), n.format_info("fp32", implicit_bit=False)
    assert (on["precision_bits"], off["precision_bits"]) == (24, 23)
    assert round(on["decimal_digits"], 1) == 7.2 and round(off["decimal_digits"], 1) == 6.9
    assert round(n.format_info("e5m2", implicit_bit=False)["decimal_digits"], 1) == 0.6
    assert on["epsilon"] == off["epsilon"]


def test_overflow_per_format():
    assert n.round_to(65504, "fp16") == 65504
    assert n.round_to(65519.99, "fp16") == 65504            # below the halfway point: max
    assert n.round_to(65520, "fp16") == math.inf             # the tie goes to even, i.e. up, i.e. inf
    assert n.round_to(-1e6, "fp16") == -math.inf
    assert n.round_to(464, "e4m3") == 448                    # tie between 448 (even) and 480 (NaN code)
    assert math.isnan(n.round_to(465, "e4m3"))               # E4M3 has no infinity
    assert math.isnan(n.round_to(math.inf, "e4m3"))
    assert n.round_to(1e6, "e4m3", saturate=True) == 448
    assert n.round_to(61439, "e5m2") == 57344 and n.round_to(61440, "e5m2") == math.inf
    assert n.round_to(1e39, "bf16") == math.inf and n.round_to(1e39, "fp32") == math.inf
    assert n.round_to(-1e39, "bf16", saturate=True) == -n.format_info("bf16")["max"]


def test_subnormals_and_underflow():
    assert n.round_to(2.0 ** -24, "fp16") == 2.0 ** -24
    assert n.encode(2.0 ** -24, "fp16")["kind"] == "subnormal"
    assert n.round_to(2.0 ** -25, "fp16") == 0.0               # tie with zero goes to even (zero)
    assert n.round_to(1.5 * 2.0 ** -25, "fp16") == 2.0 ** -24
    assert n.round_to(1e-8, "fp16") == 0.0
    assert math.copysign(1, n.round_to(-1e-12, "e4m3")) == -1  # signed zero survives
    assert n.round_to(3 * 2.0 ** -10, "e4m3") == 2 * 2.0 ** -9  # halfway between 1 and 2 quanta: to even
    assert n.round_to(1e-40, "fp32") == float(np.float32(1e-40))


def test_encode_bits():
    e = n.encode(1.0, "fp32")
    assert e["bits"] == "0" + "01111111" + "0" * 23 and e["code"] == 0x3F800000
    assert n.encode(X, "fp16")["code"] == int(np.float16(X).view(np.uint16))
    assert n.encode(-2.0, "bf16")["bits"] == "1100000000000000"
    assert n.encode(448, "e4m3")["bits"] == "01111110"
    assert n.encode(math.nan, "e4m3")["bits"] == "01111111"
    assert n.encode(1e9, "e5m2")["bits"] == "01111100" and n.encode(1e9, "e5m2")["kind"] == "inf"
    assert n.encode(57344, "e5m2")["bits"] == "01111011"
    assert n.encode(X, "e4m3")["error"] == pytest.approx(0.1875 - X)
    with pytest.raises(ValueError, match="number format"):
        n.encode(1.0, "fp12")
    with pytest.raises(ValueError, match="number"):
        n.round_to("abc", "fp16")


@pytest.mark.parametrize("fmt", ["e4m3", "e5m2", "fp16"])
def test_every_code_round_trips(fmt):
    nb = n.format_info(fmt)["bits"]
    nans = 0
    for c in range(2 ** nb):
        v = n.decode(c, fmt)
        if math.isnan(v):
            nans += 1
            continue
        assert n.encode(v, fmt)["code"] == c
    assert nans == {"e4m3": 2, "e5m2": 6, "fp16": 2046}[fmt]


def _values(seed=0, size=20000):
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.integers(-45, 39, size)
    x = rng.standard_normal(size) * scale
    ties = (rng.integers(1, 2 ** 11, 2000) * 2 + 1) * 2.0 ** -12     # exact fp16 halfway points
    return np.concatenate([x, ties, -ties])


def test_matches_numpy_float16_and_float32_exactly():
    with np.errstate(over="ignore"):
        for v in _values():
            v = float(v)
            assert n.round_to(v, "fp16") == float(np.float16(v))
            assert n.round_to(v, "fp32") == float(np.float32(v))


def _bf16_reference(v):
    """Round a float32 to bfloat16 by the bit trick libraries use (round to nearest even)."""
    u = int(np.float32(v).view(np.uint32))
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return float(np.uint32(u).view(np.float32))


def test_bf16_matches_the_bit_trick_on_float32_inputs():
    with np.errstate(over="ignore"):
        vals = [float(np.float32(v)) for v in _values(1) if abs(v) < 3e38]
    for v in vals:
        assert n.round_to(v, "bf16") == _bf16_reference(v)


def test_loss_scaling():
    g = 1e-8                                    # below FP16's smallest subnormal
    assert n.loss_scaled(g, "fp16")["status"] == "underflow"
    ok = n.loss_scaled(g, "fp16", 65536)
    assert ok["status"] == "rounded" and ok["relative_error"] < 1e-3
    assert n.loss_scaled(g, "bf16")["status"] == "rounded"   # BF16 keeps FP32's range
    assert n.loss_scaled(1.0, "fp16", 65536)["status"] == "overflow"
    assert n.loss_scaled(1e-6, "fp16")["status"] == "subnormal"
    with pytest.raises(ValueError, match="loss scale"):
        n.loss_scaled(1.0, "fp16", 0)
