"""Five ways to tell attention where a token sits. Pick a scheme, then move the position p: for
sinusoidal and RoPE the curves for three different starting positions lie exactly on top of each
other (the score depends only on the offset), while tinylm's learned table gives three different
curves and simply has no row past its 256th. Shrink the training length to see learned rows fall
back to their random start, switch to ALiBi to see the distance penalty per head, and to NoPE to
see that the causal mask alone lets a model count.
"""

import numpy as np

from fieldguide import position as P
from fieldguide import tinylm
from fieldguide.embeddings import unit_rows
from fieldguide.demo import WEIGHTS

TITLE = "Position explorer: sinusoidal, RoPE, learned, ALiBi, none"
BADGE = "TOY"
ASSETS = []
WINDOW = 32          # positions shown in the encoding heatmap
SHIFT = 100          # the shift Δ used to test "(m, n) scores like (m + Δ, n + Δ)"
STARTS = (0, 37, 1000)  # three starting positions, added to p, whose curves should coincide

SCHEMES = [["sinusoidal", "sinusoidal (Vaswani et al., 2017)"], ["rope", "RoPE (rotary)"],
           ["learned", "learned absolute (tinylm's real table)"], ["alibi", "ALiBi (linear bias)"],
           ["nope", "none (NoPE)"]]

CONTROLS = [
    {"name": "scheme", "kind": "select", "label": "Scheme", "options": SCHEMES, "default": "sinusoidal"},
    {"name": "p", "kind": "range", "label": "Position p", "min": 0, "max": 4096, "step": 1, "default": 3},
    {"name": "offset", "kind": "range", "label": "Offset k (the other token sits at p + k)", "min": 0,
     "max": 512, "step": 1, "default": 5},
    {"name": "d", "kind": "select", "label": "Width d", "options": [16, 64, 128], "default": 64},
    {"name": "base", "kind": "select", "label": "Base of the frequency ladder (RoPE; sinusoidal too)",
     "options": [[10000, "10,000"], [500000, "500,000 (Llama 3)"]], "default": 10000},
    {"name": "train_len", "kind": "range", "label": "Training length (learned, ALiBi)", "min": 64,
     "max": 8192, "step": 1, "default": 2048},
    {"name": "heads", "kind": "range", "label": "Heads (ALiBi)", "min": 1, "max": 16, "step": 1, "default": 8},
    {"name": "causal", "kind": "checkbox", "label": "Causal mask (NoPE)", "default": True},
]

_CACHE: dict = {}


def _tinylm_table():
    if "t" not in _CACHE:
        _CACHE["t"] = P.tinylm_positions()
    return _CACHE["t"]


def _qk(d):
    """A fixed query and key (no randomness: the same every time)."""
    j = np.arange(d)
    return 1 + 0.5 * np.sin(j), np.cos(0.7 * j) + 0.3


def _r(x, n=4):
    return None if x is None or not np.isfinite(x) else round(float(x), n)


def _heat(z, x, y, title, xt, yt, colorscale="RdBu", zmid=None):
    trace = {"type": "heatmap", "z": z, "x": x, "y": y, "colorscale": colorscale, "hoverongaps": False}
    if zmid is not None:
        trace["zmid"] = zmid
    return {"data": [trace], "layout": {"title": {"text": title}, "height": 380,
                                        "xaxis": {"title": {"text": xt}},
                                        "yaxis": {"title": {"text": yt}, "autorange": "reversed"},
                                        "margin": {"l": 70}}}


