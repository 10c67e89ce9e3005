"""Is the jump in the model or in the ruler? The toy model's per-step success rises smoothly with
scale (its per-token loss is a power law). Score a k-step task by exact match and the curve lies
flat, then shoots up; score the same model by per-token accuracy or log-likelihood and it climbs
from the start.

Try: set the metric to exact match and raise k from 1 to 50 — the "emergence" moves right and
gets sharper although the model has not changed. Then switch metric at the same settings.
"""

from fieldguide import emergence

TITLE = "The mirage: one smooth model, four rulers"
BADGE = "TOY"          # synthetic per-step success; the p**k arithmetic is exact
ASSETS = []
CONTROLS = [
    {"name": "scale", "kind": "range", "label": "Scale (log10, arbitrary units)", "min": 0,
     "max": 10, "step": 0.1, "default": 5},
    {"name": "k", "kind": "range", "label": "Task length k (steps that must all be right)",
     "min": 1, "max": 50, "step": 1, "default": 10},
    {"name": "metric", "kind": "select", "label": "Metric",
     "options": [[key, label] for key, label in emergence.METRICS.items()], "default": "exact"},
    {"name": "steepness", "kind": "range", "label": "Steepness (power-law exponent ÷ 0.2)",
     "min": 0.5, "max": 3, "step": 0.1, "default": 1},
]

COLOR = {"exact": "#e76f51", "per-token": "#264653", "loglik": "#2a9d8f", "partial": "#e9c46a"}


def _num(name, label, value, lo, hi):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{label} must be a number, got {value!r}") from None
    if not lo <= v <= hi:                      # also rejects NaN
        raise ValueError(f"{label} must be between {lo:g} and {hi:g}, got {value!r}")
    return v


def _fmt(v, metric):
    return f"{v:.3f} nats" if metric == "loglik" else f"{v:.3f}"


def render(scale=5, k=10, metric="exact", steepness=1):
    s = _num("scale", "Scale", scale, 0, 10)
    k = _num("k", "Task length k", k, 1, 50)
    if k != int(k):
        raise ValueError(f"Task length k must be a whole number of steps, got {k:g}")
    k = int(k)
    st = _num("steepness", "Steepness", steepness, 0.5, 3)
    if metric not in emergence.METRICS:
        raise ValueError(f"Metric must be one of: {', '.join(emergence.METRICS.values())}")

    curves = emergence.mirage_curves(k, st)
    p = float(emergence.step_success(s, st))
    now = {m: float(v) for m, v in emergence.metrics(p, k).items()}
    label = emergence.METRICS[metric]
    width = curves["rise_width"]

    stats = {"kind": "stats", "items": [
        {"label": "Per-step success p", "value": f"{p:.3f}",
         "note": f"per-token loss {float(emergence.step_loss(s, st)):.3f} nats"},
        *([] if metric == "exact" else [
            {"label": label.split(" (")[0].capitalize(), "value": _fmt(now[metric], metric),
             "note": f"at scale {s:g}"}]),
        {"label": f"Exact match, k = {k}", "value": f"{now['exact']:.3g}", "note": f"p^{k}"},
        {"label": "10→90% rise", "value": f"{width[metric]:.2f}", "unit": "scale units",
         "note": f"this metric; per-token accuracy takes {width['per-token']:.2f}"},
        {"label": "p needed for 50% exact match", "value": f"{emergence.needed_step_success(0.5, k):.3f}",
         "note": f"0.5^(1/{k})"},
    ]}

    x = [round(float(v), 3) for v in curves["scale"]]
    y = [round(float(v), 5) for v in curves[metric]]
    traces = [{"type": "scatter", "mode": "lines", "name": label, "x": x, "y": y,
               "line": {"color": COLOR[metric], "width": 3}}]
    if metric not in ("per-token", "loglik"):
        traces.append({"type": "scatter", "mode": "lines", "name": "per-step success p",
                       "x": x, "y": [round(float(v), 5) for v in curves["p"]],
                       "line": {"color": "#999999", "width": 1, "dash": "dash"}})
    traces.append({"type": "scatter", "mode": "markers", "name": f"scale {s:g}",
                   "x": [s], "y": [round(now[metric], 5)],
                   "marker": {"size": 12, "color": COLOR[metric], "line": {"color": "#000000", "width": 1}}})
    y_title = "nats per token (higher is better)" if metric == "loglik" else "score (0 to 1)"
    layout = {"xaxis": {"title": {"text": "scale (log10, arbitrary units)"}, "range": [0, 10]},
              "yaxis": {"title": {"text": y_title}},
              "legend": {"orientation": "h", "y": -0.25}, "margin": {"t": 20}}
    marks = [0, 2, 4, 5, 6, 8, 10]
    at = ", ".join(f"{m}: {float(emergence.metrics(emergence.step_success(m, st), k)[metric]):.3g}"
                   for m in marks)
    alt = (f"{label} against scale for a {k}-step task, steepness {st:g}. Values at scales {at}. "
           f"It climbs from 10% to 90% of its rise over {width[metric]:.2f} scale units "
           f"(per-token accuracy: {width['per-token']:.2f}). Current point: scale {s:g}, "
           f"{_fmt(now[metric], metric)}.")
    blocks = [stats, {"kind": "plotly", "figure": {"data": traces, "layout": layout}, "alt": alt}]

    if metric == "exact":
        note = (f"Exact match is p^{k}: every step must succeed. At p = {p:.3f} that is {now['exact']:.3g}; "
                f"a benchmark of 100 items would expect {100 * now['exact']:.2g} right answers.")
    elif metric == "per-token":
        note = ("Per-token accuracy is p itself: the share of steps the model gets right. It rises "
                f"from the first scale on; exact match at k = {k} is still {now['exact']:.3g} here.")
    elif metric == "loglik":
        note = (f"log p per token. The log of the exact-match probability is just k × this "
                f"({k} × {now['loglik']:.3f} = {k * now['loglik']:.2f}), so on a log axis even exact "
                f"match rises smoothly.")
    else:
        note = (f"Partial credit counts the steps done right before the first error, divided by k: "
                f"{now['partial']:.3f} here, between per-token accuracy ({p:.3f}) and exact match "
                f"({now['exact']:.3g}).")
    blocks.append({"kind": "text", "text": note})
    return blocks
