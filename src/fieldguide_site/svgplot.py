"""A small static SVG drawing of a plotly figure dict, for the first paint.

Before JavaScript and Pyodide are up (or without them) a reader still sees the real figure the
build computed. This draws the subset of plotly the demos use — scatter (lines, markers, text),
bar (vertical and horizontal, grouped or stacked), heatmap and histogram, on linear, log or
category axes, in one or several subplots placed by axis `domain` — and ignores the rest. plotly.js
replaces it with the interactive chart once the page is live.
"""

from __future__ import annotations

import math
from html import escape

W, H = 720, 400
PAD_L, PAD_R, PAD_T, PAD_B = 64, 16, 34, 46
CHAR_W, LEGEND_ROW = 6.5, 16      # legend text width per character (tick font) and row height
MAX_CELLS = 4096                  # a bigger heatmap is pre-rendered with neighbouring columns averaged
PALETTE = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880"]


def _num(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _title(t):
    if isinstance(t, dict):
        return t.get("text") or ""
    return t or ""


class Axis:
    def __init__(self, spec: dict, lo: float, hi: float, categories: list | None, px0: float, px1: float):
        self.log = spec.get("type") == "log"
        self.cats = categories
        self.px0, self.px1 = px0, px1
        rng = spec.get("range")
        if categories is not None:
            lo, hi = -0.5, len(categories) - 0.5
        elif rng and len(rng) == 2 and _num(rng[0]) is not None and _num(rng[1]) is not None:
            lo, hi = float(rng[0]), float(rng[1])  # plotly gives log ranges as exponents already
        elif self.log:
            lo, hi = math.log10(max(lo, 1e-300)), math.log10(max(hi, 1e-300))
        if hi == lo:
            lo, hi = lo - 1, hi + 1
        if spec.get("autorange") == "reversed":
            lo, hi = hi, lo
        self.lo, self.hi = lo, hi
        self.title = _title(spec.get("title"))

    def __call__(self, v):
        if self.cats is not None:
            try:
                t = float(self.cats.index(v))
            except ValueError:
                return None
        else:
            x = _num(v)
            if x is None or (self.log and x <= 0):
                return None
            t = math.log10(x) if self.log else x
        return self.px0 + (t - self.lo) / (self.hi - self.lo) * (self.px1 - self.px0)

    def ticks(self, n=5):
        if self.cats is not None:
            step = max(1, len(self.cats) // 12)
            return [(c, str(c)) for c in self.cats[::step]]
        lo, hi = sorted((self.lo, self.hi))
        if self.log:
            out = []
            for e in range(math.ceil(lo), math.floor(hi) + 1):
                out.append((10.0 ** e, f"1e{e}" if abs(e) > 3 else f"{10.0 ** e:g}"))
            if len(out) < 2:        # under about a decade: 1-2-5 steps, then any "nice" values
                for m in ((1, 2, 5), (1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9)):
                    out = [(k * 10.0 ** e, f"{k * 10.0 ** e:.3g}") for e in range(math.floor(lo) - 1, math.ceil(hi) + 1)
                           for k in m if lo <= math.log10(k * 10.0 ** e) <= hi]
                    if len(out) >= 3:
                        break
            step = max(1, len(out) // 6)
            return out[::step]
        span = hi - lo
        raw = span / n
        mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
        step = min((m * mag for m in (1, 2, 5, 10) if m * mag >= raw), default=mag)
        first = math.ceil(lo / step) * step
        out, v = [], first
        while v <= hi + step * 1e-9 and len(out) < 12:
            out.append((v, f"{v:.6g}"))
            v += step
        return out


def _values(trace, key):
    v = trace.get(key)
    return list(v) if isinstance(v, (list, tuple)) else []


def _is_cat(vals):
    return any(isinstance(v, str) for v in vals)


def _axis_key(name: str) -> str:  # "x2" -> "xaxis2"
    return name[0] + "axis" + name[1:]


def figure_svg(fig: dict, label: str = "") -> str:
    data = fig.get("data") or []
    layout = fig.get("layout") or {}
    width = int(layout.get("width") or W)
    height = int(layout.get("height") or H)
    parts = []
    title = _title(layout.get("title"))
    if title:
        parts.append(f'<text x="{width / 2:.0f}" y="20" text-anchor="middle" class="fg-svg-title">{escape(title)}</text>')

    # Group traces by their (x, y) axis pair; each pair is one subplot.
    groups: dict[tuple[str, str], list[dict]] = {}
    for t in data:
        if t.get("visible") is False:
            continue
        groups.setdefault((t.get("xaxis", "x"), t.get("yaxis", "y")), []).append(t)
    margin_l = _num((layout.get("margin") or {}).get("l"))
    plot_l = max(PAD_L, min(margin_l, width / 2)) if margin_l else PAD_L
    plot_l, plot_r, plot_t, plot_b = plot_l, width - PAD_R, PAD_T, height - PAD_B
    axes: dict = {}
    for gi, ((xa, ya), traces) in enumerate(groups.items()):
        xs_spec = layout.get(_axis_key(xa), {}) or {}
        ys_spec = layout.get(_axis_key(ya), {}) or {}
        xd = xs_spec.get("domain", [0, 1])
        yd = ys_spec.get("domain", [0, 1])
        px0 = plot_l + xd[0] * (plot_r - plot_l) + (30 if xd[0] > 0 else 0)
        px1 = plot_l + xd[1] * (plot_r - plot_l)
        py0 = plot_b - yd[0] * (plot_b - plot_t)
        py1 = plot_b - yd[1] * (plot_b - plot_t) + (24 if yd[1] < 1 else 0)
        parts.append(_subplot(traces, xs_spec, ys_spec, px0, px1, py0, py1, gi, axes, (xa, ya),
                              stack=layout.get("barmode") in ("stack", "relative")))
    parts.append(_shapes(layout.get("shapes") or [], axes, (plot_l, plot_r, plot_t, plot_b)))
    legend = [t.get("name") for t in data if t.get("name") and t.get("showlegend", True) is not False]
    rows = 0
    if legend and layout.get("showlegend", True) is not False:
        # below the chart, wrapped into rows: the SVG grows instead of drawing over the axis title
        x, y, rows = plot_l, height + 2, 1
        for i, name in enumerate(legend[:12]):
            name = str(name)
            w = 24 + CHAR_W * len(name)
            if x + w > width - PAD_R and x > plot_l:
                x, y, rows = plot_l, y + LEGEND_ROW, rows + 1
            col = _colour(next(t for t in data if t.get("name") == name), i)
            parts.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{col}"/>'
                         f'<text x="{x + 14}" y="{y + 9}" class="fg-svg-tick">{escape(name)}</text>')
            x += w
    height += rows * LEGEND_ROW + (4 if rows else 0)
    aria = escape(label or title or "chart")
    return (f'<svg class="fg-svg" viewBox="0 0 {width} {height}" role="img" aria-label="{aria}" '
            f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">{"".join(parts)}</svg>')


def _shapes(shapes: list, axes: dict, box) -> str:
    """Straight lines from layout.shapes (thresholds, markers), in axis or paper coordinates."""
    left, right, top, bottom = box
    out = []
    for sh in shapes:
        if not isinstance(sh, dict) or sh.get("type", "line") != "line":
            continue
        xref, yref = str(sh.get("xref", "x")), str(sh.get("yref", "y"))
        xax, yax = axes.get(xref), axes.get(yref)

        def place(v, ax, lo, hi, paper):
            v = _num(v)
            if v is None:
                return None
            if paper:
                return lo + v * (hi - lo)
            return ax(v) if ax is not None else None
        x0 = place(sh.get("x0"), xax, left, right, xref == "paper")
        x1 = place(sh.get("x1"), xax, left, right, xref == "paper")
        y0 = place(sh.get("y0"), yax, bottom, top, yref == "paper")
        y1 = place(sh.get("y1"), yax, bottom, top, yref == "paper")
        if None in (x0, x1, y0, y1):
            continue
        line = sh.get("line") or {}
        col = escape(line["color"]) if isinstance(line.get("color"), str) else "#888888"
        dash = ' stroke-dasharray="4 3"' if line.get("dash") in ("dash", "dot", "dashdot") else ""
        out.append(f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y0:.1f}" y2="{y1:.1f}" stroke="{col}" '
                   f'stroke-width="{_num(line.get("width")) or 1.5:g}"{dash}/>')
    return "".join(out)


def _colour(t: dict, i: int) -> str:
    for src in (t.get("marker") or {}, t.get("line") or {}):
        c = src.get("color")
        if isinstance(c, str):
            return escape(c)
    return PALETTE[i % len(PALETTE)]


def _subplot(traces, xs_spec, ys_spec, px0, px1, py0, py1, gi, axes=None, names=("x", "y"), stack=False):
    xs_all, ys_all, xcat, ycat = [], [], None, None
    for t in traces:
        kind = t.get("type", "scatter")
        x, y = _values(t, "x"), _values(t, "y")
        if kind == "heatmap":
            z = t.get("z") or [[]]
            x = x or list(range(len(z[0]) if z else 0))
            y = y or list(range(len(z)))
        if kind == "histogram":
            x, y = _histogram(t)
        if _is_cat(x):
            xcat = xcat or []
            xcat += [v for v in x if v not in xcat]
        else:
            xs_all += [v for v in map(_num, x) if v is not None]
        if _is_cat(y):
            ycat = ycat or []
            ycat += [v for v in y if v not in ycat]
        else:
            ys_all += [v for v in map(_num, y) if v is not None]
        if kind == "bar":  # bars grow from zero
            (xs_all if t.get("orientation") == "h" else ys_all).append(0.0)
        if kind == "heatmap" and not _is_cat(x):
            xs_all += [min(xs_all) - 0.5, max(xs_all) + 0.5] if xs_all else []
            ys_all += [min(ys_all) - 0.5, max(ys_all) + 0.5] if ys_all else []
    if ys_spec.get("type") == "log":
        ys_all = [v for v in ys_all if v > 0]
    if xs_spec.get("type") == "log":
        xs_all = [v for v in xs_all if v > 0]
    # bars on a log value axis cannot grow from zero: start the axis a little below the shortest
    if any(t.get("type") == "bar" for t in traces):
        horiz = any(t.get("orientation") == "h" for t in traces if t.get("type") == "bar")
        spec, vals = (xs_spec, xs_all) if horiz else (ys_spec, ys_all)
        if spec.get("type") == "log" and vals:
            vals.append(min(vals) / 3)
    bar_traces = [t for t in traces if t.get("type") == "bar"]
    if stack and bar_traces:      # the value axis must reach the tallest stack, not the tallest bar
        horiz = bar_traces[0].get("orientation") == "h"
        totals: dict = {}
        for t in bar_traces:
            cats, vals = (_values(t, "y"), _values(t, "x")) if horiz else (_values(t, "x"), _values(t, "y"))
            for c, v in zip(cats, map(_num, vals)):
                if v is not None:
                    totals[c] = totals.get(c, 0.0) + v
        (xs_all if horiz else ys_all).extend(totals.values())
    for t in bar_traces:          # bars drawn from an explicit base
        if t.get("base") is not None and not stack:
            vals = _values(t, "x" if t.get("orientation") == "h" else "y")
            bases = t["base"] if isinstance(t["base"], list) else [t["base"]] * len(vals)
            tops = [_num(b) + _num(v) for b, v in zip(bases, vals) if _num(b) is not None and _num(v) is not None]
            (xs_all if t.get("orientation") == "h" else ys_all).extend(tops + [_num(b) for b in bases if _num(b) is not None])
    xax = Axis(xs_spec, min(xs_all, default=0), max(xs_all, default=1), xcat, px0, px1)
    lo, hi = min(ys_all, default=0), max(ys_all, default=1)
    if ycat is None and ys_spec.get("type") != "log" and not ys_spec.get("range"):
        pad = (hi - lo) * 0.05 or 0.5
        lo, hi = (lo - pad if lo != 0 else lo), hi + pad
    yax = Axis(ys_spec, lo, hi, ycat, py0, py1)
    if axes is not None:
        axes[names[0]], axes[names[1]] = xax, yax
    ylab = max(12, int((px0 - 8) / CHAR_W))          # as many characters as the left margin holds
    out = [f'<g class="fg-svg-sub" data-sub="{gi}">',
           f'<rect x="{px0:.1f}" y="{py1:.1f}" width="{px1 - px0:.1f}" height="{py0 - py1:.1f}" class="fg-svg-bg"/>']
    for v, lab in (xax.ticks() if xs_spec.get("visible", True) is not False else []):
        p = xax(v)
        if p is not None:
            out.append(f'<line x1="{p:.1f}" x2="{p:.1f}" y1="{py1:.1f}" y2="{py0:.1f}" class="fg-svg-grid"/>'
                       f'<text x="{p:.1f}" y="{py0 + 14:.1f}" text-anchor="middle" class="fg-svg-tick">{escape(lab[:14])}</text>')
    for v, lab in (yax.ticks() if ys_spec.get("visible", True) is not False else []):
        p = yax(v)
        if p is not None:
            out.append(f'<line x1="{px0:.1f}" x2="{px1:.1f}" y1="{p:.1f}" y2="{p:.1f}" class="fg-svg-grid"/>'
                       f'<text x="{px0 - 4:.1f}" y="{p + 4:.1f}" text-anchor="end" class="fg-svg-tick">{escape(lab[:ylab])}</text>')
    if xax.title:
        out.append(f'<text x="{(px0 + px1) / 2:.1f}" y="{py0 + 32:.1f}" text-anchor="middle" class="fg-svg-axis">{escape(xax.title)}</text>')
    if yax.title:
        out.append(f'<text transform="translate({px0 - 48:.1f},{(py0 + py1) / 2:.1f}) rotate(-90)" '
                   f'text-anchor="middle" class="fg-svg-axis">{escape(yax.title)}</text>')
    bars = [t for t in traces if t.get("type") == "bar"]
    offsets: dict | None = {} if stack else None
    for i, t in enumerate(traces):
        kind = t.get("type", "scatter")
        col = _colour(t, i)
        if kind == "heatmap":
            out.append(_heatmap(t, xax, yax))
        elif kind in ("bar", "histogram"):
            if stack and kind == "bar":
                out.append(_bars(t, xax, yax, col, 0, 1, offsets))
            else:
                out.append(_bars(t, xax, yax, col, bars.index(t) if t in bars else 0, max(len(bars), 1)))
        else:
            out.append(_scatter(t, xax, yax, col))
    out.append("</g>")
    return "".join(out)


def _scatter(t, xax, yax, col):
    x, y = _values(t, "x"), _values(t, "y")
    if not x and y:
        x = list(range(len(y)))
    pts = [(xax(a), yax(b)) for a, b in zip(x, y)]
    mode = t.get("mode", "lines+markers" if len(pts) < 20 else "lines")
    out = []
    if "lines" in mode:
        seg, segs = [], []
        for p in pts:
            if None in p:
                if seg:
                    segs.append(seg)
                seg = []
            else:
                seg.append(p)
        if seg:
            segs.append(seg)
        dash = ' stroke-dasharray="5,4"' if (t.get("line") or {}).get("dash") not in (None, "solid") else ""
        for s in segs:
            d = " ".join(f"{a:.1f},{b:.1f}" for a, b in s)
            out.append(f'<polyline points="{d}" fill="none" stroke="{col}" stroke-width="2"{dash}/>')
    if "markers" in mode:
        size = (t.get("marker") or {}).get("size", 7)
        r = (size if isinstance(size, (int, float)) else 7) / 2
        for a, b in pts:
            if a is not None and b is not None:
                out.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{r:.1f}" fill="{col}"/>')
    if "text" in mode:
        texts = t.get("text") or []
        if isinstance(texts, str):
            texts = [texts] * len(pts)
        where = t.get("textposition") or "top right"
        where = where if isinstance(where, list) else [where] * len(pts)
        for (a, b), s, pos in zip(pts, texts, where + [where[-1]] * (len(pts) - len(where))):
            if a is not None and b is not None and s:
                out.append(_label(a, b, str(s), str(pos)))
    return "".join(out)


def _label(x: float, y: float, text: str, pos: str) -> str:
    """A point's text placed as plotly's textposition says ("top center", "bottom right", ...)."""
    dy = -8 if "top" in pos else 14 if "bottom" in pos else 4
    anchor, dx = ("end", -6) if "left" in pos else ("middle", 0) if "center" in pos else ("start", 6)
    return (f'<text x="{x + dx:.1f}" y="{y + dy:.1f}" text-anchor="{anchor}" class="fg-svg-tick">'
            f'{escape(text)}</text>')


def _bars(t, xax, yax, col, k, n, offsets=None):
    """Bars of one trace: grouped (k of n side by side), stacked on `offsets` (category -> running
    total, updated), or from the trace's own `base`."""
    if t.get("type") == "histogram":
        x, y = _histogram(t)
        n, k = 1, 0
    else:
        x, y = _values(t, "x"), _values(t, "y")
    horizontal = t.get("orientation") == "h"
    cats, vals = (y, x) if horizontal else (x, y)
    if not cats:
        cats = list(range(len(vals)))
    cax, vax = (yax, xax) if horizontal else (xax, yax)
    if cax.cats is not None:
        width = abs(cax.px1 - cax.px0) / max(len(cax.cats), 1) * 0.8
    else:
        nums = sorted(v for v in map(_num, cats) if v is not None)
        gaps = [b - a for a, b in zip(nums, nums[1:]) if b > a]
        unit = min(gaps) if gaps else 1
        width = abs(cax(nums[0] + unit) - cax(nums[0])) * 0.8 if nums and cax(nums[0]) is not None else 10
    w = width / n
    colours = (t.get("marker") or {}).get("color")
    out = []
    zero = vax(0.0) if vax(0.0) is not None else (vax.px0)
    own = t.get("base")
    for j, (c, v) in enumerate(zip(cats, vals)):
        v = _num(v)
        if v is None:
            continue
        start = 0.0
        if offsets is not None:
            start = offsets.get(c, 0.0)
            offsets[c] = start + v
        elif own is not None:
            b = own[j] if isinstance(own, list) and j < len(own) else (own if not isinstance(own, list) else None)
            start = _num(b) or 0.0
        base = vax(start) if start and vax(start) is not None else zero
        pc, pv = cax(c), vax(start + v)
        if pc is None or pv is None:
            continue
        fill = escape(colours[j]) if isinstance(colours, list) and j < len(colours) and isinstance(colours[j], str) else col
        off = pc - width / 2 + k * w
        if horizontal:
            x0, x1 = sorted((base, pv))
            out.append(f'<rect x="{x0:.1f}" y="{off:.1f}" width="{x1 - x0:.1f}" height="{w:.1f}" fill="{fill}"/>')
        else:
            y0, y1 = sorted((base, pv))
            out.append(f'<rect x="{off:.1f}" y="{y0:.1f}" width="{w:.1f}" height="{y1 - y0:.1f}" fill="{fill}"/>')
    return "".join(out)


def _histogram(t):
    vals = [v for v in map(_num, _values(t, "x")) if v is not None]
    if not vals:
        return [], []
    nb = int((t.get("nbinsx") or 0)) or min(30, max(5, int(math.sqrt(len(vals)))))
    lo, hi = min(vals), max(vals)
    if hi == lo:
        return [lo], [len(vals)]
    w = (hi - lo) / nb
    counts = [0] * nb
    for v in vals:
        counts[min(int((v - lo) / w), nb - 1)] += 1
    return [lo + (i + 0.5) * w for i in range(nb)], counts


def _rgb(c: str) -> tuple[int, int, int] | None:
    c = c.strip().lower()
    if c.startswith("#") and len(c) in (4, 7):
        c = c[1:] if len(c) == 7 else "".join(ch * 2 for ch in c[1:])
        return tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))
    if c.startswith("rgb"):
        vals = c[c.index("(") + 1:c.index(")")].split(",")[:3]
        return tuple(int(float(v)) for v in vals)
    return None


