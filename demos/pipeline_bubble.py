"""A pipeline drawn as it runs: one row per GPU (stage), time left to right, forwards in blue,
backwards in orange, idle time blank. With 4 stages and 4 micro-batches almost half the chart is
blank; slide the micro-batches up and the bubble shrinks as (p−1)/(m+p−1). Then switch GPipe to
1F1B: the bubble stays the same, but the first stage stops hoarding activations.
"""

from fieldguide import checks, parallel

TITLE = "The pipeline bubble: GPipe and 1F1B"
BADGE = "TOY"
ASSETS = []
CONTROLS = [
    {"name": "stages", "kind": "range", "label": "Pipeline stages p (GPUs)", "min": 2, "max": 16, "step": 1,
     "default": 4},
    {"name": "microbatches", "kind": "range", "label": "Micro-batches m per step", "min": 1, "max": 64,
     "step": 1, "default": 4},
    {"name": "schedule", "kind": "select", "label": "Schedule",
     "options": [["GPipe", "GPipe (all forwards, then all backwards)"], ["1F1B", "1F1B (PipeDream-flush)"]],
     "default": "GPipe"},
]


def _whole(x, label, lo, hi):
    return checks.whole(label, x, lo, hi)

def render(stages=4, microbatches=4, schedule="GPipe"):
    p = _whole(stages, "Pipeline stages p (GPUs)", 2, 16)
    m = _whole(microbatches, "Micro-batches m per step", 1, 64)
    if schedule not in ("GPipe", "1F1B"):
        raise ValueError("Schedule: choose GPipe or 1F1B.")
    s = parallel.pipeline_schedule(p, m, schedule)
    T = s["makespan"]
    z = [[0] * T for _ in range(p)]
    txt = [["idle"] * T for _ in range(p)]
    for st, op, j, b, e in s["ops"]:
        label = ("forward " if op == "F" else "backward ") + str(j + 1)
        zr, tr = z[st], txt[st]
        for t in range(b, e):
            zr[t] = 1 if op == "F" else 2
            tr[t] = label
    peak = s["peak_activations"]
    stats = {"kind": "stats", "items": [
        {"label": "Bubble (simulated)", "value": f"{s['bubble']:.1%}",
         "note": f"(p−1)/(m+p−1) = {p - 1}/{m + p - 1} = {parallel.bubble_fraction(p, m):.1%}"},
        {"label": "Step time", "value": f"{T} units",
         "note": f"vs {m * (s['t_f'] + s['t_b'])} with no bubble"},
        {"label": "Peak activations, stage 1", "value": f"{peak[0]} micro-batch{'es' if peak[0] > 1 else ''}",
         "note": f"last stage {peak[-1]}"},
    ]}
    fig = {"data": [{"type": "heatmap", "z": z, "text": txt, "hoverinfo": "text",
                     "x": list(range(T)), "y": [f"GPU {i + 1}" for i in range(p)],
                     "zmin": 0, "zmax": 2, "showscale": False,
                     "colorscale": [[0, "#ffffff"], [0.33, "#ffffff"], [0.34, "#4a7ebb"], [0.66, "#4a7ebb"],
                                    [0.67, "#e76f51"], [1, "#e76f51"]]}],
           "layout": {"height": 120 + 22 * p, "margin": {"l": 60, "t": 30, "b": 40},
                      "title": {"text": f"{schedule}: {p} stages × {m} micro-batches"},
                      "xaxis": {"title": {"text": "time (a forward = 1 unit, a backward = 2)"}},
                      "yaxis": {"autorange": "reversed"}}}
    busy = m * (s["t_f"] + s["t_b"])
    alt = (f"{schedule} schedule, {p} stages, {m} micro-batches: the step takes {T} time units; each GPU is "
           f"busy {busy} of them, idle {T - busy}; bubble {s['bubble']:.1%}. Peak micro-batches of "
           f"activations held per stage: {', '.join(map(str, peak))}.")
    out = [stats, {"kind": "plotly", "figure": fig, "alt": alt}]
    if m == 1:
        out.append({"kind": "text", "level": "info",
                    "text": "With a single micro-batch GPipe and 1F1B are the same schedule: one forward "
                            "sweep, one backward sweep, and every other GPU waits."})
    elif m < p:
        out.append({"kind": "text", "level": "warn",
                    "text": f"Fewer micro-batches ({m}) than stages ({p}): the pipeline never fills."})
    return out
