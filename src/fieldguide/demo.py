"""Run a demo module the same way everywhere: the site build, the browser's worker, a notebook.

A demo module declares `CONTROLS` and one `render(**values)`. This file turns whatever values
arrive (strings from a form, JSON numbers, a reader's typing) into the argument types the controls
declare, rejects what no control allows with a message a reader understands, calls `render`, and
makes the result strictly JSON-able (numpy scalars and arrays become numbers and lists; NaN and
infinities become null, because JSON has no spelling for them).
"""

from __future__ import annotations

import math
from numbers import Number

KINDS = ("range", "number", "select", "text", "textarea", "checkbox")

# One colour scale for weights and probabilities in [0, 1] across the book: white for 0, dark blue
# for 1 (plotly's own "Blues" runs the other way, dark for 0, which reads backwards for attention).
WEIGHTS = [[0, "#ffffff"], [0.5, "#6baed6"], [1, "#08306b"]]


def defaults(module) -> dict:
    return {c["name"]: c["default"] for c in module.CONTROLS}


def _as_float(c: dict, v) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{c['label']}: {v!r} is not a number") from None
    if math.isnan(x) or math.isinf(x):
        raise ValueError(f"{c['label']}: needs a finite number, got {v!r}")
    lo, hi = c["min"], c["max"]
    if not lo <= x <= hi:
        raise ValueError(f"{c['label']}: {x:g} is outside the allowed range {lo:g} to {hi:g}")
    return x


def coerce(c: dict, v):
    """One control's value, converted to the type `render` expects."""
    kind = c["kind"]
    if kind in ("range", "number"):
        x = _as_float(c, v)
        integral = all(float(c.get(k, 0)).is_integer() for k in ("min", "max", "default")) and \
            float(c.get("step", 1)).is_integer() and c.get("scale") != "log"
        return int(round(x)) if integral else x
    if kind == "checkbox":
        if isinstance(v, str):
            return v.lower() in ("1", "true", "on", "yes")
        return bool(v)
    if kind == "select":
        values = [o[0] if isinstance(o, (list, tuple)) else o for o in c["options"]]
        for opt in values:  # the form sends strings; match them back to the option's own type
            if v == opt or str(v) == str(opt):
                return opt
        raise ValueError(f"{c['label']}: {v!r} is not one of the choices")
    s = "" if v is None else str(v)
    limit = c.get("maxlength")
    if limit and len(s) > limit:
        raise ValueError(f"{c['label']}: the text is {len(s):,} characters long; "
                         f"this demo takes at most {limit:,}. Shorten it and try again.")
    return s


def call(module, values: dict | None = None):
    """render(**values) with every control present and typed; unknown names are ignored."""
    values = values or {}
    args = {}
    for c in module.CONTROLS:
        args[c["name"]] = coerce(c, values[c["name"]]) if c["name"] in values else c["default"]
    return jsonable(module.render(**args))


def jsonable(obj):
    """A copy of obj that json.dumps(allow_nan=False) accepts."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (str, bool)) or obj is None:
        return obj
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return jsonable(obj.tolist())
    if isinstance(obj, Number):
        if isinstance(obj, int):
            return int(obj)
        x = float(obj)
        return x if math.isfinite(x) else None
    return str(obj)
