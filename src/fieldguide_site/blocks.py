"""Output blocks → HTML at build time. docs/assets/fieldguide/demo.js draws the same structure live.

Every string a block carries is escaped: a reader's text is shown as text, never parsed as HTML.
"""

from __future__ import annotations

import math
from html import escape

from fieldguide_site.numbers import sci
from fieldguide_site.svgplot import figure_svg


def fmt_value(v) -> str:
    """How a control's current value is shown beside it (demo.js's fmtValue does the same)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        s = str(v)
    else:
        a = abs(v)
        if a >= 1e15:
            s = sci(v)
        elif a >= 1e12:
            s = f"{v / 1e12:.3g} trillion"
        elif a >= 1e9:
            s = f"{v / 1e9:.3g} billion"
        elif a >= 1e6:
            s = f"{v / 1e6:.3g} million"
        elif a >= 1e4 or float(v).is_integer():
            s = f"{round(v):,}"
        else:
            s = f"{v:.3g}"
    return s


def _stats(b):
    items = []
    for it in b.get("items", []):
        unit = f' <span class="fg-unit">{escape(str(it["unit"]))}</span>' if it.get("unit") else ""
        note = f'<small>{escape(str(it["note"]))}</small>' if it.get("note") else ""
        items.append(f'<div class="fg-stat"><dt>{escape(str(it["label"]))}</dt>'
                     f'<dd>{escape(str(it["value"]))}{unit}</dd>{note}</div>')
    return f'<dl class="fg-stats">{"".join(items)}</dl>'


def _plotly(b, title):
    alt = str(b.get("alt") or "")
    svg = figure_svg(b.get("figure") or {}, alt or title)
    return (f'<figure class="fg-plot"><div class="fg-plot-area">{svg}</div>'
            f'<details class="fg-alt"><summary>The numbers behind this chart</summary>'
            f'<p>{escape(alt)}</p></details></figure>')


def _cell(v):
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else "—"
    return "—" if v is None else str(v)


def _table(b):
    cap = f'<caption>{escape(str(b["caption"]))}</caption>' if b.get("caption") else ""
    head = "".join(f"<th scope=\"col\">{escape(str(c))}</th>" for c in b.get("columns", []))
    rows = "".join("<tr>" + "".join(f"<td>{escape(_cell(v))}</td>" for v in r) + "</tr>"
                   for r in b.get("rows", []))
    return f'<div class="fg-table-wrap"><table class="fg-table">{cap}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'


def _tokens(b):
    cap = f'<p class="fg-caption">{escape(str(b["caption"]))}</p>' if b.get("caption") else ""
    chips = []
    for t in b.get("tokens", []):
        cls = f"fg-tok fg-tok-g{int(t.get('group', 0)) % 8}" + (" fg-tok-muted" if t.get("muted") else "")
        title = f' title="{escape(str(t["title"]))}"' if t.get("title") else ""
        tid = f'<sub>{escape(str(t["id"]))}</sub>' if t.get("id") is not None else ""
        chips.append(f'<span class="{cls}"{title}>{escape(str(t.get("text", "")))}{tid}</span>')
    return f'<div class="fg-tokens-block">{cap}<div class="fg-tokens">{"".join(chips)}</div></div>'


def _text(b):
    level = b.get("level", "info")
    return f'<p class="fg-text fg-text--{escape(level)}">{escape(str(b.get("text", "")))}</p>'


def _code(b):
    cap = f'<figcaption>{escape(str(b["caption"]))}</figcaption>' if b.get("caption") else ""
    return f'<figure class="fg-code">{cap}<pre><code>{escape(str(b.get("text", "")))}</code></pre></figure>'


RENDERERS = {"stats": _stats, "table": _table, "tokens": _tokens, "text": _text, "code": _code}


def blocks_html(blocks, title: str = "") -> str:
    if isinstance(blocks, dict):
        blocks = [blocks]
    out = []
    for b in blocks:
        kind = b.get("kind")
        if kind == "plotly":
            out.append(_plotly(b, title))
        elif kind in RENDERERS:
            out.append(RENDERERS[kind](b))
        else:
            raise ValueError(f"unknown output block kind {kind!r}")
    return "".join(f'<div class="fg-block fg-block--{escape(b["kind"])}">{h}</div>' for b, h in zip(blocks, out))
