"""The anatomy of every demo in this book, on the smallest possible example.

Try: note the hash, change the seed, then change it back — the same seed always gives the same
numbers and the same hash, here in your browser and on any machine with the same NumPy. Tick
"Show the code" to read the exact lines that drew the numbers: they are compiled and run as shown.
The table says where this Python is running; in the book it is your own browser tab.
"""

from fieldguide import runtime

TITLE = "Anatomy of a demo: seeded draws, the code that made them, and a fingerprint"
BADGE = "TOY"
ASSETS = []
CONTROLS = [
    {"name": "n", "kind": "range", "label": "Number of draws n", "min": 1, "max": 64, "step": 1,
     "default": 8},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1,
     "default": 0},
    {"name": "show_source", "kind": "checkbox", "label": "Show the code", "default": False},
]


def render(n=8, seed=0, show_source=False):
    r = runtime.anatomy(n, seed)
    v = r["values"]
    where = runtime.describe()
    fig = {"data": [{"type": "bar", "x": r["bin_centres"], "y": r["counts"], "width": 0.45,
                     "marker": {"color": "#457b9d"}, "name": "draws per bin of 0.5"}],
           "layout": {"margin": {"t": 20, "r": 10}, "height": 260, "showlegend": False,
                      "xaxis": {"title": {"text": "value"}, "range": [-4, 4]},
                      "yaxis": {"title": {"text": "count"},
                                "range": [0, int(r["counts"].max()) + 1]}}}
    alt = (f"Histogram of {n} standard-normal draws with seed {seed}: "
           + ", ".join(f"{x:.3f}" for x in v) + ".")
    blocks = [
        {"kind": "stats", "items": [
            {"label": "Draws", "value": f"{n}"},
            {"label": "Mean", "value": f"{v.mean():+.4f}"},
            {"label": "Largest", "value": f"{v.max():+.4f}"},
            {"label": "SHA-256 of the draws", "value": r["hash"], "note": "first 16 hex digits"},
        ]},
        {"kind": "plotly", "figure": fig, "alt": alt},
    ]
    if show_source:
        blocks.append({"kind": "code", "text": r["source"] + f"\nvalues = draws({n}, {seed})\n",
                       "caption": "The exact code that produced the numbers above."})
    blocks.append({"kind": "table", "columns": ["running on", "value"], "rows": [
        ["Python", f"{where['implementation']} {where['python']}"],
        ["platform", where["platform"] + (" (your browser, via Pyodide)" if where["in_browser"]
                                          else " (the build machine: the static preview)")],
        ["NumPy", where["numpy"]],
        ["random generator", where["bit_generator"] + ", seeded"],
        ["fieldguide", where["fieldguide"]],
    ], "caption": "From fieldguide.runtime.describe()."})
    return blocks
