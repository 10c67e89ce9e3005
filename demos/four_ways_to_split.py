"""Sixteen GPUs, one model, five ways to divide it. Start on data parallel with the default 70B
model: every GPU would need many times its memory, so it cannot run at all. Switch to FSDP and the same
state drops to 1/16 per GPU, at the price of more bytes on the wire. Then try tensor parallel on 16
GPUs — the per-layer all-reduces now cross the InfiniBand link between two servers — and on 8,
where they stay on NVLink. Pipeline parallel sends the least; its cost is the idle bubble (next demo).
"""

from fieldguide import memory, parallel

TITLE = "Four ways to split a training run (and a fifth for experts)"
BADGE = "TOY"
ASSETS = []
MODES = [["DP", "Data parallel (DP)"], ["PP", "Pipeline parallel (PP)"], ["TP", "Tensor parallel (TP)"],
         ["FSDP", "Fully sharded (FSDP / ZeRO-3)"], ["EP", "Expert parallel (EP, MoE)"]]
CONTROLS = [
    {"name": "mode", "kind": "select", "label": "How to split", "options": MODES, "default": "DP"},
    {"name": "gpus", "kind": "select", "label": "GPUs (8 per server)", "options": [8, 16, 32], "default": 16},
    {"name": "params", "kind": "range", "label": "Parameters", "min": 1e9, "max": 1e12, "default": 70e9,
     "scale": "log", "unit": "parameters"},
    {"name": "layers", "kind": "range", "label": "Layers", "min": 8, "max": 128, "step": 1, "default": 80},
]
HBM = 80e9      # an 80 GB GPU, the label on an H100 or A100 80GB


def _t(s):
    return f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.3g} s"


def render(mode="DP", gpus=16, params=70e9, layers=80):
    if mode not in parallel.MODES:
        raise ValueError(f"How to split: choose one of {', '.join(parallel.MODES)}.")
    try:
        n = int(gpus)
    except (TypeError, ValueError):
        raise ValueError("GPUs (8 per server): choose 8, 16 or 32.") from None
    if n not in (8, 16, 32):
        raise ValueError("GPUs (8 per server): choose 8, 16 or 32.")
    params = float(params)
    if not 1e9 <= params <= 1e12:
        raise ValueError("Parameters: choose between 1e9 and 1e12.")
    if not (8 <= float(layers) <= 128) or float(layers) != int(float(layers)):
        raise ValueError("Layers: choose a whole number between 8 and 128.")
    arch = parallel.toy_arch(params, int(float(layers)), moe=(mode == "EP"))
    lay = parallel.layout(mode, n, arch)
    worst = lay["max_state_bytes"]
    sent = sum(c["bytes_per_gpu"] for c in lay["collectives"])
    stats = {"kind": "stats", "items": [
        {"label": "Model", "value": f"{arch.n_params / 1e9:.3g} B params",
         "note": f"{arch.num_layers} layers, width {arch.hidden_size:,}"
                 + (f", {arch.num_experts} experts (top-{arch.experts_per_token})" if arch.is_moe else "")},
        {"label": "Training state per GPU (worst)", "value": memory.human_bytes(worst),
         "note": ("fits" if worst <= HBM else f"{worst / HBM:.3g}× an 80 GB GPU") + "; 16 B/param, no activations"},
        {"label": "Sent per GPU per step", "value": memory.human_bytes(sent),
         "note": f"{lay['tokens']:,} tokens per step"},
        {"label": "Time on the links", "value": _t(lay["comm_seconds"]),
         "note": f"vs {_t(lay['compute_seconds'])} of maths at peak BF16"},
    ]}
    row_of = [g["node"] for g in lay["gpus"]]
    z = [[None] * parallel.NODE_GPUS for _ in range(lay["nodes"])]
    txt = [[""] * parallel.NODE_GPUS for _ in range(lay["nodes"])]
    for g in lay["gpus"]:
        r, c = g["node"], g["gpu"] % parallel.NODE_GPUS
        z[r][c] = g["group"]
        txt[r][c] = f"GPU {g['gpu']}: {g['holds']} — {memory.human_bytes(g['state_bytes'])}"
    groups = [g["group"] for g in lay["gpus"]]
    fig = {"data": [{"type": "heatmap", "z": z, "text": txt, "hoverinfo": "text",
                     "x": [f"GPU {i}" for i in range(parallel.NODE_GPUS)],
                     "y": [f"server {r}" for r in range(lay["nodes"])],
                     "zmin": min(groups), "zmax": max(max(groups), min(groups) + 1), "showscale": False,
                     "colorscale": [[0, "#e9c46a"], [0.5, "#2a9d8f"], [1, "#264653"]],
                     "xgap": 3, "ygap": 3}],
           "layout": {"height": 90 + 55 * lay["nodes"], "margin": {"l": 80, "t": 30, "b": 40},
                      "title": {"text": f"{dict(MODES)[mode]} on {n} GPUs: same colour = same contents"},
                      "yaxis": {"autorange": "reversed"}}}
    distinct = []
    for g in lay["gpus"]:
        if g["holds"] not in [d[0] for d in distinct]:
            distinct.append((g["holds"], g["gpu"]))
    alt = (f"{n} GPUs in {lay['nodes']} servers of 8 under {mode}. " +
           ("Every GPU holds the same thing: " + lay["gpus"][0]["holds"] if len(distinct) == 1 else
            "; ".join(f"GPU {g['gpu']} holds {g['holds']}" for g in lay["gpus"][:8]) +
            ("; and so on" if n > 8 else "")) +
           f". Worst training state per GPU {memory.human_bytes(worst)}.")
    table = {"kind": "table", "columns": ["collective", "group", "times per step", "sent per GPU",
                                          "link (per direction)", "time"],
             "rows": [[c["name"], c["group"], c["count"], memory.human_bytes(c["bytes_per_gpu"]), c["link"], _t(c["seconds"])]
                      for c in lay["collectives"]] or [["none", "—", 0, "0", "—", "0"]],
             "caption": "Ring algorithms; NVLink 4 at 450 GB/s per direction inside a server, one 400 Gb/s "
                        "InfiniBand port (50 GB/s) per GPU between servers. No overlap with compute assumed."}
    out = [stats, {"kind": "plotly", "figure": fig, "alt": alt}, table]
    for note in lay["notes"]:
        out.append({"kind": "text", "text": note.capitalize() + ".", "level": "warn"})
    if mode == "EP":
        out.append({"kind": "text", "level": "info",
                    "text": "EP uses a toy mixture-of-experts version of the model (64 experts, 4 per token) "
                            "with about the same total parameters; attention and embeddings are copied "
                            "on every GPU."})
    return out