# plotly.js's own named scales (src/components/colorscale/scales.js), so the first paint matches
NAMED = {
    "Blues": [[0, "rgb(5,10,172)"], [0.35, "rgb(40,60,190)"], [0.5, "rgb(70,100,245)"],
              [0.6, "rgb(90,120,245)"], [0.7, "rgb(106,137,247)"], [1, "rgb(220,220,220)"]],
    "RdBu": [[0, "rgb(5,10,172)"], [0.35, "rgb(106,137,247)"], [0.5, "rgb(190,190,190)"],
             [0.6, "rgb(220,170,132)"], [0.7, "rgb(230,145,90)"], [1, "rgb(178,10,28)"]],
    "Greys": [[0, "rgb(0,0,0)"], [1, "rgb(255,255,255)"]],
    "Viridis": [[0, "#440154"], [0.25, "#3b528b"], [0.5, "#21918c"], [0.75, "#5ec962"], [1, "#fde725"]],
}


def _scale(t: dict):
    """value in [0, 1] -> (r, g, b): a colorscale given as [[position, colour], ...] or by one of
    plotly's names (with "_r" reversed); anything else gets a white-to-blue ramp."""
    cs = t.get("colorscale")
    reverse = bool(t.get("reversescale"))
    if isinstance(cs, str):
        name = cs[:-2] if cs.endswith("_r") else cs
        reverse ^= cs.endswith("_r")
        cs = NAMED.get(name)
    stops = []
    if isinstance(cs, list):
        for pos, col in cs:
            rgb = _rgb(str(col))
            if rgb is not None:
                stops.append((float(pos), rgb))
    if len(stops) < 2:
        stops = [(0.0, (255, 255, 255)), (1.0, (40, 85, 195))]
    if reverse:
        stops = [(1 - p, c) for p, c in reversed(stops)]

    def colour(a):
        for (p0, c0), (p1, c1) in zip(stops, stops[1:]):
            if a <= p1 or (p1, c1) == stops[-1]:
                f = 0.0 if p1 == p0 else min(1.0, max(0.0, (a - p0) / (p1 - p0)))
                return tuple(int(round(c0[k] + f * (c1[k] - c0[k]))) for k in range(3))
        return stops[-1][1]
    return colour


