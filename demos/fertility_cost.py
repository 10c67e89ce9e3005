"""The same request in six languages and in code: how many tokens each needs, and what that costs.

Pick a language and an encoding. The multiplier is this language's token count over English's
for the same sentence; the monthly bill scales with it. Switch from o200k_base to cl100k_base to
see how much the newer vocabulary cut the cost of Hindi and Arabic. The sentences are our own
translations of one English request (authored); every count is measured with the real encoding.
Tokens per word means little for Japanese, which does not separate words with spaces -- compare
tokens per character or the multiplier instead.
"""

from fieldguide import data
from fieldguide.tokenizer import fertility, get_encoding, monthly_cost

TITLE = "Fertility: what a language costs in tokens"
BADGE = "REAL"
ASSETS = ["o200k_base.tiktoken", "cl100k_base.tiktoken"]

TEXTS = data.load("tokenizer_samples")["parallel"]["texts"]

CONTROLS = [
    {"name": "language", "kind": "select", "label": "Language", "options": list(TEXTS), "default": "Hindi"},
    {"name": "encoding", "kind": "select", "label": "Encoding", "options": ["o200k_base", "cl100k_base"],
     "default": "o200k_base"},
    {"name": "price", "kind": "range", "label": "Price per million input tokens", "min": 0.05, "max": 15,
     "step": 0.05, "default": 3, "unit": "$"},
    {"name": "queries", "kind": "range", "label": "Queries per month", "min": 1e3, "max": 1e7,
     "scale": "log", "default": 1e5},
    {"name": "tokens_per_query", "kind": "range", "label": "Tokens per query (in English)", "min": 10,
     "max": 5000, "step": 10, "default": 200},
]


def render(language="Hindi", encoding="o200k_base", price=3.0, queries=1e5, tokens_per_query=200):
    rows = fertility(TEXTS, get_encoding(encoding), baseline="English")
    row = next(r for r in rows if r["label"] == language)
    base = monthly_cost(tokens_per_query, queries, price)
    cost = monthly_cost(tokens_per_query, queries, price, row["multiplier"])
    stats = {"kind": "stats", "items": [
        {"label": "Tokens", "value": f"{row['tokens']}", "note": f"{row['chars']} characters"},
        {"label": "Tokens per character", "value": f"{row['tokens_per_char']:.2f}"},
        {"label": "Tokens per word", "value": f"{row['tokens_per_word']:.2f}",
         "note": f"{row['words']} whitespace-separated words"},
        {"label": "Cost multiplier vs English", "value": f"{row['multiplier']:.2f}×"},
        {"label": "Monthly cost", "value": f"${cost:,.2f}", "note": f"English: ${base:,.2f}"}]}
    table = {"kind": "table",
             "columns": ["Text", "Tokens", "Tokens/char", "Tokens/word", "× English", "$ per month"],
             "rows": [[r["label"], r["tokens"], round(r["tokens_per_char"], 3), round(r["tokens_per_word"], 2),
                       round(r["multiplier"], 2),
                       round(monthly_cost(tokens_per_query, queries, price, r["multiplier"]), 2)]
                      for r in rows],
             "caption": f"{encoding}; {queries:,.0f} queries a month of {tokens_per_query:,} English-equivalent "
                        f"tokens at ${price:g} per million tokens."}
    labels = [r["label"] for r in rows]
    mult = [round(r["multiplier"], 3) for r in rows]
    fig = {"data": [{"type": "bar", "x": labels, "y": mult,
                     "marker": {"color": ["#ef553b" if lbl == language else "#636efa" for lbl in labels]}}],
           "layout": {"yaxis": {"title": {"text": "tokens relative to English"}}, "margin": {"t": 10},
                      "showlegend": False}}
    alt = "Tokens relative to English under " + encoding + ": " + ", ".join(
        f"{lbl} {m:.2f}" for lbl, m in zip(labels, mult)) + "."
    return [stats, table, {"kind": "plotly", "figure": fig, "alt": alt}]
