"""Step FlashAttention's tiles one at a time and watch each row's running max m, sum ℓ and output O.

Try: drag the tile step from 0 up and see rows fill in column of tiles by column of tiles; at the
end the tiled output matches naive attention to about 1e-15 in float64. Switch to float16: still
exact maths, but no longer bit-for-bit equal. Then pick the missing-rescale variant: one forgotten
factor exp(m_tile − m_new) and the error jumps to order 1.
"""

import numpy as np

from fieldguide import kernels

TITLE = "FlashAttention's tiler, one tile at a time"
BADGE = "TOY"
ASSETS = []
BLOCKS = [8, 16, 32, 64]
CONTROLS = [
    {"name": "N", "kind": "range", "label": "Sequence length N", "min": 16, "max": 1024, "step": 16,
     "default": 64, "unit": "tokens"},
    {"name": "d", "kind": "range", "label": "Head dimension d", "min": 8, "max": 128, "step": 8,
     "default": 16},
    {"name": "block_q", "kind": "select", "label": "Q block B_r (rows)", "options": BLOCKS, "default": 16},
    {"name": "block_kv", "kind": "select", "label": "K/V block B_c (columns)", "options": BLOCKS,
     "default": 16},
    {"name": "tile_step", "kind": "range", "label": "Tiles processed (clipped to the tile count)",
     "min": 0, "max": 16384, "step": 1, "default": 16384},
    {"name": "causal", "kind": "checkbox", "label": "Causal mask", "default": False},
    {"name": "dtype", "kind": "select", "label": "Number format", "options": ["float64", "float32", "float16"],
     "default": "float64"},
    {"name": "variant", "kind": "select", "label": "Output update",
     "options": [["correct", "correct"], ["missing-rescale", "missing-rescale (buggy)"]], "default": "correct"},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]
A100_SM = 192 * 1024          # bytes of shared memory/L1 on one A100 SM (gpu_sram.json)


def _num(x, spec=".4g"):
    return None if not np.isfinite(x) else float(format(float(x), spec))