def _heatmap(t, xax, yax):
    z = t.get("z") or []
    x = _values(t, "x") or list(range(len(z[0]) if z else 0))
    y = _values(t, "y") or list(range(len(z)))
    flat = [v for row in z for v in map(_num, row) if v is not None]
    zmin = _num(t.get("zmin")) if t.get("zmin") is not None else min(flat, default=0)
    zmax = _num(t.get("zmax")) if t.get("zmax") is not None else max(flat, default=1)
    zmid = _num(t.get("zmid"))
    if zmid is not None and t.get("zmin") is None and t.get("zmax") is None:   # plotly centres on zmid
        half = max(abs(zmax - zmid), abs(zmid - zmin))
        zmin, zmax = zmid - half, zmid + half
    span = (zmax - zmin) or 1
    colour = _scale(t)
    ncol = len(z[0]) if z else 0
    group = max(1, math.ceil(len(z) * ncol / MAX_CELLS)) if ncol > 64 else 1
    out = []
    cw = abs(xax.px1 - xax.px0) / max(len(x), 1)
    ch = abs(yax.px0 - yax.px1) / max(len(y), 1)
    for i, row in enumerate(z):
        if i >= len(y):
            break
        for j0 in range(0, min(len(row), len(x)), group):
            vals = [v for v in map(_num, row[j0:j0 + group]) if v is not None]
            cx0, cy = xax(x[j0]), yax(y[i])
            if not vals or cx0 is None or cy is None:
                continue
            v = sum(vals) / len(vals)
            r, g, b = colour(max(0.0, min(1.0, (v - zmin) / span)))
            out.append(f'<rect x="{cx0 - cw / 2:.1f}" y="{cy - ch / 2:.1f}" width="{cw * len(row[j0:j0 + group]):.1f}" '
                       f'height="{ch:.1f}" fill="rgb({r},{g},{b})"/>')
    return "".join(out)
