"""The ```demo fence: a chapter names a demo; the build writes its controls and a pre-render.

Configured in mkdocs.yml as a pymdownx.superfences custom fence, so it is a plain Python-Markdown
extension (portable to Zensical), not an MkDocs plugin event:

    ```demo
    compute_economy
    params: 1e12        # optional: override a default on this page
    ```

The HTML follows the DOM contract of design.md: a root with data-demo / data-demo-state /
data-demo-renders / data-demo-render-ms, labelled native inputs named after render's arguments,
and a data-demo-output element holding the output the build computed in CPython.
"""

from __future__ import annotations

import math
from html import escape

from pymdownx.superfences import SuperFencesException

from fieldguide import demo as runner
from fieldguide_site import demos
from fieldguide_site.blocks import blocks_html, fmt_value

BADGE_HELP = {
    "REAL": "Computed live from real data: real vocabularies, published configs, paper tables.",
    "TINY-REAL": "Computed live by the book's own tiny trained model — real, but about a million times smaller than a frontier model.",
    "TOY": "A live computation on synthetic data, built to show one idea clearly.",
    "AUTHORED": "Hand-written content, marked as such.",
}


def parse_body(source: str) -> tuple[str, dict]:
    lines = [ln.split("#", 1)[0].strip() for ln in source.strip().splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        raise ValueError("a demo fence needs a demo id on its first line")
    overrides = {}
    for ln in lines[1:]:
        if ":" not in ln:
            raise ValueError(f"override line {ln!r} must look like `name: value`")
        k, v = ln.split(":", 1)
        overrides[k.strip()] = v.strip()
    return lines[0], overrides


def format_demo(source, language, class_name, options, md, **kwargs):
    try:
        demo_id, overrides = parse_body(source)
        mod = demos.load(demo_id)
        values = runner.defaults(mod)
        names = set(values)
        for k, v in overrides.items():
            if k not in names:
                raise ValueError(f"{demo_id} has no control {k!r} (controls: {', '.join(sorted(names))})")
            c = next(c for c in mod.CONTROLS if c["name"] == k)
            values[k] = runner.coerce(c, v)
        blocks = runner.call(mod, values)
    except Exception as e:  # a broken demo must fail the build loudly, not vanish from the page
        raise SuperFencesException(f"demo fence {source.strip()[:60]!r}: {type(e).__name__}: {e}") from e
    n = getattr(md, "_fieldguide_demo_count", 0) + 1
    md._fieldguide_demo_count = n
    return demo_html(demo_id, mod, values, blocks, f"fg-{demo_id}-{n}")


def demo_html(demo_id, mod, values, blocks, uid) -> str:
    attrs = {
        "class": "fg-demo",
        "data-demo": demo_id,
        "data-demo-state": "static",
        "data-demo-renders": "0",
        "data-demo-render-ms": "",
        "data-demo-assets": " ".join(getattr(mod, "ASSETS", [])),
        "data-demo-timeout": str(getattr(mod, "TIMEOUT_S", 5)),
        "aria-labelledby": f"{uid}-title",
    }
    if getattr(mod, "URL_STATE", False):
        attrs["data-demo-url-state"] = ""
    head = (f'<div class="fg-demo-head">'
            f'<span class="fg-badge fg-badge--{mod.BADGE.lower()}" title="{escape(BADGE_HELP[mod.BADGE])}">{mod.BADGE}</span>'
            f'<span class="fg-demo-title" id="{uid}-title">{escape(mod.TITLE)}</span>'
            f'<span class="fg-demo-status" data-demo-status role="status" aria-live="polite">'
            f'Pre-rendered when the book was built · goes live once Python loads</span></div>')
    controls = "".join(control_html(c, values[c["name"]], uid) for c in mod.CONTROLS)
    form = f'<form class="fg-demo-controls" autocomplete="off">{controls}</form>' if controls else ""
    out = f'<div class="fg-demo-output" data-demo-output>{blocks_html(blocks, mod.TITLE)}</div>'
    attr_s = " ".join(f'{k}="{escape(str(v))}"' if v != "" or k.startswith("data-demo-render") else k
                      for k, v in attrs.items())
    return f"<div {attr_s}>{head}{form}{out}</div>"


def control_html(c: dict, value, uid: str) -> str:
    name, kind = c["name"], c["kind"]
    cid = f"{uid}-{name}"
    label = escape(c["label"]) + (f' <span class="fg-unit">({escape(c["unit"])})</span>' if c.get("unit") else "")
    common = f'id="{cid}" name="{escape(name)}"'
    extra = ""
    if kind in ("range", "number"):
        lo, hi = float(c["min"]), float(c["max"])
        if c.get("scale") == "log":
            lo, hi, v = math.log10(lo), math.log10(hi), math.log10(value)
            step = c.get("step", round((hi - lo) / 400, 4) or 0.01)
            extra = ' data-scale="log"'
        else:
            v = value
            step = c.get("step", _nice_step(hi - lo))
        shown = fmt_value(value)  # the unit is in the label
        # data-default: the exact value, because the browser snaps a range's value to its step grid
        inp = (f'<input type="{kind}" {common} min="{_n(lo)}" max="{_n(hi)}" step="{_n(step)}" '
               f'value="{_n(v)}" data-default="{value!r}"{extra} aria-valuetext="{escape(shown)}">')
        if kind == "range":
            inp += f'<output class="fg-control-value" for="{cid}">{escape(shown)}</output>'
    elif kind == "select":
        opts = []
        for o in c["options"]:
            val, lab = (o[0], o[1]) if isinstance(o, (list, tuple)) else (o, o)
            sel = " selected" if str(val) == str(value) else ""
            opts.append(f'<option value="{escape(str(val))}"{sel}>{escape(str(lab))}</option>')
        inp = f'<select {common}>{"".join(opts)}</select>'
    elif kind == "checkbox":
        inp = f'<input type="checkbox" {common}{" checked" if value else ""}>'
    elif kind == "textarea":
        rows = c.get("rows", 4)
        inp = f'<textarea {common} rows="{rows}" spellcheck="false">{escape(str(value))}</textarea>'
    elif kind == "text":
        inp = f'<input type="text" {common} value="{escape(str(value))}" spellcheck="false">'
    else:
        raise ValueError(f"control {name!r}: unknown kind {kind!r} (use one of {runner.KINDS})")
    help_ = f'<small class="fg-control-help">{escape(c["help"])}</small>' if c.get("help") else ""
    return f'<div class="fg-control fg-control--{kind}"><label for="{cid}">{label}</label>{inp}{help_}</div>'


def _nice_step(span: float) -> float:
    raw = span / 100
    if raw <= 0:
        return 1
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def _n(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(round(x, 10))
