"""How much memory does each GPU need to train a model, and what do ZeRO's stages take away?

Start at the ZeRO paper's example: 7.5B parameters on 64 GPUs. Plain data parallelism needs 120 GB
of model state on every GPU; stage 1 cuts it to 31.4 GB, stage 2 to 16.6 GB, stage 3 (what FSDP
does) to 1.875 GB — the table shows all four. Then lengthen the sequence or the micro-batch and
watch activations, which no stage shards, take over; tick checkpointing to shrink them.
"""

from fieldguide import data, memory, models

TITLE = "Training memory per GPU: ZeRO stages, FSDP and checkpointing"
BADGE = "REAL"
ASSETS = []
STAGES = [[0, "0 — plain data parallel"], [1, "1 — shard optimizer state"],
          [2, "2 — also gradients"], [3, "3 — also weights (FSDP)"]]
ARCHS = [n for n in models.preset_names() if not models.preset_record(n).get("hypothetical")]
GPUS = list(data.gpus())
CONTROLS = [
    {"name": "params", "kind": "range", "label": "Parameters", "min": 1e8, "max": 1e12, "default": 7.5e9,
     "scale": "log", "unit": "parameters"},
    {"name": "dp", "kind": "range", "label": "Data-parallel GPUs", "min": 1, "max": 1024, "default": 64,
     "scale": "log"},
    {"name": "stage", "kind": "select", "label": "ZeRO stage", "options": STAGES, "default": 0},
    {"name": "optimizer", "kind": "select", "label": "Optimizer",
     "options": [[k, v] for k, v in memory.OPTIMIZERS.items()], "default": "adam"},
    {"name": "checkpointing", "kind": "checkbox", "label": "Activation checkpointing (√n)", "default": False},
    {"name": "seq_len", "kind": "range", "label": "Sequence length (tokens)", "min": 512, "max": 32768,
     "default": 4096, "scale": "log"},
    {"name": "micro_batch", "kind": "range", "label": "Micro-batch per GPU (sequences)", "min": 1, "max": 32,
     "step": 1, "default": 1},
    {"name": "arch", "kind": "select", "label": "Shape for activations (layers, width)", "options": ARCHS,
     "default": "Llama-2-7B"},
    {"name": "gpu", "kind": "select", "label": "GPU", "options": GPUS, "default": "H100 SXM"},
]
PARTS = [("weights", "weights (16-bit)", "#577590"), ("grads", "gradients (16-bit)", "#90be6d"),
         ("optimizer", "optimizer state", "#f8961e"), ("activations", "activations", "#e76f51")]


def _gb(b):
    return f"{b / 1e9:.4g} GB"


def _figure(results, stage, capacity):
    xs = [f"stage {s}" + (" ◀" if s == stage else "") for s in range(4)]
    traces = [{"type": "bar", "name": label, "x": xs, "y": [r[key] / 1e9 for r in results],
               "marker": {"color": colour}, "hovertemplate": f"{label}: %{{y:.4g}} GB<extra></extra>"}
              for key, label, colour in PARTS + [("total", "total per GPU", "#333333")]]
    cap = capacity / 1e9
    # grouped, not stacked: the static pre-render draws bar groups side by side, so a total bar
    # (compared with the dotted GPU line) reads the same before and after Python loads
    layout = {"barmode": "group", "height": 360, "margin": {"t": 30},
              "yaxis": {"title": {"text": "GB per GPU"}},
              "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": cap, "y1": cap,
                          "line": {"color": "#222222", "width": 2, "dash": "dot"}}],
              "annotations": [{"xref": "paper", "x": 1, "y": cap, "xanchor": "right", "yanchor": "bottom",
                               "text": f"GPU memory {cap:.1f} GB", "showarrow": False}],
              "legend": {"orientation": "h", "y": -0.2}}
    return {"data": traces, "layout": layout}


def render(params=7.5e9, dp=64, stage=0, optimizer="adam", checkpointing=False, seq_len=4096,
           micro_batch=1, arch="Llama-2-7B", gpu="H100 SXM"):
    dp, seq_len, micro_batch, stage = int(round(dp)), int(round(seq_len)), int(round(micro_batch)), int(stage)
    shape = models.Architecture.preset(arch)
    results = [memory.training_bytes(shape, s, dp, optimizer, checkpointing, seq_len, micro_batch, params=params)
               for s in range(4)]
    r = results[stage]
    capacity = memory.gpu_capacity_bytes(gpu)
    fits = r["total"] <= capacity
    comm = "none (one GPU)" if dp == 1 else f"{r['comm']:g}× plain data parallel"

    blocks = [{"kind": "stats", "items": [
        {"label": "Weights", "value": _gb(r["weights"])},
        {"label": "Gradients", "value": _gb(r["grads"])},
        {"label": "Optimizer state", "value": _gb(r["optimizer"]),
         "note": f"{memory.OPTIMIZER_STATE_BYTES[optimizer]} B/param" + (f" ÷ {dp}" if stage >= 1 else "")},
        {"label": "Model states", "value": _gb(r["model_states"]),
         "note": f"{r['bytes_per_param']:.4g} B per parameter on this GPU"},
        {"label": "Activations", "value": _gb(r["activations"]),
         "note": f"{arch}: {shape.num_layers} layers × width {shape.hidden_size:,}, {seq_len:,} tokens × {micro_batch}"
                 + (", √n checkpoints" if checkpointing else "")},
        {"label": "Total per GPU", "value": _gb(r["total"]),
         "note": f"{'fits' if fits else 'does NOT fit'} in {gpu} ({capacity / 1e9:.1f} GB)"},
        {"label": "Communication", "value": comm},
    ]}]
    blocks.append({"kind": "plotly", "figure": _figure(results, stage, capacity), "alt": (
        f"Bars of GB per GPU for ZeRO stages 0 to 3 at {params:.3g} parameters on {dp} GPUs: " + "; ".join(
            f"stage {s}: weights {x['weights'] / 1e9:.4g}, gradients {x['grads'] / 1e9:.4g}, optimizer "
            f"{x['optimizer'] / 1e9:.4g}, activations {x['activations'] / 1e9:.4g}, total {x['total'] / 1e9:.4g}"
            for s, x in enumerate(results)) + f". {gpu} memory {capacity / 1e9:.1f} GB.")})
    blocks.append({"kind": "table", "columns": ["Stage", "Sharded", "Model states / GPU", "+ activations",
                                                "Communication"],
                   "rows": [[label, ["nothing", "optimizer state", "+ gradients", "+ weights"][s],
                             _gb(x["model_states"]), _gb(x["total"]),
                             "—" if dp == 1 else f"{x['comm']:g}×"]
                            for (s, label), x in zip(STAGES, results)],
                   "caption": f"{params:.3g} parameters, {dp:,} data-parallel GPUs, "
                              f"{memory.OPTIMIZERS[optimizer]}."})
    if abs(shape.n_params - params) / params > 0.5:
        blocks.append({"kind": "text", "level": "info", "text": (
            f"Activations use {arch}'s shape ({shape.n_params / 1e9:.3g}B parameters); the model-state bars use "
            f"the {params:.3g} parameters you set. Pick a shape closer in size for a consistent picture.")})
    return blocks
