"""Pick a weight decay and a training fraction and read the two curves on a log step axis: train
accuracy saturates early; with weight decay, test accuracy climbs much later. Weight decay 0 keeps
memorizing. Tick "Fourier power" to see whether the embeddings settled on a few frequencies. p = 23
trains a smaller model live in your browser with the same code.
"""

from fieldguide import grokking

TITLE = "Grokking: train vs test accuracy on (a + b) mod p"
BADGE = "TOY"
ASSETS = []
TIMEOUT_S = 15     # a fresh 3,000-step live run: about 1.3 s in CPython, a few seconds in the browser;
                   # a run is kept per setting, so moving the slider up trains only the new steps

CONTROLS = [
    {"name": "weight_decay", "kind": "select", "label": "Weight decay (AdamW)",
     "options": [[0.0, "0"], [0.3, "0.3"], [1.0, "1.0"]], "default": 0.3},
    {"name": "train_frac", "kind": "select", "label": "Training fraction of all pairs",
     "options": [[0.3, "30%"], [0.5, "50%"]], "default": 0.5},
    {"name": "p", "kind": "select", "label": "Modulus p",
     "options": [[97, "97 (precomputed)"], [23, "23 (trained live)"]], "default": 97},
    {"name": "live_steps", "kind": "range", "label": "Live steps (p = 23 only)", "min": 0,
     "max": 3000, "step": 100, "default": 1000},
    {"name": "fourier", "kind": "checkbox", "label": "Show Fourier power of the embeddings",
     "default": False},
    {"name": "seed", "kind": "number", "label": "Seed (p = 23 only)", "min": 0, "max": 9999,
     "step": 1, "default": 0},
]


def _option(x, options, label):
    try:
        x = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{label}: choose one of {', '.join(str(o) for o in options)}") from None
    if x not in options:
        raise ValueError(f"{label}: choose one of {', '.join(str(o) for o in options)}")
    return x


def render(weight_decay=0.3, train_frac=0.5, p=97, live_steps=1000, fourier=False, seed=0):
    wd = _option(weight_decay, grokking.WEIGHT_DECAYS, "Weight decay (AdamW)")
    frac = _option(train_frac, grokking.TRAIN_FRACS, "Training fraction of all pairs")
    p = int(_option(p, (97, 23), "Modulus p"))
    from fieldguide import checks
    live_steps = checks.whole("Live steps (p = 23 only)", live_steps, 0, 3000)
    seed = checks.whole("Seed (p = 23 only)", seed, 0, 9999)
    notes = []
    if p == 97:
        data = grokking.load_runs()
        run = data["runs"][(wd, frac)]
        cfg = data["meta"]["config"]
        notes.append(f"Precomputed with seed {cfg['seed']} by {data['meta']['script']} "
                     f"(d {cfg['d']}, hidden {cfg['hidden']}, lr {cfg['lr']}, {cfg['steps']:,} "
                     f"full-batch steps). Live steps ({live_steps:,}) and seed ({seed}) "
                     "apply when p = 23.")
    else:
        run = grokking.train_live(23, wd, frac, live_steps, seed)
        notes.append(f"Trained now: p = 23, seed {seed}, {live_steps:,} full-batch AdamW steps "
                     f"(d {grokking.LIVE['d']}, hidden {grokking.LIVE['hidden']}).")
    s, tr, te = run["steps"], run["train_acc"], run["test_acc"]
    x = [max(v, 1) for v in s]
    t90, e90 = grokking.grok_step(s, tr, te)
    fmt = lambda v: "never" if v is None else f"{v:,}"   # noqa: E731
    blocks = [
        {"kind": "stats", "items": [
            {"label": "Train accuracy", "value": f"{tr[-1]:.1%}", "note": f"at step {s[-1]:,}"},
            {"label": "Test accuracy", "value": f"{te[-1]:.1%}"},
            {"label": "Train ≥ 90% at", "value": fmt(t90), "unit": "steps"},
            {"label": "Test ≥ 90% at", "value": fmt(e90), "unit": "steps"},
            {"label": "Training pairs", "value": f"{run['config']['n_train']:,}",
             "note": f"of {p * p:,}"},
        ]},
        {"kind": "plotly", "figure": {
            "data": [{"type": "scatter", "mode": "lines", "name": "train", "x": x, "y": tr},
                     {"type": "scatter", "mode": "lines", "name": "test", "x": x, "y": te}],
            "layout": {"xaxis": {"title": "full-batch step (log)", "type": "log"},
                       "yaxis": {"title": "accuracy", "range": [0, 1.02]}}},
         "alt": (f"Accuracy vs step, p = {p}, weight decay {wd}, train fraction {frac}: "
                 + "; ".join(f"step {a}: train {b:.2f}, test {c:.2f}" for a, b, c in zip(s, tr, te)))},
    ]
    if fourier:
        f = run["fourier"]
        top = sorted(range(len(f)), key=lambda k: -f[k])[:5]
        blocks.append({"kind": "plotly", "figure": {
            "data": [{"type": "bar", "x": list(range(len(f))), "y": f, "name": "power"}],
            "layout": {"xaxis": {"title": "frequency k"}, "yaxis": {"title": "share of embedding energy"}}},
            "alt": "Fourier power of the final embeddings by frequency: "
                   + ", ".join(f"k={k}: {v:.3f}" for k, v in enumerate(f))})
        blocks.append({"kind": "text", "text": "Top five frequencies hold "
                       f"{sum(f[k] for k in top):.0%} of the energy (k = {', '.join(map(str, top))})."})
    blocks += [{"kind": "text", "text": n} for n in notes]
    return blocks
