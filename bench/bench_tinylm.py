"""How fast is tinylm where readers feel it? Timings in ms of a 64-token forward pass, the sampling
playground's knob change (cached logits, no forward), one generated token with the KV cache, and
the demos' renders — in CPython and, with --pyodide, in Pyodide too (Node.js running the site's
staged runtime, the same wasm numpy a reader's browser gets), side by side with their ratio.

    .venv/bin/python bench/bench_tinylm.py              # CPython only
    .venv/bin/python bench/bench_tinylm.py --pyodide    # needs `make runtime` (docs/assets/runtime)

The browser's own numbers, render time included, are in bench/bench_runtime.py.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def ms(fn, repeat=15):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def measure() -> list:
    """The rows, measured in whichever Python runs this (CPython or Pyodide)."""
    import numpy as np
    from fieldguide import sampling, tinylm
    m = tinylm.load()
    ids = list(range(300, 364))
    z = tinylm.next_logits(ids)
    _, cache, _ = m.forward(ids[:-1])
    prompts = iter(range(10**6))
    rows = [
        ("forward, 64 tokens, all logits", ms(lambda: m.forward(ids))),
        ("forward, 64 tokens, last logits only", ms(lambda: m.forward(ids, last_only=True))),
        ("forward, 64 tokens, with attention weights", ms(lambda: m.forward(ids, return_attn=True))),
        ("one new token with the KV cache (63 cached)", ms(lambda: m.forward([ids[-1]], cache=cache.copy()))),
        ("filter_logits on 2,048 logits (a knob change)", ms(lambda: sampling.filter_logits(z, 0.7, 40, 0.9, 0.05))),
        ("generate 60 tokens (KV cache)", ms(lambda: tinylm.generate(ids[:8], 60, 0.8), repeat=3)),
    ]
    import attention_grid
    import next_token
    import sampling_playground
    sampling_playground.render()
    rows.append(("sampling_playground render, cached logits", ms(lambda: sampling_playground.render(temperature=0.5))))
    text = tinylm.decode(ids)
    rows.append(("next_token render, new 64-token prompt",
                 ms(lambda: next_token.render(prompt=text + str(next(prompts))))))
    rows.append(("next_token render, temperature change", ms(lambda: next_token.render(prompt=text, temperature=0.7))))
    attention_grid.render()
    rows.append(("attention_grid render, cached Q/K", ms(lambda: attention_grid.render(temperature=2.0))))
    assert np.isfinite(z).all()
    return rows


RUNNER = r"""
const { loadPyodide } = require(process.argv[2] + "/pyodide/pyodide.js");
const fs = require("fs");
(async () => {
  const root = process.argv[2];
  const py = await loadPyodide({ indexURL: root + "/pyodide/" });
  const lock = JSON.parse(fs.readFileSync(root + "/pyodide/pyodide-lock.json"));
  await py.loadPackage(root + "/pyodide/" + lock.packages.numpy.file_name, { messageCallback() {} });
  const manifest = JSON.parse(fs.readFileSync(root + "/runtime.json"));
  py.FS.writeFile("/tmp/fg.whl", fs.readFileSync(root + "/" + manifest.wheel));
  py.FS.mkdirTree("/tmp/demos");
  for (const f of fs.readdirSync(process.argv[3])) if (f.endsWith(".py"))
    py.FS.writeFile("/tmp/demos/" + f, fs.readFileSync(process.argv[3] + "/" + f));
  py.runPython("import sys, zipfile; zipfile.ZipFile('/tmp/fg.whl').extractall('/tmp/site'); "
               + "sys.path[:0] = ['/tmp/site', '/tmp/demos']");
  py.FS.writeFile("/tmp/bench.py", fs.readFileSync(process.argv[4]));
  const out = py.runPython("import runpy, json; json.dumps(runpy.run_path('/tmp/bench.py', run_name='bench')['measure']())");
  console.log("ROWS " + out);
})().catch((e) => { console.error(e); process.exit(1); });
"""


def measure_pyodide() -> list:
    root = REPO / "docs" / "assets" / "runtime"
    if not (root / "runtime.json").exists():
        sys.exit("no staged runtime: run `make runtime` first")
    manifest = json.loads((root / "runtime.json").read_text())
    if "wheel" not in manifest:
        sys.exit(f"runtime.json has no 'wheel' entry: {sorted(manifest)}")
    with tempfile.NamedTemporaryFile("w", suffix=".cjs", delete=False) as f:
        f.write(RUNNER)
    try:
        out = subprocess.run(["node", f.name, str(root), str(REPO / "demos"), __file__],
                             check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    return json.loads(out.split("ROWS ", 1)[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pyodide", action="store_true", help="also measure in Pyodide (Node.js)")
    a = ap.parse_args()
    sys.path[:0] = [str(REPO / "src"), str(REPO / "demos")]
    rows = measure()
    width = max(len(r[0]) for r in rows)
    if not a.pyodide:
        for name, t in rows:
            print(f"{name:<{width}}  {t:8.2f} ms")
        return
    wasm = dict(measure_pyodide())
    print(f"{'measure':<{width}}  {'CPython':>10}  {'Pyodide':>10}  {'ratio':>6}")
    for name, t in rows:
        print(f"{name:<{width}}  {t:7.2f} ms  {wasm[name]:7.2f} ms  {wasm[name] / t:6.1f}")


if __name__ == "__main__":
    main()
