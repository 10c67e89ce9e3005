"""One weight, stored seven ways. Keep the default 0.18374921 and read the table: FP16 keeps four
significant digits, BF16 and the FP8 formats fewer, and the integer rows depend entirely on the
range the scale must cover. Widen the integer range to 10 and watch INT4 round the weight to zero;
narrow it to 0.2 and the value no longer fits (it is clipped to the largest code).
"""

from fieldguide import numerics, quant

TITLE = "One weight in every format"
BADGE = "TOY"
ASSETS = []
FLOATS = list(numerics.FORMATS)
INTS = {"int8": 8, "int4": 4}
OPTIONS = [[k, numerics.FORMATS[k].label] for k in FLOATS] + [["int8", "INT8 (symmetric)"],
                                                             ["int4", "INT4 (symmetric)"]]
CONTROLS = [
    {"name": "value", "kind": "number", "label": "Weight value", "min": -1e6, "max": 1e6, "step": 1e-8,
     "default": 0.18374921},
    {"name": "int_range", "kind": "range", "label": "Integer grid covers ± (absmax of the block)",
     "min": 0.2, "max": 10.0, "step": 0.1, "default": 1.0},
    {"name": "all_formats", "kind": "checkbox", "label": "Show every format", "default": True},
    {"name": "format", "kind": "select", "label": "Format whose bits are drawn", "options": OPTIONS,
     "default": "fp16"},
]


def _row(key, v, rng):
    if key in INTS:
        b = INTS[key]
        scale = rng / (2 ** (b - 1) - 1)
        r = quant.int_quantize(v, b, scale)
        bits = format(r["code"] & (2 ** b - 1), f"0{b}b")
        note = f"code {r['code']} × scale {scale:.6g}" + (" (clipped)" if r["clipped"] else "")
        return [dict(OPTIONS)[key], b, f"{r['value']:.10g}", f"{r['error']:.3g}", note], bits
    enc = numerics.encode(v, key)
    label = numerics.FORMATS[key].label
    return ([label, len(enc["bits"]), f"{enc['value']:.10g}", f"{enc['error']:.3g}", enc["kind"]],
            f"{enc['sign']}|{enc['exponent']}|{enc['mantissa']}")


def render(value=0.18374921, int_range=1.0, all_formats=True, format="fp16"):
    from fieldguide import checks
    v = checks.number("Weight value", value, -1e6, 1e6)
    rng = checks.number("Integer grid covers ±", int_range, 0.2, 10.0)
    if format not in dict(OPTIONS):
        raise ValueError(f"Format whose bits are drawn: unknown format {format!r}")
    keys = [k for k, _ in OPTIONS] if all_formats else [format]
    rows = [_row(k, v, rng)[0] for k in keys]
    _, bits = _row(format, v, rng)
    chips = [{"text": c, "group": 3 if c == "|" else 1, "title": "field boundary" if c == "|" else "bit"}
             for c in bits]
    return [
        {"kind": "table", "columns": ["format", "bits", "stored value", "error", "how"], "rows": rows,
         "caption": f"{v:.10g} as stored; integer grids are symmetric with scale = {rng:g} / (2^(b−1) − 1)"},
        {"kind": "tokens", "tokens": chips,
         "caption": f"{dict(OPTIONS)[format]} bits of {v:.10g}" + (
             " (sign | exponent | mantissa)" if format in FLOATS else " (two's-complement code)")},
        {"kind": "stats", "items": [
            {"label": "INT8 step", "value": f"{rng / 127:.4g}"},
            {"label": "INT4 step", "value": f"{rng / 7:.4g}"}]},
    ]
