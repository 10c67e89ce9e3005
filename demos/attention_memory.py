"""How big is the score matrix, and how much HBM traffic does tiling save, on a real GPU?

Try: 32,768 tokens in fp16 gives 2 GiB of scores per head; slide to 131,072 for 32 GiB, more than
most GPUs hold for one head. Then switch the SRAM scope to "whole chip": pretending one tile can
use all the chip's SRAM makes the tiled traffic look far smaller than any kernel gets, because a
thread block only sees its own SM's shared memory.
"""

from fieldguide import kernels

TITLE = "Attention memory: the N×N matrix vs tiles in SRAM"
BADGE = "REAL"
ASSETS = []
GPUS = kernels.sram_gpus()
HEAD_DIM = 128
CONTROLS = [
    {"name": "N", "kind": "range", "label": "Sequence length N", "min": 512, "max": 1048576,
     "default": 32768, "scale": "log", "unit": "tokens"},
    {"name": "heads", "kind": "range", "label": "Attention heads per layer", "min": 1, "max": 128,
     "step": 1, "default": 32},
    {"name": "dtype", "kind": "select", "label": "Number format of S, P and Q/K/V/O",
     "options": [["fp32", "fp32 (4 bytes)"], ["fp16", "fp16 or bf16 (2 bytes)"], ["fp8", "fp8 (1 byte)"]],
     "default": "fp16"},
    {"name": "sram_scope", "kind": "select", "label": "SRAM one tile may use (M)",
     "options": [["sm", "per SM (what a thread block gets)"], ["chip", "whole chip (a common mistake)"]],
     "default": "sm"},
    {"name": "gpu", "kind": "select", "label": "GPU", "options": GPUS, "default": "H100 SXM"},
]


def _bytes(b):
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if b >= size:
            return f"{b / size:,.3g} {unit}"
    return f"{b:,.0f} B"


def _time(seconds):
    if seconds >= 1:
        return f"{seconds:,.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:,.3g} ms"
    return f"{seconds * 1e6:,.3g} µs"


def render(N=32768, heads=32, dtype="fp16", sram_scope="sm", gpu="H100 SXM"):
    N, heads = int(round(N)), int(heads)
    chip = kernels.sram(gpu)
    M = chip["per_sm_bytes"] if sram_scope == "sm" else chip["chip_bytes"]
    io = kernels.attention_io(N, HEAD_DIM, heads, dtype, M)
    bw = chip["bandwidth_tbs"] * 1e12
    scope = (f"{chip['per_sm_kib']} KiB per SM" if sram_scope == "sm"
             else f"{chip['per_sm_kib']} KiB × {chip['sms']} SMs = {chip['chip_bytes'] / 2**20:,.2f} MiB")
    stats = {"kind": "stats", "items": [
        {"label": "S for one head", "value": _bytes(io["s_bytes_per_head"]), "note": f"{N:,}² entries"},
        {"label": f"S for one layer ({heads} heads)", "value": _bytes(io["s_bytes_per_layer"])},
        {"label": "HBM traffic per head, naive", "value": _bytes(io["naive_bytes_per_head"]),
         "note": "Θ(Nd + N²)"},
        {"label": "HBM traffic per head, tiled", "value": _bytes(io["tiled_bytes_per_head"]),
         "note": f"Θ(N²d²/M), {io['passes']:,} pass(es) over Q and O"},
        {"label": "Time at full bandwidth, per head", "value": f"{_time(io['naive_bytes_per_head'] / bw)} vs "
         f"{_time(io['tiled_bytes_per_head'] / bw)}", "note": f"naive vs tiled, {chip['bandwidth_tbs']} TB/s"},
        {"label": "Same, per layer", "value": f"{_time(io['naive_bytes'] / bw)} vs {_time(io['tiled_bytes'] / bw)}"},
    ]}
    lengths = [2 ** k for k in range(9, 21)]
    curves = [kernels.attention_io(n, HEAD_DIM, 1, dtype, M) for n in lengths]
    fig = {"kind": "plotly", "figure": {
        "data": [{"type": "scatter", "mode": "lines+markers", "name": "naive", "x": lengths,
                  "y": [c["naive_bytes_per_head"] / 2**30 for c in curves]},
                 {"type": "scatter", "mode": "lines+markers", "name": "tiled", "x": lengths,
                  "y": [c["tiled_bytes_per_head"] / 2**30 for c in curves]},
                 {"type": "scatter", "mode": "markers", "name": "this N", "x": [N, N],
                  "y": [io["naive_bytes_per_head"] / 2**30, io["tiled_bytes_per_head"] / 2**30],
                  "marker": {"size": 11, "color": "#d62728"}}],
        "layout": {"title": {"text": f"HBM traffic per head, d = {HEAD_DIM}, M = {scope}"}, "height": 340,
                   "xaxis": {"title": {"text": "sequence length N (tokens)"}, "type": "log"},
                   "yaxis": {"title": {"text": "GiB read + written"}, "type": "log"},
                   "legend": {"orientation": "h", "y": -0.3}, "margin": {"b": 70}}},
        "alt": (f"Log-log plot of HBM traffic per head against N from 512 to 1,048,576, head dim {HEAD_DIM}, "
                f"{dtype}, M = {scope}. At N = {N:,}: naive {_bytes(io['naive_bytes_per_head'])}, tiled "
                f"{_bytes(io['tiled_bytes_per_head'])}, ratio {io['ratio']:.3g}. Both grow as N²; "
                f"the tiled line sits lower by about M/(3d²) elements.")}
    note = (f"{gpu}: {chip['per_sm_kib']} KiB of L1/shared memory per SM, {chip['sms']} SMs, "
            f"{chip['bandwidth_tbs']} TB/s of HBM bandwidth (NVIDIA whitepaper and datasheet). Tiles of "
            f"B_c = {io['Bc']:,} key columns and B_r = {io['Br']:,} query rows fit in M. Times are lower "
            f"bounds: bytes divided by peak bandwidth, nothing else. Head dimension fixed at {HEAD_DIM}.")
    blocks = [stats, fig, {"kind": "text", "text": note}]
    if sram_scope == "chip":
        blocks.insert(1, {"kind": "text", "level": "warn", "text":
                          "No single thread block can use the whole chip's SRAM: each runs on one SM and "
                          "tiles into that SM's shared memory. This setting shows how wrong the traffic "
                          "estimate becomes if the ~20 MB whole-chip total is taken as M."})
    return blocks
