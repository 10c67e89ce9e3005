"""Reference data and assets, with their sources.

Small tables (GPU specs, model configs, ...) ship inside the package as JSON. Large assets
(tokenizer rank files) do not: the build fetches and verifies them into a cache, the site serves
them, and the browser's worker writes the ones a demo declares into its own file system. `asset()`
finds them wherever they are.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).parent


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """A JSON table shipped with the package, e.g. load("gpus")."""
    return json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))


def gpus() -> dict[str, dict]:
    """GPU specs keyed by name; each record carries its source, units and as-of date."""
    return {g["name"]: g for g in load("gpus")["gpus"]}


def pick(table: dict, name: str, what: str) -> dict:
    """table[name], or a ValueError that lists what is known."""
    if name not in table:
        raise ValueError(f"unknown {what} {name!r}; known: {', '.join(table)}")
    return table[name]


def gpu(name: str) -> dict:
    return pick(gpus(), name, "GPU")


def _asset_dirs() -> list[Path]:
    dirs = [Path(p) for p in os.environ.get("FIELDGUIDE_DATA", "").split(os.pathsep) if p]
    dirs.append(HERE)
    cache = Path(os.environ.get("FIELDGUIDE_CACHE") or Path.home() / ".cache" / "fieldguide")
    dirs += [cache / "vocab", cache]
    return dirs


def asset(name: str) -> Path:
    """Path of a large data file (e.g. "o200k_base.tiktoken"), wherever it has been put."""
    for d in _asset_dirs():
        p = d / name
        if p.is_file():
            return p
    raise FileNotFoundError(
        f"data file {name!r} not found (looked in {', '.join(map(str, _asset_dirs()))}); "
        "run `make site` or `python scripts/fetch_runtime.py` to fetch it")
