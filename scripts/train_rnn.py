"""Train a tiny vanilla RNN and a tiny LSTM on the copy task at every delay; ship the accuracy curves.

    python scripts/train_rnn.py                 # writes src/fieldguide/data/rnn_copy.json
    python scripts/train_rnn.py --out /tmp/x.json
    python scripts/train_rnn.py --check         # retrain into a scratch file, compare with the shipped

Every (cell, delay, seed) run starts from fresh weights drawn from its seed and gets the same
budget (steps × batch). Accuracy is measured on held-out sequences drawn from a separate seed.
The JSON records the script, config, seeds, steps, wall time and machine, so the curves on the
page are reproducible data (`fieldguide.rnn.load_copy_curves`). One core, a few minutes.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kernels import pin  # noqa: E402

KERNELS = pin()          # before numpy loads: the same float32 bits on every AVX2 x86-64

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fieldguide import rnn_train  # noqa: E402

OUT = ROOT / "src" / "fieldguide" / "data" / "rnn_copy.json"
CONFIG = {
    "task": "copy: first token is one of n_symbols symbols, then delay-1 distractors from the same "
            "symbols, then a recall marker; predict the first symbol at the marker",
    "n_symbols": 8,
    "hidden": {"vanilla": 64, "lstm": 32},
    "steps": 1000,
    "batch": 64,
    "lr": 3e-3,
    "optimizer": "Adam (0.9, 0.999), global-norm clip",
    "clip": 1.0,
    "init": "weights N(0, 1/fan_in), biases 0; LSTM forget-gate bias "
            f"{rnn_train.FORGET_BIAS} (its gates start near sigmoid(3) = 0.95)",
    "eval_sequences": 2000,
    "eval_seed": 10_000,
}
DELAYS = [2, 5, 10, 20, 40, 60, 90]
SEEDS = [0, 1, 2]


def n_params(cell: str) -> int:
    p = rnn_train.init_params(cell, CONFIG["hidden"][cell], CONFIG["n_symbols"], 0)
    return int(sum(v.size for v in p.values()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true",
                    help="train into a scratch file and fail unless every curve equals the shipped one")
    args = ap.parse_args()
    if args.check and args.out == OUT:
        import tempfile
        args.out = Path(tempfile.mkdtemp(prefix="fieldguide-rnn-")) / "rnn_copy.json"
    t0, c0 = time.time(), time.process_time()
    curves = {}
    for cell in rnn_train.CELLS:
        runs = []
        for delay in DELAYS:
            accs, finals = [], []
            for seed in SEEDS:
                t = time.time()
                res = rnn_train.train(cell, delay, hidden=CONFIG["hidden"][cell],
                                      n_symbols=CONFIG["n_symbols"], steps=CONFIG["steps"],
                                      batch=CONFIG["batch"], lr=CONFIG["lr"], clip=CONFIG["clip"],
                                      seed=seed)
                acc = rnn_train.evaluate(cell, res["params"], delay, CONFIG["n_symbols"],
                                         CONFIG["eval_sequences"], CONFIG["eval_seed"] + delay)
                accs.append(round(acc, 4))
                finals.append(round(float(np.mean(res["losses"][-50:])), 4))
                print(f"{cell:8s} delay {delay:3d} seed {seed}: accuracy {acc:.3f}, "
                      f"final loss {finals[-1]:.3f} ({time.time() - t:.1f} s)", flush=True)
            runs.append({"delay": delay, "accuracy": accs, "final_loss": finals})
        curves[cell] = {"hidden": CONFIG["hidden"][cell], "params": n_params(cell), "runs": runs}
    out = {
        "script": "scripts/train_rnn.py",
        "code": "src/fieldguide/rnn_train.py",
        "config": CONFIG,
        "delays": DELAYS,
        "seeds": SEEDS,
        "chance": 1 / CONFIG["n_symbols"],
        "curves": curves,
        "wall_time_s": round(time.time() - t0, 1),
        "cpu_time_s": round(time.process_time() - c0, 1),
        "machine": f"{platform.machine()}, 1 thread, Python {platform.python_version()}, "
                   f"numpy {np.__version__}",
        "kernels": KERNELS,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} in {out['wall_time_s']} s ({out['cpu_time_s']} s of CPU)", flush=True)
    if args.check:
        same = json.loads(OUT.read_text(encoding="utf-8"))["curves"] == curves
        print(f"[check] rnn copy curves: {'reproduce' if same else 'DIFFER FROM'} the shipped ones", flush=True)
        sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
