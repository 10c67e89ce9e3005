"""The same bytes, moved at each level a GPU can reach: from its own HBM, from a peer over NVLink,
from the host over PCIe, from another server over InfiniBand, from an NVMe drive.

Try the default 16 GB (about the BF16 weights of an 8B model): milliseconds from HBM, seconds from
disk. Drag the size past the GPU's memory and the HBM row says it no longer fits — from then on the
bytes have to come over a slower rung every step. Switch GPUs: HBM bandwidth changes a lot between
generations, the links much less.
"""

from fieldguide import data, roofline

TITLE = "The memory ladder: time to move the same bytes"
BADGE = "REAL"
ASSETS = []
GPUS = list(data.gpus())
CONTROLS = [
    {"name": "size", "kind": "range", "label": "Bytes to move", "min": 1e6, "max": 2e11, "default": 16e9,
     "scale": "log", "unit": "bytes"},
    {"name": "gpu", "kind": "select", "label": "GPU", "options": GPUS, "default": "H100 SXM"},
]


def _time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.3g} µs"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def _bytes(b: float) -> str:
    return f"{b / 1e9:.3g} GB" if b >= 1e9 else f"{b / 1e6:.3g} MB"


def render(size=16e9, gpu="H100 SXM"):
    size = float(size)
    if not 1e6 <= size <= 2e11:
        raise ValueError("Bytes to move: choose between 1 MB and 200 GB.")
    if gpu not in data.gpus():
        raise ValueError(f"GPU: unknown {gpu!r}.")
    rows = roofline.transfer_times(size, gpu)
    timed = [r for r in rows if r["seconds"] is not None]
    hbm = next(r for r in rows if r["level"].startswith("HBM"))
    slow = timed[-1]
    stats = {"kind": "stats", "items": [
        {"label": "Bytes", "value": _bytes(size)},
        {"label": "From HBM", "value": _time(hbm["seconds"]),
         "note": f"{hbm['bandwidth'] / 1e12:.3g} TB/s; " + ("fits" if hbm["fits"] else
                 f"does not fit the {hbm['capacity'] / 1e9:.0f} GB")},
        {"label": f"From {slow['level'].split(',')[0]}", "value": _time(slow["seconds"]),
         "note": f"{slow['seconds'] / hbm['seconds']:,.0f}× the HBM time"},
    ]}
    names = [r["level"] for r in timed]
    fig = {"data": [{"type": "bar", "orientation": "h", "y": names[::-1],
                     "x": [r["seconds"] for r in timed][::-1],
                     "marker": {"color": ["#2a9d8f" if r is hbm else "#264653" for r in timed][::-1]}}],
           "layout": {"xaxis": {"type": "log", "title": {"text": "seconds to move the bytes (one direction)"}},
                      "yaxis": {"type": "category"}, "height": 320, "margin": {"l": 250, "t": 20}}}
    alt = f"Time to move {_bytes(size)} on {gpu}: " + "; ".join(
        f"{r['level']} {_time(r['seconds'])}" for r in timed)
    table = {"kind": "table", "columns": ["level", "bandwidth (one direction)", "capacity", "time", "source"],
             "rows": [[r["level"],
                       "not published" if r["bandwidth"] is None else f"{r['bandwidth'] / 1e9:,.1f} GB/s",
                       "—" if r["capacity"] is None else
                       f"{_bytes(r['capacity'])} ({'fits' if r['fits'] else 'too small'})",
                       "—" if r["seconds"] is None else _time(r["seconds"]), r["source"]] for r in rows],
             "caption": f"{gpu}; figures as of {data.load('links')['as_of']}. NVLink totals in datasheets "
                        "count both directions; they are halved here."}
    return [stats, {"kind": "plotly", "figure": fig, "alt": alt}, table]