def render(scheme="sinusoidal", p=3, offset=5, d=64, base=10000, train_len=2048, heads=8, causal=True):
    p, offset, d, base = int(p), int(offset), int(d), float(base)
    train_len, heads = int(train_len), int(heads)
    t = _tinylm_table()
    n_ctx = len(t["trained"])
    learned = P.learned_table(t["trained"], t["init"], train_len)[:, :d]
    kept = min(train_len, n_ctx)
    q, k = _qk(d)
    slopes = P.alibi_slopes(heads)
    notes = []
    K = min(512, max(64, 2 * offset))
    ks = np.arange(0, K + 1, -(-K // 256))      # at most 257 offsets per curve

    # --- panel 1: the encoding itself -------------------------------------------------------
    if scheme == "sinusoidal":
        z = P.sinusoidal(WINDOW, d, base, start=p)
        fig = _heat(np.round(z, 3).tolist(), list(range(d)), list(range(p, p + WINDOW)),
                    f"Sinusoidal table, positions {p}–{p + WINDOW - 1}", "dimension", "position", zmid=0)
        alt = (f"Sinusoidal encoding of positions {p} to {p + WINDOW - 1}, d = {d}: the left columns "
               f"swing fast (period {2 * np.pi:.1f} tokens), the right ones slowly (period "
               f"{P.wavelengths(P.rope_frequencies(d, base))[-1]:,.0f} tokens). Row {p}: "
               + ", ".join(f"{v:.2f}" for v in z[0, :8]) + " ...")
    elif scheme == "rope":
        w = P.rope_frequencies(d, base)
        z = np.cos(np.arange(p, p + WINDOW)[:, None] * w)
        fig = _heat(np.round(z, 3).tolist(), list(range(d // 2)), list(range(p, p + WINDOW)),
                    f"RoPE: cos of the rotation angle m·θ_i, positions {p}–{p + WINDOW - 1}",
                    "pair i", "position m", zmid=0)
        alt = (f"cos(m theta_i) for positions {p} to {p + WINDOW - 1} and {d // 2} pairs, base "
               f"{base:,.0f}: pair 0 turns 1 radian per token, pair {d // 2 - 1} turns "
               f"{w[-1]:.2e} radians per token.")
    elif scheme == "learned":
        lo = min(p, n_ctx - WINDOW)
        z = learned[lo:lo + WINDOW]
        fig = _heat(np.round(z, 3).tolist(), list(range(d)), list(range(lo, lo + WINDOW)),
                    f"tinylm's learned table, rows {lo}–{lo + WINDOW - 1} (first {d} of "
                    f"{t['trained'].shape[1]} columns)", "dimension", "position", zmid=0)
        alt = (f"Rows {lo} to {lo + WINDOW - 1} of tinylm's position table; rows from {kept} on are "
               f"shown at their random starting values. Row norms: "
               + ", ".join(f"{lo + i}: {np.linalg.norm(z[i]):.2f}" for i in range(0, WINDOW, 8)))
        if p >= n_ctx:
            notes.append(f"tinylm's table has {n_ctx} rows (0–{n_ctx - 1}); position {p} has no row "
                         "at all, so the model cannot even be run there. Showing the last rows.")
    elif scheme == "alibi":
        n = 24
        b = P.alibi_bias(n, heads)[-1]
        z = [[None if not np.isfinite(v) else round(float(v), 4) for v in row] for row in b]
        fig = _heat(z, list(range(p, p + n)), list(range(p, p + n)),
                    f"ALiBi bias of the gentlest head ({heads} of {heads}, slope {slopes[-1]:.4g})",
                    "key position", "query position", colorscale="Blues_r")
        alt = (f"ALiBi bias for head {heads} of {heads}: -{slopes[-1]:.4g} x distance below the "
               f"diagonal, masked above. The slopes of the {heads} heads: "
               + ", ".join(f"{s:.4g}" for s in slopes))
    elif scheme == "nope":
        n = 24
        w = np.tril(np.ones((n, n))) if causal else np.ones((n, n))
        w = w / w.sum(1, keepdims=True)
        z = [[round(float(v), 4) if (v > 0 or not causal) else None for v in row] for row in w]
        fig = _heat(z, list(range(n)), list(range(n)),
                    "No positions: a head with equal scores" + (" under the causal mask" if causal else
                                                                " and no mask"),
                    "key position", "query position", colorscale=WEIGHTS)
        alt = ("Uniform attention weights, " + ("causal: row p gives 1/(p+1) to each of its p+1 "
               "tokens, so rows differ by position" if causal else "no mask: every row is 1/24 "
               "everywhere, so no row knows where it is"))
    else:
        raise ValueError(f"Scheme: unknown choice {scheme!r}")
    blocks = [None, {"kind": "plotly", "figure": fig, "alt": alt}]

    # --- panel 2: does the score depend only on the offset? -----------------------------------
    traces, summary = [], []
    if scheme == "alibi":
        dist = np.linspace(0, 2 * train_len, 81)
        for i, s in enumerate(slopes):
            traces.append({"type": "scatter", "mode": "lines", "name": f"head {i + 1}",
                           "x": [round(float(v), 1) for v in dist],
                           "y": [float(f"{v:.4g}") for v in P.alibi_weight_ratio(s, dist)]})
        layout = {"title": {"text": "ALiBi: weight on a key at distance k relative to distance 0"},
                  "xaxis": {"title": {"text": "distance k (tokens)"}},
                  "yaxis": {"title": {"text": "exp(−slope·k)"}, "type": "log", "range": [-12, 0.1]},
                  "shapes": [{"type": "line", "x0": train_len, "x1": train_len, "yref": "paper",
                              "y0": 0, "y1": 1, "line": {"dash": "dash", "color": "#444"}}]}
        alt = (f"exp(-slope x k) per head up to 2 x training length ({2 * train_len:,}); at the "
               f"training length {train_len:,} the gentlest head keeps "
               f"{P.alibi_weight_ratio(slopes[-1], train_len):.2e} and the steepest "
               f"{P.alibi_weight_ratio(slopes[0], train_len):.2e}.")
    else:
        for s0 in STARTS:
            base_p = p + s0
            if scheme == "sinusoidal":
                y = P.sinusoidal_dot(base_p, ks, d, base)
            elif scheme == "rope":
                y = P.rope_score(q, k, base_p + ks, base_p, base)
            elif scheme == "learned":
                y = np.full(len(ks), np.nan)
                m = base_p + ks < n_ctx
                if base_p < n_ctx and m.any():
                    u = unit_rows(learned)
                    y[m] = u[base_p + ks[m]] @ u[base_p]
            else:
                y = P.nope_signal(base_p + K + 1, causal)[base_p + ks]
            summary.append(y)
            traces.append({"type": "scatter", "mode": "lines", "name": f"from p = {base_p}",
                           "x": ks.tolist(), "y": [_r(v, 3) for v in y]})
        ylab = {"sinusoidal": "PE(p)·PE(p+k)", "rope": "score q·k at (p+k, p)",
                "learned": "cos(row p, row p+k)", "nope": "uniform-head signal at p+k"}[scheme]
        layout = {"title": {"text": f"{ylab} against the offset k, for three starting positions"},
                  "xaxis": {"title": {"text": "offset k"}}, "yaxis": {"title": {"text": ylab}}}
        ys = np.array(summary)
        spread = np.nanmax(ys, 0) - np.nanmin(ys, 0) if np.isfinite(ys).sum(0).min() >= 2 else None
        alt = (f"{ylab} for k = 0..{ks[-1]}, starting at p = " + ", ".join(str(p + s) for s in STARTS)
               + ". " + ("The curves coincide: largest gap between them "
                         f"{np.nanmax(spread):.1e}." if spread is not None and np.nanmax(spread) < 1e-8
                         else "The curves differ: the value depends on where you start, not only on k."))
    layout["height"] = 320
    blocks.append({"kind": "plotly", "figure": {"data": traces, "layout": layout}, "alt": alt})

    # --- panel 3: all five schemes at (p + k, p), and shifted by Δ ----------------------------
    a, b2 = p + offset, p
    pe = dict(zip((a, b2, a + SHIFT, b2 + SHIFT), P.sinusoidal_rows([a, b2, a + SHIFT, b2 + SHIFT], d, base)))
    row = lambda i: "trained" if i < kept else ("random start" if i < n_ctx else "no row")   # noqa: E731
    if a < n_ctx:
        u = unit_rows(learned)
        lcos = f"cos {u[a] @ u[b2]:.3f}"
        lshift = f"cos {u[a + SHIFT] @ u[b2 + SHIFT]:.3f}" if a + SHIFT < n_ctx else "no row"
    else:
        lcos, lshift = "no row", "no row"
    nope = P.nope_signal(a + SHIFT + 1, causal)
    rows = [
        ["sinusoidal", f"{pe[a] @ pe[b2]:.6f}", f"{pe[a + SHIFT] @ pe[b2 + SHIFT]:.6f}",
         "dot product of the two encodings"],
        ["RoPE", f"{P.rope_score(q, k, a, b2, base):.6f}", f"{P.rope_score(q, k, a + SHIFT, b2 + SHIFT, base):.6f}",
         "score of a fixed query at p+k and key at p"],
        ["learned (tinylm)", lcos, lshift,
         f"row {a}: {row(a)}, row {b2}: {row(b2)} (trained rows: 0–{kept - 1} of {n_ctx})"],
        ["ALiBi", f"{-slopes[0] * offset:.4g} … {-slopes[-1] * offset:.4g}",
         f"{-slopes[0] * offset:.4g} … {-slopes[-1] * offset:.4g}",
         f"bias, steepest … gentlest of {heads} heads; distance {offset} = "
         f"{offset / train_len:.3g} × training length {train_len:,}"],
        ["none (NoPE)", f"{nope[a]:.4g} vs {nope[b2]:.4g}", f"{nope[a + SHIFT]:.4g} vs {nope[b2 + SHIFT]:.4g}",
         "uniform-head signal at p+k vs at p, " + ("causal: it tells positions apart" if causal
                                                  else "no mask: identical everywhere")],
    ]
    blocks.append({"kind": "table", "columns": ["scheme", f"at ({a}, {b2})",
                                                f"shifted by Δ = {SHIFT}: ({a + SHIFT}, {b2 + SHIFT})", "what"],
                   "rows": rows, "caption": "Every scheme at the two chosen positions, and at both moved "
                   f"{SHIFT} tokens later. Equal columns mean the scheme sees only the offset."})

    # --- headline numbers ----------------------------------------------------------------------
    items = [{"label": "Positions", "value": f"p = {p}, p + k = {a}"}]
    if scheme in ("sinusoidal", "rope"):
        w = P.rope_frequencies(d, base)
        same = ((pe[a] @ pe[b2], pe[a + SHIFT] @ pe[b2 + SHIFT]) if scheme == "sinusoidal" else
                (P.rope_score(q, k, a, b2, base), P.rope_score(q, k, a + SHIFT, b2 + SHIFT, base)))
        items += [{"label": "Fastest / slowest wavelength", "value":
                   f"{P.wavelengths(w)[0]:.2f} / {P.wavelengths(w)[-1]:,.0f}", "unit": "tokens"},
                  {"label": f"Same value after a shift by Δ = {SHIFT}",
                   "value": "yes" if np.isclose(*same, rtol=1e-9, atol=1e-9) else "no",
                   "note": f"{same[0]:.10f} vs {same[1]:.10f}"}]
    elif scheme == "learned":
        tr = P.row_cosines(t["trained"][:, :d])
        st = P.row_cosines(t["init"][:, :d])
        items += [{"label": "Neighbour cosine, trained rows", "value": f"{tr.mean():.3f}"},
                  {"label": "Neighbour cosine, random start", "value": f"{st.mean():.3f}"},
                  {"label": "Rows that exist", "value": f"{n_ctx}"}]
    elif scheme == "alibi":
        items += [{"label": "Slopes", "value": ", ".join(f"{s:.3g}" for s in slopes[:4]) +
                   (" …" if heads > 4 else "")},
                  {"label": "Gentlest head at the training length", "value":
                   f"{P.alibi_weight_ratio(slopes[-1], train_len):.2e}", "unit": "× the weight at distance 0"}]
    else:
        items += [{"label": "Signal at p", "value": f"{nope[b2]:.4g}"},
                  {"label": "Signal at p + k", "value": f"{nope[a]:.4g}"}]
    blocks[0] = {"kind": "stats", "items": items}
    blocks.append({"kind": "text", "text": "The learned row of the table reads tinylm's real position "
                   "table (trained at 256 tokens). " + tinylm.scale_note()})
    if train_len > n_ctx and scheme == "learned":
        info = (f"tinylm was trained on {n_ctx}-token sequences, so its table has only {n_ctx} "
                     f"trained rows; a training length of {train_len:,} cannot add rows it never had.")
        blocks.append({"kind": "text", "level": "info", "text": info})
    for n_ in notes:
        blocks.append({"kind": "text", "level": "warn", "text": n_})
    return blocks
