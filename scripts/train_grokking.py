"""Train the shipped grokking grid: (a + b) mod 97, weight decay 0 / 0.3 / 1.0 x train fraction 0.3 / 0.5.

Same code as the page's live run (fieldguide.grokking.train). Writes
src/fieldguide/data/grokking_runs.json; `--check` retrains and compares the curves with the file.
"""

import sys
sys.path.insert(0, "scripts")
from kernels import pin  # noqa: E402
KERNELS = pin()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

sys.path.insert(0, "src")
from fieldguide import grokking  # noqa: E402

OUT = "src/fieldguide/data/grokking_runs.json"
CONFIG = {"p": 97, "d": 24, "hidden": 96, "lr": 3e-3, "steps": 4000, "seed": 0, "per_decade": 12}


def one(job):
    wd, frac = job
    t0, c0 = time.time(), time.process_time()
    r = grokking.train(CONFIG["p"], wd, frac, CONFIG["steps"], CONFIG["seed"], d=CONFIG["d"],
                       hidden=CONFIG["hidden"], lr=CONFIG["lr"], per_decade=CONFIG["per_decade"])
    r["wall_time_s"] = round(time.time() - t0, 1)
    r["cpu_time_s"] = round(time.process_time() - c0, 1)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="retrain and compare with the shipped file")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    jobs = [(wd, frac) for wd in grokking.WEIGHT_DECAYS for frac in grokking.TRAIN_FRACS]
    t0 = time.time()
    with ProcessPoolExecutor(args.jobs) as ex:
        runs = list(ex.map(one, jobs))
    if args.check:
        old = {(r["config"]["weight_decay"], r["config"]["train_frac"]): r
               for r in json.load(open(OUT))["runs"]}
        worst = 0.0
        for r in runs:
            o = old[(r["config"]["weight_decay"], r["config"]["train_frac"])]
            for k in ("train_acc", "test_acc"):
                worst = max(worst, max(abs(x - y) for x, y in zip(r[k], o[k])))
        print(f"largest accuracy difference vs {OUT}: {worst:.4f}")
        sys.exit(0 if worst <= 0.01 else 1)
    out = {"script": "scripts/train_grokking.py", "seeds": [CONFIG["seed"]], "config": CONFIG,
           "kernels": KERNELS, "machine": platform.machine(), "python": platform.python_version(),
           "total_wall_time_s": round(time.time() - t0, 1),
           "total_cpu_time_s": round(sum(r["cpu_time_s"] for r in runs), 1),
           "runs": runs}
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    for r in runs:
        c = r["config"]
        print(c["weight_decay"], c["train_frac"], grokking.grok_step(r["steps"], r["train_acc"], r["test_acc"]),
              r["test_acc"][-1], r["wall_time_s"])


if __name__ == "__main__":
    main()
