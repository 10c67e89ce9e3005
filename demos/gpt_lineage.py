"""How fast did the models grow, and in what? Bars for GPT-1, GPT-2, GPT-3, Gopher, Chinchilla
and the Llama 3 family, from their papers.

Try: switch the metric from parameters to tokens per parameter — the GPT-3 era grew parameters,
the Chinchilla era grew data, and Llama 3 8B saw far more tokens per parameter than anyone
called optimal. Then turn off the log axis to see how little of the picture a linear scale shows.
"""

from fieldguide import data, overparam
from fieldguide.units import compact, sci

TITLE = "The lineage: from GPT-1 to Llama 3"
BADGE = "REAL"
ASSETS = []
CONTROLS = [
    {"name": "metric", "kind": "select", "label": "Metric",
     "options": [list(kv) for kv in overparam.METRICS.items()], "default": "params"},
    {"name": "log_axis", "kind": "checkbox", "label": "Log axis", "default": True},
]
COLOURS = {"GPT": "#264653", "DeepMind": "#2a9d8f", "Llama 3": "#e76f51"}


def _fmt(metric, v):
    if v is None:
        return "not published"
    if metric == "flops":
        return sci(v)
    if metric == "tokens_per_param":
        return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"
    return compact(v)


def render(metric="params", log_axis=True):
    values = overparam.lineage_metric(metric)
    rows = overparam.lineage()
    shown = [(r, v) for r, (_, v) in zip(rows, values) if v is not None]
    missing = [r["name"] for r, (_, v) in zip(rows, values) if v is None]
    drawn = shown[::-1]                      # horizontal bars: the first model on top
    trace = {"type": "bar", "orientation": "h", "y": [r["name"] for r, _ in drawn],
             "x": [v for _, v in drawn],
             "marker": {"color": [COLOURS.get(r["family"], "#888888") for r, _ in drawn]},
             "text": [_fmt(metric, v) for _, v in drawn], "name": overparam.METRICS[metric]}
    layout = {"xaxis": {"title": {"text": overparam.METRICS[metric]},
                        "type": "log" if log_axis else "linear"},
              "yaxis": {"title": {"text": ""}}, "margin": {"t": 20, "l": 110}, "showlegend": False}
    alt = (f"{overparam.METRICS[metric]} on a {'log' if log_axis else 'linear'} axis: "
           + "; ".join(f"{r['name']} ({r['date']}) {_fmt(metric, v)}" for r, v in shown)
           + (f". Not published, so not drawn: {', '.join(missing)}." if missing else "."))
    blocks = [{"kind": "plotly", "figure": {"data": [trace], "layout": layout}, "alt": alt}]
    if missing:
        blocks.append({"kind": "text", "level": "info", "text": (
            f"No bar for {' and '.join(missing)}: the authors published the parameter count but not "
            "the number of training tokens, so tokens and 6·N·D are left out rather than guessed.")})
    table = []
    for r in rows:
        src = r["source"]
        table.append([r["name"], r["date"], compact(r["n_params"]), _fmt("tokens", r["n_tokens"]),
                      _fmt("tokens_per_param", r["tokens_per_param"]), _fmt("flops", r["flops"]),
                      sci(r["reported_flops"]) if r.get("reported_flops") else "—",
                      f"{src['authors']}, {src['title']} ({src['year']}); {src['where']}"])
    blocks.append({"kind": "table", "columns": ["model", "date", "N", "D (tokens)", "D / N",
                                                "6·N·D (FLOP)", "reported FLOP", "source"],
                   "rows": table, "caption": (
                       "Sizes and token counts as published; 6·N·D recomputed by fieldguide.scaling. "
                       "As of " + data.load("lineage")["as_of"] + ".")})
    return blocks