def render(N=64, d=16, block_q=16, block_kv=16, tile_step=16384, causal=False, dtype="float64",
           variant="correct", seed=0):
    N, d, Br, Bc = int(N), int(d), int(block_q), int(block_kv)
    rng = np.random.default_rng(int(seed))
    Q, K, V = (rng.standard_normal((N, d)).astype(dtype) for _ in range(3))
    run = kernels.flash_forward(Q, K, V, Br, Bc, variant, upto=tile_step, causal=causal)
    total, done = run["n_tiles"], len(run["tiles"])
    final = run if done == total else kernels.flash_forward(Q, K, V, Br, Bc, variant, causal=causal)
    naive = kernels.naive_attention(Q, K, V, causal)
    exact = kernels.naive_attention(*(x.astype("float64") for x in (Q, K, V)), causal)
    err = kernels.max_abs_error(final["O"], naive)
    err_exact = kernels.max_abs_error(final["O"], exact)
    bitwise = bool(np.array_equal(final["O"], naive))
    io = kernels.attention_io(N, d, 1, dtype, A100_SM)

    Tr, Tc = run["grid"]
    z = [[0] * Tc for _ in range(Tr)]
    for i in range(Tr):
        for j in range(Tc):
            if causal and j * Bc > min((i + 1) * Br, N) - 1:
                z[i][j] = -1
    for i, j in run["tiles"]:
        z[i][j] = 1
    cur = run["tiles"][-1] if done else None
    if cur:
        z[cur[0]][cur[1]] = 2
    grid = {"kind": "plotly", "figure": {
        "data": [{"type": "heatmap", "z": z, "x": [f"k{j * Bc}" for j in range(Tc)], "y": [f"q{i * Br}" for i in range(Tr)],
                  "zmin": -1, "zmax": 2, "showscale": False,
                  "colorscale": [[0, "#bbbbbb"], [0.25, "#bbbbbb"], [0.25, "#f4f1de"], [0.5, "#f4f1de"],
                                 [0.5, "#81b29a"], [0.75, "#81b29a"], [0.75, "#e07a5f"], [1, "#e07a5f"]],
                  "hovertemplate": "Q block %{y}, K/V block %{x}<extra></extra>"}],
        "layout": {"title": {"text": f"{Tr}×{Tc} tiles of the {N}×{N} score matrix, never stored whole"},
                   "height": 380, "margin": {"l": 70, "b": 60},
                   "xaxis": {"title": {"text": "K/V block (first key position)"}},
                   "yaxis": {"title": {"text": "Q block (first query row)"}, "autorange": "reversed"}}},
        "alt": (f"Tile grid of {Tr} Q blocks of {Br} rows by {Tc} K/V blocks of {Bc} columns. "
                f"{done} of {total} tiles processed (green), current tile in red"
                + (f" (rows {cur[0] * Br}–{min((cur[0] + 1) * Br, N) - 1}, keys {cur[1] * Bc}–"
                   f"{min((cur[1] + 1) * Bc, N) - 1})" if cur else " (none yet)")
                + ("; grey tiles lie wholly above the causal diagonal and are skipped." if causal else "."))}

    rows = list(range(N))
    m = [_num(x) for x in run["m"]]
    ell = [_num(x) for x in run["l"]]
    logl = [None if v is None or v <= 0 else float(format(float(np.log(v)), ".4g")) for v in ell]
    stats_chart = {"kind": "plotly", "figure": {
        "data": [{"type": "scatter", "mode": "lines", "name": "running max m", "x": rows, "y": m},
                 {"type": "scatter", "mode": "lines", "name": "log of running sum ℓ", "x": rows, "y": logl}],
        "layout": {"title": {"text": "Per-row state after the tiles so far"}, "height": 300,
                   "margin": {"t": 40, "b": 50}, "xaxis": {"title": {"text": "query row"}},
                   "yaxis": {"title": {"text": "m and log ℓ"}},
                   "legend": {"orientation": "h", "y": -0.3}}},
        "alt": (f"Running max m and log of running sum ℓ for {N} rows after {done} tiles "
                f"(their sum is the row's log-sum-exp). Rows with no tile yet: {sum(v is None for v in m)}. "
                f"Row 0: m {m[0]}, ℓ {ell[0]}; row {N - 1}: m {m[-1]}, ℓ {ell[-1]}.")}

    show = range(cur[0] * Br, min(cur[0] * Br + 6, N)) if cur else range(min(6, N))
    table = {"kind": "table", "columns": ["row", "m", "ℓ", "O[0] so far", "O[0] naive", "O[1] so far", "O[1] naive"],
             "rows": [[r, _num(run["m"][r]), _num(run["l"][r]),
                       _num(run["O"][r, 0], ".6g"), _num(naive[r, 0], ".6g"),
                       _num(run["O"][r, 1], ".6g"), _num(naive[r, 1], ".6g")] for r in show],
             "caption": "The current tile's first rows (empty cells: no tile has reached the row yet)."}

    stats = {"kind": "stats", "items": [
        {"label": "Tiles processed", "value": f"{done:,} of {total:,}"},
        {"label": f"Final max |O_tiled − O_naive| ({dtype} both)", "value": f"{err:.3g}",
         "note": "bitwise equal" if bitwise else "not bitwise equal"},
        {"label": "Final max |O_tiled − exact|", "value": f"{err_exact:.3g}", "note": "exact = float64 naive"},
        {"label": "HBM traffic, naive", "value": f"{io['naive_bytes_per_head'] / 1024:,.1f}", "unit": "KiB",
         "note": "reads/writes of Q, K, V, S, P, O"},
        {"label": "HBM traffic, tiled", "value": f"{io['tiled_bytes_per_head'] / 1024:,.1f}", "unit": "KiB",
         "note": f"{io['passes']} pass(es) with 192 KiB of SRAM (one A100 SM)"},
    ]}
    if variant == "missing-rescale":
        msg = (f"The buggy update adds the new tile's P·V without the factor exp(m_tile − m_new); "
               f"once a later K/V block raises a row's max, that row is mis-weighted. Error {err_exact:.3g}.")
        level = "warn"
    elif done < total:
        msg = (f"Stopped after {done} of {total} tiles: rows already reached hold softmax attention over "
               f"the keys seen so far, exactly; the rest still wait at m = −∞, ℓ = 0.")
        level = "info"
    else:
        msg = (f"All {total} tiles done. The tiled result is exact in maths; in {dtype} it differs from "
               f"the naive one by {err:.3g} because the sums are taken in a different order.")
        level = "info"
    return [stats, {"kind": "text", "text": msg, "level": level}, grid, stats_chart, table]
