"""Numbers in prose, computed by fieldguide at build time; and a reading-time estimate.

    Training Chinchilla took about {{ scaling.train_flops(70e9, 1.4e12) | sci }} FLOP.

The expression is evaluated in CPython with the `fieldguide` submodules as names (plus `math`
and a few harmless builtins) and formatted by the named format after the bar. Any error fails the
build, so a number in the text can never drift from the code that computes it. Fenced code blocks
are left alone.
"""

from __future__ import annotations

import importlib
import math
import re

from markdown import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
import xml.etree.ElementTree as etree

EXPR = re.compile(r"\{\{\s*(?P<expr>.+?)\s*(?:\|\s*(?P<fmt>[\w.,%+\- ]+?)\s*)?\}\}")
FENCE = re.compile(r"^\s*(```|~~~)")
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
SAFE_BUILTINS = {n: __builtins__[n] if isinstance(__builtins__, dict) else getattr(__builtins__, n)
                 for n in ("abs", "min", "max", "round", "len", "sum", "int", "float", "sorted", "range")}


class Names(dict):
    """fieldguide submodules, imported on first use: `scaling` -> fieldguide.scaling."""

    def __missing__(self, key):
        try:
            mod = importlib.import_module(f"fieldguide.{key}")
        except ModuleNotFoundError:
            raise KeyError(key) from None   # so eval goes on to math and the safe builtins
        self[key] = mod
        return mod


def sci(x: float, digits: int = 3) -> str:
    if x == 0:
        return "0"
    e = math.floor(math.log10(abs(x)))
    m = round(x / 10 ** e, digits - 1)
    if abs(m) >= 10:
        m, e = m / 10, e + 1
    ms = f"{m:.{digits - 1}f}".rstrip("0").rstrip(".") if digits > 1 else f"{m:.0f}"
    return f"{ms} × 10{str(e).translate(SUPERSCRIPT)}"


def si(x: float) -> str:
    for div, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(x) >= div:
            return f"{x / div:.3g} {word}"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def fmt(value, spec: str | None) -> str:
    if spec is None or spec == "":
        return f"{value:,}" if isinstance(value, int) else str(value)
    spec = spec.strip()
    if spec == "sci":
        return sci(value)
    if re.fullmatch(r"sci[1-6]", spec):
        return sci(value, int(spec[3]))
    if spec == "comma":
        return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    if spec == "int":
        return f"{round(value):,}"
    if re.fullmatch(r"pct[0-3]?", spec):
        return f"{value * 100:.{int(spec[3:] or 0)}f}%"
    if spec == "si":
        return si(value)
    if spec == "gb":
        return f"{value / 1e9:,.1f} GB"
    if spec == "gib":
        return f"{value / 2 ** 30:,.1f} GiB"
    return format(value, spec)


def evaluate(expr: str, spec: str | None, names: Names) -> str:
    try:
        value = eval(compile(expr, "<prose>", "eval"), {"__builtins__": SAFE_BUILTINS, "math": math}, names)
        return fmt(value, spec)
    except Exception as e:
        raise ValueError(f"number in prose {{{{ {expr} | {spec} }}}} failed: {type(e).__name__}: {e}") from e


class NumbersPreprocessor(Preprocessor):
    def run(self, lines):
        names = Names()
        out, in_fence = [], False
        for ln in lines:
            if FENCE.match(ln):
                in_fence = not in_fence
            if not in_fence and "{{" in ln:
                ln = EXPR.sub(lambda m: evaluate(m["expr"], m["fmt"], names), ln)
            out.append(ln)
        return out


class ReadingTime(Treeprocessor):
    """Adds "≈ N min read" under the first heading: 230 words a minute plus 2 minutes a demo."""

    def run(self, root):
        text = " ".join(root.itertext())
        words = len(re.findall(r"\w+", text))
        n_demos = sum(1 for el in root.iter("div") if el.get("data-demo"))
        # Raw HTML (the demos) is stashed until after tree processing; count the placeholders' demos.
        n_demos += getattr(self.md, "_fieldguide_demo_count", 0)
        minutes = max(1, round(words / 230 + 2 * n_demos))
        h1 = next((el for el in root if el.tag == "h1"), None)
        p = etree.Element("p", {"class": "fg-reading-time"})
        p.text = f"≈ {minutes} min read · {n_demos} live demo{'s' if n_demos != 1 else ''}" if n_demos \
            else f"≈ {minutes} min read"
        idx = list(root).index(h1) + 1 if h1 is not None else 0
        root.insert(idx, p)


class FieldguideExtension(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.register(NumbersPreprocessor(md), "fieldguide_numbers", 40)
        md.treeprocessors.register(ReadingTime(md), "fieldguide_reading_time", 5)


def makeExtension(**kwargs):
    return FieldguideExtension(**kwargs)
