"""Finding and loading demo modules (`demos/<id>.py`) in CPython at build time."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

ID = re.compile(r"^[a-z][a-z0-9_]*$")
REQUIRED = ("TITLE", "BADGE", "CONTROLS", "render")
BADGES = ("REAL", "TINY-REAL", "TOY", "AUTHORED")


def demos_dir() -> Path:
    env = os.environ.get("FIELDGUIDE_DEMOS")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    return repo / "demos" if (repo / "demos").is_dir() else Path.cwd() / "demos"


def all_ids() -> list[str]:
    return sorted(p.stem for p in demos_dir().glob("*.py") if ID.match(p.stem))


_cache: dict[str, tuple[float, object]] = {}


def load(demo_id: str):
    """Import demos/<id>.py (re-imported when the file changes, for `mkdocs serve`)."""
    if not ID.match(demo_id):
        raise ValueError(f"bad demo id {demo_id!r}: use lower_snake_case")
    path = demos_dir() / f"{demo_id}.py"
    if not path.is_file():
        raise ValueError(f"no demo module {path}")
    mtime = path.stat().st_mtime
    hit = _cache.get(demo_id)
    if hit and hit[0] == mtime:
        return hit[1]
    spec = importlib.util.spec_from_file_location(f"fieldguide_demos.{demo_id}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    check(demo_id, mod)
    _cache[demo_id] = (mtime, mod)
    return mod


def check(demo_id: str, mod) -> None:
    """The module contract of DEVELOPING.md, enforced at build time."""
    missing = [n for n in REQUIRED if not hasattr(mod, n)]
    if missing:
        raise ValueError(f"demo {demo_id}: missing {', '.join(missing)}")
    if mod.BADGE not in BADGES:
        raise ValueError(f"demo {demo_id}: BADGE must be one of {BADGES}")
    if not (mod.__doc__ or "").strip():
        raise ValueError(f"demo {demo_id}: the docstring must say what to try and notice")
    names = set()
    for c in mod.CONTROLS:
        for k in ("name", "kind", "label", "default"):
            if k not in c:
                raise ValueError(f"demo {demo_id}: control {c} lacks {k!r}")
        if c["name"] in names:
            raise ValueError(f"demo {demo_id}: control name {c['name']!r} twice")
        names.add(c["name"])
        if c["kind"] in ("range", "number") and not ("min" in c and "max" in c):
            raise ValueError(f"demo {demo_id}: control {c['name']!r} needs min and max")
        if c["kind"] == "select" and not c.get("options"):
            raise ValueError(f"demo {demo_id}: select {c['name']!r} needs options")


def source(demo_id: str) -> str:
    return (demos_dir() / f"{demo_id}.py").read_text(encoding="utf-8")
