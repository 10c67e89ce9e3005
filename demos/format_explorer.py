"""How does one number look in FP32, BF16, FP16 and the two FP8 formats — and what happens to a
tiny gradient stored in 16 bits?

Type a value and pick a format: the bits light up field by field (sign, exponent, mantissa) and
the table shows the same value rounded in all five. Then slide the gradient down to 1e-8 in FP16:
it falls below the smallest subnormal and becomes zero. Pick a loss scale of 65,536 and it survives;
push the gradient to 1e5 and the same scale overflows. Switch to BF16: no scale is needed.
"""

import math

from fieldguide import numerics

TITLE = "Number formats and loss scaling"
BADGE = "TOY"
ASSETS = []
FORMATS = [[k, f.label] for k, f in numerics.FORMATS.items()]
CONTROLS = [
    {"name": "value", "kind": "number", "label": "Value to store", "min": -1e6, "max": 1e6,
     "step": 1e-8, "default": 0.1},
    {"name": "format", "kind": "select", "label": "Format", "options": FORMATS, "default": "fp16"},
    {"name": "grad_magnitude", "kind": "range", "label": "Gradient magnitude", "min": 1e-10, "max": 1e5,
     "default": 1e-6, "scale": "log"},
    {"name": "loss_scale", "kind": "select", "label": "Loss scale",
     "options": [[1, "1 (no scaling)"], [128, "128"], [1024, "1,024"], [65536, "65,536"]], "default": 1},
    {"name": "implicit_bit", "kind": "checkbox", "label": "Count the implicit leading bit in the precision",
     "default": True},
]
STATUS = {"exact": "stored exactly", "rounded": "rounded, full precision",
          "subnormal": "subnormal: fewer significant bits", "underflow": "UNDERFLOW: became 0",
          "overflow": "OVERFLOW: became inf/NaN"}


def _g(x):
    """A number for a reader: up to 10 significant digits, never '1e+06'-style surprises for ints."""
    if isinstance(x, float) and math.isnan(x):
        return "NaN"
    if isinstance(x, float) and math.isinf(x):
        return "+inf" if x > 0 else "−inf"
    return f"{x:.10g}"


def _bits_block(enc, fmt_label):
    fields = [("sign", enc["sign"], 3), ("exponent", enc["exponent"], 1), ("mantissa", enc["mantissa"], 2)]
    chips = []
    for name, bits, colour in fields:
        for i, b in enumerate(bits):
            chips.append({"text": b, "group": colour, "title": f"{name} bit {i + 1} of {len(bits)}"})
    return {"kind": "tokens", "tokens": chips,
            "caption": (f"{fmt_label} bits: sign {enc['sign']} | exponent {enc['exponent']} | "
                        f"mantissa {enc['mantissa']} (code 0x{enc['code']:0{(len(enc['bits']) + 3) // 4}X}, "
                        f"{enc['kind']})")}


def _range_figure(grad, scale, fmt_label):
    """Each format's representable magnitudes as two thick segments on a log10 axis."""
    log, traces = math.log10, []
    for i, (key, f) in enumerate(numerics.FORMATS.items()):
        info = numerics.format_info(key)
        for name, lo, hi, colour in (("subnormal range", info["min_subnormal"], info["min_normal"], "#f4a261"),
                                     ("normal range", info["min_normal"], info["max"], "#2a9d8f")):
            traces.append({"type": "scatter", "mode": "lines", "name": name, "legendgroup": name,
                           "showlegend": i == 0, "x": [log(lo), log(hi)], "y": [f.label, f.label],
                           "line": {"color": colour, "width": 10}})
    traces.append({"type": "scatter", "mode": "markers+text", "name": "gradient", "x": [log(grad)],
                   "y": [fmt_label], "text": ["gradient"], "textposition": "top center",
                   "marker": {"size": 12, "color": "#e76f51"}})
    if scale != 1:
        traces.append({"type": "scatter", "mode": "markers+text", "name": f"gradient × {scale:,}",
                       "x": [log(grad * scale)], "y": [fmt_label], "text": [f"× {scale:,}"],
                       "textposition": "bottom center", "marker": {"size": 12, "color": "#264653"}})
    layout = {"height": 300, "margin": {"t": 20, "l": 90},
              "xaxis": {"title": {"text": "log10 of magnitude"}, "range": [-46, 40]},
              "yaxis": {"autorange": "reversed"},
              "legend": {"orientation": "h", "y": -0.3}}
    return {"data": traces, "layout": layout}


