"""The build's own machinery: verified fetches, numbers in prose, the demo fence, the SVG pre-render."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import markdown
import pytest

from fieldguide_site import numbers, svgplot
from fieldguide_site.fence import parse_body

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import fetch_runtime  # noqa: E402


def test_checksum_mismatch_stops_with_a_clear_message(tmp_path):
    f = tmp_path / "thing.whl"
    f.write_bytes(b"not what was promised")
    with pytest.raises(SystemExit) as e:
        fetch_runtime.install_verified(f, tmp_path / "out.whl", "0" * 64, "thing.whl")
    assert "checksum mismatch for thing.whl" in str(e.value)
    assert not (tmp_path / "out.whl").exists()


def test_verified_install_copies_a_matching_file(tmp_path):
    f = tmp_path / "a"
    f.write_bytes(b"abc")
    fetch_runtime.install_verified(f, tmp_path / "b", hashlib.sha256(b"abc").hexdigest(), "a")
    assert (tmp_path / "b").read_bytes() == b"abc"


def test_cached_vocabularies_match_the_official_hashes():
    root = fetch_runtime.cache_dir()
    for name, want in fetch_runtime.VOCABS.items():
        assert fetch_runtime.sha256(root / "vocab" / f"{name}.tiktoken") == want


@pytest.mark.parametrize("value,spec,out", [
    (5.88e23, "sci", "5.88 × 10²³"), (3.7908e25, "sci", "3.79 × 10²⁵"), (1e3, "sci2", "1 × 10³"),
    (1342177280, "comma", "1,342,177,280"), (0.4, "pct", "40%"), (70.6e9, "si", "70.6 billion"),
    (343597383680, "gb", "343.6 GB"), (343597383680, "gib", "320.0 GiB"), (2 / 3, ".3f", "0.667"),
    (9.96e9, "sci", "9.96 × 10⁹"), (9.999e9, "sci", "1 × 10¹⁰"),
])
def test_number_formats(value, spec, out):
    assert numbers.fmt(value, spec) == out


def test_numbers_in_prose_are_computed_and_code_is_left_alone():
    md = markdown.Markdown(extensions=["fenced_code", numbers.FieldguideExtension()])
    html = md.convert("Half of ten is {{ 10 / 2 | .1f }}, {{ len('abc') }}, {{ math.sqrt(16) | .0f }}."
                      "\n\n```\n{{ not evaluated }}\n```\n")
    assert "Half of ten is 5.0, 3, 4." in html and "{{ not evaluated }}" in html


def test_a_broken_number_fails_the_build():
    md = markdown.Markdown(extensions=[numbers.FieldguideExtension()])
    with pytest.raises(ValueError, match="no_such_module"):
        md.convert("{{ no_such_module.f() }}")
    with pytest.raises(ValueError):
        md.convert("{{ __import__('os') }}")           # no builtins beyond a harmless few


def test_fence_body():
    assert parse_body("compute_economy\nparams: 1e12  # bigger\n") == ("compute_economy", {"params": "1e12"})
    with pytest.raises(ValueError):
        parse_body("\n")
    with pytest.raises(ValueError):
        parse_body("x\nnot an override")


def test_svg_draws_every_supported_trace_kind():
    fig = {"data": [
        {"type": "scatter", "x": [1, 10, 100], "y": [1, 4, 9], "mode": "lines+markers", "name": "s"},
        {"type": "bar", "x": ["a", "b"], "y": [3, 5], "xaxis": "x2", "yaxis": "y2"},
        {"type": "heatmap", "z": [[0, 1], [1, 0]], "xaxis": "x3", "yaxis": "y3"},
        {"type": "histogram", "x": [1, 2, 2, 3, 3, 3], "xaxis": "x4", "yaxis": "y4"},
    ], "layout": {"title": {"text": "T <&>"}, "xaxis": {"type": "log", "domain": [0, 0.2]},
                  "xaxis2": {"domain": [0.25, 0.45]}, "xaxis3": {"domain": [0.5, 0.7]},
                  "xaxis4": {"domain": [0.75, 1]}}}
    svg = svgplot.figure_svg(fig, "label")
    assert svg.startswith("<svg") and "T &lt;&amp;&gt;" in svg
    assert svg.count("<polyline") == 1 and svg.count("<circle") == 3
    assert svg.count('data-sub="') == 4 and svg.count("<rect") > 8


def test_svg_places_point_labels_as_textposition_says():
    fig = {"data": [{"type": "scatter", "mode": "markers+text", "x": [1, 2], "y": [1, 2],
                     "text": ["left one", "below"], "textposition": ["middle left", "bottom center"]}]}
    svg = svgplot.figure_svg(fig)
    assert 'text-anchor="end" class="fg-svg-tick">left one<' in svg
    assert 'text-anchor="middle" class="fg-svg-tick">below<' in svg


def test_svg_legend_wraps_below_the_chart_and_the_svg_grows():
    names = [f"a fairly long legend entry number {i}" for i in range(6)]
    fig = {"data": [{"type": "scatter", "x": [1, 2], "y": [i, i + 1], "name": n} for i, n in enumerate(names)],
           "layout": {"height": 300, "xaxis": {"title": {"text": "x title"}}}}
    svg = svgplot.figure_svg(fig)
    assert all(n in svg for n in names)
    height = float(svg.split('viewBox="0 0 ')[1].split('"')[0].split()[1])
    assert height > 300 + 2 * svgplot.LEGEND_ROW        # several rows, all below the plot


def test_svg_heatmap_uses_a_list_colorscale_and_averages_huge_grids():
    fig = {"data": [{"type": "heatmap", "z": [[0, 1]], "zmin": 0, "zmax": 1,
                     "colorscale": [[0, "#ffffff"], [1, "rgb(214, 39, 40)"]]}]}
    svg = svgplot.figure_svg(fig)
    assert 'fill="rgb(214,39,40)"' in svg and 'fill="rgb(255,255,255)"' in svg
    big = {"data": [{"type": "heatmap", "z": [[(i * j) % 7 for j in range(512)] for i in range(16)]}]}
    assert 1000 < svgplot.figure_svg(big).count("<rect") <= svgplot.MAX_CELLS + 4     # + the frame


def test_svg_draws_threshold_lines_and_long_category_labels():
    fig = {"data": [{"type": "bar", "orientation": "h", "x": [1, 2],
                     "y": ["a rather long category name", "short"]}],
           "layout": {"margin": {"l": 250}, "xaxis": {"type": "log"},
                      "shapes": [{"type": "line", "xref": "x", "x0": 1.5, "x1": 1.5, "yref": "paper",
                                  "y0": 0, "y1": 1, "line": {"dash": "dot", "color": "#123456"}}]}}
    svg = svgplot.figure_svg(fig)
    assert "a rather long category name<" in svg
    assert 'stroke="#123456"' in svg and "stroke-dasharray" in svg


def test_svg_log_bars_keep_their_shortest_bar_visible():
    fig = {"data": [{"type": "bar", "orientation": "h", "x": [0.005, 0.04, 2.3], "y": ["a", "b", "c"]}],
           "layout": {"xaxis": {"type": "log"}}}
    svg = svgplot.figure_svg(fig)
    import re
    widths = [float(w) for w in re.findall(r'<rect x="[^"]*" y="[^"]*" width="([0-9.]+)" height="[^"]*" fill=', svg)]
    assert len(widths) == 3 and min(widths) > 5     # the 0.005 bar is drawn, not a zero-width sliver


def test_svg_stacks_bars_when_the_layout_says_so():
    fig = {"data": [{"type": "bar", "x": ["a"], "y": [2], "name": "lower"},
                    {"type": "bar", "x": ["a"], "y": [3], "name": "upper"}],
           "layout": {"barmode": "stack", "height": 300}}
    import re
    rects = [tuple(float(v) for v in m) for m in
             re.findall(r'<rect x="([0-9.]+)" y="([0-9.]+)" width="([0-9.]+)" height="([0-9.]+)" fill="#', svgplot.figure_svg(fig))]
    (x0, y0, w0, h0), (x1, y1, w1, h1) = rects[:2]
    assert x0 == x1 and w0 == w1                     # one column, not side by side
    assert abs((y1 + h1) - y0) < 0.2                 # the upper bar starts where the lower one ends
    assert abs(h1 / h0 - 1.5) < 0.05


def test_svg_log_axis_within_one_decade_still_has_ticks():
    fig = {"data": [{"type": "scatter", "x": [1e6, 1e9], "y": [3.1, 4.7]}],
           "layout": {"xaxis": {"type": "log"}, "yaxis": {"type": "log"}}}
    svg = svgplot.figure_svg(fig)
    assert ">4<" in svg or ">4.5<" in svg or ">3.5<" in svg     # y labels inside 3.1..4.7


def test_svg_heatmap_named_scales_match_plotly_and_centre_on_zmid():
    blues = svgplot.figure_svg({"data": [{"type": "heatmap", "z": [[0, 1]], "colorscale": "Blues"}]})
    assert 'fill="rgb(5,10,172)"' in blues and 'fill="rgb(220,220,220)"' in blues     # plotly: dark = low
    rev = svgplot.figure_svg({"data": [{"type": "heatmap", "z": [[0, 1]], "colorscale": "Blues_r"}]})
    assert 'fill="rgb(220,220,220)"' in rev.split("<rect")[2]                          # reversed: light = low
    mid = svgplot.figure_svg({"data": [{"type": "heatmap", "z": [[0, 3]], "zmid": 0, "colorscale": "RdBu"}]})
    assert 'fill="rgb(190,190,190)"' in mid          # 0 sits at the middle of a diverging scale
