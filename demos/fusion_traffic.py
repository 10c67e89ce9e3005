"""Count the HBM bytes and kernel launches of a chain of small operations, unfused and fused.

Try: at one token (decoding), the add → RMSNorm → matmul chain is all weight reads, so fusion
saves launches rather than bytes. Raise the tokens to 8,192 (a prefill) and the activations'
round trips through HBM become the cost that fusion removes.
"""

from fieldguide import data, kernels

TITLE = "Kernel fusion: bytes and launches"
BADGE = "TOY"
ASSETS = []
CHAINS = [["add_rmsnorm_matmul", "add → RMSNorm → matmul"], ["qkv", "Q, K, V projections: separate vs fused"],
          ["swiglu", "SwiGLU MLP input (gate, up, SiLU, multiply)"]]
CONTROLS = [
    {"name": "chain", "kind": "select", "label": "Chain of operations", "options": CHAINS,
     "default": "add_rmsnorm_matmul"},
    {"name": "hidden", "kind": "range", "label": "Hidden size h", "min": 1024, "max": 16384, "step": 256,
     "default": 4096},
    {"name": "tokens", "kind": "range", "label": "Tokens in the batch", "min": 1, "max": 8192,
     "default": 1, "scale": "log"},
    {"name": "launch_us", "kind": "range", "label": "Launch overhead per kernel (an assumption)",
     "min": 1, "max": 20, "step": 1, "default": 5, "unit": "µs"},
]
GPU = "H100 SXM"


def render(chain="add_rmsnorm_matmul", hidden=4096, tokens=1, launch_us=5):
    h, T = int(hidden), int(round(tokens))
    f = kernels.fusion_bytes(chain, h, T, 2)
    bw = data.gpu(GPU)["bandwidth_tbs"] * 1e12
    t_un = f["unfused_bytes"] / bw * 1e6 + f["unfused_launches"] * launch_us
    t_fu = f["fused_bytes"] / bw * 1e6 + f["fused_launches"] * launch_us
    mib = lambda b: f"{b / 2**20:,.2f}"                                   # noqa: E731
    stats = {"kind": "stats", "items": [
        {"label": "HBM bytes, unfused", "value": mib(f["unfused_bytes"]), "unit": "MiB",
         "note": f"{f['unfused_launches']} kernels: {', '.join(f['steps'])}"},
        {"label": "HBM bytes, fused", "value": mib(f["fused_bytes"]), "unit": "MiB", "note": "1 kernel"},
        {"label": "Bytes saved", "value": f"{1 - f['fused_bytes'] / f['unfused_bytes']:.1%}"},
        {"label": "Implied time, unfused vs fused", "value": f"{t_un:,.1f} vs {t_fu:,.1f}", "unit": "µs",
         "note": f"bytes at {GPU} peak {data.gpu(GPU)['bandwidth_tbs']} TB/s + {launch_us} µs per launch"},
    ]}
    parts = ["HBM transfer", "launch overhead"]
    un = [f["unfused_bytes"] / bw * 1e6, f["unfused_launches"] * launch_us]
    fu = [f["fused_bytes"] / bw * 1e6, f["fused_launches"] * launch_us]
    fig = {"kind": "plotly", "figure": {
        "data": [{"type": "bar", "orientation": "h", "name": p, "y": ["unfused", "fused"], "x": [un[i], fu[i]]}
                 for i, p in enumerate(parts)],
        "layout": {"barmode": "stack", "height": 220, "title": {"text": f"Implied time, {T:,} token(s), h = {h:,}"},
                   "xaxis": {"title": {"text": "µs"}}, "margin": {"l": 80, "b": 50, "t": 40},
                   "legend": {"orientation": "h", "y": -0.5}}},
        "alt": (f"Stacked bars of implied time. Unfused: {un[0]:.2f} µs of HBM transfer + {un[1]:.0f} µs of "
                f"launches; fused: {fu[0]:.2f} µs + {fu[1]:.0f} µs.")}
    note = {"kind": "text", "text": (
        "Bytes assume 2-byte values, weights read once per kernel that uses them and SwiGLU's inner size "
        "⌊8h/3⌋; the time is a floor (peak bandwidth, nothing overlapped) and the launch cost is the "
        "assumption on the slider, not a measurement.")}
    return [stats, fig, note]
