"""Where a demo's Python is running, and the smallest demo that proves it is deterministic.

`describe()` reports the interpreter, NumPy and platform. In the reader's browser the same code
runs on Pyodide (CPython compiled to WebAssembly), where `sys.platform` is "emscripten".

`anatomy(n, seed)` is the Prologue's example of what every random demo in the book does: the
code in `ANATOMY_SOURCE` is compiled and run as-is, so the listing a reader sees is, character
for character, the code that produced the numbers. Same seed, same NumPy version: same numbers,
same hash, in a browser tab or on a laptop.
"""

from __future__ import annotations

import hashlib
import platform
import sys

import numpy as np

import fieldguide


def describe() -> dict:
    """Interpreter, NumPy, platform and random generator used for every demo on the page."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": sys.platform,
        "in_browser": sys.platform == "emscripten",
        "numpy": np.__version__,
        "fieldguide": fieldguide.__version__,
        "bit_generator": type(np.random.default_rng(0).bit_generator).__name__,
    }


ANATOMY_SOURCE = '''\
import numpy as np

def draws(n, seed):
    rng = np.random.default_rng(seed)      # PCG64, seeded: the same stream every time
    return rng.standard_normal(n)          # n draws from a normal distribution N(0, 1)
'''

_namespace: dict = {}
exec(compile(ANATOMY_SOURCE, "<anatomy>", "exec"), _namespace)


def fingerprint(values: np.ndarray) -> str:
    """First 16 hex digits of the SHA-256 of the values' float64 little-endian bytes."""
    data = np.ascontiguousarray(values, dtype="<f8").tobytes()
    return hashlib.sha256(data).hexdigest()[:16]


def anatomy(n: int, seed: int) -> dict:
    """Run ANATOMY_SOURCE's `draws(n, seed)`; return the values, their fingerprint, the code,
    and a histogram over [-4, 4] in bins of 0.5 (values beyond ±4 counted in the end bins)."""
    n, seed = int(n), int(seed)
    if n < 1:
        raise ValueError("n must be at least 1")
    if seed < 0:
        raise ValueError("the seed must not be negative")
    values = _namespace["draws"](n, seed)
    edges = np.arange(-4.0, 4.01, 0.5)
    counts, _ = np.histogram(np.clip(values, -4, 4), bins=edges)
    return {"values": values, "hash": fingerprint(values), "source": ANATOMY_SOURCE,
            "bin_centres": (edges[:-1] + edges[1:]) / 2, "counts": counts}