def render(value=0.1, format="fp16", grad_magnitude=1e-6, loss_scale=1, implicit_bit=True):
    fmt = numerics.get_format(format)
    info = numerics.format_info(fmt, implicit_bit)
    enc = numerics.encode(value, fmt)
    scale = int(loss_scale)
    conv = "counting the implicit bit" if implicit_bit else "stored mantissa bits only"

    blocks = [_bits_block(enc, fmt.label)]
    rel = abs(enc["error"]) / abs(value) if value and math.isfinite(enc["error"]) else 0.0
    blocks.append({"kind": "stats", "items": [
        {"label": "You typed", "value": _g(float(value))},
        {"label": f"Stored in {fmt.label}", "value": _g(enc["value"])},
        {"label": "Rounding error", "value": _g(enc["error"]),
         "note": f"{rel:.2e} relative" if math.isfinite(enc["error"]) else "out of range"},
        {"label": "Layout S/E/M", "value": f"1/{info['exponent_bits']}/{info['mantissa_bits']}",
         "note": f"bias {info['bias']}"},
        {"label": "Largest finite", "value": _g(info["max"]),
         "note": "no infinity: overflow is NaN" if not info["has_infinity"] else "beyond it: inf"},
        {"label": "Smallest normal", "value": f"{info['min_normal']:.4g}"},
        {"label": "Smallest subnormal", "value": f"{info['min_subnormal']:.4g}"},
        {"label": "Epsilon (1 to next)", "value": f"{info['epsilon']:.4g}"},
        {"label": "Precision", "value": f"{info['precision_bits']} bits ≈ {info['decimal_digits']:.1f} digits",
         "note": conv},
    ]})
    if enc["kind"] in ("inf", "nan"):
        blocks.append({"kind": "text", "level": "warn", "text": (
            f"{_g(float(value))} is beyond {fmt.label}'s largest value {_g(info['max'])}: it is stored as "
            f"{_g(enc['value'])}.")})

    rows = []
    for key, f in numerics.FORMATS.items():
        e = numerics.encode(value, key)
        rows.append([f.label, e["bits"], _g(e["value"]), _g(e["error"]), e["kind"]])
    blocks.append({"kind": "table", "columns": ["Format", "Bits", "Stored value", "Error", "Class"],
                   "rows": rows, "caption": f"{_g(float(value))} in every format (round to nearest, ties to even)."})

    g = float(grad_magnitude)
    plain, scaled = numerics.loss_scaled(g, fmt, 1), numerics.loss_scaled(g, fmt, scale)
    grows = [["no scaling", _g(plain["scaled"]), _g(plain["stored"]), _g(plain["recovered"]), STATUS[plain["status"]]],
             [f"loss × {scale:,}", _g(scaled["scaled"]), _g(scaled["stored"]), _g(scaled["recovered"]),
              STATUS[scaled["status"]]]]
    blocks.append({"kind": "table", "columns": ["Gradient", "Before storing", f"Stored in {fmt.label}",
                                                "After ÷ scale", "What happened"],
                   "rows": grows, "caption": f"A gradient of {g:.3g} stored in {fmt.label}."})
    blocks.append({"kind": "plotly", "figure": _range_figure(g, scale, fmt.label), "alt": (
        "Representable magnitudes, log10 scale: " + "; ".join(
            f"{f.label} subnormals from {numerics.format_info(k)['min_subnormal']:.3g}, normals "
            f"{numerics.format_info(k)['min_normal']:.3g} to {numerics.format_info(k)['max']:.4g}"
            for k, f in numerics.FORMATS.items())
        + f". Gradient {g:.3g}, scaled {g * scale:.3g}, marked on the {fmt.label} row.")})
    return blocks
