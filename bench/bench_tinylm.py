"""How fast is tinylm where readers feel it? CPython timings in ms (the browser, Pyodide, is
roughly 3-5x slower): a 64-token forward pass, the sampling playground's knob change (cached
logits, no forward), one generated token with the KV cache vs recomputing the prefix.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_tinylm.py
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "demos"))

from fieldguide import sampling, tinylm  # noqa: E402


def ms(fn, repeat=20):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    m = tinylm.load()
    ids = list(range(300, 364))
    z = tinylm.next_logits(ids)
    _, cache, _ = m.forward(ids[:-1])
    rows = [
        ("forward, 64 tokens, all logits", ms(lambda: m.forward(ids))),
        ("forward, 64 tokens, last logits only (next_logits)", ms(lambda: m.forward(ids, last_only=True))),
        ("forward, 64 tokens, with attention weights", ms(lambda: m.forward(ids, return_attn=True))),
        ("one new token with the KV cache (63 cached)", ms(lambda: m.forward([ids[-1]], cache=cache.copy()))),
        ("filter_logits on 2,048 logits (a knob change)", ms(lambda: sampling.filter_logits(z, 0.7, 40, 0.9, 0.05))),
        ("generate 60 tokens (KV cache)", ms(lambda: tinylm.generate(ids[:8], 60, 0.8), repeat=3)),
    ]
    import sampling_playground
    sampling_playground.render()
    rows.append(("sampling_playground render, cached logits", ms(lambda: sampling_playground.render(temperature=0.5))))
    import attention_grid
    attention_grid.render()
    rows.append(("attention_grid render, cached Q/K", ms(lambda: attention_grid.render(temperature=2.0))))
    width = max(len(r[0]) for r in rows)
    for name, t in rows:
        print(f"{name:<{width}}  {t:8.2f} ms")


if __name__ == "__main__":
    main()
